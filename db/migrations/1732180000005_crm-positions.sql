-- Up Migration
-- A position the CRM hands out itself, for connectors that read through one (Dataverse change tracking: the
-- `@odata.nextLink` inside a read, the `@odata.deltaLink` after it). When a job's cursor has one, the next
-- incremental run reads from it; the stamp and ID beside it are kept for display.
ALTER TABLE sync_cursors ADD COLUMN position text;

-- Down Migration
ALTER TABLE sync_cursors DROP COLUMN position;
