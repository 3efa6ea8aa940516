-- Planner statistics for the settlement's own tables only (issue #15). The demo settles a year of
-- encounters into tables that start empty, and the embedded database runs no autovacuum, so the
-- settlement's statements (generic plans, planned once per connection) ran on plans made for
-- empty tables and slowed as the tables grew. refresh_statistics() (migration 022) analyzes every
-- loaded table, which on PGlite's one session holds up every request for seconds; while the
-- settlements load, only the tables their reads join need new statistics.
CREATE FUNCTION refresh_settlement_statistics() RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
  ANALYZE encounter;
  ANALYZE settlement;
  ANALYZE accumulator;
END $$;
REVOKE ALL ON FUNCTION refresh_settlement_statistics() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION refresh_settlement_statistics() TO yibao_app;
