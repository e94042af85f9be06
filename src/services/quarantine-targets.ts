import type { ExecutionPlan } from '../engine/plan/compile.js';
import { quarantineAssetOf } from '../engine/transforms/rejected-rows.js';

/**
 * Transform nodes whose config quarantines failing rows (on_error 'quarantine'): each gets a
 * synthetic load step `<node_id>__quarantine`, appending the rejected rows to `quarantine_asset_id`.
 * It is a real step (its own step_runs row under that node_key, counters, and the run's one
 * transaction discipline: committed only if the whole run succeeds).
 */
export const QUARANTINE_SUFFIX = '__quarantine';

export interface QuarantineTarget {
  /** The transform node that rejects rows. */
  nodeId: string;
  /** The synthetic sink's node id, also its step_runs.node_key. */
  stepId: string;
  assetId: number;
  orderIndex: number;
  /** The transform's pipeline_nodes.id (step rows need one; the synthetic step shares its node's). */
  dbId?: number;
}

export function quarantineStepId(nodeId: string): string {
  return `${nodeId}${QUARANTINE_SUFFIX}`;
}

export function quarantineTargets(plan: ExecutionPlan): QuarantineTarget[] {
  const out: QuarantineTarget[] = [];
  for (const n of plan.nodes) {
    if (n.kind !== 'transform') continue;
    const assetId = quarantineAssetOf(n.config);
    if (assetId === undefined) continue;
    out.push({ nodeId: n.nodeId, stepId: quarantineStepId(n.nodeId), assetId, orderIndex: n.orderIndex, dbId: n.dbId });
  }
  return out;
}
