-- Up Migration
-- A connection's API budget (P6): what the CRM last reported of its allowance (used of max in a window) and
-- until when it refuses calls (a 429's Retry-After), with the share kept for write-back. One row per
-- connection, created on first use, read and claimed by every worker of the deployment: jobs claim the calls
-- they are about to make with one conditional UPDATE, so two workers never both spend the last of the share.
CREATE TABLE api_budgets (
  connection_id    text PRIMARY KEY REFERENCES crm_connections (id) ON DELETE CASCADE,
  -- Percentage of a daily allowance that jobs leave to write-backs.
  reserve_percent  smallint NOT NULL DEFAULT 10 CHECK (reserve_percent BETWEEN 0 AND 90),
  -- How long a job waiting at the reserve sleeps before it asks the CRM again.
  recheck_seconds  integer NOT NULL DEFAULT 300 CHECK (recheck_seconds BETWEEN 1 AND 86400),
  -- The last report: NULL until the CRM has reported once.
  usage_window     text CHECK (usage_window IN ('day', 'rolling')),
  used             integer,
  max              integer,
  observed_at      timestamptz,
  blocked_until    timestamptz,
  blocked_reason   text,
  updated_at       timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE api_budgets;
