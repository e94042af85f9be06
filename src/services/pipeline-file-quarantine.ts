import { z } from 'zod';
import { findTransform } from '../engine/transforms/registry.js';
import { quarantineStepId } from './quarantine-targets.js';

/**
 * `quarantine` on a pipeline file's transform node: where `on_error: quarantine` sends failing rows.
 * Through the API they go to a destination asset (`quarantine_asset_id`); a file has no assets, so it
 * names a table the way a load node does. At run time the synthetic load `<id>__quarantine` is the
 * API's (quarantine-targets.ts): same step, same table shape, same all-or-nothing commit.
 */
export const quarantineEntrySchema = z
  .object({
    connection: z.string().min(1),
    table: z.string().min(1),
    /** The connector's load options; write_mode can only be append (checked below). */
    options: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export type QuarantineEntry = z.output<typeof quarantineEntrySchema>;

type Add = (field: string, message: string, error_type?: string) => void;

interface TransformEntry {
  id: string;
  transform?: string;
  config?: Record<string, unknown>;
  quarantine?: QuarantineEntry;
}

/**
 * Checks a transform node's `config.on_error` against its `quarantine` and returns the config the
 * planner (and later the transform itself) gets. The row-rejecting transforms' schemas require a
 * `quarantine_asset_id` with on_error 'quarantine'; a file has none, so a stand-in (`at + 1`, unique
 * in the file, like the extract/load nodes' stand-in asset ids) takes its place: it only marks the
 * node as quarantining (quarantineTargets), the rows go to the node's `quarantine` table.
 */
export function checkTransformQuarantine(node: TransformEntry, at: number, add: Add): Record<string, unknown> | undefined {
  const f = `nodes.${at}`;
  if (node.config === undefined) {
    if (node.quarantine) add(`${f}.quarantine`, "only allowed when config.on_error is 'quarantine'", 'unexpected_field');
    return undefined;
  }
  const { quarantine_asset_id: assetId, ...config } = node.config;
  if (assetId !== undefined) add(`${f}.config.quarantine_asset_id`, 'pipeline files name a quarantine table with `quarantine`, not an asset id', 'unexpected_field');
  const quarantines = config.on_error === 'quarantine';
  // An unknown transform is the planner's to report; one that rejects no rows gets its own complaint about on_error.
  const rejectsRows = node.transform === undefined ? undefined : rejectsRowsOf(node.transform);
  if (node.quarantine && !quarantines) add(`${f}.quarantine`, "only allowed when config.on_error is 'quarantine'", 'unexpected_field');
  if (quarantines && !node.quarantine && rejectsRows !== false) add(`${f}.quarantine`, "required when config.on_error is 'quarantine': the table failing rows are appended to", 'missing_field');
  if (node.quarantine) checkQuarantineOptions(`${f}.quarantine.options`, node.quarantine.options ?? {}, add);
  return quarantines && rejectsRows === true ? { ...config, quarantine_asset_id: at + 1 } : config;
}

/** A quarantine table is only ever appended to, in the run's one transaction (QUARANTINE_LOAD_OPTIONS): say so rather than ignore other wishes. */
function checkQuarantineOptions(f: string, options: Record<string, unknown>, add: Add): void {
  if (options.write_mode !== undefined && options.write_mode !== 'append') {
    add(`${f}.write_mode`, 'a quarantine table is only appended to: write_mode must be append (or left out)', 'invalid_options');
  }
  if (options.commit_every_rows !== undefined) {
    add(`${f}.commit_every_rows`, "not allowed on a quarantine table: its rows are committed with the run's other loads, all or nothing", 'invalid_options');
  }
}

interface NodeEntry {
  id: string;
  type: string;
  connection?: string;
  table?: string;
  quarantine?: QuarantineEntry;
}

/**
 * What the API's version check refuses for quarantine assets, in file terms: the synthetic step's id
 * must be free, and the table written by no other step (two open transactions creating or appending
 * to one table would wait on each other). Tables compare as written, per connection name.
 */
export function quarantineConflicts(nodes: readonly NodeEntry[], add: Add): void {
  const ids = new Set(nodes.map((n) => n.id));
  const writers = new Map<string, string>();
  const key = (connection: string, table: string) => JSON.stringify([connection, table]);
  for (const n of nodes) if (n.type === 'load' && n.connection && n.table) writers.set(key(n.connection, n.table), n.id);
  nodes.forEach((n, at) => {
    if (n.type !== 'transform' || !n.quarantine) return;
    const stepId = quarantineStepId(n.id);
    if (ids.has(stepId)) add(`nodes.${at}.quarantine`, `node id "${stepId}" is taken, but it names node "${n.id}"'s quarantine step`, 'duplicate_node_id');
    const k = key(n.quarantine.connection, n.quarantine.table);
    const other = writers.get(k);
    if (other !== undefined) {
      add(`nodes.${at}.quarantine.table`, `${n.quarantine.table} on connection "${n.quarantine.connection}" is already written by node "${other}"; give each quarantine its own table`, 'table_reused');
    } else writers.set(k, stepId);
  });
}

/**
 * Whether a transform's config takes on_error 'quarantine' (it knows `quarantine_asset_id`: type_cast,
 * validate; a plugin's free-form config too, as through the API); undefined for an unknown name.
 * Asked of the schema, so a new row-rejecting transform needs no change here.
 */
function rejectsRowsOf(name: string): boolean | undefined {
  const spec = findTransform(name);
  if (!spec) return undefined;
  const parsed = spec.configSchema.safeParse({ quarantine_asset_id: 1 });
  return parsed.success || !parsed.error.issues.some((i) => i.code === 'unrecognized_keys' && i.keys.includes('quarantine_asset_id'));
}
