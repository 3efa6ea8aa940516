-- Lookups that scanned whole tables: an encounter's settlements, live and reversed (the
-- encounter view after recording or settling; settlement_live covers only live ones), and a
-- source's journal entries (a settlement's, a payment's: the ledger reports and reversals).
-- Found when the demo's encounter recording slowed down as settlements grew (PGlite runs no
-- autovacuum, and the planner had no index to choose).
CREATE INDEX settlement_encounter ON settlement (encounter_id);
CREATE INDEX journal_entry_source ON journal_entry (source, source_id);
