-- The service's own role, yibao_app (issue #11 item 12). Migrations run as the configured
-- connection's user, who owns the tables; the service's pools run as yibao_app (src/store/db.ts:
-- `-c role=yibao_app` on the owner's connections, or a DATABASE_APP_URL login that is a member).
-- yibao_app owns nothing, so it can neither TRUNCATE, nor DISABLE TRIGGER, nor ALTER or DROP
-- any table, and it holds exactly the privileges the service's statements need: on the books
-- (audit_log, journal_entry, posting, fund_transfer, payment) and the register history only
-- SELECT and INSERT; on settlement and accumulator only the columns the service updates
-- (src/settlement/settlement-store.ts, reversal.ts), with triggers that allow only the changes
-- those functions make; on the other tables the statement kinds the service runs on them.

-- The role: a NOLOGIN role of the cluster (roles are shared by every database of a server).
DO $$
DECLARE
  me record;
BEGIN
  SELECT rolname, rolsuper, rolcreaterole INTO me FROM pg_roles WHERE rolname = current_user;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'yibao_app') THEN
    IF NOT (me.rolsuper OR me.rolcreaterole) THEN
      RAISE EXCEPTION 'the database owner % may not create roles, and the service''s role yibao_app does not exist', me.rolname
        USING HINT = format('ask the database administrator to run: CREATE ROLE yibao_app NOLOGIN; GRANT yibao_app TO %I; then start the service again', me.rolname);
    END IF;
    BEGIN
      CREATE ROLE yibao_app NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL; -- made meanwhile by the migration of another database of the same server
    END;
  END IF;
  -- the owner takes the role at connection start (SET ROLE): a superuser may take any role;
  -- another owner must be a member (from PostgreSQL 16 on, with the SET option)
  IF NOT me.rolsuper THEN
    BEGIN
      IF current_setting('server_version_num')::int >= 160000 THEN
        IF NOT pg_has_role(current_user, 'yibao_app', 'SET') THEN
          EXECUTE format('GRANT yibao_app TO %I WITH SET TRUE', me.rolname);
        END IF;
      ELSIF NOT pg_has_role(current_user, 'yibao_app', 'MEMBER') THEN
        EXECUTE format('GRANT yibao_app TO %I', me.rolname);
      END IF;
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE EXCEPTION 'the database owner % is not a member of the role yibao_app and may not make itself one', me.rolname
        USING HINT = format('ask the database administrator to run: GRANT yibao_app TO %I', me.rolname);
    END;
  END IF;
END $$;

-- From nothing: whatever yibao_app held on these tables before is taken back first.
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM yibao_app;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM yibao_app;
GRANT USAGE ON SCHEMA public TO yibao_app;
-- ids are drawn from the tables' sequences (nextval)
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO yibao_app;

-- the books and the history: written once, read, never changed or removed
GRANT SELECT, INSERT ON audit_log, journal_entry, posting, fund_transfer, payment, register_history TO yibao_app;

-- settlements: inserted; a reversal sets the reversal columns, once (trigger below); never deleted
GRANT SELECT, INSERT ON settlement TO yibao_app;
GRANT UPDATE (reversed_at, reversed_by) ON settlement TO yibao_app;
-- the platform's reversal reference (a migration of its own adds the column)
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'settlement' AND column_name = 'reversal_ref') THEN
    GRANT UPDATE (reversal_ref) ON settlement TO yibao_app;
  END IF;
END $$;

-- accumulators: created empty, then moved on by settlements and reversals (data and version only)
GRANT SELECT, INSERT ON accumulator TO yibao_app;
GRANT UPDATE (data, version) ON accumulator TO yibao_app;

-- read only: the chart of accounts (made by migrations)
GRANT SELECT ON account TO yibao_app;

-- inserted and read, never changed by the service
GRANT SELECT, INSERT ON admin_area, hospital, encounter, employee_insurance, app_user, schema_meta TO yibao_app;

-- changed by the service in place (each table's UPDATE statements: registers, campaign, access, platform)
GRANT SELECT, INSERT, UPDATE ON household, person, needy_status, import_batch, enrollment, duplicate_flag, api_token,
  fsi_hospital, fsi_sign_in, fsi_mdtrt, fsi_fee, fsi_message TO yibao_app;

-- Tables made by other migrations (before this one, and after it by default privileges) get the
-- ordinary statements; a migration that makes an append-only table takes UPDATE and DELETE
-- back on it (REVOKE UPDATE, DELETE … FROM yibao_app) and adds refuse_change().
DO $$
DECLARE
  t text;
BEGIN
  FOR t IN
    SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
       AND NOT has_table_privilege('yibao_app', c.oid, 'SELECT')
       AND c.relname <> 'schema_migration'
  LOOP
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO yibao_app', t);
  END LOOP;
END $$;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO yibao_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE ON SEQUENCES TO yibao_app;

-- Nobody creates tables in the schema but its owner (already so from PostgreSQL 15 on).
DO $$
BEGIN
  REVOKE CREATE ON SCHEMA public FROM PUBLIC;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'CREATE on schema public stays granted to PUBLIC (the owner of the schema may revoke it)';
END $$;

-- A settlement's amounts, person, encounter and answer never change; an UPDATE can only record
-- its reversal, once: reversed_at set (never back to null), and each reversal column, once
-- set, kept. For the owner too.
CREATE FUNCTION settlement_reversal_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  o jsonb := to_jsonb(OLD);
  n jsonb := to_jsonb(NEW);
  c text;
BEGIN
  IF (o - 'reversed_at' - 'reversed_by' - 'reversal_ref') IS DISTINCT FROM (n - 'reversed_at' - 'reversed_by' - 'reversal_ref') THEN
    RAISE EXCEPTION 'settlement %: only its reversal may be recorded; its amounts, person, encounter and answer never change', OLD.id
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF NEW.reversed_at IS NULL THEN
    RAISE EXCEPTION 'settlement %: %', OLD.id, CASE WHEN OLD.reversed_at IS NULL THEN 'a change of a settlement records its reversal (reversed_at)' ELSE 'a reversal cannot be undone' END
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  FOREACH c IN ARRAY ARRAY['reversed_at', 'reversed_by', 'reversal_ref'] LOOP
    IF o ->> c IS NOT NULL AND (n ->> c) IS DISTINCT FROM (o ->> c) THEN
      RAISE EXCEPTION 'settlement %: already reversed (% is set once)', OLD.id, c USING ERRCODE = 'integrity_constraint_violation';
    END IF;
  END LOOP;
  RETURN NEW;
END $$;
CREATE TRIGGER settlement_reversal_only BEFORE UPDATE ON settlement FOR EACH ROW EXECUTE FUNCTION settlement_reversal_only();
CREATE TRIGGER settlement_never_deleted BEFORE DELETE ON settlement FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- An accumulator belongs to one person and year, and every change moves its version up: by one
-- per settlement written (a statement writing k settlements of the person moves it by k) and by
-- one per reversal. A version kept or moved back would let a settlement computed on an older
-- state be written over a newer one.
CREATE FUNCTION accumulator_version_moves_up() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.person_id IS DISTINCT FROM OLD.person_id OR NEW.coverage_year IS DISTINCT FROM OLD.coverage_year THEN
    RAISE EXCEPTION 'accumulator of person % for %: its person and year never change', OLD.person_id, OLD.coverage_year
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF NEW.version IS NULL OR NEW.version <= OLD.version THEN
    RAISE EXCEPTION 'accumulator of person % for %: every change moves its version up (it is %, not %)', OLD.person_id, OLD.coverage_year, OLD.version, NEW.version
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER accumulator_version_moves_up BEFORE UPDATE ON accumulator FOR EACH ROW EXECUTE FUNCTION accumulator_version_moves_up();

-- The books are never emptied in one statement, by the owner either (yibao_app may not TRUNCATE at all).
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER journal_entry_no_truncate BEFORE TRUNCATE ON journal_entry FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER posting_no_truncate BEFORE TRUNCATE ON posting FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER fund_transfer_no_truncate BEFORE TRUNCATE ON fund_transfer FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER settlement_no_truncate BEFORE TRUNCATE ON settlement FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
