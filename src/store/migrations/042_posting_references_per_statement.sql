-- The postings' two references (003: posting.entry_id → journal_entry, posting.account → account)
-- were foreign keys: PostgreSQL checks a foreign key once per inserted row (a trigger call, an
-- index probe and a row lock on the referenced row, logged), five postings per payment of a
-- payment file, about three quarters of the postings' insert (issue #14 (c)). Now each statement
-- that writes postings checks the references of all its rows at once (a statement-level trigger
-- over its transition table), and the referenced tables refuse, per statement, to lose a row a
-- posting refers to. Same guarantees as the foreign keys:
--
--  * a posting naming an entry or an account that does not exist is refused at the end of its
--    statement with the foreign key's SQLSTATE (23503), constraint name and detail;
--  * the referenced rows are locked FOR KEY SHARE as the foreign key locks them, so a concurrent
--    transaction cannot delete them before this one commits — except entries written by this
--    same transaction, which no other transaction can see, let alone delete (the payment file's
--    case: its entries and their postings are written together; locking them would log a row
--    lock per entry for nothing);
--  * deleting or renaming an account, or deleting or renumbering a journal entry, that a posting
--    refers to is refused (23503), as is TRUNCATE of account while postings exist (journal_entry
--    already refuses TRUNCATE, UPDATE and DELETE: 003, 012).
--
-- The functions run as the owner (SECURITY DEFINER: the service's role may not lock account rows
-- otherwise; it still cannot write account), with a fixed search_path.

ALTER TABLE posting DROP CONSTRAINT posting_entry_id_fkey;
ALTER TABLE posting DROP CONSTRAINT posting_account_fkey;

CREATE FUNCTION posting_references_checked() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
  missing record;
  mine bigint := pg_current_xact_id()::text::bigint % 4294967296;
BEGIN
  -- first locked (as the foreign key locks them), then looked for: a row deleted meanwhile is not found
  PERFORM 1 FROM account a WHERE a.code IN (SELECT DISTINCT account FROM written_rows) ORDER BY a.code FOR KEY SHARE OF a;
  SELECT w.account INTO missing FROM (SELECT DISTINCT account FROM written_rows) w
  WHERE NOT EXISTS (SELECT 1 FROM account a WHERE a.code = w.account) ORDER BY 1 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'insert or update on table "posting" violates foreign key constraint "posting_account_fkey"'
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'posting_account_fkey', TABLE = 'posting',
        DETAIL = format('Key (account)=(%s) is not present in table "account".', missing.account);
  END IF;
  -- entries of other transactions: locked as the foreign key locks them (ours are invisible to the others)
  PERFORM 1 FROM journal_entry j WHERE j.id IN (SELECT DISTINCT entry_id FROM written_rows) AND j.xmin::text::bigint <> mine
  ORDER BY j.id FOR KEY SHARE OF j;
  SELECT w.entry_id INTO missing FROM (SELECT DISTINCT entry_id FROM written_rows) w
  WHERE NOT EXISTS (SELECT 1 FROM journal_entry j WHERE j.id = w.entry_id) ORDER BY 1 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'insert or update on table "posting" violates foreign key constraint "posting_entry_id_fkey"'
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'posting_entry_id_fkey', TABLE = 'posting',
        DETAIL = format('Key (entry_id)=(%s) is not present in table "journal_entry".', missing.entry_id);
  END IF;
  RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION posting_references_checked() FROM PUBLIC;

CREATE TRIGGER posting_references_insert AFTER INSERT ON posting REFERENCING NEW TABLE AS written_rows
  FOR EACH STATEMENT EXECUTE FUNCTION posting_references_checked();
CREATE TRIGGER posting_references_update AFTER UPDATE ON posting REFERENCING NEW TABLE AS written_rows
  FOR EACH STATEMENT EXECUTE FUNCTION posting_references_checked();

-- the referenced side: a row a posting refers to may not go away
CREATE FUNCTION account_still_referenced() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
  gone text;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    IF EXISTS (SELECT 1 FROM posting) THEN
      RAISE EXCEPTION 'cannot truncate a table referenced in a foreign key constraint'
        USING ERRCODE = 'feature_not_supported', DETAIL = 'Table "posting" references "account".';
    END IF;
    RETURN NULL;
  END IF;
  SELECT o.code INTO gone FROM old_rows o
  WHERE NOT EXISTS (SELECT 1 FROM account a WHERE a.code = o.code) AND EXISTS (SELECT 1 FROM posting p WHERE p.account = o.code) ORDER BY 1 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'update or delete on table "account" violates foreign key constraint "posting_account_fkey" on table "posting"'
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'posting_account_fkey', TABLE = 'account',
        DETAIL = format('Key (code)=(%s) is still referenced from table "posting".', gone);
  END IF;
  RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION account_still_referenced() FROM PUBLIC;
CREATE TRIGGER account_referenced_delete AFTER DELETE ON account REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION account_still_referenced();
CREATE TRIGGER account_referenced_update AFTER UPDATE ON account REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION account_still_referenced();
CREATE TRIGGER account_referenced_truncate BEFORE TRUNCATE ON account
  FOR EACH STATEMENT EXECUTE FUNCTION account_still_referenced();

CREATE FUNCTION journal_entry_still_referenced() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
  gone bigint;
BEGIN
  SELECT o.id INTO gone FROM old_rows o
  WHERE NOT EXISTS (SELECT 1 FROM journal_entry j WHERE j.id = o.id) AND EXISTS (SELECT 1 FROM posting p WHERE p.entry_id = o.id) ORDER BY 1 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'update or delete on table "journal_entry" violates foreign key constraint "posting_entry_id_fkey" on table "posting"'
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'posting_entry_id_fkey', TABLE = 'journal_entry',
        DETAIL = format('Key (id)=(%s) is still referenced from table "posting".', gone);
  END IF;
  RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION journal_entry_still_referenced() FROM PUBLIC;
CREATE TRIGGER journal_entry_referenced_delete AFTER DELETE ON journal_entry REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION journal_entry_still_referenced();
CREATE TRIGGER journal_entry_referenced_update AFTER UPDATE ON journal_entry REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION journal_entry_still_referenced();
