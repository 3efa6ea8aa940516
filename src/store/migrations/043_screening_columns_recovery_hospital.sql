-- Issue #18: the fee line fields the screening reads as columns, and a recovery that the
-- hospital's statement nets.
--
-- 1. fsi_fee: the fields the line rules (FR04–FR07) read were inside the JSON line, taken out of
--    every line of the year at each run. Now columns computed from the line when it is written
--    (generated, so they cannot drift from the line; backfilled for the lines already there by
--    this ALTER), and two 64-bit keys the screening groups on in one pass before it looks at any
--    line: line_key (visit, item, time, quantity, price: FR04's identical lines) and day_key
--    (visit, item, day: FR05's quantity per day). A key only preselects; the rules then group the
--    preselected lines on the fields themselves, so a hash collision cannot make a hit.
ALTER TABLE fsi_fee
  ADD COLUMN med_list_codg text GENERATED ALWAYS AS (line->>'med_list_codg') STORED,
  ADD COLUMN fee_ocur_time text GENERATED ALWAYS AS (line->>'fee_ocur_time') STORED,
  ADD COLUMN cnt numeric GENERATED ALWAYS AS ((line->>'cnt')::numeric) STORED,
  ADD COLUMN pric numeric GENERATED ALWAYS AS ((line->>'pric')::numeric) STORED,
  ADD COLUMN line_key bigint GENERATED ALWAYS AS (hashtextextended(
    mdtrt_id || '|' || coalesce(line->>'med_list_codg', '') || '|' || coalesce(line->>'fee_ocur_time', '') || '|' ||
    coalesce(trim_scale((line->>'cnt')::numeric)::text, '') || '|' || coalesce(trim_scale((line->>'pric')::numeric)::text, ''), 0)) STORED,
  ADD COLUMN day_key bigint GENERATED ALWAYS AS (hashtextextended(
    mdtrt_id || '|' || coalesce(line->>'med_list_codg', '') || '|' || coalesce(left(line->>'fee_ocur_time', 10), ''), 0)) STORED;

-- 2. A confirmed case's recovery (journal_entry.source 'recovery': Dr payable_hospitals) names the
--    hospital that owes it back, and the hospital's next clearing statement deducts it: which
--    statement netted which recovery, each recovery once (append-only like the other clearing rows).
ALTER TABLE journal_entry ADD COLUMN hospital_code text REFERENCES hospital (code);
-- the recoveries posted before: their case's hospital (the one correction of journal_entry rows, here)
ALTER TABLE journal_entry DISABLE TRIGGER journal_entry_append_only;
UPDATE journal_entry j SET hospital_code = c.hospital_code FROM risk_case c WHERE j.source = 'recovery' AND j.source_id = c.id;
ALTER TABLE journal_entry ENABLE TRIGGER journal_entry_append_only;
CREATE INDEX journal_entry_recovery ON journal_entry (hospital_code) WHERE source = 'recovery';

CREATE TABLE clearing_recovery (
  entry_id      bigint PRIMARY KEY REFERENCES journal_entry (id),
  statement_id  bigint NOT NULL REFERENCES clearing_statement (id),
  amount_fen    bigint NOT NULL                   -- what the statement deducted (the entry's payable_hospitals debit)
);
CREATE INDEX clearing_recovery_statement ON clearing_recovery (statement_id);
CREATE TRIGGER clearing_recovery_append_only BEFORE UPDATE OR DELETE ON clearing_recovery FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER clearing_recovery_no_truncate BEFORE TRUNCATE ON clearing_recovery FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
REVOKE UPDATE, DELETE ON clearing_recovery FROM yibao_app;
