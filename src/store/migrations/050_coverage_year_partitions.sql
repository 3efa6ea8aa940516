-- Encounters, settlements and ledger postings partitioned by coverage year (issue #20 item 7):
-- PARTITION BY LIST (coverage_year), one partition per year (<table>_y<year>) and a DEFAULT
-- partition (<table>_default) for a year nobody opened, which stays empty in normal running. A
-- province-sized area's hot year is then one partition of each table, its indexes that year's
-- only; a query naming the year reads that partition alone (partition pruning).
--
-- A year's partitions are made by open_coverage_year(year) (SECURITY DEFINER: the service's role
-- calls it, the owner owns them): the service calls it for every year its policy packs cover and
-- the next, and the first time it writes an encounter or a posting of a year (src/store/partitions.ts).
--
-- Existing rows are moved here: each table is renamed, the partitioned table made in its place with
-- the same columns, defaults, checks, keys, indexes, triggers and privileges, the rows copied into
-- their year's partition, the old table dropped. posting gains coverage_year: the year of the
-- settlement, payment, enrollment, transfer, receipt, case or statement its journal entry records,
-- else the calendar year of the entry.
--
-- What changes in the guarantees (PostgreSQL's unique indexes on a partitioned table must include
-- the partition key):
--  * Primary keys become (id, coverage_year); each id stays unique across years: ids are drawn from
--    the tables' sequences, and a statement-level trigger refuses an id taken in another year.
--  * encounter (hospital_code, external_id) and (setl_id), settlement_live_visit (visit,
--    visit_part): unique within a year by the index; across years by a statement-level trigger
--    that takes a transaction lock on the key first (so two writers of one key in two years are
--    serialised and the second one sees the first), raising the same unique_violation with the
--    constraint's name. settlement_live (encounter_id) stays an index: a settlement's year is its
--    encounter's (the foreign key below) and an encounter id is unique.
--  * settlement -> encounter is a real foreign key, on (encounter_id, coverage_year).
--  * The foreign keys of other tables to encounter (id) and settlement (id) (clearing_item,
--    risk_warning, drg_case, drg_case_payment, area_settlement) cannot name a partitioned table's
--    id alone: each becomes a constraint trigger of the same name, checked at the end of the
--    statement as a foreign key is; a settlement is never deleted (settlement_never_deleted), and
--    an encounter still referenced cannot be deleted nor its id changed (encounter_referenced).
--  * The unique violations name the partition's index: <index>__y<year> (or __default), so the
--    service recognises an index by its name with that suffix (src/store/pg-errors.ts).

-- Names a partition's indexes after its parent's: <parent index>__<suffix>.
CREATE FUNCTION partition_indexes_named(part regclass, suffix text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  ix record;
BEGIN
  FOR ix IN
    SELECT c.relname AS child, pc.relname AS parent
      FROM pg_index i
      JOIN pg_class c ON c.oid = i.indexrelid
      JOIN pg_inherits h ON h.inhrelid = c.oid
      JOIN pg_class pc ON pc.oid = h.inhparent
     WHERE i.indrelid = part
  LOOP
    IF ix.child <> ix.parent || '__' || suffix THEN
      EXECUTE format('ALTER INDEX %I RENAME TO %I', ix.child, ix.parent || '__' || suffix);
    END IF;
  END LOOP;
END $$;
REVOKE ALL ON FUNCTION partition_indexes_named(regclass, text) FROM PUBLIC;

-- The partitions of one coverage year, made where missing; answers the ones it made. A year whose
-- rows already sit in a DEFAULT partition is left there (a warning says so): its partition cannot
-- be made over them, and the rows are as valid there.
CREATE FUNCTION open_coverage_year(y int) RETURNS text[] LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
  t text;
  p text;
  stuck boolean;
  made text[] := '{}';
BEGIN
  IF y IS NULL OR y < 2000 OR y > 2999 THEN
    RAISE EXCEPTION 'coverage year %: partitions are made for the years 2000 to 2999', y USING ERRCODE = 'invalid_parameter_value';
  END IF;
  FOREACH t IN ARRAY ARRAY['encounter', 'settlement', 'posting'] LOOP
    p := format('%s_y%s', t, y);
    CONTINUE WHEN to_regclass(p) IS NOT NULL;
    PERFORM pg_advisory_xact_lock(2022050);     -- one maker at a time (another process, another database session)
    CONTINUE WHEN to_regclass(p) IS NOT NULL;
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE coverage_year = $1)', t || '_default') INTO stuck USING y;
    IF stuck THEN
      RAISE WARNING '% rows of coverage year % are in %; the year''s partition is not made over them', t, y, t || '_default';
      CONTINUE;
    END IF;
    EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES IN (%s)', p, t, y);
    -- the service reaches the rows through the parent only (its statement triggers: the balance
    -- check, the keys across years), never the partition itself (default privileges gave it DML)
    EXECUTE format('REVOKE ALL ON %I FROM yibao_app', p);
    PERFORM partition_indexes_named(p::regclass, 'y' || y);
    made := made || p;
  END LOOP;
  RETURN made;
END $$;
REVOKE ALL ON FUNCTION open_coverage_year(int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION open_coverage_year(int) TO yibao_app;

-- The privileges others held on a table, given on its successor (the successor's own first taken back).
CREATE FUNCTION pg_temp.privileges_copied(src regclass, dst regclass) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT DISTINCT g.rolname FROM pg_class c, aclexplode(c.relacl) a JOIN pg_roles g ON g.oid = a.grantee
            WHERE c.oid = dst AND a.grantee <> c.relowner LOOP
    EXECUTE format('REVOKE ALL ON %s FROM %I', dst, r.rolname);
  END LOOP;
  FOR r IN SELECT a.privilege_type, g.rolname FROM pg_class c, aclexplode(c.relacl) a JOIN pg_roles g ON g.oid = a.grantee
            WHERE c.oid = src AND a.grantee <> c.relowner LOOP
    EXECUTE format('GRANT %s ON %s TO %I', r.privilege_type, dst, r.rolname);
  END LOOP;
  FOR r IN SELECT at.attname, a.privilege_type, g.rolname FROM pg_attribute at, aclexplode(at.attacl) a JOIN pg_roles g ON g.oid = a.grantee
            WHERE at.attrelid = src AND at.attacl IS NOT NULL AND NOT at.attisdropped LOOP
    EXECUTE format('GRANT %s (%I) ON %s TO %I', r.privilege_type, r.attname, dst, r.rolname);
  END LOOP;
END $$;

-- What depends on the old tables goes first: the screening's view (made again below) and the
-- foreign keys to them.
DROP VIEW risk_settled;
ALTER TABLE settlement DROP CONSTRAINT settlement_encounter_id_fkey;
ALTER TABLE clearing_item DROP CONSTRAINT clearing_item_settlement_id_fkey;
ALTER TABLE risk_warning DROP CONSTRAINT risk_warning_settlement_id_fkey;
ALTER TABLE drg_case DROP CONSTRAINT drg_case_encounter_id_fkey;
ALTER TABLE drg_case DROP CONSTRAINT drg_case_settlement_id_fkey;
ALTER TABLE drg_case_payment DROP CONSTRAINT drg_case_payment_encounter_id_fkey;
ALTER TABLE drg_case_payment DROP CONSTRAINT drg_case_payment_settlement_id_fkey;
ALTER TABLE area_settlement DROP CONSTRAINT area_settlement_encounter_id_fkey;
ALTER TABLE area_settlement DROP CONSTRAINT area_settlement_settlement_id_fkey;

-- Each posting's coverage year, from what its journal entry records.
CREATE TEMP TABLE entry_year ON COMMIT DROP AS
SELECT je.id, COALESCE(
    CASE WHEN je.source IN ('settlement', 'reversal') THEN (SELECT s.coverage_year FROM settlement s WHERE s.id = je.source_id) END,
    CASE WHEN je.source IN ('payment', 'assistance') THEN (SELECT en.coverage_year FROM payment pm JOIN enrollment en ON en.id = pm.enrollment_id WHERE pm.id = je.source_id) END,
    CASE WHEN je.source = 'subsidy' THEN (SELECT en.coverage_year FROM enrollment en WHERE en.id = je.source_id) END,
    CASE WHEN je.source IN ('drg_prepayment', 'drg_clearing') THEN (SELECT r.coverage_year FROM drg_payment_run r WHERE r.id = je.source_id) END,
    (SELECT min(ft.coverage_year) FROM fund_transfer ft WHERE ft.entry_id = je.id),
    (SELECT min(fr.coverage_year) FROM fund_receipt fr WHERE fr.entry_id = je.id),
    (SELECT min(aa.coverage_year) FROM assistance_application aa WHERE aa.entry_id = je.id),
    (SELECT min(rc.coverage_year) FROM risk_case rc WHERE rc.recovery_entry = je.id),
    (SELECT min(left(st.month, 4)::int) FROM clearing_payment cp JOIN clearing_statement st ON st.id = cp.statement_id WHERE cp.entry_id = je.id),
    (SELECT min(left(ac.month, 4)::int) FROM area_clearing ac WHERE ac.entry_id = je.id),
    extract(year FROM je.at)::int) AS coverage_year
  FROM journal_entry je;
ALTER TABLE entry_year ADD PRIMARY KEY (id);

-- The old tables step aside, their keys and indexes dropped so that their names are free.
ALTER TABLE encounter RENAME TO encounter_unpartitioned;
ALTER TABLE encounter_unpartitioned DROP CONSTRAINT encounter_pkey, DROP CONSTRAINT encounter_hospital_code_external_id_key;
DROP INDEX encounter_person, encounter_setl_id, encounter_visit;
ALTER TABLE settlement RENAME TO settlement_unpartitioned;
ALTER TABLE settlement_unpartitioned DROP CONSTRAINT settlement_pkey;
DROP INDEX settlement_encounter, settlement_live, settlement_live_visit, settlement_person, settlement_visit;
ALTER TABLE posting RENAME TO posting_unpartitioned;
ALTER TABLE posting_unpartitioned DROP CONSTRAINT posting_pkey;
DROP INDEX posting_entry, posting_account;

-- encounter
CREATE TABLE encounter (LIKE encounter_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY LIST (coverage_year);
ALTER TABLE encounter ADD PRIMARY KEY (id, coverage_year);
ALTER TABLE encounter ADD CONSTRAINT encounter_hospital_code_external_id_key UNIQUE (hospital_code, external_id, coverage_year);
ALTER TABLE encounter ADD CONSTRAINT encounter_hospital_code_fkey FOREIGN KEY (hospital_code) REFERENCES hospital (code);
ALTER TABLE encounter ADD CONSTRAINT encounter_person_id_fkey FOREIGN KEY (person_id) REFERENCES person (id);
CREATE INDEX encounter_person ON encounter (person_id, coverage_year);
CREATE UNIQUE INDEX encounter_setl_id ON encounter (setl_id, coverage_year) WHERE setl_id IS NOT NULL;
CREATE INDEX encounter_visit ON encounter (visit) WHERE visit IS NOT NULL;
ALTER SEQUENCE encounter_id_seq OWNED BY encounter.id;

-- settlement
CREATE TABLE settlement (LIKE settlement_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY LIST (coverage_year);
ALTER TABLE settlement ADD PRIMARY KEY (id, coverage_year);
ALTER TABLE settlement ADD CONSTRAINT settlement_encounter_id_fkey FOREIGN KEY (encounter_id, coverage_year) REFERENCES encounter (id, coverage_year);
ALTER TABLE settlement ADD CONSTRAINT settlement_hospital_code_fkey FOREIGN KEY (hospital_code) REFERENCES hospital (code);
ALTER TABLE settlement ADD CONSTRAINT settlement_person_id_fkey FOREIGN KEY (person_id) REFERENCES person (id);
CREATE INDEX settlement_encounter ON settlement (encounter_id);
CREATE UNIQUE INDEX settlement_live ON settlement (encounter_id, coverage_year) WHERE reversed_at IS NULL;
CREATE UNIQUE INDEX settlement_live_visit ON settlement (visit, visit_part, coverage_year) WHERE reversed_at IS NULL AND visit IS NOT NULL;
CREATE INDEX settlement_person ON settlement (person_id, coverage_year);
CREATE INDEX settlement_visit ON settlement (visit) WHERE visit IS NOT NULL;
ALTER SEQUENCE settlement_id_seq OWNED BY settlement.id;

-- posting
CREATE TABLE posting (LIKE posting_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
  coverage_year int NOT NULL DEFAULT extract(year FROM current_date)::int) PARTITION BY LIST (coverage_year);
ALTER TABLE posting ADD PRIMARY KEY (id, coverage_year);
-- its references to journal_entry and account are checked per statement (042), not as foreign keys
CREATE TRIGGER posting_references_insert AFTER INSERT ON posting REFERENCING NEW TABLE AS written_rows
  FOR EACH STATEMENT EXECUTE FUNCTION posting_references_checked();
CREATE TRIGGER posting_references_update AFTER UPDATE ON posting REFERENCING NEW TABLE AS written_rows
  FOR EACH STATEMENT EXECUTE FUNCTION posting_references_checked();
CREATE INDEX posting_entry ON posting (entry_id);
CREATE INDEX posting_account ON posting (account, coverage_year);
ALTER SEQUENCE posting_id_seq OWNED BY posting.id;

-- the partitions: a DEFAULT one each, and one per year present in the rows
CREATE TABLE encounter_default PARTITION OF encounter DEFAULT;
CREATE TABLE settlement_default PARTITION OF settlement DEFAULT;
CREATE TABLE posting_default PARTITION OF posting DEFAULT;
REVOKE ALL ON encounter_default, settlement_default, posting_default FROM yibao_app;
GRANT SELECT ON encounter_default, settlement_default, posting_default TO yibao_app;   -- for /health: the DEFAULT partitions stay empty
SELECT partition_indexes_named(t::regclass, 'default') FROM unnest(ARRAY['encounter_default', 'settlement_default', 'posting_default']) t;
SELECT open_coverage_year(y) FROM (
  SELECT coverage_year AS y FROM encounter_unpartitioned
  UNION SELECT coverage_year FROM settlement_unpartitioned
  UNION SELECT ey.coverage_year FROM posting_unpartitioned p JOIN entry_year ey ON ey.id = p.entry_id
) years WHERE y BETWEEN 2000 AND 2999 ORDER BY y;

-- the rows, into their partitions (the triggers below are made after: these rows were checked when written)
INSERT INTO encounter SELECT * FROM encounter_unpartitioned;
INSERT INTO settlement SELECT * FROM settlement_unpartitioned;
INSERT INTO posting (id, entry_id, account, amount_fen, coverage_year)
SELECT p.id, p.entry_id, p.account, p.amount_fen, ey.coverage_year FROM posting_unpartitioned p JOIN entry_year ey ON ey.id = p.entry_id;

SELECT pg_temp.privileges_copied('encounter_unpartitioned', 'encounter');
SELECT pg_temp.privileges_copied('settlement_unpartitioned', 'settlement');
SELECT pg_temp.privileges_copied('posting_unpartitioned', 'posting');

DROP TABLE encounter_unpartitioned, settlement_unpartitioned, posting_unpartitioned;

-- Keys unique across years (see the head of this file). A statement's new rows, checked once at
-- its end; the key's transaction lock serialises two writers of one key.
CREATE FUNCTION encounter_keys_across_years() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad record;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('encounter ' || k.key, 2022050))
     FROM (SELECT DISTINCT n.hospital_code || ' ' || n.external_id AS key FROM new_rows n WHERE n.external_id IS NOT NULL
           UNION SELECT DISTINCT 'setl ' || n.setl_id FROM new_rows n WHERE n.setl_id IS NOT NULL ORDER BY 1) k;
  SELECT n.id INTO bad FROM new_rows n JOIN encounter e ON e.id = n.id AND e.coverage_year <> n.coverage_year LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'duplicate key value violates unique constraint "encounter_pkey"' USING ERRCODE = 'unique_violation', CONSTRAINT = 'encounter_pkey',
      DETAIL = format('Key (id)=(%s) already exists in another coverage year.', bad.id);
  END IF;
  SELECT n.hospital_code, n.external_id INTO bad FROM new_rows n
    JOIN encounter e ON e.hospital_code = n.hospital_code AND e.external_id = n.external_id AND e.coverage_year <> n.coverage_year
   WHERE n.external_id IS NOT NULL LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'duplicate key value violates unique constraint "encounter_hospital_code_external_id_key"' USING ERRCODE = 'unique_violation',
      CONSTRAINT = 'encounter_hospital_code_external_id_key', DETAIL = format('Key (hospital_code, external_id)=(%s, %s) already exists in another coverage year.', bad.hospital_code, bad.external_id);
  END IF;
  SELECT n.setl_id INTO bad FROM new_rows n JOIN encounter e ON e.setl_id = n.setl_id AND e.coverage_year <> n.coverage_year WHERE n.setl_id IS NOT NULL LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'duplicate key value violates unique constraint "encounter_setl_id"' USING ERRCODE = 'unique_violation', CONSTRAINT = 'encounter_setl_id',
      DETAIL = format('Key (setl_id)=(%s) already exists in another coverage year.', bad.setl_id);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER encounter_keys_across_years AFTER INSERT ON encounter REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION encounter_keys_across_years();

CREATE FUNCTION settlement_keys_across_years() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad record;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('visit ' || k.key, 2022050))
     FROM (SELECT DISTINCT n.visit || ' ' || n.visit_part AS key FROM new_rows n
            WHERE n.visit IS NOT NULL AND n.visit_part IS NOT NULL AND n.reversed_at IS NULL ORDER BY 1) k;
  SELECT n.id INTO bad FROM new_rows n JOIN settlement s ON s.id = n.id AND s.coverage_year <> n.coverage_year LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'duplicate key value violates unique constraint "settlement_pkey"' USING ERRCODE = 'unique_violation', CONSTRAINT = 'settlement_pkey',
      DETAIL = format('Key (id)=(%s) already exists in another coverage year.', bad.id);
  END IF;
  SELECT n.visit, n.visit_part INTO bad FROM new_rows n
    JOIN settlement s ON s.visit = n.visit AND s.visit_part = n.visit_part AND s.reversed_at IS NULL AND s.coverage_year <> n.coverage_year
   WHERE n.visit IS NOT NULL AND n.reversed_at IS NULL LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'duplicate key value violates unique constraint "settlement_live_visit"' USING ERRCODE = 'unique_violation', CONSTRAINT = 'settlement_live_visit',
      DETAIL = format('Key (visit, visit_part)=(%s, %s) already has a live settlement in another coverage year.', bad.visit, bad.visit_part);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER settlement_keys_across_years AFTER INSERT ON settlement REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION settlement_keys_across_years();

-- refuse_change() (003) names the table refused: a partition's trigger names its partitioned table
CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', COALESCE((SELECT c.relname FROM pg_class c WHERE c.oid = pg_partition_root(TG_RELID)), TG_TABLE_NAME);
END $$;

-- settlement's triggers (012), made again on the partitioned table (each row trigger is cloned onto every partition)
CREATE TRIGGER settlement_reversal_only BEFORE UPDATE ON settlement FOR EACH ROW EXECUTE FUNCTION settlement_reversal_only();
CREATE TRIGGER settlement_never_deleted BEFORE DELETE ON settlement FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER settlement_no_truncate BEFORE TRUNCATE ON settlement FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- posting's (003, 012, 039): append-only, never emptied, each statement's entries checked to balance at commit
CREATE TRIGGER posting_append_only BEFORE UPDATE OR DELETE ON posting FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER posting_no_truncate BEFORE TRUNCATE ON posting FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER posting_balanced AFTER INSERT ON posting REFERENCING NEW TABLE AS written_rows
  FOR EACH STATEMENT EXECUTE FUNCTION posting_balance_queue();
CREATE TRIGGER posting_balanced_update AFTER UPDATE ON posting REFERENCING NEW TABLE AS written_rows
  FOR EACH STATEMENT EXECUTE FUNCTION posting_balance_queue();

-- The foreign keys of other tables to an encounter or a settlement by its id: checked at the end
-- of the statement that writes the row, as a foreign key is.
CREATE FUNCTION row_referenced_exists() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v bigint := (to_jsonb(NEW) ->> TG_ARGV[0])::bigint;
  found_it boolean;
BEGIN
  IF v IS NULL THEN
    RETURN NULL;
  END IF;
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE id = $1)', TG_ARGV[1]) INTO found_it USING v;
  IF NOT found_it THEN
    RAISE EXCEPTION 'insert or update on table "%" violates foreign key constraint "%"', TG_TABLE_NAME, TG_NAME
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = TG_NAME, DETAIL = format('Key (%s)=(%s) is not present in table "%s".', TG_ARGV[0], v, TG_ARGV[1]);
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER clearing_item_settlement_id_fkey AFTER INSERT OR UPDATE ON clearing_item FOR EACH ROW EXECUTE FUNCTION row_referenced_exists('settlement_id', 'settlement');
CREATE CONSTRAINT TRIGGER risk_warning_settlement_id_fkey AFTER INSERT OR UPDATE ON risk_warning FOR EACH ROW EXECUTE FUNCTION row_referenced_exists('settlement_id', 'settlement');
CREATE CONSTRAINT TRIGGER drg_case_encounter_id_fkey AFTER INSERT OR UPDATE ON drg_case FOR EACH ROW EXECUTE FUNCTION row_referenced_exists('encounter_id', 'encounter');
CREATE CONSTRAINT TRIGGER drg_case_settlement_id_fkey AFTER INSERT OR UPDATE ON drg_case FOR EACH ROW EXECUTE FUNCTION row_referenced_exists('settlement_id', 'settlement');
CREATE CONSTRAINT TRIGGER drg_case_payment_encounter_id_fkey AFTER INSERT OR UPDATE ON drg_case_payment FOR EACH ROW EXECUTE FUNCTION row_referenced_exists('encounter_id', 'encounter');
CREATE CONSTRAINT TRIGGER drg_case_payment_settlement_id_fkey AFTER INSERT OR UPDATE ON drg_case_payment FOR EACH ROW EXECUTE FUNCTION row_referenced_exists('settlement_id', 'settlement');
CREATE CONSTRAINT TRIGGER area_settlement_encounter_id_fkey AFTER INSERT OR UPDATE ON area_settlement FOR EACH ROW EXECUTE FUNCTION row_referenced_exists('encounter_id', 'encounter');
CREATE CONSTRAINT TRIGGER area_settlement_settlement_id_fkey AFTER INSERT OR UPDATE ON area_settlement FOR EACH ROW EXECUTE FUNCTION row_referenced_exists('settlement_id', 'settlement');

-- The other side of those keys: an encounter they name is not deleted nor its id changed (a
-- settlement is never deleted, nor its id changed: settlement_never_deleted, settlement_reversal_only).
CREATE FUNCTION encounter_referenced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.id = OLD.id THEN
    RETURN NEW;
  END IF;
  IF EXISTS (SELECT 1 FROM drg_case WHERE encounter_id = OLD.id) OR EXISTS (SELECT 1 FROM drg_case_payment WHERE encounter_id = OLD.id)
     OR EXISTS (SELECT 1 FROM area_settlement WHERE encounter_id = OLD.id) THEN
    RAISE EXCEPTION 'encounter % is still referenced (DRG case, DRG payment or cross-area settlement)', OLD.id
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE TRIGGER encounter_referenced BEFORE UPDATE OF id OR DELETE ON encounter FOR EACH ROW EXECUTE FUNCTION encounter_referenced();

-- the screening's view (027), as it was, its join naming the year (one partition of encounter per settlement's year)
CREATE VIEW risk_settled AS
SELECT s.id AS settlement_id, s.encounter_id, s.person_id, s.hospital_code, s.coverage_year,
       s.total_fen, s.basic_fund_fen, s.critical_illness_fen, s.medical_assistance_fen, s.cash_fen,
       s.basic_fund_fen + s.critical_illness_fen + s.medical_assistance_fen AS fund_fen,
       e.type, e.date AS adm_date,
       COALESCE(NULLIF(left(m.endtime, 10), '')::date, e.date) AS dscg_date,
       COALESCE(m.dise_codg, e.disease) AS diagnosis, e.visit, COALESCE(e.visit_part, '') AS visit_part
  FROM settlement s
  JOIN encounter e ON e.id = s.encounter_id AND e.coverage_year = s.coverage_year
  LEFT JOIN fsi_mdtrt m ON m.mdtrt_id = e.visit
 WHERE s.reversed_at IS NULL;
GRANT SELECT ON risk_settled TO yibao_app;
