-- Up Migration
-- Outbound jobs (T3, T5, T6, T18, T19, T29). The hub's own application writes tasks, touchpoints and campaign
-- touches directly, so changes and deletions are detected in the database itself, whoever made them:
-- - updated_at is kept by a trigger: any change of a row's content stamps it with the time of the change,
--   unless the writer sets updated_at itself (a backfill, an import that keeps the source's time). A change
--   of external_id alone is hubsync recording a CRM match, not new content: it leaves updated_at alone.
-- - every deletion (DELETE, or deleted_at set) leaves a tombstone, so the next outbound run can delete the
--   CRM record this hub record was linked to.

CREATE FUNCTION hub_stamp_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.updated_at IS DISTINCT FROM OLD.updated_at THEN
    RETURN NEW;
  END IF;
  IF (to_jsonb(NEW) - 'external_id') = (to_jsonb(OLD) - 'external_id') THEN
    RETURN NEW;
  END IF;
  NEW.updated_at := clock_timestamp();
  RETURN NEW;
END $$;

CREATE TABLE hub_tombstones (
  hub_type    text NOT NULL CHECK (hub_type IN ('task', 'touchpoint', 'campaign_touch')),
  hub_id      bigint NOT NULL,
  account_id  bigint,
  deleted_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (hub_type, hub_id)
);

CREATE FUNCTION hub_record_tombstone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    INSERT INTO hub_tombstones (hub_type, hub_id, account_id) VALUES (TG_ARGV[0], OLD.id, OLD.account_id)
      ON CONFLICT (hub_type, hub_id) DO NOTHING;
    RETURN OLD;
  END IF;
  IF NEW.deleted_at IS NOT NULL AND OLD.deleted_at IS NULL THEN
    INSERT INTO hub_tombstones (hub_type, hub_id, account_id) VALUES (TG_ARGV[0], NEW.id, NEW.account_id)
      ON CONFLICT (hub_type, hub_id) DO NOTHING;
  ELSIF NEW.deleted_at IS NULL AND OLD.deleted_at IS NOT NULL THEN
    -- Restored before an outbound run saw the deletion: nothing to delete any more.
    DELETE FROM hub_tombstones WHERE hub_type = TG_ARGV[0] AND hub_id = NEW.id;
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER tasks_stamp BEFORE UPDATE ON tasks FOR EACH ROW EXECUTE FUNCTION hub_stamp_update();
CREATE TRIGGER touchpoints_stamp BEFORE UPDATE ON touchpoints FOR EACH ROW EXECUTE FUNCTION hub_stamp_update();
CREATE TRIGGER campaign_touches_stamp BEFORE UPDATE ON campaign_touches FOR EACH ROW EXECUTE FUNCTION hub_stamp_update();
CREATE TRIGGER tasks_tombstone AFTER UPDATE OF deleted_at OR DELETE ON tasks FOR EACH ROW EXECUTE FUNCTION hub_record_tombstone('task');
CREATE TRIGGER touchpoints_tombstone AFTER UPDATE OF deleted_at OR DELETE ON touchpoints FOR EACH ROW EXECUTE FUNCTION hub_record_tombstone('touchpoint');
CREATE TRIGGER campaign_touches_tombstone AFTER UPDATE OF deleted_at OR DELETE ON campaign_touches FOR EACH ROW EXECUTE FUNCTION hub_record_tombstone('campaign_touch');

-- A participant change is a change of its touchpoint (T23): it stamps the touchpoint. An inbound page writes
-- participants together with their touchpoint and stamps it itself; it says so with the transaction-local
-- setting hubsync.writer = 'inbound'.
CREATE FUNCTION touchpoint_participants_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('hubsync.writer', true) IS DISTINCT FROM 'inbound' THEN
    UPDATE touchpoints SET updated_at = clock_timestamp()
     WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.touchpoint_id ELSE NEW.touchpoint_id END;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER touchpoint_participants_stamp AFTER INSERT OR UPDATE OR DELETE ON touchpoint_participants
  FOR EACH ROW EXECUTE FUNCTION touchpoint_participants_stamp();

-- Keyset order of outbound reads (T15, T29): (updated_at, id).
DROP INDEX tasks_updated_idx;
DROP INDEX touchpoints_updated_idx;
DROP INDEX campaign_touches_updated_idx;
CREATE INDEX tasks_updated_idx ON tasks (updated_at, id);
CREATE INDEX touchpoints_updated_idx ON touchpoints (updated_at, id);
CREATE INDEX campaign_touches_updated_idx ON campaign_touches (updated_at, id);

-- After an outbound write the CRM's new SystemModstamp is not known until it is read back (with the next
-- page's conflict read): until then the link is marked, and the inbound job treats its stamp as unknown.
ALTER TABLE record_links ADD COLUMN crm_stamp_pending boolean NOT NULL DEFAULT false;
CREATE INDEX record_links_stamp_pending ON record_links (connection_id, crm_object) WHERE crm_stamp_pending;

-- Down Migration
DROP INDEX record_links_stamp_pending;
ALTER TABLE record_links DROP COLUMN crm_stamp_pending;
DROP TRIGGER touchpoint_participants_stamp ON touchpoint_participants;
DROP FUNCTION touchpoint_participants_stamp();
DROP TRIGGER tasks_tombstone ON tasks;
DROP TRIGGER touchpoints_tombstone ON touchpoints;
DROP TRIGGER campaign_touches_tombstone ON campaign_touches;
DROP TRIGGER tasks_stamp ON tasks;
DROP TRIGGER touchpoints_stamp ON touchpoints;
DROP TRIGGER campaign_touches_stamp ON campaign_touches;
DROP FUNCTION hub_record_tombstone();
DROP FUNCTION hub_stamp_update();
DROP TABLE hub_tombstones;
