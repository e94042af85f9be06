-- SynqX metadata schema. Table names and meanings follow the original SynqX contract
-- (shared/docs/api-compat.md). Statuses are stored lower-case and checked.

CREATE TABLE vault_keys (
  key_id      text PRIMARY KEY,
  kdf         text NOT NULL DEFAULT 'scrypt',
  salt        bytea NOT NULL,
  -- A sealed known value: proves at start that MASTER_PASSWORD still opens this key.
  check_value text NOT NULL,
  is_active   boolean NOT NULL DEFAULT true,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE connections (
  id               bigserial PRIMARY KEY,
  name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
  connector_type   text NOT NULL,
  description      text,
  tags             jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- AES-256-GCM envelope {v, kid, iv, tag, ct}; never plaintext.
  config_encrypted text NOT NULL,
  key_id           text NOT NULL REFERENCES vault_keys (key_id),
  health_status    text NOT NULL DEFAULT 'unknown' CHECK (health_status IN ('unknown', 'healthy', 'unhealthy')),
  last_test_at     timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  deleted_at       timestamptz
);
CREATE UNIQUE INDEX connections_name_live ON connections (lower(name)) WHERE deleted_at IS NULL;

CREATE TABLE assets (
  id                     bigserial PRIMARY KEY,
  connection_id          bigint NOT NULL REFERENCES connections (id),
  name                   text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
  asset_type             text NOT NULL DEFAULT 'table' CHECK (asset_type IN ('table', 'view', 'query')),
  fully_qualified_name   text,
  is_source              boolean NOT NULL DEFAULT true,
  is_destination         boolean NOT NULL DEFAULT false,
  is_incremental_capable boolean NOT NULL DEFAULT false,
  config                 jsonb NOT NULL DEFAULT '{}'::jsonb,
  schema_metadata        jsonb,
  description            text,
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now(),
  deleted_at             timestamptz
);
CREATE UNIQUE INDEX assets_name_live ON assets (connection_id, lower(name)) WHERE deleted_at IS NULL;
CREATE INDEX assets_connection ON assets (connection_id);

CREATE TABLE pipelines (
  id                        bigserial PRIMARY KEY,
  name                      text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
  description               text,
  schedule_cron             text,
  schedule_enabled          boolean NOT NULL DEFAULT false,
  schedule_timezone         text NOT NULL DEFAULT 'UTC',
  max_parallel_runs         integer NOT NULL DEFAULT 1 CHECK (max_parallel_runs >= 1),
  execution_timeout_seconds integer CHECK (execution_timeout_seconds IS NULL OR execution_timeout_seconds > 0),
  tags                      jsonb NOT NULL DEFAULT '{}'::jsonb,
  priority                  integer NOT NULL DEFAULT 5 CHECK (priority BETWEEN 1 AND 10),
  status                    text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'archived')),
  current_version_id        bigint,
  created_at                timestamptz NOT NULL DEFAULT now(),
  updated_at                timestamptz NOT NULL DEFAULT now(),
  deleted_at                timestamptz,
  CHECK (NOT schedule_enabled OR schedule_cron IS NOT NULL)
);
CREATE UNIQUE INDEX pipelines_name_live ON pipelines (lower(name)) WHERE status <> 'archived';
CREATE INDEX pipelines_created ON pipelines (created_at DESC, id DESC);
CREATE INDEX pipelines_scheduled ON pipelines (id) WHERE schedule_enabled AND status = 'active';

CREATE TABLE pipeline_versions (
  id              bigserial PRIMARY KEY,
  pipeline_id     bigint NOT NULL REFERENCES pipelines (id),
  version         integer NOT NULL CHECK (version >= 1),
  config_snapshot jsonb NOT NULL DEFAULT '{}'::jsonb,
  change_summary  jsonb,
  version_notes   text,
  is_published    boolean NOT NULL DEFAULT false,
  published_at    timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (pipeline_id, version)
);
-- At most one published version per pipeline.
CREATE UNIQUE INDEX pipeline_versions_one_published ON pipeline_versions (pipeline_id) WHERE is_published;

ALTER TABLE pipelines
  ADD CONSTRAINT pipelines_current_version_fk FOREIGN KEY (current_version_id) REFERENCES pipeline_versions (id);

CREATE TABLE pipeline_nodes (
  id                   bigserial PRIMARY KEY,
  pipeline_version_id  bigint NOT NULL REFERENCES pipeline_versions (id),
  node_id              text NOT NULL CHECK (node_id ~ '^[A-Za-z0-9_-]{1,128}$'),
  name                 text NOT NULL,
  description          text,
  operator_type        text NOT NULL CHECK (operator_type IN ('extract', 'transform', 'load', 'validate', 'noop', 'merge', 'union', 'join')),
  operator_class       text NOT NULL,
  config               jsonb NOT NULL DEFAULT '{}'::jsonb,
  order_index          integer NOT NULL DEFAULT 0,
  source_asset_id      bigint REFERENCES assets (id),
  destination_asset_id bigint REFERENCES assets (id),
  max_retries          integer NOT NULL DEFAULT 3 CHECK (max_retries >= 0),
  timeout_seconds      integer CHECK (timeout_seconds IS NULL OR timeout_seconds > 0),
  created_at           timestamptz NOT NULL DEFAULT now(),
  UNIQUE (pipeline_version_id, node_id)
);

CREATE TABLE pipeline_edges (
  id                  bigserial PRIMARY KEY,
  pipeline_version_id bigint NOT NULL REFERENCES pipeline_versions (id),
  from_node_id        text NOT NULL,
  to_node_id          text NOT NULL,
  edge_type           text NOT NULL DEFAULT 'data_flow',
  created_at          timestamptz NOT NULL DEFAULT now(),
  CHECK (from_node_id <> to_node_id),
  UNIQUE (pipeline_version_id, from_node_id, to_node_id),
  FOREIGN KEY (pipeline_version_id, from_node_id) REFERENCES pipeline_nodes (pipeline_version_id, node_id),
  FOREIGN KEY (pipeline_version_id, to_node_id) REFERENCES pipeline_nodes (pipeline_version_id, node_id)
);

CREATE TABLE jobs (
  id                  bigserial PRIMARY KEY,
  pipeline_id         bigint NOT NULL REFERENCES pipelines (id),
  pipeline_version_id bigint NOT NULL REFERENCES pipeline_versions (id),
  status              text NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'queued', 'running', 'success', 'failed', 'retrying', 'cancelled')),
  trigger_type        text NOT NULL DEFAULT 'manual' CHECK (trigger_type IN ('manual', 'api', 'schedule', 'retry', 'cli')),
  trigger_payload     jsonb NOT NULL DEFAULT '{}'::jsonb,
  attempt             integer NOT NULL DEFAULT 1,
  max_retries         integer NOT NULL DEFAULT 0,
  retry_of_job_id     bigint REFERENCES jobs (id),
  queue_job_id        text,
  worker_id           text,
  cancel_requested_at timestamptz,
  cancel_reason       text,
  error_code          text,
  error_message       text,
  created_at          timestamptz NOT NULL DEFAULT now(),
  queued_at           timestamptz,
  started_at          timestamptz,
  completed_at        timestamptz,
  updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_pipeline ON jobs (pipeline_id, created_at DESC);
CREATE INDEX jobs_status ON jobs (status);
CREATE INDEX jobs_active ON jobs (pipeline_id) WHERE status IN ('pending', 'queued', 'running', 'retrying');

CREATE TABLE pipeline_runs (
  id                  bigserial PRIMARY KEY,
  job_id              bigint NOT NULL UNIQUE REFERENCES jobs (id),
  pipeline_id         bigint NOT NULL REFERENCES pipelines (id),
  pipeline_version_id bigint NOT NULL REFERENCES pipeline_versions (id),
  run_number          integer NOT NULL,
  status              text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled')),
  total_nodes         integer NOT NULL DEFAULT 0,
  total_extracted     bigint NOT NULL DEFAULT 0,
  total_loaded        bigint NOT NULL DEFAULT 0,
  total_failed        bigint NOT NULL DEFAULT 0,
  bytes_processed     bigint NOT NULL DEFAULT 0,
  error_message       text,
  started_at          timestamptz,
  completed_at        timestamptz,
  duration_seconds    double precision,
  created_at          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (pipeline_id, run_number)
);
CREATE INDEX pipeline_runs_pipeline ON pipeline_runs (pipeline_id, created_at DESC);

CREATE TABLE step_runs (
  id               bigserial PRIMARY KEY,
  pipeline_run_id  bigint NOT NULL REFERENCES pipeline_runs (id),
  node_id          bigint NOT NULL REFERENCES pipeline_nodes (id),
  node_key         text NOT NULL,
  operator_type    text NOT NULL,
  order_index      integer NOT NULL DEFAULT 0,
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'success', 'warning', 'failed', 'skipped')),
  records_in       bigint NOT NULL DEFAULT 0,
  records_out      bigint NOT NULL DEFAULT 0,
  records_filtered bigint NOT NULL DEFAULT 0,
  records_error    bigint NOT NULL DEFAULT 0,
  bytes_processed  bigint NOT NULL DEFAULT 0,
  retry_count      integer NOT NULL DEFAULT 0,
  error_code       text,
  error_message    text,
  started_at       timestamptz,
  completed_at     timestamptz,
  duration_seconds double precision,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (pipeline_run_id, node_key)
);
CREATE INDEX step_runs_run ON step_runs (pipeline_run_id, order_index);

CREATE TABLE job_logs (
  id               bigserial PRIMARY KEY,
  job_id           bigint NOT NULL REFERENCES jobs (id),
  level            text NOT NULL CHECK (level IN ('debug', 'info', 'warning', 'error', 'critical')),
  message          text NOT NULL,
  metadata_payload jsonb,
  timestamp        timestamptz NOT NULL DEFAULT now(),
  source           text NOT NULL DEFAULT 'runner'
);
CREATE INDEX job_logs_job ON job_logs (job_id, id);

CREATE TABLE step_logs (
  id               bigserial PRIMARY KEY,
  step_run_id      bigint NOT NULL REFERENCES step_runs (id),
  level            text NOT NULL CHECK (level IN ('debug', 'info', 'warning', 'error', 'critical')),
  message          text NOT NULL,
  metadata_payload jsonb,
  timestamp        timestamptz NOT NULL DEFAULT now(),
  source           text NOT NULL DEFAULT 'runner'
);
CREATE INDEX step_logs_step ON step_logs (step_run_id, id);

CREATE TABLE watermarks (
  id             bigserial PRIMARY KEY,
  pipeline_id    bigint NOT NULL REFERENCES pipelines (id),
  asset_id       bigint NOT NULL REFERENCES assets (id),
  watermark_type text NOT NULL DEFAULT 'column',
  column_name    text,
  last_value     jsonb,
  last_job_id    bigint REFERENCES jobs (id),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (pipeline_id, asset_id)
);
