import { z } from 'zod';
import { idParam } from '../route.js';

/** Request and response schemas of the trigger, jobs, runs and metrics routes (they also generate /openapi.json). */

const JOB_STATUSES = ['pending', 'queued', 'running', 'success', 'failed', 'retrying', 'cancelled'] as const;
const RUN_STATUSES = ['pending', 'running', 'completed', 'failed', 'cancelled'] as const;
const STEP_STATUSES = ['pending', 'running', 'success', 'warning', 'failed', 'skipped'] as const;
const LOG_LEVELS = ['debug', 'info', 'warning', 'error', 'critical'] as const;

const timestamp = z.string().describe('ISO 8601 timestamp');
const jsonObject = z.record(z.string(), z.unknown());
const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const idParams = z.object({ id: idParam });
export const stepParams = z.object({ rid: idParam, sid: idParam });

const page = {
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
};

export const jobListQuery = z.object({
  pipeline_id: idParam.optional(),
  status: z.enum(JOB_STATUSES).optional(),
  ...page,
});

export const runListQuery = z.object({
  pipeline_id: idParam.optional(),
  status: z.enum(RUN_STATUSES).optional(),
  ...page,
});

export const logQuery = z.object({
  level: z.enum(LOG_LEVELS).optional(),
  after_id: z.coerce.number().int().min(0).optional().describe('only lines with a larger id (to follow a log)'),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
});

export const firingQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) });

export const runNowQuery = z.object({
  wait: flag.optional().describe('true: answer only when the job has finished (the original synchronous contract)'),
  timeout_seconds: z.coerce.number().int().min(1).max(3600).default(300).describe('with wait: answer 202 (still running) after this long'),
});

export const runNowBody = z
  .object({
    version_id: idParam.optional().describe('run this version instead of the published one'),
    run_params: jsonObject.optional().describe('free-form parameters handed to the run (stored with the job)'),
  })
  .describe('optional');

export const triggerBody = runNowBody.extend({
  async_execution: z.boolean().default(true).describe('false: wait for the end, as POST /run?wait=true'),
  timeout_seconds: z.number().int().min(1).max(3600).default(300).describe('when waiting: answer 202 after this long'),
});

export const cancelBody = z.object({ reason: z.string().trim().max(1000).optional() });
export const retryBody = z.object({ force: z.boolean().default(false).describe('also re-run a job that succeeded') });

// Responses

export const queuedSchema = z.object({
  status: z.enum(['queued', 'running', 'success', 'failed', 'cancelled', 'retrying', 'pending']),
  message: z.string(),
  job_id: z.number().int(),
  run_id: z.number().int(),
  pipeline_id: z.number().int(),
  version_id: z.number().int().describe('the exact version this run executes'),
  retry_of_job_id: z.number().int().nullable().optional(),
});

export const jobSchema = z.object({
  id: z.number().int(),
  pipeline_id: z.number().int(),
  pipeline_version_id: z.number().int(),
  status: z.enum(JOB_STATUSES),
  trigger_type: z.string(),
  trigger_payload: jsonObject,
  attempt: z.number().int(),
  max_retries: z.number().int(),
  retry_of_job_id: z.number().int().nullable(),
  queue_job_id: z.string().nullable(),
  worker_id: z.string().nullable(),
  cancel_requested_at: timestamp.nullable(),
  cancel_reason: z.string().nullable(),
  error_code: z.string().nullable(),
  error_message: z.string().nullable(),
  created_at: timestamp,
  queued_at: timestamp.nullable(),
  started_at: timestamp.nullable(),
  completed_at: timestamp.nullable(),
  updated_at: timestamp,
  run_id: z.number().int().nullable(),
  run_number: z.number().int().nullable(),
});

export const jobDetailSchema = jobSchema.extend({ retried_by_job_ids: z.array(z.number().int()) });
export const jobListSchema = z.object({ jobs: z.array(jobSchema), total: z.number().int(), limit: z.number().int(), offset: z.number().int() });

const logSchema = z.object({
  id: z.number().int(),
  level: z.enum(LOG_LEVELS),
  message: z.string(),
  metadata_payload: jsonObject.nullable(),
  timestamp,
  source: z.string(),
});
export const jobLogsSchema = z.object({ job_id: z.number().int(), logs: z.array(logSchema) });
export const stepLogsSchema = z.object({ run_id: z.number().int(), step_run_id: z.number().int(), logs: z.array(logSchema) });

export const cancelSchema = z.object({
  job_id: z.number().int(),
  status: z.enum(['cancelled', 'cancelling']),
  message: z.string(),
});

export const stepSchema = z.object({
  id: z.number().int(),
  pipeline_run_id: z.number().int(),
  node_id: z.number().int(),
  node_key: z.string(),
  operator_type: z.string(),
  order_index: z.number().int(),
  status: z.enum(STEP_STATUSES),
  records_in: z.number().int(),
  records_out: z.number().int(),
  records_filtered: z.number().int(),
  records_error: z.number().int(),
  bytes_processed: z.number().int(),
  retry_count: z.number().int(),
  error_code: z.string().nullable(),
  error_message: z.string().nullable(),
  started_at: timestamp.nullable(),
  completed_at: timestamp.nullable(),
  duration_seconds: z.number().nullable(),
  created_at: timestamp,
  updated_at: timestamp,
});

export const runSchema = z.object({
  id: z.number().int(),
  job_id: z.number().int(),
  pipeline_id: z.number().int(),
  pipeline_version_id: z.number().int(),
  run_number: z.number().int(),
  status: z.enum(RUN_STATUSES),
  total_nodes: z.number().int(),
  total_extracted: z.number().int(),
  total_loaded: z.number().int(),
  total_failed: z.number().int(),
  bytes_processed: z.number().int(),
  error_message: z.string().nullable(),
  started_at: timestamp.nullable(),
  completed_at: timestamp.nullable(),
  duration_seconds: z.number().nullable(),
  created_at: timestamp,
});

export const runDetailSchema = runSchema.extend({ step_runs: z.array(stepSchema).describe('in order_index order') });
export const runListSchema = z.object({ runs: z.array(runSchema), total: z.number().int(), limit: z.number().int(), offset: z.number().int() });
export const stepListSchema = z.object({ run_id: z.number().int(), steps: z.array(stepSchema) });

export const firingListSchema = z.object({
  pipeline_id: z.number().int(),
  firings: z.array(
    z.object({
      id: z.number().int(),
      pipeline_id: z.number().int(),
      slot: timestamp.describe('the cron slot fired'),
      schedule_cron: z.string(),
      schedule_timezone: z.string(),
      outcome: z.enum(['enqueued', 'skipped_overlap', 'skipped_no_version', 'failed']),
      job_id: z.number().int().nullable(),
      blocking_job_id: z.number().int().nullable().describe('the active job that made the firing skip'),
      scheduler_id: z.string(),
      message: z.string().nullable(),
      fired_at: timestamp,
    }),
  ),
});

export const sseDescription =
  'text/event-stream. Events: `status` (job state changes), `log` (job_logs lines; id = log id, resume with Last-Event-ID), ' +
  '`progress` (run and step counters with rows_per_second), `ping` (keep-alive), and a final `end` with the outcome.';
