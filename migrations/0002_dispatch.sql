-- Dispatch: schedule firings and the indexes job/run listings and the dispatcher's sweeps use.

-- One row per pipeline and slot: a scheduler records the slot before it creates the job, in the
-- same transaction, so two schedulers (or a late duplicate from the queue) can never fire a slot twice.
CREATE TABLE schedule_firings (
  id                bigserial PRIMARY KEY,
  pipeline_id       bigint NOT NULL REFERENCES pipelines (id),
  slot              timestamptz NOT NULL,
  schedule_cron     text NOT NULL,
  schedule_timezone text NOT NULL,
  outcome           text NOT NULL DEFAULT 'enqueued'
                    CHECK (outcome IN ('enqueued', 'skipped_overlap', 'skipped_no_version', 'failed')),
  job_id            bigint REFERENCES jobs (id),
  -- The active job that made a firing skip (max_parallel_runs reached).
  blocking_job_id   bigint REFERENCES jobs (id),
  scheduler_id      text NOT NULL,
  message           text,
  fired_at          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (pipeline_id, slot)
);
CREATE INDEX schedule_firings_pipeline ON schedule_firings (pipeline_id, slot DESC);

CREATE INDEX jobs_created ON jobs (created_at DESC, id DESC);
CREATE INDEX jobs_retry_of ON jobs (retry_of_job_id) WHERE retry_of_job_id IS NOT NULL;
-- Workers poll for cancel requests of the jobs they run.
CREATE INDEX jobs_cancel_requested ON jobs (id)
  WHERE cancel_requested_at IS NOT NULL AND status IN ('pending', 'queued', 'running', 'retrying');
CREATE INDEX pipeline_runs_created ON pipeline_runs (created_at DESC, id DESC);
CREATE INDEX pipeline_runs_status ON pipeline_runs (status);
