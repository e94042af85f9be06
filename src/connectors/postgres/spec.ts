import { z } from 'zod';

/**
 * Postgres connection config: either separate fields or one `dsn`, never both. Strict: an unknown
 * key is an error, not a silently ignored option. Parsed output has the defaults filled in.
 */
export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'] as const;
export type SslMode = (typeof SSL_MODES)[number];

// Cross-field rules run even when a field already failed, so one answer lists every problem.
const everyProblem = { when: (p: { value: unknown }) => typeof p.value === 'object' && p.value !== null };

const FIELD_KEYS = ['host', 'port', 'database', 'username', 'password'] as const;

const pgIdent = z.string().min(1).max(63);

const rawConfig = z
  .object({
    host: z.string().trim().min(1).optional(),
    port: z.number().int().min(1).max(65535).optional(),
    database: z.string().min(1).optional(),
    username: z.string().min(1).optional(),
    password: z.string().optional(),
    dsn: z
      .string()
      .regex(/^postgres(ql)?:\/\/\S+$/i, 'must be a postgres:// or postgresql:// connection URL')
      .optional(),
    db_schema: pgIdent.optional().describe('schema of assets given by bare name (default "public")'),
    sslmode: z.enum(SSL_MODES).optional(),
    connect_timeout_seconds: z.number().int().min(1).max(300).optional(),
  })
  .strict();

interface Common {
  db_schema: string;
  sslmode?: SslMode;
  connect_timeout_seconds?: number;
}
export interface PostgresFieldsConfig extends Common {
  host: string;
  port: number;
  database: string;
  username: string;
  password?: string;
}
export interface PostgresDsnConfig extends Common {
  dsn: string;
}
export type PostgresConfig = PostgresFieldsConfig | PostgresDsnConfig;

export const postgresConfigSchema: z.ZodType<PostgresConfig> = rawConfig
  .superRefine((c, ctx) => {
    if (c.dsn !== undefined) {
      for (const k of FIELD_KEYS) {
        if (c[k] !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: 'not allowed together with dsn (put it in the DSN)' });
      }
      return;
    }
    for (const k of ['host', 'database', 'username'] as const) {
      if (c[k] === undefined) ctx.addIssue({ code: 'custom', path: [k], message: 'required (or give a dsn instead)' });
    }
  }, everyProblem)
  .transform((c): PostgresConfig => {
    const common: Common = { db_schema: c.db_schema ?? 'public' };
    if (c.sslmode !== undefined) common.sslmode = c.sslmode;
    if (c.connect_timeout_seconds !== undefined) common.connect_timeout_seconds = c.connect_timeout_seconds;
    if (c.dsn !== undefined) return { dsn: c.dsn, ...common };
    const out: PostgresFieldsConfig = { host: c.host!, port: c.port ?? 5432, database: c.database!, username: c.username!, ...common };
    if (c.password !== undefined) out.password = c.password;
    return out;
  });

export const POSTGRES_SECRET_FIELDS = ['password', 'dsn'] as const;

export function isDsnConfig(c: PostgresConfig): c is PostgresDsnConfig {
  return 'dsn' in c;
}

/**
 * Per-asset options for Postgres tables (used by the data plane): what to read, and how to write.
 * `commit_every_rows` asks for chunked commits; absent means the whole load is one transaction.
 */
export const WRITE_MODES = ['append', 'truncate', 'replace', 'upsert'] as const;
export type WriteMode = (typeof WRITE_MODES)[number];

const columnName = z.string().min(1).max(63);

export const postgresAssetOptionsSchema = z
  .object({
    columns: z.array(columnName).min(1).optional().describe('columns to read (default: all)'),
    where: z.string().min(1).optional().describe('SQL condition appended to the extract query'),
    query: z.string().min(1).optional().describe('a whole SELECT to extract (query assets)'),
    write_mode: z.enum(WRITE_MODES).default('append'),
    upsert_keys: z.array(columnName).min(1).optional().describe('conflict key columns; required for write_mode upsert'),
    create_if_missing: z.boolean().default(true),
    batch_rows: z.number().int().min(1).max(10_000_000).optional(),
    batch_bytes: z.number().int().min(1024).max(1024 ** 3).optional(),
    commit_every_rows: z.number().int().min(1).optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.write_mode === 'upsert' && !o.upsert_keys) {
      ctx.addIssue({ code: 'custom', path: ['upsert_keys'], message: 'required when write_mode is upsert' });
    }
    if (o.write_mode !== 'upsert' && o.upsert_keys) {
      ctx.addIssue({ code: 'custom', path: ['upsert_keys'], message: 'only allowed when write_mode is upsert' });
    }
    if (o.query !== undefined) {
      for (const k of ['columns', 'where'] as const) {
        if (o[k] !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: 'not allowed together with query (write it into the query)' });
      }
    }
  }, everyProblem);

export type PostgresAssetOptions = z.output<typeof postgresAssetOptionsSchema>;
