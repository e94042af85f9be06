import type { z } from 'zod';
import type { BatchSink, BatchSource } from '../core/data-ports.js';

/**
 * What every connector declares and does: the control plane (spec, test, discover) and the data
 * plane (source and sink factories the pipeline runner opens per node).
 *
 * Config objects are parsed once by `configSchema` (strict: unknown keys are errors) and every
 * method receives the parsed object. `secretFields` names the top-level config keys that are
 * secrets: they are masked in API answers and scrubbed from messages.
 */
export interface Connector<C = any, A = any> {
  /** The `connector_type` stored on connections, e.g. `postgresql`. */
  readonly type: string;
  /** Other names accepted on input (e.g. `postgres`); stored and answered as `type`. */
  readonly aliases: readonly string[];
  readonly description: string;
  readonly configSchema: z.ZodType<C>;
  readonly secretFields: readonly string[];
  /** Per-asset options (columns, write mode, batch sizes…): an asset's `config`. */
  readonly assetOptionsSchema: z.ZodType<A>;
  /** The namespace a bare asset name lives in (for a default `fully_qualified_name`), if any. */
  defaultNamespace(config: C): string | undefined;
  /** Every secret string in a config (including ones embedded in a DSN) so messages can be scrubbed. */
  secretValues(config: C): string[];
  /**
   * Connects and runs a trivial query. Never throws for an unreachable or refusing target: that is
   * `success: false` with the target's error text (secrets scrubbed). Resolves within the
   * connector's connect timeout.
   */
  test(config: C, opts?: { signal?: AbortSignal }): Promise<TestResult>;
  /** Lists the tables (and, when asked, views) of one namespace with columns, keys and size estimates. */
  discover(config: C, opts?: DiscoverOptions): Promise<DiscoveredAsset[]>;
  /**
   * A source reading one asset with its (parsed) options. Creating it connects to nothing: the
   * engine opens it, so a run that fails before streaming leaves no connection behind.
   */
  createSource(config: C, asset: AssetTarget, options: A, hints?: SourceHints): BatchSource;
  /** A sink loading one destination asset with its (parsed) options; connects only when opened. */
  createSink(config: C, asset: AssetTarget, options: A, hints?: SinkHints): BatchSink;
  /** True when the connector's sources can read in a stable order and its sinks can resume chunked commits. */
  resumableLoads?: boolean;
}

/** A registered asset as the data plane needs it (the row's other fields are control-plane business). */
export interface AssetTarget {
  name: string;
  asset_type: 'table' | 'view' | 'query';
  /** `schema.table`; null for query assets. */
  fully_qualified_name: string | null;
}

/** What the runner knows about how a source's batches will be used. */
export interface SourceHints {
  /**
   * Whether some batch may reach a sink unchanged. When false (every child is a transform), a
   * connector that keeps wire bytes beside each batch for pass-through can skip that and halve
   * the memory of batches in flight.
   */
  rawPassThrough?: boolean;
  /**
   * Read in a stable order (the table's primary key), so that a resumed chunked load can skip the
   * rows an earlier attempt committed. `warn` is told when no such order exists.
   */
  stableOrder?: boolean;
  warn?: (message: string) => Promise<void>;
}

export interface CommittedChunkInfo {
  chunk: number;
  rowsCommitted: number;
  rowsInChunk: number;
}

/** How a chunked load resumes and records its progress. */
export interface SinkHints {
  /** Rows an earlier attempt already committed: the sink skips this many incoming rows. */
  resumeAfterRows?: number;
  /** Awaited after each chunk's COMMIT, so progress is recorded before the load goes on. */
  onChunkCommitted?: (chunk: CommittedChunkInfo) => void | Promise<void>;
}

export interface TestResult {
  success: boolean;
  message: string;
  latency_ms: number;
  details: Record<string, unknown>;
}

export interface DiscoverOptions {
  /** Defaults to the connection's own namespace (`db_schema` for Postgres). */
  schema?: string;
  includeViews?: boolean;
  signal?: AbortSignal;
}

export interface DiscoveredColumn {
  name: string;
  /** The type as the database spells it (Postgres: `format_type`, e.g. `numeric(12,2)`). */
  type: string;
  nullable: boolean;
  default?: string;
}

export interface DiscoveredAsset {
  name: string;
  type: 'table' | 'view';
  schema: string;
  /** Planner estimate; null when the database has none (never analyzed). */
  row_count: number | null;
  size_bytes: number | null;
  columns: DiscoveredColumn[];
  primary_key: string[];
}

export const SECRET_MASK = '********';

/**
 * Removes secrets from text that came from a driver or server: each secret string (longest first,
 * so a password inside a DSN goes with the DSN) and the userinfo of any URL.
 */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  const sorted = [...new Set(secrets.filter((s) => s.length > 0))].sort((a, b) => b.length - a.length);
  for (const s of sorted) out = out.split(s).join(SECRET_MASK);
  return out.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi, `$1${SECRET_MASK}@`);
}
