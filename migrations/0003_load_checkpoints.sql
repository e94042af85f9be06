-- Chunked commits: what each load node of a job has committed so far, so a retry (the same job
-- executed again, or a new job linked by retry_of_job_id) resumes after it instead of loading the
-- committed rows twice. Keyed by the root job of the retry chain; completed_at is set when a run of
-- the chain finished the load, after which the checkpoint no longer resumes anything.
CREATE TABLE load_checkpoints (
  id                    bigserial PRIMARY KEY,
  root_job_id           bigint NOT NULL REFERENCES jobs (id),
  node_key              text NOT NULL,
  destination_asset_id  bigint NOT NULL REFERENCES assets (id),
  -- The job (of the chain) that committed the latest chunk.
  job_id                bigint NOT NULL REFERENCES jobs (id),
  rows_committed        bigint NOT NULL DEFAULT 0 CHECK (rows_committed >= 0),
  chunks                integer NOT NULL DEFAULT 0 CHECK (chunks >= 0),
  completed_at          timestamptz,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  UNIQUE (root_job_id, node_key, destination_asset_id)
);
