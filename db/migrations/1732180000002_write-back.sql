-- Up Migration
-- Real-time write-back (W1-W14): what a source's CRM field is (checked when write-back is switched on), one
-- row per request (idempotence across retries, worker crashes and continue-as-new: W14), and one log row per
-- attribute and data source with both values, the CRM's message and the timings (W5, W6, W13).

-- The CRM field as describe reported it when write-back was switched on: requests are checked against it
-- (types, restricted picklists, W3) without a CRM call; the CRM still has the last word when written.
ALTER TABLE attribute_sources ADD COLUMN crm_describe jsonb;

CREATE TABLE write_back_requests (
  request_id    text PRIMARY KEY CHECK (length(request_id) BETWEEN 1 AND 200),
  account_id    bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  origin        text NOT NULL CHECK (origin IN ('account_profile', 'segment_inline', 'user_profile', 'task_completion', 'rapid_insights_form')),
  actor         text NOT NULL,
  force         boolean NOT NULL DEFAULT false,
  -- The changes as requested (attribute key -> value): a second request with the same ID must ask the same.
  changes       jsonb NOT NULL,
  status        text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed')),
  -- The outcome returned to the caller; a retried request gets this, not a second write.
  outcome       jsonb,
  requested_at  timestamptz NOT NULL DEFAULT now(),
  completed_at  timestamptz
);
CREATE INDEX write_back_requests_account_idx ON write_back_requests (account_id, requested_at DESC);

-- One outcome per attribute and data source: a request may change several attributes on one connection.
ALTER TABLE write_back_log DROP CONSTRAINT write_back_log_request_id_connection_id_key;
ALTER TABLE write_back_log ADD CONSTRAINT write_back_log_one_per_source UNIQUE (request_id, attribute_id, connection_id);
-- 'pending': the CRM write is about to be (or was) sent; a retry that finds it re-reads the CRM before
-- deciding, so a write that landed before a crash is recognised, never sent twice.
ALTER TABLE write_back_log DROP CONSTRAINT write_back_log_outcome_check;
ALTER TABLE write_back_log ADD CONSTRAINT write_back_log_outcome_check CHECK (outcome IN ('pending', 'written', 'unchanged', 'rejected', 'failed', 'stale'));
ALTER TABLE write_back_log
  ADD COLUMN actor          text,
  ADD COLUMN hub_last_seen  jsonb,
  ADD COLUMN value_after    jsonb,
  -- The record's LastModifiedDate (or the CRM's version) read before the write: the precondition sent.
  ADD COLUMN read_version   text,
  ADD COLUMN crm_message    text,
  ADD COLUMN refreshed      jsonb NOT NULL DEFAULT '[]'::jsonb,
  ADD COLUMN crm_calls      integer NOT NULL DEFAULT 0,
  -- CRM writes sent (or about to be) for this source: more than one after a 412 (re-read, decided again).
  ADD COLUMN writes_sent    integer NOT NULL DEFAULT 0,
  -- The per-source outcome exactly as returned to the caller (a replay returns it unchanged).
  ADD COLUMN detail         jsonb;

-- Down Migration
ALTER TABLE write_back_log DROP COLUMN actor, DROP COLUMN hub_last_seen, DROP COLUMN value_after, DROP COLUMN read_version,
  DROP COLUMN crm_message, DROP COLUMN refreshed, DROP COLUMN crm_calls, DROP COLUMN writes_sent, DROP COLUMN detail;
ALTER TABLE write_back_log DROP CONSTRAINT write_back_log_outcome_check;
ALTER TABLE write_back_log ADD CONSTRAINT write_back_log_outcome_check CHECK (outcome IN ('written', 'unchanged', 'rejected', 'failed', 'stale'));
ALTER TABLE write_back_log DROP CONSTRAINT write_back_log_one_per_source;
ALTER TABLE write_back_log ADD CONSTRAINT write_back_log_request_id_connection_id_key UNIQUE (request_id, connection_id);
DROP TABLE write_back_requests;
ALTER TABLE attribute_sources DROP COLUMN crm_describe;
