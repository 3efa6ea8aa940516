-- The postings' references (042) checked per statement by the primary key (issue #14 item 10,
-- measured at 100 000 persons with bench/profile-payment-import.ts): `IN (SELECT DISTINCT …
-- FROM written_rows)` was planned as a hash join over every journal entry, a scan of
-- journal_entry per statement — quadratic over a payment file's batches (about half of the
-- postings' insert at 94 000 payments). The distinct entries and accounts are now collected
-- first and looked up by key. Same locks, same refusals (SQLSTATE, constraint, detail).

CREATE OR REPLACE FUNCTION posting_references_checked() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
  missing record;
  mine bigint := pg_current_xact_id()::text::bigint % 4294967296;
  accounts text[] := ARRAY(SELECT DISTINCT account FROM written_rows ORDER BY 1);
  entries bigint[] := ARRAY(SELECT DISTINCT entry_id FROM written_rows ORDER BY 1);
BEGIN
  -- first locked (as the foreign key locks them), then looked for: a row deleted meanwhile is not found
  PERFORM 1 FROM account a WHERE a.code = ANY(accounts) ORDER BY a.code FOR KEY SHARE OF a;
  SELECT w.account INTO missing FROM unnest(accounts) w(account)
  WHERE NOT EXISTS (SELECT 1 FROM account a WHERE a.code = w.account) ORDER BY 1 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'insert or update on table "posting" violates foreign key constraint "posting_account_fkey"'
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'posting_account_fkey', TABLE = 'posting',
        DETAIL = format('Key (account)=(%s) is not present in table "account".', missing.account);
  END IF;
  -- entries of other transactions: locked as the foreign key locks them (ours are invisible to the others)
  PERFORM 1 FROM journal_entry j WHERE j.id = ANY(entries) AND j.xmin::text::bigint <> mine ORDER BY j.id FOR KEY SHARE OF j;
  SELECT w.entry_id INTO missing FROM unnest(entries) w(entry_id)
  WHERE NOT EXISTS (SELECT 1 FROM journal_entry j WHERE j.id = w.entry_id) ORDER BY 1 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'insert or update on table "posting" violates foreign key constraint "posting_entry_id_fkey"'
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'posting_entry_id_fkey', TABLE = 'posting',
        DETAIL = format('Key (entry_id)=(%s) is not present in table "journal_entry".', missing.entry_id);
  END IF;
  RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION posting_references_checked() FROM PUBLIC;
