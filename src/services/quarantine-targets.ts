import { Field, Schema } from 'apache-arrow';
import { FIELD_META_PK_POSITION, type BatchSink } from '../core/data-ports.js';
import type { ExecutionPlan } from '../engine/plan/compile.js';
import type { RuntimeNode, RuntimeTransformNode } from '../engine/runtime/runtime-graph.js';
import { quarantineAssetOf } from '../engine/transforms/rejected-rows.js';

/**
 * Transform nodes whose config quarantines failing rows (on_error 'quarantine'): each gets a
 * synthetic load step `<node_id>__quarantine`, appending the rejected rows to `quarantine_asset_id`
 * (a pipeline file names a table instead; pipeline-file-quarantine.ts). It is a real step (its own
 * step_runs row under that node_key, counters, and the run's one transaction discipline: committed
 * only if the whole run succeeds). The API runner and `synqx run` both wire it with `quarantineNodes`.
 */
export const QUARANTINE_SUFFIX = '__quarantine';

/**
 * Load options laid over whatever the quarantine destination says: append in the run's transaction
 * (never truncate/replace/upsert or chunked commits), so a failed run leaves that table as it was.
 */
export const QUARANTINE_LOAD_OPTIONS: Readonly<Record<string, unknown>> = { write_mode: 'append', upsert_keys: undefined, commit_every_rows: undefined };

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

/**
 * The runtime nodes of a quarantining transform: the transform with the synthetic step as one more
 * output, marked as its error output (where the coordinator sends the rejected rows), and that step,
 * a sink ordered with its transform. `label` names the destination table.
 */
export function quarantineNodes(transform: RuntimeTransformNode, destination: { sink: BatchSink; label: string }): [RuntimeTransformNode, RuntimeNode] {
  const stepId = quarantineStepId(transform.id);
  return [
    { ...transform, outputs: [...transform.outputs, stepId], errorOutput: stepId },
    { id: stepId, order: transform.order, label: `quarantine ${destination.label}`, inputs: [transform.id], outputs: [], kind: 'sink', sink: withoutPrimaryKey(destination.sink) },
  ];
}

/**
 * A quarantine table is a log of rejections: a row still failing in the next run is quarantined
 * again, as one more row. Created with the input's primary key (which the rejected rows' schema
 * carries, like every column's type), that second run would fail on a duplicate key at commit; so
 * the sink sees the schema without it.
 */
function withoutPrimaryKey(sink: BatchSink): BatchSink {
  return {
    open: (schema, signal) => sink.open(stripPrimaryKey(schema), signal),
    write: (batch) => sink.write(batch),
    commit: () => sink.commit(),
    abort: (reason) => sink.abort(reason),
  };
}

function stripPrimaryKey(schema: Schema): Schema {
  if (!schema.fields.some((f) => f.metadata.has(FIELD_META_PK_POSITION))) return schema;
  const fields = schema.fields.map((f) => {
    if (!f.metadata.has(FIELD_META_PK_POSITION)) return f;
    const metadata = new Map(f.metadata);
    metadata.delete(FIELD_META_PK_POSITION);
    return new Field(f.name, f.type, f.nullable, metadata);
  });
  return new Schema(fields, schema.metadata);
}
