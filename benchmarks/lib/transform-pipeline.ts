/**
 * Cases (c) and (d) of issue 5 run one transform chain: a filter dropping 10% of rows, a rename, a derived
 * column. Both the pipeline-file form (`synqx run`) and the API form are built here from one definition, with
 * the SQL that produces the same rows on the source, so the destination is checked against the source.
 */

export const FILTER_CONDITION = 'id % 10 <> 3';
export const RENAMES = { qty: 'quantity', note: 'remark' } as const;
export const DERIVED = { qty2: 'quantity * 2' } as const;

/**
 * What the destination must equal. The checksum hashes each row's composite text form, so column order and
 * types must match what the load creates: renamed columns keep their place, the derived column comes last and,
 * as derive keeps SQL's result type, lands as integer (int4 * int4), like `qty * 2` in SQL.
 */
export function expectedTransformSql(qualified: string): string {
  return `SELECT id, qty AS quantity, code, note AS remark, amount, ratio, active, created_at, day, attrs, ref,
  qty * 2 AS qty2
FROM ${qualified} WHERE id % 10 <> 3`;
}

const transformSteps = [
  { id: 'keep', transform: 'filter', config: { condition: FILTER_CONDITION } },
  { id: 'rename', transform: 'rename_columns', config: { mapping: RENAMES } },
  { id: 'derive', transform: 'derive', config: { columns: DERIVED } },
] as const;

/** A pipeline file (docs/pipeline-file.md) for `synqx run`. */
export function pipelineFile(o: { srcUrl: string; srcTable: string; dstUrl: string; dstTable: string; threads?: number }): object {
  return {
    name: 'bench-transform',
    connections: { src: { dsn: o.srcUrl }, dst: { dsn: o.dstUrl } },
    nodes: [
      { id: 'read', type: 'extract', connection: 'src', table: o.srcTable },
      ...transformSteps.map((s) => ({ id: s.id, type: 'transform', transform: s.transform, config: s.config })),
      { id: 'write', type: 'load', connection: 'dst', table: o.dstTable },
    ],
    ...(o.threads === undefined ? {} : { settings: { threads: o.threads } }),
  };
}

/** The same chain as an API pipeline version (`POST /pipelines` `initial_version`). */
export function apiPipelineVersion(srcAssetId: number, dstAssetId: number): object {
  const nodes = [
    { node_id: 'read', name: 'read', operator_type: 'extract', operator_class: 'postgresql', source_asset_id: srcAssetId, order_index: 1 },
    ...transformSteps.map((s, i) => ({ node_id: s.id, name: s.id, operator_type: 'transform', operator_class: s.transform, config: s.config, order_index: i + 2 })),
    { node_id: 'write', name: 'write', operator_type: 'load', operator_class: 'postgresql', destination_asset_id: dstAssetId, order_index: transformSteps.length + 2 },
  ];
  const edges = nodes.slice(1).map((n, i) => ({ from_node_id: nodes[i]!.node_id, to_node_id: n.node_id }));
  return { config_snapshot: {}, nodes, edges };
}
