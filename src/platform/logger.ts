import pino, { type Logger } from 'pino';
import { currentLogContext } from './request-context.js';

export type { Logger };

/** Paths pino blanks out wherever they appear; connection configs and auth headers live under these. */
export const REDACT_PATHS = [
  'password',
  'dsn',
  'config.password',
  'config.dsn',
  '*.password',
  '*.dsn',
  '*.config.password',
  '*.config.dsn',
  'masterPassword',
  '*.masterPassword',
  'headers.authorization',
  '*.headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
];

export interface LoggerOptions {
  level: string;
  json: boolean;
  destination?: pino.DestinationStream;
}

export function createLogger(opts: LoggerOptions): Logger {
  const options: pino.LoggerOptions = {
    level: opts.level,
    base: { service: 'synqx' },
    redact: { paths: REDACT_PATHS, censor: '********' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Request and job ids come from the async context so every line inside a request carries them.
    mixin: () => currentLogContext() ?? {},
  };
  if (opts.destination) return pino(options, opts.destination);
  if (!opts.json) {
    return pino(options, prettyDestination());
  }
  return pino(options);
}

/** A dependency-free human format for JSON_LOGS=false: `time LEVEL msg key=value …`. */
function prettyDestination(): pino.DestinationStream {
  const levels: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
  return {
    write(line: string) {
      try {
        const { time, level, msg, service: _s, pid: _p, hostname: _h, ...rest } = JSON.parse(line) as Record<string, unknown>;
        const extra = Object.entries(rest)
          .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
          .join(' ');
        process.stdout.write(`${String(time)} ${levels[level as number] ?? level} ${String(msg ?? '')}${extra ? ' ' + extra : ''}\n`);
      } catch {
        process.stdout.write(line);
      }
    },
  };
}
