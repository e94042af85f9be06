import type { Queryable } from '../db.js';

export interface LoadCheckpointRow {
  id: number;
  root_job_id: number;
  node_key: string;
  destination_asset_id: number;
  job_id: number;
  rows_committed: number;
  chunks: number;
  completed_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface CheckpointKey {
  rootJobId: number;
  nodeKey: string;
  destinationAssetId: number;
}

/** SQL for load_checkpoints: the committed chunks of chunked loads, per retry chain. */
export const loadCheckpointRepo = {
  /** The first job of a job's retry chain (the job itself when it is no retry). */
  async rootJobId(q: Queryable, jobId: number): Promise<number> {
    const { rows } = await q.query<{ id: number }>(
      `WITH RECURSIVE chain (id, parent, depth) AS (
         SELECT id, retry_of_job_id, 0 FROM jobs WHERE id = $1
         UNION ALL
         SELECT j.id, j.retry_of_job_id, c.depth + 1 FROM jobs j JOIN chain c ON j.id = c.parent WHERE c.depth < 1000
       )
       SELECT id FROM chain ORDER BY depth DESC LIMIT 1`,
      [jobId],
    );
    return rows[0]?.id ?? jobId;
  },

  /** Records that a chunk committed: rows and chunks are totals over the chain, not increments. */
  async upsert(q: Queryable, key: CheckpointKey, jobId: number, rowsCommitted: number, chunks: number): Promise<LoadCheckpointRow> {
    const { rows } = await q.query<LoadCheckpointRow>(
      `INSERT INTO load_checkpoints (root_job_id, node_key, destination_asset_id, job_id, rows_committed, chunks)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (root_job_id, node_key, destination_asset_id) DO UPDATE SET
         job_id = excluded.job_id, rows_committed = excluded.rows_committed, chunks = excluded.chunks,
         completed_at = NULL, updated_at = now()
       RETURNING *`,
      [key.rootJobId, key.nodeKey, key.destinationAssetId, jobId, rowsCommitted, chunks],
    );
    return rows[0]!;
  },

  /** The checkpoint of a chain's load node, completed or not. */
  async get(q: Queryable, key: CheckpointKey): Promise<LoadCheckpointRow | undefined> {
    const { rows } = await q.query<LoadCheckpointRow>(
      'SELECT * FROM load_checkpoints WHERE root_job_id = $1 AND node_key = $2 AND destination_asset_id = $3',
      [key.rootJobId, key.nodeKey, key.destinationAssetId],
    );
    return rows[0];
  },

  /** Where a retry of the chain resumes: the unfinished checkpoint, if any. */
  async latestOpen(q: Queryable, key: CheckpointKey): Promise<LoadCheckpointRow | undefined> {
    const row = await loadCheckpointRepo.get(q, key);
    return row && row.completed_at === null ? row : undefined;
  },

  /** Marks every checkpoint a job chain has for these load nodes complete (the load finished). */
  async complete(q: Queryable, rootJobId: number, nodeKeys: readonly string[]): Promise<number> {
    if (nodeKeys.length === 0) return 0;
    const { rowCount } = await q.query(
      'UPDATE load_checkpoints SET completed_at = now(), updated_at = now() WHERE root_job_id = $1 AND node_key = ANY($2) AND completed_at IS NULL',
      [rootJobId, [...nodeKeys]],
    );
    return rowCount ?? 0;
  },

  async listForChain(q: Queryable, rootJobId: number): Promise<LoadCheckpointRow[]> {
    return (await q.query<LoadCheckpointRow>('SELECT * FROM load_checkpoints WHERE root_job_id = $1 ORDER BY node_key, destination_asset_id', [rootJobId])).rows;
  },
};
