import type { Queryable } from '../db.js';

export interface PipelineRowTotals {
  pipeline_id: number;
  pipeline_name: string;
  extracted: number;
  loaded: number;
  failed: number;
  bytes: number;
}

export interface StepRowTotals {
  pipeline_id: number;
  node_key: string;
  operator_type: string;
  records_in: number;
  records_out: number;
  records_filtered: number;
  records_error: number;
}

export interface DurationHistogram {
  /** Cumulative counts, one per bucket bound, in the order given. */
  buckets: number[];
  count: number;
  sum: number;
}

/** Aggregates for GET /metrics, computed from the run records so every process reports the same numbers. */
export const metricsRepo = {
  async countByStatus(q: Queryable, table: 'jobs' | 'pipeline_runs'): Promise<Record<string, number>> {
    // The table name is one of two constants, never input.
    const { rows } = await q.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM ${table} GROUP BY status`);
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  },

  async rowsPerPipeline(q: Queryable): Promise<PipelineRowTotals[]> {
    const { rows } = await q.query<PipelineRowTotals>(
      `SELECT r.pipeline_id, p.name AS pipeline_name,
              sum(r.total_extracted)::int8 AS extracted, sum(r.total_loaded)::int8 AS loaded,
              sum(r.total_failed)::int8 AS failed, sum(r.bytes_processed)::int8 AS bytes
       FROM pipeline_runs r JOIN pipelines p ON p.id = r.pipeline_id
       GROUP BY r.pipeline_id, p.name ORDER BY r.pipeline_id`,
    );
    return rows;
  },

  async rowsPerStep(q: Queryable): Promise<StepRowTotals[]> {
    const { rows } = await q.query<StepRowTotals>(
      `SELECT r.pipeline_id, s.node_key, min(s.operator_type) AS operator_type,
              sum(s.records_in)::int8 AS records_in, sum(s.records_out)::int8 AS records_out,
              sum(s.records_filtered)::int8 AS records_filtered, sum(s.records_error)::int8 AS records_error
       FROM step_runs s JOIN pipeline_runs r ON r.id = s.pipeline_run_id
       GROUP BY r.pipeline_id, s.node_key ORDER BY r.pipeline_id, s.node_key`,
    );
    return rows;
  },

  async runDurations(q: Queryable, bounds: readonly number[]): Promise<DurationHistogram> {
    const buckets = await q.query<{ n: number }>(
      `SELECT count(r.id)::int AS n
       FROM unnest($1::float8[]) WITH ORDINALITY AS b(bound, ord)
       LEFT JOIN pipeline_runs r ON r.duration_seconds IS NOT NULL AND r.duration_seconds <= b.bound
       GROUP BY b.ord ORDER BY b.ord`,
      [[...bounds]],
    );
    const all = await q.query<{ n: number; total: number }>(
      'SELECT count(*)::int AS n, coalesce(sum(duration_seconds), 0)::float8 AS total FROM pipeline_runs WHERE duration_seconds IS NOT NULL',
    );
    return { buckets: buckets.rows.map((r) => r.n), count: all.rows[0]!.n, sum: all.rows[0]!.total };
  },

  async firingsByOutcome(q: Queryable): Promise<Record<string, number>> {
    const { rows } = await q.query<{ outcome: string; n: number }>('SELECT outcome, count(*)::int AS n FROM schedule_firings GROUP BY outcome');
    return Object.fromEntries(rows.map((r) => [r.outcome, r.n]));
  },
};
