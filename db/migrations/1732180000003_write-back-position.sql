-- Up Migration
-- The place of a write-back in its account workflow's queue, as that workflow received it (W14): the log
-- shows the order write-backs to one account were applied in, and this the order they were received in.
ALTER TABLE write_back_log ADD COLUMN received_position integer;

-- Down Migration
ALTER TABLE write_back_log DROP COLUMN received_position;
