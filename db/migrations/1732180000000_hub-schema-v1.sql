-- Up Migration
-- Hub schema v1: the customer-success hub's own store, plus the state hubsync keeps to sync it with CRMs.
-- Conventions: timestamps are timestamptz; external IDs are stored lowercase (FEATURES T13) and the
-- constraint enforces it; CRM record IDs in record_links keep the CRM's own case, because the API needs it.

CREATE TABLE hub_users (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email       text NOT NULL,
  name        text,
  active      boolean NOT NULL DEFAULT true,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX hub_users_email_key ON hub_users (lower(email));

CREATE TABLE accounts (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- A named CRM org. Secrets (OAuth client secret, refresh token, password) are one AES-256-GCM
-- ciphertext of a JSON object, encrypted with a key from the environment; no secret is in plain text.
CREATE TABLE crm_connections (
  id                  text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  kind                text NOT NULL CHECK (kind IN ('salesforce', 'hubspot', 'dynamics')),
  base_url            text NOT NULL,
  settings            jsonb NOT NULL DEFAULT '{}'::jsonb,
  secrets_ciphertext  bytea NOT NULL,
  secrets_key_id      text NOT NULL,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);

-- Attribute definitions (W1, W2). kind distinguishes plain attributes from account assignments.
CREATE TABLE attribute_definitions (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  key                 text NOT NULL UNIQUE,
  label               text NOT NULL,
  kind                text NOT NULL CHECK (kind IN ('attribute', 'account_assignment')),
  value_type          text NOT NULL CHECK (value_type IN ('text', 'number', 'date', 'datetime', 'boolean', 'single_select', 'multi_select', 'user')),
  write_back_enabled  boolean NOT NULL DEFAULT false,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);
-- W2: at most one account-assignment attribute may have write-back on.
CREATE UNIQUE INDEX attribute_definitions_one_assignment_write_back
  ON attribute_definitions ((true)) WHERE kind = 'account_assignment' AND write_back_enabled;

-- Where an attribute comes from in each connection: the CRM object and field (e.g. Account.Owner.Email).
CREATE TABLE attribute_sources (
  attribute_id    bigint NOT NULL REFERENCES attribute_definitions (id) ON DELETE CASCADE,
  connection_id   text NOT NULL REFERENCES crm_connections (id) ON DELETE CASCADE,
  crm_object      text NOT NULL,
  crm_field       text NOT NULL,
  -- W7: how a reference field (Owner.Email) is written back: re-point the lookup, or edit the referenced record.
  reference_mode  text NOT NULL DEFAULT 'repoint' CHECK (reference_mode IN ('repoint', 'edit_referenced')),
  PRIMARY KEY (attribute_id, connection_id)
);

-- An attribute's value per account and per source connection (NULL connection: entered in the hub).
-- crm_value is the value last seen in the CRM, for compare-and-set write-back (W13).
CREATE TABLE attribute_values (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id          bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  attribute_id        bigint NOT NULL REFERENCES attribute_definitions (id) ON DELETE CASCADE,
  connection_id       text REFERENCES crm_connections (id) ON DELETE CASCADE,
  crm_field           text,
  value               jsonb,
  crm_value           jsonb,
  crm_modified_at     timestamptz,
  updated_at          timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT attribute_values_one_per_source UNIQUE NULLS NOT DISTINCT (account_id, attribute_id, connection_id),
  CHECK ((connection_id IS NULL) = (crm_field IS NULL))
);

-- Account assignments: a hub user in a role (e.g. Success Manager) on an account, per source connection.
CREATE TABLE account_assignments (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id       bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  attribute_id     bigint NOT NULL REFERENCES attribute_definitions (id) ON DELETE CASCADE,
  user_id          bigint REFERENCES hub_users (id) ON DELETE SET NULL,
  connection_id    text REFERENCES crm_connections (id) ON DELETE CASCADE,
  crm_field        text,
  crm_value        jsonb,
  crm_modified_at  timestamptz,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT account_assignments_one_per_source UNIQUE NULLS NOT DISTINCT (account_id, attribute_id, connection_id)
);

-- Tasks (T2, T3). updated_at is the hub's last change, compared with the CRM's for last-update-wins (T18);
-- deleted_at keeps a tombstone so the outbound job can propagate a hub deletion (T19).
CREATE TABLE tasks (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id         bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  external_id        text UNIQUE CHECK (external_id = lower(external_id)),
  title              text NOT NULL,
  description        text,
  status             text,
  priority           text,
  due_date           date,
  assignee_id        bigint REFERENCES hub_users (id) ON DELETE SET NULL,
  assignee_email     text,
  assigner_email     text,
  source_created_at  timestamptz,
  source_updated_at  timestamptz,
  custom_fields      jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  deleted_at         timestamptz
);
CREATE INDEX tasks_account_idx ON tasks (account_id);
CREATE INDEX tasks_updated_idx ON tasks (updated_at);

-- Touchpoints (T4, T5): activity events. T20: a touchpoint needs a subject or content.
CREATE TABLE touchpoints (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id          bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  external_id         text UNIQUE CHECK (external_id = lower(external_id)),
  subject             text,
  content             text,
  touchpoint_date     timestamptz,
  touchpoint_type     text,
  creator_email       text,
  last_updater_email  text,
  source_updated_at   timestamptz,
  custom_fields       jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  deleted_at          timestamptz,
  CHECK (subject IS NOT NULL OR content IS NOT NULL)
);
CREATE INDEX touchpoints_account_idx ON touchpoints (account_id);
CREATE INDEX touchpoints_updated_idx ON touchpoints (updated_at);

-- Touchpoint participants (T23): contacts of the account; crm_contact_id keeps the CRM's case.
CREATE TABLE touchpoint_participants (
  touchpoint_id   bigint NOT NULL REFERENCES touchpoints (id) ON DELETE CASCADE,
  participant_key text NOT NULL,
  name            text,
  email           text,
  connection_id   text REFERENCES crm_connections (id) ON DELETE CASCADE,
  crm_contact_id  text,
  PRIMARY KEY (touchpoint_id, participant_key)
);

-- Campaign touches (T6, T17): one send of a campaign to an account's users.
CREATE TABLE campaign_touches (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id       bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  external_id      text UNIQUE CHECK (external_id = lower(external_id)),
  campaign_name    text NOT NULL,
  campaign_kind    text NOT NULL CHECK (campaign_kind IN ('ongoing', 'one_time')),
  recipient_count  integer NOT NULL CHECK (recipient_count >= 0),
  sender_email     text NOT NULL,
  start_date       timestamptz NOT NULL,
  description      text,
  created_by_email text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  deleted_at       timestamptz
);
CREATE INDEX campaign_touches_updated_idx ON campaign_touches (updated_at);

-- Integration jobs (T1-T6): the validated configuration (mapping, filter, schedule...) and its version.
-- Every change bumps version and keeps the previous configuration in integration_job_versions.
CREATE TABLE integration_jobs (
  id             text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  kind           text NOT NULL CHECK (kind IN ('accounts-inbound', 'tasks-inbound', 'tasks-outbound',
                                               'touchpoints-inbound', 'touchpoints-outbound', 'campaign-touch-outbound')),
  connection_id  text NOT NULL REFERENCES crm_connections (id) ON DELETE RESTRICT,
  config         jsonb NOT NULL,
  version        integer NOT NULL DEFAULT 1 CHECK (version >= 1),
  enabled        boolean NOT NULL DEFAULT false,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE integration_job_versions (
  job_id      text NOT NULL REFERENCES integration_jobs (id) ON DELETE CASCADE,
  version     integer NOT NULL,
  config      jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job_id, version)
);

-- One row per job run (one Temporal workflow execution chain); stats holds the T24 statistics.
CREATE TABLE job_runs (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job_id       text NOT NULL REFERENCES integration_jobs (id) ON DELETE CASCADE,
  job_version  integer NOT NULL,
  workflow_id  text NOT NULL UNIQUE,
  mode         text NOT NULL CHECK (mode IN ('incremental', 'full')),
  status       text NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'cancelled')),
  stats        jsonb NOT NULL DEFAULT '{}'::jsonb,
  error        text,
  started_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz
);
CREATE INDEX job_runs_job_idx ON job_runs (job_id, started_at DESC);

-- Hub record <-> CRM record, per connection (T13). Hashes and timestamps of the last sync in each
-- direction let a job tell a real change from an echo of its own write (T29) and pick the later side (T18).
CREATE TABLE record_links (
  connection_id        text NOT NULL REFERENCES crm_connections (id) ON DELETE CASCADE,
  crm_object           text NOT NULL,
  crm_id               text NOT NULL,
  hub_type             text NOT NULL CHECK (hub_type IN ('account', 'user', 'task', 'touchpoint', 'campaign_touch', 'participant')),
  hub_id               bigint NOT NULL,
  crm_modified_at      timestamptz,
  hub_modified_at      timestamptz,
  last_inbound_hash    text,
  last_outbound_hash   text,
  last_synced_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (connection_id, crm_object, crm_id)
);
CREATE UNIQUE INDEX record_links_hub_key ON record_links (connection_id, hub_type, hub_id, crm_object);

-- Where an incremental run resumes: the (modification timestamp, record Id) pair of the last record
-- written, so records sharing a timestamp at a boundary are never missed (T25, T29).
CREATE TABLE sync_cursors (
  job_id               text PRIMARY KEY REFERENCES integration_jobs (id) ON DELETE CASCADE,
  modified_at          timestamptz,
  last_id              text,
  deletions_checked_at timestamptz,
  updated_at           timestamptz NOT NULL DEFAULT now()
);

-- Records a run refused, with the reason (T20, T12); retried by every following run until they pass (T28).
CREATE TABLE rejected_records (
  job_id            text NOT NULL REFERENCES integration_jobs (id) ON DELETE CASCADE,
  source_id         text NOT NULL,
  reason_code       text NOT NULL,
  reason            text NOT NULL,
  attempts          integer NOT NULL DEFAULT 1,
  first_rejected_at timestamptz NOT NULL DEFAULT now(),
  last_attempt_at   timestamptz NOT NULL DEFAULT now(),
  last_run_id       bigint REFERENCES job_runs (id) ON DELETE SET NULL,
  PRIMARY KEY (job_id, source_id)
);

-- Records skipped because their parent account is not matched yet (T11); picked up once it is (T26).
CREATE TABLE parked_records (
  job_id          text NOT NULL REFERENCES integration_jobs (id) ON DELETE CASCADE,
  source_id       text NOT NULL,
  parent_crm_id   text,
  reason_code     text NOT NULL,
  parked_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job_id, source_id)
);
CREATE INDEX parked_records_parent_idx ON parked_records (parent_crm_id);

-- Every write-back attempt and its outcome per data source (W4, W6, W14: request_id makes retries idempotent).
CREATE TABLE write_back_log (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  request_id       text NOT NULL,
  origin           text NOT NULL CHECK (origin IN ('account_profile', 'segment_inline', 'user_profile', 'task_completion', 'rapid_insights_form')),
  account_id       bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  attribute_id     bigint NOT NULL REFERENCES attribute_definitions (id) ON DELETE CASCADE,
  connection_id    text NOT NULL REFERENCES crm_connections (id) ON DELETE CASCADE,
  crm_object       text NOT NULL,
  crm_id           text,
  crm_field        text NOT NULL,
  requested_value  jsonb,
  previous_value   jsonb,
  outcome          text NOT NULL CHECK (outcome IN ('written', 'unchanged', 'rejected', 'failed', 'stale')),
  message          text,
  requested_at     timestamptz NOT NULL DEFAULT now(),
  completed_at     timestamptz,
  UNIQUE (request_id, connection_id)
);

-- End-to-end probes written by a worker activity on behalf of `hubsync doctor`.
CREATE TABLE worker_probes (
  probe_id         text PRIMARY KEY,
  requested_by     text NOT NULL,
  worker_identity  text NOT NULL,
  recorded_at      timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE worker_probes, write_back_log, parked_records, rejected_records, sync_cursors, record_links,
  job_runs, integration_job_versions, integration_jobs, campaign_touches, touchpoint_participants,
  touchpoints, tasks, account_assignments, attribute_values, attribute_sources, attribute_definitions,
  crm_connections, accounts, hub_users;
