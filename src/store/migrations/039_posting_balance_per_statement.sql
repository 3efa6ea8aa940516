-- The ledger's balance check (003: an entry's postings sum to zero, checked at commit) queued
-- one check per posting: at commit a plpgsql call and an index scan for every row, five per
-- payment of a payment file (issue #14 (c)). Now each statement that writes postings queues one
-- check of the entries it touched (a statement-level trigger over its transition table), still
-- deferred to commit, so an entry's postings may still be inserted one statement at a time and
-- an entry that does not balance still rolls the whole transaction back with the same message.
--
-- posting_balance_check holds a queued check for the length of its transaction only (the check
-- removes its row); the service's role cannot touch it: the two functions run as the owner.

CREATE TABLE posting_balance_check (
  id        bigserial PRIMARY KEY,
  entry_ids bigint[] NOT NULL
);
REVOKE ALL ON posting_balance_check FROM yibao_app;
REVOKE ALL ON SEQUENCE posting_balance_check_id_seq FROM yibao_app;

CREATE FUNCTION posting_balance_queue() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
  INSERT INTO posting_balance_check (entry_ids)
  SELECT array_agg(DISTINCT entry_id ORDER BY entry_id) FROM written_rows HAVING count(*) > 0;
  RETURN NULL;
END $$;

CREATE FUNCTION posting_balance_checked() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
  bad record;
BEGIN
  SELECT p.entry_id, sum(p.amount_fen) AS s INTO bad FROM posting p
  WHERE p.entry_id = ANY(NEW.entry_ids) GROUP BY p.entry_id HAVING sum(p.amount_fen) <> 0 ORDER BY p.entry_id LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'journal entry % does not balance (sum % fen)', bad.entry_id, bad.s;
  END IF;
  DELETE FROM posting_balance_check WHERE id = NEW.id;
  RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION posting_balance_queue() FROM PUBLIC;
REVOKE ALL ON FUNCTION posting_balance_checked() FROM PUBLIC;

DROP TRIGGER posting_balanced ON posting;
DROP FUNCTION check_entry_balanced();

-- the trigger on posting keeps its name (the owner may still switch the check off by it)
CREATE TRIGGER posting_balanced AFTER INSERT ON posting REFERENCING NEW TABLE AS written_rows
  FOR EACH STATEMENT EXECUTE FUNCTION posting_balance_queue();
CREATE TRIGGER posting_balanced_update AFTER UPDATE ON posting REFERENCING NEW TABLE AS written_rows
  FOR EACH STATEMENT EXECUTE FUNCTION posting_balance_queue();
CREATE CONSTRAINT TRIGGER posting_balance_checked AFTER INSERT ON posting_balance_check
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION posting_balance_checked();
