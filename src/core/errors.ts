/**
 * The one error type of SynqX. Whoever raises it sets the code once; the API maps codes to HTTP
 * statuses (src/api/error-mapping.ts) and the dispatcher maps `retryable` to queue retries.
 * Messages must never contain secrets: they may reach API clients and logs.
 */
export type ErrorDomain = 'user' | 'external' | 'internal';

export type ErrorCode =
  | 'BAD_REQUEST'
  | 'VALIDATION_FAILED'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'CONFIG_INVALID'
  | 'VAULT_ERROR'
  | 'CONNECTION_FAILED'
  | 'SOURCE_ERROR'
  | 'DESTINATION_ERROR'
  | 'TRANSFORM_ERROR'
  | 'DATA_ERROR'
  | 'CANCELLED'
  | 'TIMEOUT'
  | 'UNAVAILABLE'
  | 'INTERNAL';

/** One problem found while validating input; `field` is a dotted path such as `initial_version.nodes.1.node_id`. */
export interface FieldProblem {
  field: string;
  message: string;
  error_type: string;
}

export interface SynqxErrorOptions {
  domain?: ErrorDomain;
  retryable?: boolean;
  details?: unknown;
  cause?: unknown;
}

const defaultDomain: Partial<Record<ErrorCode, ErrorDomain>> = {
  INTERNAL: 'internal',
  VAULT_ERROR: 'internal',
  CONNECTION_FAILED: 'external',
  SOURCE_ERROR: 'external',
  DESTINATION_ERROR: 'external',
  UNAVAILABLE: 'external',
  TIMEOUT: 'external',
};

export class SynqxError extends Error {
  readonly code: ErrorCode;
  readonly domain: ErrorDomain;
  readonly retryable: boolean;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: SynqxErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SynqxError';
    this.code = code;
    this.domain = options.domain ?? defaultDomain[code] ?? 'user';
    this.retryable = options.retryable ?? false;
    this.details = options.details;
  }

  static notFound(what: string, id: unknown): SynqxError {
    return new SynqxError('NOT_FOUND', `${what} ${String(id)} not found`);
  }

  static validation(problems: FieldProblem[], message = 'validation failed'): SynqxError {
    return new SynqxError('VALIDATION_FAILED', message, { details: problems });
  }

  static conflict(message: string, details?: unknown): SynqxError {
    return new SynqxError('CONFLICT', message, { details });
  }
}

export function isSynqxError(err: unknown): err is SynqxError {
  return err instanceof SynqxError;
}

/** The field problems a VALIDATION_FAILED error carries; undefined for any other error (rethrow it). */
export function validationProblems(err: unknown): FieldProblem[] | undefined {
  return err instanceof SynqxError && err.code === 'VALIDATION_FAILED' && Array.isArray(err.details) ? (err.details as FieldProblem[]) : undefined;
}
