-- pgbench script for bench/record.ts part B: the settlement transaction of
-- src/services/settlement-service.ts settle(), statement for statement, without HTTP, Node or the
-- engine. Four round trips, as the service: BEGIN; the lock-and-read (the service's
-- CONTEXT_LOCKED: encounter, hospital, the person's area, enrollment, needy statuses, whether
-- settled, and the person's accumulator row locked FOR UPDATE); one statement of data-modifying
-- CTEs (the service's WRITE_SETTLEMENT: settlement row with its JSON result, accumulator update,
-- journal entry, postings, audit row); COMMIT. Run with -M prepared (the service prepares both
-- statements once per connection).
--
-- The next encounter comes from the sequence bench_encounter_seq (distinct encounters, pre-created
-- for random persons among the town's). The amounts are a fixed split of the encounter's total
-- (basic fund 55 %, the rest cash). -D variables, taken from the HTTP run's own settlements:
--   result  a settlement result JSON of median size    delta   a settlement delta JSON
--   acc     an accumulator document after settlement    detail  an audit detail JSON
BEGIN;
SELECT e.id, e.hospital_code, e.person_id, e.coverage_year, e.type, e.setting, e.date, e.location, e.referred, e.disease,
       e.total_fen, e.full_own_pay_fen, e.over_limit_fen, e.pre_self_pay_fen, e.in_scope_fen, e.lines,
       h.level AS hospital_level, ar.region,
       en.state AS enrollment_state, en.tier, en.benefit_start, en.benefit_end,
       ARRAY(SELECT ns.status FROM needy_status ns
             WHERE ns.person_id = e.person_id AND ns.valid_from <= e.date AND (ns.valid_to IS NULL OR ns.valid_to >= e.date)) AS statuses,
       EXISTS (SELECT 1 FROM settlement s WHERE s.encounter_id = e.id AND s.reversed_at IS NULL) AS settled,
       a.data AS acc
  FROM (SELECT nextval('bench_encounter_seq') AS id) n
  JOIN encounter e ON e.id = n.id
  JOIN hospital h ON h.code = e.hospital_code
  JOIN person p ON p.id = e.person_id
  JOIN admin_area ar ON ar.code = p.village_code
  LEFT JOIN enrollment en ON en.person_id = e.person_id AND en.coverage_year = e.coverage_year
  JOIN accumulator a ON a.person_id = e.person_id AND a.coverage_year = e.coverage_year
 FOR UPDATE OF a \gset c_
\set basic :c_total_fen * 55 / 100
\set cash :c_total_fen - :basic
WITH s AS (
  INSERT INTO settlement (encounter_id, person_id, hospital_code, coverage_year, basic_fund_fen, critical_illness_fen, medical_assistance_fen,
                          cash_fen, total_fen, cash_reason, result, delta, settled_by)
  VALUES (:c_id, :c_person_id, :c_hospital_code, :c_coverage_year, :basic, 0, 0, :cash, :c_total_fen, NULL, :result::jsonb, :delta::jsonb, 'bench_hospital')
  RETURNING id
), u AS (
  UPDATE accumulator SET data = :acc::jsonb, version = version + 1
   WHERE person_id = :c_person_id AND coverage_year = :c_coverage_year
), j AS (
  INSERT INTO journal_entry (memo, source, source_id)
  SELECT '就诊 ' || :c_id || ' 结算（' || :c_hospital_code || '）', 'settlement', id FROM s WHERE :basic::bigint <> 0 RETURNING id
), p AS (
  INSERT INTO posting (entry_id, account, amount_fen)
  SELECT j.id, v.account, v.amount
    FROM j, (VALUES ('basic_fund', :basic::bigint), ('critical_illness_fund', 0::bigint),
                    ('medical_assistance_fund', 0::bigint), ('payable_hospitals', -(:basic::bigint))) AS v(account, amount)
   WHERE v.amount <> 0
), l AS (
  INSERT INTO audit_log (actor, role, action, entity, entity_id, detail) SELECT 'bench_hospital', 'hospital', 'settle', 'settlement', id::text, :detail::jsonb FROM s
)
SELECT id FROM s;
COMMIT;
