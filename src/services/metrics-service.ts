import type { Db } from '../store/db.js';
import { metricsRepo } from '../store/repos/metrics-repo.js';
import type { JobProducer } from './job-producer.js';

const DURATION_BUCKETS = [1, 5, 15, 30, 60, 300, 900, 1800, 3600, 10_800] as const;

type Labels = Record<string, string | number>;

/** Label values escaped as the exposition format requires (backslash, quote, newline). */
function labels(l: Labels): string {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

class Exposition {
  private readonly lines: string[] = [];

  family(name: string, type: 'gauge' | 'counter' | 'histogram', help: string): this {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    return this;
  }

  sample(name: string, l: Labels, value: number): this {
    this.lines.push(`${name}${labels(l)} ${Number.isFinite(value) ? value : 0}`);
    return this;
  }

  text(): string {
    return this.lines.join('\n') + '\n';
  }
}

const JOB_STATUSES = ['pending', 'queued', 'running', 'retrying', 'success', 'failed', 'cancelled'];
const RUN_STATUSES = ['pending', 'running', 'completed', 'failed', 'cancelled'];

/**
 * GET /metrics in the Prometheus text format. Everything but the queue depth comes from the run
 * records, so any API process answers the same numbers however many workers there are.
 */
export class MetricsService {
  constructor(private readonly deps: { db: Db; producer: JobProducer }) {}

  async render(): Promise<string> {
    const db = this.deps.db;
    const [jobs, runs, perPipeline, perStep, durations, firings, depth] = await Promise.all([
      metricsRepo.countByStatus(db, 'jobs'),
      metricsRepo.countByStatus(db, 'pipeline_runs'),
      metricsRepo.rowsPerPipeline(db),
      metricsRepo.rowsPerStep(db),
      metricsRepo.runDurations(db, DURATION_BUCKETS),
      metricsRepo.firingsByOutcome(db),
      this.deps.producer.depth().catch(() => undefined),
    ]);
    const m = new Exposition();
    m.family('synqx_jobs', 'gauge', 'Jobs by status.');
    for (const s of JOB_STATUSES) m.sample('synqx_jobs', { status: s }, jobs[s] ?? 0);
    m.family('synqx_runs', 'gauge', 'Pipeline runs by status.');
    for (const s of RUN_STATUSES) m.sample('synqx_runs', { status: s }, runs[s] ?? 0);

    m.family('synqx_pipeline_rows_extracted_total', 'counter', 'Rows read by the runs of a pipeline.');
    for (const p of perPipeline) m.sample('synqx_pipeline_rows_extracted_total', { pipeline_id: p.pipeline_id, pipeline: p.pipeline_name }, p.extracted);
    m.family('synqx_pipeline_rows_loaded_total', 'counter', 'Rows written by the runs of a pipeline.');
    for (const p of perPipeline) m.sample('synqx_pipeline_rows_loaded_total', { pipeline_id: p.pipeline_id, pipeline: p.pipeline_name }, p.loaded);
    m.family('synqx_pipeline_rows_failed_total', 'counter', 'Rows rejected by the runs of a pipeline.');
    for (const p of perPipeline) m.sample('synqx_pipeline_rows_failed_total', { pipeline_id: p.pipeline_id, pipeline: p.pipeline_name }, p.failed);
    m.family('synqx_pipeline_bytes_processed_total', 'counter', 'Bytes moved by the runs of a pipeline.');
    for (const p of perPipeline) m.sample('synqx_pipeline_bytes_processed_total', { pipeline_id: p.pipeline_id, pipeline: p.pipeline_name }, p.bytes);

    m.family('synqx_step_records_total', 'counter', 'Records through a pipeline step, by direction (in, out, filtered, error).');
    for (const s of perStep) {
      const base = { pipeline_id: s.pipeline_id, step: s.node_key, operator_type: s.operator_type };
      m.sample('synqx_step_records_total', { ...base, direction: 'in' }, s.records_in);
      m.sample('synqx_step_records_total', { ...base, direction: 'out' }, s.records_out);
      m.sample('synqx_step_records_total', { ...base, direction: 'filtered' }, s.records_filtered);
      m.sample('synqx_step_records_total', { ...base, direction: 'error' }, s.records_error);
    }

    m.family('synqx_run_duration_seconds', 'histogram', 'Duration of finished pipeline runs.');
    DURATION_BUCKETS.forEach((b, i) => m.sample('synqx_run_duration_seconds_bucket', { le: b }, durations.buckets[i] ?? 0));
    m.sample('synqx_run_duration_seconds_bucket', { le: '+Inf' }, durations.count);
    m.sample('synqx_run_duration_seconds_sum', {}, durations.sum);
    m.sample('synqx_run_duration_seconds_count', {}, durations.count);

    m.family('synqx_schedule_firings_total', 'counter', 'Schedule slots fired, by outcome.');
    for (const o of ['enqueued', 'skipped_overlap', 'skipped_no_version', 'failed']) m.sample('synqx_schedule_firings_total', { outcome: o }, firings[o] ?? 0);

    m.family('synqx_queue_depth', 'gauge', 'Jobs in the dispatch queue by state (waiting, active, delayed for a retry).');
    const mode = this.deps.producer.mode;
    if (depth) for (const [state, n] of Object.entries(depth)) m.sample('synqx_queue_depth', { queue: mode, state }, n);
    m.family('synqx_queue_up', 'gauge', '1 when the dispatch queue answered the depth query.');
    m.sample('synqx_queue_up', { queue: mode }, depth ? 1 : 0);
    return m.text();
  }
}
