/**
 * The one small query interface every repository uses, so the same SQL runs on a real Postgres
 * (`pg`) and on the embedded PGlite store. Rows come back with int8 as JS numbers, numeric as
 * strings, timestamps as Date and json/jsonb parsed.
 */
export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs `fn` in one transaction on one connection; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Cheap liveness probe for /health. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** OIDs whose text form we parse the same way in both back ends. */
export const INT8_OID = 20;
