import type { Field, Schema } from 'apache-arrow';
import { SynqxError } from '../../core/errors.js';

/** Indexes of `names` in `schema`; a missing name is a DATA_ERROR listing what the input has. */
export function columnIndexes(schema: Schema, names: readonly string[], what: string): number[] {
  return names.map((name) => {
    const i = schema.fields.findIndex((f: Field) => f.name === name);
    if (i < 0) throw new SynqxError('DATA_ERROR', `${what}: column "${name}" not found; the input has: ${schema.fields.map((f) => f.name).join(', ')}`);
    return i;
  });
}

/** Past a configured bound: the DATA_ERROR every stateful transform raises, naming the config key. */
export function boundExceeded(what: string, holds: string, limit: number, key: string): SynqxError {
  return new SynqxError('DATA_ERROR', `${what} holds at most ${limit.toLocaleString('en-US')} ${holds} (config ${key}); raise ${key} or reduce the input`, {
    details: { config_key: key, limit },
  });
}
