import { config as loadDotenv } from 'dotenv';
import { installPlugins } from '../engine/transforms/plugins.js';
import { loadConfig, type AppConfig } from '../platform/config.js';
import { createLogger, type Logger } from '../platform/logger.js';
import { fail, newProgram } from './cli-program.js';
import { registerCopyCommand } from './copy-command.js';
import { registerRunCommand } from './run-command.js';

// The server parts (Koa, BullMQ, the metadata store, PGlite) are imported by the commands that need them:
// loading them all costs over a second of start-up, which a one-shot `synqx copy` would pay for nothing.
const serverParts = () => import('./server.js');
const engineRunner = () => import('./engine-runner.js');
const processParts = () => import('./processes.js');

loadDotenv({ quiet: true });

/** Starts a long-running part and stops it gracefully on SIGTERM/SIGINT (a second signal exits at once). */
async function runUntilSignal(start: (config: AppConfig, logger: Logger) => Promise<{ close(): Promise<void> }>): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, json: config.jsonLogs });
  const handle = await start(config, logger);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down: no new work, letting running jobs finish');
    handle.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

const program = newProgram();

program
  .command('start')
  .description('run the API, the scheduler and one worker in one process (in-process dispatch without REDIS_URL)')
  .action(() =>
    runUntilSignal(async (config, logger) => {
      const [{ startApiServer }, { engineRunnerFactory }] = await Promise.all([serverParts(), engineRunner()]);
      return startApiServer(config, logger, { worker: engineRunnerFactory(config), scheduler: true });
    }).catch(fail),
  );

program
  .command('api')
  .description('run the REST API only (needs REDIS_URL: jobs are run by `synqx worker` processes)')
  .action(() =>
    runUntilSignal(async (config, logger) => {
      const { requireRedis } = await import('../scheduler/dispatch-config.js');
      requireRedis(config, 'api');
      const { startApiServer } = await serverParts();
      return startApiServer(config, logger);
    }).catch(fail),
  );

program
  .command('worker')
  .description('run jobs from the shared queue (needs REDIS_URL and DATABASE_URL)')
  .action(() =>
    runUntilSignal(async (config, logger) => {
      // Before the queue and the store are opened: a plugin that cannot load refuses the start.
      await installPlugins(config.pluginDir);
      const [{ startWorkerProcess }, { engineRunnerFactory }] = await Promise.all([processParts(), engineRunner()]);
      return startWorkerProcess(config, logger, engineRunnerFactory(config));
    }).catch(fail),
  );

program
  .command('scheduler')
  .description('fire cron schedules and watch for stalled jobs (needs REDIS_URL and DATABASE_URL)')
  .action(() => runUntilSignal(async (config, logger) => (await processParts()).startSchedulerProcess(config, logger)).catch(fail));

program
  .command('vault')
  .description('manage the connection vault')
  .command('rotate')
  .description('seal every connection with a new key (new salt); with --new-password-env VAR, derived from that variable instead of MASTER_PASSWORD')
  .option('--new-password-env <var>', 'environment variable holding the new master password')
  .action(async (opts: { newPasswordEnv?: string }) => {
    try {
      const config = loadConfig();
      const logger = createLogger({ level: 'warn', json: config.jsonLogs });
      const next = opts.newPasswordEnv ? process.env[opts.newPasswordEnv] : undefined;
      if (opts.newPasswordEnv && !next) throw new Error(`environment variable ${opts.newPasswordEnv} is empty or not set`);
      const [{ openMetadataDb }, { ConnectionService }] = await Promise.all([import('../store/open-db.js'), import('../services/connection-service.js')]);
      const db = await openMetadataDb(config);
      try {
        const connections = await ConnectionService.create({ db, config, logger });
        const r = await connections.rotateVaultKey(next ? { masterPassword: next } : {});
        process.stdout.write(`vault key rotated: new key ${r.key_id}, ${r.resealed} connection(s) re-sealed, ${r.retired_keys} key(s) retired\n`);
        if (next) process.stdout.write(`set MASTER_PASSWORD to the new value (from ${opts.newPasswordEnv}) before the next start\n`);
      } finally {
        await db.close();
      }
    } catch (err) {
      fail(err);
    }
  });

registerCopyCommand(program);
registerRunCommand(program);

program.parseAsync(process.argv).catch(fail);
