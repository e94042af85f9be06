import { findConnector } from '../connectors/registry.js';
import { checkCron, checkTimeZone } from '../core/cron.js';
import { SynqxError, type FieldProblem } from '../core/errors.js';
import { compilePlan, type ExecutionPlan, type PlanEdgeInput, type PlanInput, type PlanNodeInput } from '../engine/plan/compile.js';
import type { Queryable } from '../store/db.js';
import { quarantineAssetOf } from '../engine/transforms/rejected-rows.js';
import { pipelineRepo, type AssetRef } from '../store/repos/pipeline-repo.js';
import { quarantineStepId } from './quarantine-targets.js';

/**
 * Whole-version validation: body shape, graph (compilePlan), assets and schedule, answered as one
 * list of `{field, message, error_type}`. A body with shape errors is still salvaged for the graph
 * and asset checks, so a caller fixes everything in one round trip.
 */

/** A request body after its shape check: `data` when it passed, the raw JSON always. */
export interface BodyCheck<T> {
  raw: unknown;
  data?: T;
  problems: FieldProblem[];
}

export interface VersionCheck {
  errors: FieldProblem[];
  warnings: FieldProblem[];
  plan?: ExecutionPlan;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const int = (v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v) ? v : undefined);

/** The usable part of a raw version body: entries that are not objects with string ids become null. */
export function salvageVersion(raw: unknown): PlanInput {
  const body = isRecord(raw) ? raw : {};
  const nodes = Array.isArray(body.nodes) ? body.nodes : [];
  const edges = Array.isArray(body.edges) ? body.edges : [];
  return {
    nodes: nodes.map((n): PlanNodeInput | null => {
      if (!isRecord(n) || typeof n.node_id !== 'string') return null;
      return {
        node_id: n.node_id,
        name: str(n.name),
        operator_type: str(n.operator_type),
        operator_class: str(n.operator_class),
        config: n.config,
        order_index: int(n.order_index),
        source_asset_id: n.source_asset_id === null ? null : int(n.source_asset_id),
        destination_asset_id: n.destination_asset_id === null ? null : int(n.destination_asset_id),
      };
    }),
    edges: edges.map((e): PlanEdgeInput | null =>
      isRecord(e) && typeof e.from_node_id === 'string' && typeof e.to_node_id === 'string'
        ? { from_node_id: e.from_node_id, to_node_id: e.to_node_id, edge_type: str(e.edge_type) }
        : null,
    ),
  };
}

/** Cron and time zone problems of the values given; values of the wrong type are left to the shape check. */
export function cronAndZoneProblems(s: { schedule_cron?: unknown; schedule_timezone?: unknown }): FieldProblem[] {
  const out: FieldProblem[] = [];
  if (typeof s.schedule_cron === 'string') {
    const r = checkCron(s.schedule_cron);
    if (!r.ok) out.push({ field: 'schedule_cron', message: r.message, error_type: 'invalid_cron' });
  }
  if (typeof s.schedule_timezone === 'string') {
    const r = checkTimeZone(s.schedule_timezone);
    if (!r.ok) out.push({ field: 'schedule_timezone', message: r.message, error_type: 'invalid_timezone' });
  }
  return out;
}

/** A schedule that is switched on needs something to fire on; `field` is the one the caller changed. */
export function enabledWithoutCron(enabled: unknown, cron: unknown, field = 'schedule_enabled'): FieldProblem[] {
  if (enabled !== true || (typeof cron === 'string' && cron.trim() !== '')) return [];
  return [{ field, message: 'schedule_enabled is true but there is no schedule_cron', error_type: 'schedule_without_cron' }];
}

/** compilePlan plus the checks that need the store: assets exist, are live, and match the node's connector. */
export async function checkVersion(q: Queryable, version: PlanInput, connectorTypes: readonly string[]): Promise<VersionCheck> {
  const compiled = compilePlan(version, { connectorTypes });
  const errors = compiled.ok ? [] : [...compiled.errors];
  const warnings = [...compiled.warnings];
  const refs: Array<{ field: string; id: number; node: PlanNodeInput; role: 'source' | 'destination' | 'quarantine' }> = [];
  version.nodes.forEach((node, i) => {
    if (!node) return;
    const quarantine = node.operator_type === 'extract' || node.operator_type === 'load' ? undefined : quarantineAssetOf(node.config);
    if (quarantine !== undefined) refs.push({ field: `nodes.${i}.config.quarantine_asset_id`, id: quarantine, node, role: 'quarantine' });
    if (typeof node.source_asset_id === 'number') refs.push({ field: `nodes.${i}.source_asset_id`, id: node.source_asset_id, node, role: 'source' });
    if (typeof node.destination_asset_id === 'number') {
      refs.push({ field: `nodes.${i}.destination_asset_id`, id: node.destination_asset_id, node, role: 'destination' });
    }
  });
  const assets = new Map((await pipelineRepo.findAssets(q, refs.map((r) => r.id))).map((a) => [a.id, a]));
  for (const ref of refs) {
    const asset = assets.get(ref.id);
    const problem = assetProblem(ref.id, asset);
    if (problem) {
      errors.push({ field: ref.field, ...problem });
      continue;
    }
    const a = asset!;
    if (ref.role === 'quarantine') {
      if (!a.is_destination) {
        errors.push({ field: ref.field, message: `quarantine asset ${a.id} (${a.name}) is not marked as a destination`, error_type: 'asset_role' });
      }
      continue;
    }
    const relevant = (ref.role === 'source' && ref.node.operator_type === 'extract') || (ref.role === 'destination' && ref.node.operator_type === 'load');
    if (!relevant) continue;
    const connector = ref.node.operator_class ? findConnector(ref.node.operator_class) : undefined;
    if (connector && connector.type !== a.connector_type) {
      errors.push({
        field: ref.field,
        message: `asset ${a.id} (${a.name}) is on a "${a.connector_type}" connection, but the node's operator_class is "${ref.node.operator_class}"`,
        error_type: 'asset_connector_mismatch',
      });
    }
    const flag = ref.role === 'source' ? a.is_source : a.is_destination;
    if (!flag) warnings.push({ field: ref.field, message: `asset ${a.id} (${a.name}) is not marked as a ${ref.role}`, error_type: 'asset_role' });
  }
  errors.push(...quarantineConflicts(version, refs));
  return compiled.ok && errors.length === 0 ? { errors, warnings, plan: compiled.plan } : { errors, warnings };
}

/**
 * A quarantine load is a step of its own (`<node_id>__quarantine`) writing in the run's transaction:
 * its id must be free, and its asset written by no other step of the version (two open transactions
 * creating or appending to one table would wait on each other).
 */
function quarantineConflicts(version: PlanInput, refs: ReadonlyArray<{ field: string; id: number; node: PlanNodeInput; role: string }>): FieldProblem[] {
  const out: FieldProblem[] = [];
  const ids = new Set(version.nodes.map((n) => n?.node_id));
  const writers = new Map<number, string>();
  for (const r of refs) if (r.role === 'destination' && r.node.operator_type === 'load') writers.set(r.id, r.node.node_id);
  for (const r of refs) {
    if (r.role !== 'quarantine') continue;
    const stepId = quarantineStepId(r.node.node_id);
    if (ids.has(stepId)) out.push({ field: r.field, message: `node id "${stepId}" is taken, but it names node "${r.node.node_id}"'s quarantine step`, error_type: 'duplicate_node_id' });
    const other = writers.get(r.id);
    if (other !== undefined) out.push({ field: r.field, message: `asset ${r.id} is already written by node "${other}" in this version; give each quarantine its own asset`, error_type: 'asset_reused' });
    else writers.set(r.id, stepId);
  }
  return out;
}

function assetProblem(id: number, a: AssetRef | undefined): Omit<FieldProblem, 'field'> | undefined {
  if (!a) return { message: `asset ${id} does not exist`, error_type: 'asset_not_found' };
  if (a.asset_deleted) return { message: `asset ${id} (${a.name}) is deleted`, error_type: 'asset_deleted' };
  if (a.connection_deleted) {
    return { message: `asset ${id} (${a.name}) belongs to connection ${a.connection_id}, which is deleted`, error_type: 'connection_deleted' };
  }
  return undefined;
}

export function prefixed(problems: readonly FieldProblem[], prefix: string): FieldProblem[] {
  return prefix ? problems.map((p) => ({ ...p, field: `${prefix}.${p.field}` })) : [...problems];
}

/** Shape problems first; a semantic problem on a field the shape check already flagged would only repeat it. */
export function mergeProblems(shape: readonly FieldProblem[], semantic: readonly FieldProblem[]): FieldProblem[] {
  const seen = new Set(shape.map((p) => p.field));
  const out = [...shape];
  for (const p of semantic) {
    if (!seen.has(p.field)) out.push(p);
  }
  return out;
}

export function validationError(problems: FieldProblem[]): SynqxError {
  const head = problems.slice(0, 3).map((p) => `${p.field}: ${p.message}`);
  const more = problems.length > 3 ? ` (and ${problems.length - 3} more)` : '';
  return SynqxError.validation(problems, `pipeline validation failed: ${head.join('; ')}${more}`);
}

export function warningText(w: FieldProblem): string {
  return `${w.field}: ${w.message}`;
}
