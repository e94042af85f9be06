import { Command } from 'commander';
import { config as loadDotenv } from 'dotenv';
import { isSynqxError } from '../core/errors.js';
import { SYNQX_VERSION } from '../core/version.js';
import { loadConfig } from '../platform/config.js';
import { createLogger } from '../platform/logger.js';
import { startApiServer } from './server.js';

loadDotenv({ quiet: true });

function fail(err: unknown): never {
  const msg = isSynqxError(err) ? err.message : err instanceof Error ? err.message : String(err);
  process.stderr.write(`synqx: ${msg}\n`);
  process.exit(isSynqxError(err) && err.code === 'CONFIG_INVALID' ? 78 : 1);
}

async function serve(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, json: config.jsonLogs });
  const running = await startApiServer(config, logger);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    running.close().then(
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

const program = new Command();
program.name('synqx').description('SynqX streaming ETL engine').version(SYNQX_VERSION);

program
  .command('start')
  .description('run the API (and, once dispatch lands, the scheduler and a worker) in one process')
  .action(() => serve().catch(fail));

program
  .command('api')
  .description('run the REST API only')
  .action(() => serve().catch(fail));

program.parseAsync(process.argv).catch(fail);
