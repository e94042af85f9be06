import type { AssetTarget, Connector } from '../connectors/connector.js';
import type { BatchSink } from '../core/data-ports.js';
import { SynqxError } from '../core/errors.js';
import type { ExecutionPlan, SinkPlanNode, SourcePlanNode } from '../engine/plan/compile.js';
import type { RuntimeGraph, RuntimeNode, RuntimeTransformNode } from '../engine/runtime/runtime-graph.js';
import type { UsableAsset } from '../store/repos/asset-repo.js';
import type { ConfigObject } from './connection-config.js';
import type { ChunkCheckpoints } from './load-checkpoints.js';
import { QUARANTINE_LOAD_OPTIONS, quarantineNodes, quarantineTargets, type QuarantineTarget } from './quarantine-targets.js';

/** What plan-to-graph needs from the connection service: assets by id, and a connection opened for the data plane. */
export interface EndpointResolver {
  findUsable(assetIds: readonly number[]): Promise<UsableAsset[]>;
  open(connectionId: number): Promise<{ connector: Connector; config: ConfigObject }>;
}

/**
 * Turns a compiled plan into the coordinator's graph: one runtime node per plan node, same ids
 * (the node_id, which is also step_runs.node_key), same edges; extract/load nodes get a source or
 * sink from their asset's connector. Nothing connects here: the engine opens sources and sinks.
 *
 * Options of a source or sink are the asset's options with the node's config laid over them, so a
 * pipeline can narrow a shared asset (its own `where`, `write_mode`); keys the connector does not
 * know are ignored, since original SynqX node configs carry engine hints of their own.
 *
 * A transform that quarantines failing rows gets one more node: a load `<node_id>__quarantine`
 * on its error output, appending to its `quarantine_asset_id` (see quarantine-targets.ts).
 *
 * With `checkpoints`, loads that commit in chunks (`commit_every_rows`) record every committed
 * chunk and resume after the chunks their retry chain already committed; the sources feeding them
 * are read in primary-key order so that the skipped rows are the committed ones.
 */
export async function planToGraph(plan: ExecutionPlan, resolver: EndpointResolver, checkpoints?: ChunkCheckpoints): Promise<RuntimeGraph> {
  const quarantines = new Map(quarantineTargets(plan).map((q) => [q.nodeId, q]));
  const assetIds = plan.nodes.flatMap((n) => (n.kind === 'source' ? [n.sourceAssetId] : n.kind === 'sink' ? [n.destinationAssetId] : []));
  for (const q of quarantines.values()) assetIds.push(q.assetId);
  const assets = new Map((await resolver.findUsable([...new Set(assetIds)])).map((a) => [a.id, a]));
  const opened = new Map<number, Promise<{ connector: Connector; config: ConfigObject }>>();
  const connection = (id: number) => {
    let c = opened.get(id);
    if (!c) opened.set(id, (c = resolver.open(id)));
    return c;
  };
  const byId = new Map(plan.nodes.map((n) => [n.nodeId, n]));
  const ordered = checkpoints ? feedsChunkedLoad(plan, assets) : new Set<string>();
  const nodes: RuntimeNode[] = [];
  for (const node of plan.nodes) {
    const base = { id: node.nodeId, order: node.orderIndex, inputs: [...node.inputs], outputs: [...node.outputs] };
    if (node.kind === 'transform') {
      // A fan-in node that takes batches as they arrive (interleaved union) orders rows by timing.
      if (ordered.has(node.nodeId) && node.transform.inputs === 'many' && node.transform.readsSequentially?.(node.config) === false) {
        await checkpoints!.note(
          node.nodeId,
          'warning',
          `${node.nodeId} (${node.transform.name}) feeds a load with chunked commits but emits rows in no repeatable order: a resumed load may skip or repeat rows`,
        );
      }
      const transform: RuntimeTransformNode = { ...base, kind: 'transform', transform: node.transform.name, config: node.config };
      const q = quarantines.get(node.nodeId);
      nodes.push(...(q ? quarantineNodes(transform, await quarantineSink(q, assets, connection)) : [transform]));
      continue;
    }
    const asset = assetOf(node, assets);
    const { connector, config } = await connection(asset.connection_id);
    const options = endpointOptions(connector, asset, node.nodeId, node.config);
    const target: AssetTarget = { name: asset.name, asset_type: asset.asset_type, fully_qualified_name: asset.fully_qualified_name };
    const label = asset.fully_qualified_name ?? asset.name;
    const chunked = checkpoints !== undefined && connector.resumableLoads === true;
    if (node.kind === 'source') {
      const rawPassThrough = node.outputs.some((o) => byId.get(o)?.kind === 'sink');
      const stable = chunked && ordered.has(node.nodeId) && asset.asset_type !== 'query' && !(options as { query?: string }).query;
      if (ordered.has(node.nodeId) && !stable) {
        await checkpoints!.note(node.nodeId, 'warning', `${label} feeds a load with chunked commits but cannot be ordered by a key: a resumed load may skip or repeat rows`);
      }
      const source = connector.createSource(config, target, options, {
        rawPassThrough,
        ...(stable ? { stableOrder: true, warn: (m: string) => checkpoints!.note(node.nodeId, 'warning', m) } : {}),
      });
      nodes.push({ ...base, kind: 'source', label, source });
    } else if (chunked && (options as { commit_every_rows?: number }).commit_every_rows) {
      const assetId = node.destinationAssetId;
      const resume = await checkpoints!.resumeFrom(node.nodeId, assetId);
      const earlierChunks = resume?.chunks ?? 0;
      const sink = connector.createSink(config, target, options, {
        resumeAfterRows: resume?.rowsCommitted ?? 0,
        onChunkCommitted: (c) => checkpoints!.chunkCommitted(node.nodeId, assetId, { ...c, chunk: earlierChunks + c.chunk }),
      });
      nodes.push({ ...base, kind: 'sink', label, sink });
    } else {
      nodes.push({ ...base, kind: 'sink', label, sink: connector.createSink(config, target, options) });
    }
  }
  return { nodes };
}

/**
 * The load a transform's rejected rows go to: always appended in the run's transaction (never
 * truncate/replace/upsert or chunked commits, whatever the asset says), so a failed run leaves the
 * quarantine table as it was too.
 */
async function quarantineSink(
  q: QuarantineTarget,
  assets: Map<number, UsableAsset>,
  connection: (id: number) => Promise<{ connector: Connector; config: ConfigObject }>,
): Promise<{ sink: BatchSink; label: string }> {
  const asset = assets.get(q.assetId);
  if (!asset) throw new SynqxError('CONFIG_INVALID', `node "${q.nodeId}": quarantine asset ${q.assetId} no longer exists (or its connection was deleted)`);
  if (!asset.is_destination) throw new SynqxError('CONFIG_INVALID', `node "${q.nodeId}": quarantine asset "${asset.name}" is not marked as a destination`);
  const { connector, config } = await connection(asset.connection_id);
  const options = endpointOptions(connector, asset, q.nodeId, QUARANTINE_LOAD_OPTIONS);
  const target: AssetTarget = { name: asset.name, asset_type: asset.asset_type, fully_qualified_name: asset.fully_qualified_name };
  return { sink: connector.createSink(config, target, options), label: asset.fully_qualified_name ?? asset.name };
}

/** Ids of the nodes upstream of a load whose destination asset or node config asks for chunked commits. */
function feedsChunkedLoad(plan: ExecutionPlan, assets: Map<number, UsableAsset>): Set<string> {
  const byId = new Map(plan.nodes.map((n) => [n.nodeId, n]));
  const out = new Set<string>();
  const visit = (id: string) => {
    const n = byId.get(id);
    if (!n || out.has(id)) return;
    out.add(id);
    for (const i of n.inputs) visit(i);
  };
  for (const n of plan.nodes) {
    if (n.kind !== 'sink') continue;
    const cfg = { ...(assets.get(n.destinationAssetId)?.config as Record<string, unknown> | undefined), ...(n.config as Record<string, unknown>) };
    if (cfg.commit_every_rows) for (const i of n.inputs) visit(i);
  }
  return out;
}

function assetOf(node: SourcePlanNode | SinkPlanNode, assets: Map<number, UsableAsset>): UsableAsset {
  const id = node.kind === 'source' ? node.sourceAssetId : node.destinationAssetId;
  const asset = assets.get(id);
  // Validation checked this when the version was saved; the asset or its connection was deleted since.
  if (!asset) throw new SynqxError('CONFIG_INVALID', `node "${node.nodeId}": asset ${id} no longer exists (or its connection was deleted)`);
  if (node.kind === 'sink' && !asset.is_destination) {
    throw new SynqxError('CONFIG_INVALID', `node "${node.nodeId}": asset "${asset.name}" is not marked as a destination`);
  }
  return asset;
}

function endpointOptions(connector: Connector, asset: UsableAsset, nodeId: string, nodeConfig: Record<string, unknown>): unknown {
  const known = knownKeys(connector);
  const overlay = Object.fromEntries(Object.entries(nodeConfig).filter(([k]) => known === undefined || known.has(k)));
  const parsed = connector.assetOptionsSchema.safeParse({ ...asset.config, ...overlay });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => ({ field: `nodes.${nodeId}.config.${i.path.join('.')}`, message: i.message, error_type: 'invalid_config' }));
    throw new SynqxError('CONFIG_INVALID', `node "${nodeId}": invalid options for asset "${asset.name}": ${problems[0]!.message}`, { details: problems });
  }
  return parsed.data;
}

/** The option names of a connector's asset options (a zod object, possibly refined); undefined when it cannot tell. */
function knownKeys(connector: Connector): Set<string> | undefined {
  const shape = (connector.assetOptionsSchema as unknown as { shape?: Record<string, unknown>; def?: { shape?: Record<string, unknown> } }).shape;
  return shape ? new Set(Object.keys(shape)) : undefined;
}
