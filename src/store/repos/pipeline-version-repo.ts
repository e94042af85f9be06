import type { OperatorType, VersionDefinition } from '../../core/pipeline.js';
import type { Queryable } from '../db.js';

export interface VersionRow {
  id: number;
  pipeline_id: number;
  version: number;
  config_snapshot: Record<string, unknown>;
  change_summary: unknown;
  version_notes: string | null;
  is_published: boolean;
  published_at: Date | null;
  created_at: Date;
  node_count: number;
  edge_count: number;
}

export interface NodeRow {
  id: number;
  pipeline_version_id: number;
  node_id: string;
  name: string;
  description: string | null;
  operator_type: OperatorType;
  operator_class: string;
  config: Record<string, unknown>;
  order_index: number;
  source_asset_id: number | null;
  destination_asset_id: number | null;
  max_retries: number;
  timeout_seconds: number | null;
  created_at: Date;
}

export interface EdgeRow {
  id: number;
  pipeline_version_id: number;
  from_node_id: string;
  to_node_id: string;
  edge_type: string;
  created_at: Date;
}

export interface VersionDetail extends VersionRow {
  nodes: NodeRow[];
  edges: EdgeRow[];
}

const SELECT_VERSION = `
  SELECT v.id, v.pipeline_id, v.version, v.config_snapshot, v.change_summary, v.version_notes, v.is_published,
         v.published_at, v.created_at,
         (SELECT count(*)::int FROM pipeline_nodes n WHERE n.pipeline_version_id = v.id) AS node_count,
         (SELECT count(*)::int FROM pipeline_edges e WHERE e.pipeline_version_id = v.id) AS edge_count
  FROM pipeline_versions v`;

/**
 * SQL for pipeline versions with their nodes and edges. A version's contents never change after
 * `create`; only the published flag moves (`publish`). Callers run `create` and `publish` inside a
 * transaction holding the pipeline row lock (pipelineRepo.lock), which serializes version numbers
 * and keeps "one published version" true without relying on a unique-violation retry.
 */
export const pipelineVersionRepo = {
  /** Inserts version N+1 with its nodes and edges (one statement each, however many there are). */
  async create(q: Queryable, pipelineId: number, def: VersionDefinition): Promise<VersionDetail> {
    const { rows } = await q.query<{ id: number }>(
      `INSERT INTO pipeline_versions (pipeline_id, version, config_snapshot, change_summary, version_notes)
       VALUES ($1, (SELECT coalesce(max(version), 0) + 1 FROM pipeline_versions WHERE pipeline_id = $1), $2::jsonb, $3::jsonb, $4)
       RETURNING id`,
      [
        pipelineId,
        JSON.stringify(def.config_snapshot ?? {}),
        def.change_summary === undefined || def.change_summary === null ? null : JSON.stringify(def.change_summary),
        def.version_notes ?? null,
      ],
    );
    const versionId = rows[0]!.id;
    if (def.nodes.length > 0) {
      // json, not jsonb, end to end: a config's key order is kept (derive adds its columns in that order).
      const nodes = def.nodes.map((n) => ({
        node_id: n.node_id,
        name: n.name,
        description: n.description ?? null,
        operator_type: n.operator_type,
        operator_class: n.operator_class,
        config: n.config ?? {},
        order_index: n.order_index,
        source_asset_id: n.source_asset_id ?? null,
        destination_asset_id: n.destination_asset_id ?? null,
        max_retries: n.max_retries,
        timeout_seconds: n.timeout_seconds ?? null,
      }));
      await q.query(
        `INSERT INTO pipeline_nodes (pipeline_version_id, node_id, name, description, operator_type, operator_class, config,
                                     order_index, source_asset_id, destination_asset_id, max_retries, timeout_seconds)
         SELECT $1, x.node_id, x.name, x.description, x.operator_type, x.operator_class, coalesce(x.config, '{}'::json),
                x.order_index, x.source_asset_id, x.destination_asset_id, x.max_retries, x.timeout_seconds
         FROM json_to_recordset($2::json) AS x(node_id text, name text, description text, operator_type text,
              operator_class text, config json, order_index int, source_asset_id bigint, destination_asset_id bigint,
              max_retries int, timeout_seconds int)`,
        [versionId, JSON.stringify(nodes)],
      );
    }
    if (def.edges.length > 0) {
      // WITH ORDINALITY keeps declaration order in the ids, which is the order edges are read back in.
      await q.query(
        `INSERT INTO pipeline_edges (pipeline_version_id, from_node_id, to_node_id, edge_type)
         SELECT $1, x.e->>'from_node_id', x.e->>'to_node_id', coalesce(x.e->>'edge_type', 'data_flow')
         FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS x(e, ord)
         ORDER BY x.ord`,
        [versionId, JSON.stringify(def.edges.map((e) => ({ from_node_id: e.from_node_id, to_node_id: e.to_node_id, edge_type: e.edge_type })))],
      );
    }
    return (await pipelineVersionRepo.get(q, pipelineId, versionId))!;
  },

  /** A version of this pipeline with nodes (by order_index, node_id) and edges (declaration order). */
  async get(q: Queryable, pipelineId: number, versionId: number): Promise<VersionDetail | undefined> {
    const v = (await q.query<VersionRow>(`${SELECT_VERSION} WHERE v.id = $1 AND v.pipeline_id = $2`, [versionId, pipelineId])).rows[0];
    if (!v) return undefined;
    const nodes = await q.query<NodeRow>('SELECT * FROM pipeline_nodes WHERE pipeline_version_id = $1 ORDER BY order_index, node_id, id', [
      versionId,
    ]);
    const edges = await q.query<EdgeRow>('SELECT * FROM pipeline_edges WHERE pipeline_version_id = $1 ORDER BY id', [versionId]);
    return { ...v, nodes: nodes.rows, edges: edges.rows };
  },

  async published(q: Queryable, pipelineId: number): Promise<VersionDetail | undefined> {
    const row = (await q.query<{ id: number }>('SELECT id FROM pipeline_versions WHERE pipeline_id = $1 AND is_published', [pipelineId])).rows[0];
    return row ? pipelineVersionRepo.get(q, pipelineId, row.id) : undefined;
  },

  /** Newest first, without nodes and edges. */
  async list(q: Queryable, pipelineId: number): Promise<VersionRow[]> {
    return (await q.query<VersionRow>(`${SELECT_VERSION} WHERE v.pipeline_id = $1 ORDER BY v.version DESC`, [pipelineId])).rows;
  },

  /**
   * Makes `versionId` the published version of its pipeline and points pipelines.current_version_id
   * at it. Publishing the already-published version keeps its published_at. Returns undefined when
   * the version does not belong to the pipeline.
   */
  async publish(q: Queryable, pipelineId: number, versionId: number): Promise<VersionRow | undefined> {
    const exists = await q.query('SELECT 1 FROM pipeline_versions WHERE id = $1 AND pipeline_id = $2', [versionId, pipelineId]);
    if (exists.rowCount === 0) return undefined;
    // Unpublish first: the partial unique index allows one published row at any moment.
    await q.query('UPDATE pipeline_versions SET is_published = false WHERE pipeline_id = $1 AND is_published AND id <> $2', [pipelineId, versionId]);
    await q.query(
      `UPDATE pipeline_versions SET is_published = true, published_at = CASE WHEN is_published THEN published_at ELSE now() END
       WHERE id = $1`,
      [versionId],
    );
    await q.query('UPDATE pipelines SET current_version_id = $2, updated_at = now() WHERE id = $1', [pipelineId, versionId]);
    return (await q.query<VersionRow>(`${SELECT_VERSION} WHERE v.id = $1`, [versionId])).rows[0];
  },
};
