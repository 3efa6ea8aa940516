-- pgbench script for bench/record.ts part B: a settlement transaction of the same shape as the
-- service's, written the plain way, one statement per step (eight round trips):
-- read and lock the accumulators, insert the settlement (its JSON result), update the
-- accumulators, insert the journal entry (its id by \gset), insert its postings, insert the
-- audit row. A random person among the town's (-D pmin, pmax) and the next pre-created encounter
-- from bench_encounter_seq. -D result, delta, acc, detail: as settle-service.sql (bench/record/pgbench-scripts.ts).
\set pid random(:pmin, :pmax)
\set total random(5000, 500000)
\set basic :total * 55 / 100
\set cash :total - :basic
\set credit 0 - :basic
BEGIN;
SELECT data FROM accumulator WHERE person_id = :pid AND coverage_year = 2022 FOR UPDATE;
INSERT INTO settlement (encounter_id, person_id, hospital_code, coverage_year, basic_fund_fen, critical_illness_fen, medical_assistance_fen,
                        cash_fen, total_fen, cash_reason, result, delta, settled_by)
VALUES (nextval('bench_encounter_seq'), :pid, 'H50023002', 2022, :basic, 0, 0, :cash, :total, NULL, :result::jsonb, :delta::jsonb, 'bench_hospital')
RETURNING id AS sid, encounter_id AS eid \gset
UPDATE accumulator SET data = :acc::jsonb, version = version + 1 WHERE person_id = :pid AND coverage_year = 2022;
INSERT INTO journal_entry (memo, source, source_id) VALUES ('就诊 ' || :eid || ' 结算（H50023002）', 'settlement', :sid) RETURNING id AS jid \gset
INSERT INTO posting (entry_id, account, amount_fen, coverage_year) VALUES (:jid, 'basic_fund', :basic, 2022), (:jid, 'payable_hospitals', :credit, 2022);
INSERT INTO audit_log (actor, role, action, entity, entity_id, detail) VALUES ('bench_hospital', 'hospital', 'settle', 'settlement', :sid, :detail::jsonb);
COMMIT;
