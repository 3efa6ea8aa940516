-- 户籍类型 (issue #13 item 8): a person's residence registration, rural (农业, 农村) or urban
-- (非农业, 城镇); null where the register does not say (the quote then uses the pack's
-- assumption and warns). Kept in register_history with the other person fields.
--
-- The employee-insurance list may also say when a person's employee insurance ended
-- (职工医保终止日期): such a person is not a duplicate enrollment but one who moves from
-- employee to resident insurance, and the quote learns of the gap (previousCoverage:
-- 桂医保发〔2022〕30号 三(一), enrolling within 3 months of it).

ALTER TABLE person ADD COLUMN residence text CHECK (residence IN ('rural', 'urban'));

ALTER TABLE employee_insurance ADD COLUMN ended_on date;

-- a later list may say that a listed person's employee insurance ended (or correct the day):
-- the service updates those two columns only (the list stays insert-only otherwise, as 012 made it)
GRANT UPDATE (ended_on, source) ON employee_insurance TO yibao_app;

-- Planner statistics after a bulk load (the demo's first start): the embedded database runs no
-- autovacuum, so tables loaded from empty keep the estimates of empty tables and later batches
-- get plans for empty tables (the demo's payments slowed down as they went). ANALYZE needs the
-- owner; the service calls this function, which analyzes the tables a campaign loads, and
-- nothing else.
CREATE FUNCTION refresh_statistics() RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
  ANALYZE admin_area;
  ANALYZE household;
  ANALYZE person;
  ANALYZE needy_status;
  ANALYZE enrollment;
  ANALYZE enrollment_progress;
  ANALYZE progress_rollup;
  ANALYZE payment;
  ANALYZE journal_entry;
  ANALYZE posting;
  ANALYZE audit_log;
  ANALYZE encounter;
  ANALYZE settlement;
  ANALYZE accumulator;
END $$;
REVOKE ALL ON FUNCTION refresh_statistics() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION refresh_statistics() TO yibao_app;
