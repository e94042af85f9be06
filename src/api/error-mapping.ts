import type { ErrorCode } from '../core/errors.js';
import { SynqxError, isSynqxError } from '../core/errors.js';

/** The one place error codes become HTTP statuses. */
const STATUS: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  VALIDATION_FAILED: 422,
  CONFIG_INVALID: 422,
  DATA_ERROR: 422,
  TRANSFORM_ERROR: 422,
  CONNECTION_FAILED: 502,
  SOURCE_ERROR: 502,
  DESTINATION_ERROR: 502,
  CANCELLED: 409,
  TIMEOUT: 504,
  UNAVAILABLE: 503,
  VAULT_ERROR: 500,
  INTERNAL: 500,
};

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown; request_id?: string };
}

export interface MappedError {
  status: number;
  body: ErrorBody;
  /** True when the server is at fault and the error must be logged with its stack. */
  serverFault: boolean;
}

/**
 * Maps anything thrown in a request to a status and the single error body shape. Messages are
 * exposed only for client errors; server faults answer a generic text and the request id.
 */
export function mapError(err: unknown, requestId?: string): MappedError {
  const e = normalize(err);
  const status = STATUS[e.code] ?? 500;
  const serverFault = status >= 500 && e.domain === 'internal';
  const message = serverFault ? 'internal server error' : e.message;
  const body: ErrorBody = { error: { code: e.code, message } };
  if (!serverFault && e.details !== undefined) body.error.details = e.details;
  if (requestId) body.error.request_id = requestId;
  return { status, body, serverFault };
}

/** Errors from Koa and its middleware (koa-body, http-errors) carry a status; give them our codes. */
function normalize(err: unknown): SynqxError {
  if (isSynqxError(err)) return err;
  const anyErr = err as { status?: number; statusCode?: number; type?: string; message?: string; expose?: boolean };
  const status = anyErr?.status ?? anyErr?.statusCode;
  if (status === 413 || anyErr?.type === 'entity.too.large') {
    return new SynqxError('PAYLOAD_TOO_LARGE', 'request body is too large');
  }
  if (status === 415) return new SynqxError('UNSUPPORTED_MEDIA_TYPE', anyErr.message ?? 'unsupported media type');
  if (status === 400 || err instanceof SyntaxError || anyErr?.type === 'entity.parse.failed') {
    return new SynqxError('BAD_REQUEST', 'malformed JSON in request body');
  }
  if (status === 404) return new SynqxError('NOT_FOUND', 'not found');
  if (status === 401) return new SynqxError('UNAUTHORIZED', 'authentication required');
  if (status === 405) return new SynqxError('BAD_REQUEST', anyErr.message ?? 'method not allowed');
  return new SynqxError('INTERNAL', 'internal server error', { domain: 'internal', cause: err });
}
