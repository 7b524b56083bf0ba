-- Up Migration
-- Each committed page of a job run, written in the same transaction as the page's records: a retried or
-- resumed activity that finds its page here reuses the stored result instead of counting the page twice,
-- so run statistics are exact even when a worker dies between a commit and its report (P1).
CREATE TABLE job_run_pages (
  run_id        bigint NOT NULL REFERENCES job_runs (id) ON DELETE CASCADE,
  page_no       integer NOT NULL CHECK (page_no >= 0),
  next_cursor   jsonb NOT NULL,
  result        jsonb NOT NULL,
  committed_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, page_no)
);

-- Two runs of the same job never overlap (P2): at most one running run per job.
CREATE UNIQUE INDEX job_runs_one_running ON job_runs (job_id) WHERE status = 'running';

-- Down Migration
DROP INDEX job_runs_one_running;
DROP TABLE job_run_pages;
