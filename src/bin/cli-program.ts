import { Command } from 'commander';
import { isSynqxError } from '../core/errors.js';
import { SYNQX_VERSION } from '../core/version.js';

/** The `synqx` program every entry (the full CLI, the one-shot bundle) starts from. */
export function newProgram(): Command {
  return new Command().name('synqx').description('SynqX streaming ETL engine').version(SYNQX_VERSION);
}

/** One clear line on stderr; exit 78 for bad configuration, 1 otherwise. */
export function fail(err: unknown): never {
  const msg = isSynqxError(err) ? err.message : err instanceof Error ? err.message : String(err);
  process.stderr.write(`synqx: ${msg}\n`);
  process.exit(isSynqxError(err) && err.code === 'CONFIG_INVALID' ? 78 : 1);
}
