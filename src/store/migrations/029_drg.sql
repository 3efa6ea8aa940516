-- DRG payment (issue #19): the grouping of each inpatient settlement, and the payment runs
-- (the monthly pre-payment and the annual clearing) with each case's DRG amount.

-- The CHS-DRG grouping of one inpatient stay's settlement: from the hospital's settlement list
-- (4101) or the demo. Kept by the stay (encounter): a settlement reversed and settled again
-- (a correction, or a later one re-settled) keeps its grouping. Regrouped (a corrected list)
-- until a payment run has paid it.
CREATE TABLE drg_case (
  encounter_id   bigint PRIMARY KEY REFERENCES encounter (id),
  settlement_id  bigint NOT NULL REFERENCES settlement (id),   -- the settlement the list was given for
  hospital_code  text NOT NULL REFERENCES hospital (code),
  region         text NOT NULL,
  coverage_year  int NOT NULL,
  discharge_date date NOT NULL,
  record         jsonb NOT NULL,            -- the DRG record as grouped (data README §2)
  scheme         text NOT NULL,             -- 'CHS-DRG 1.1'
  status         text NOT NULL,             -- success, ungroupable, invalid_*
  mdc            text,
  adrg           text,
  drg            text,
  explanation    jsonb NOT NULL,            -- each step of the grouping
  source         text NOT NULL,             -- '4101' (fsi:<hospital>:<msgid>), 'demo', …
  grouped_at     timestamptz NOT NULL DEFAULT now(),
  grouped_by     text NOT NULL
);
CREATE INDEX drg_case_area ON drg_case (region, coverage_year, discharge_date);
CREATE INDEX drg_case_hospital ON drg_case (hospital_code, coverage_year);

-- A payment run: one month's pre-payment, or the year's clearing, of one area and year.
CREATE TABLE drg_payment_run (
  id            bigserial PRIMARY KEY,
  region        text NOT NULL,
  coverage_year int NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('month', 'year')),
  month         int CHECK (month BETWEEN 1 AND 12),
  pack          text NOT NULL,              -- the payment pack (policies/drg/payment/<region>/<year>.yaml)
  method        jsonb NOT NULL,             -- base rate or point value used, with its citation / example mark
  catalogue     jsonb NOT NULL,             -- kind, name, overall average cost, source (the groups are in the cases)
  budget_fen    bigint,                     -- the year's clearing: the budget cleared against
  memo          text NOT NULL,
  at            timestamptz NOT NULL DEFAULT now(),
  by_user       text NOT NULL,
  CHECK ((kind = 'month') = (month IS NOT NULL))
);
CREATE UNIQUE INDEX drg_payment_run_once ON drg_payment_run (region, coverage_year, kind, coalesce(month, 0));

-- What one run paid for one case: the DRG amount, the item-based amount (the settlement's
-- total cost), and the adjustment posted (run 'month': DRG − item; run 'year': final − prepaid).
CREATE TABLE drg_case_payment (
  run_id         bigint NOT NULL REFERENCES drg_payment_run (id),
  encounter_id   bigint NOT NULL REFERENCES encounter (id),
  settlement_id  bigint REFERENCES settlement (id),             -- the live settlement paid; null: none left (reversed)
  hospital_code  text NOT NULL REFERENCES hospital (code),
  grp            text,                      -- the DRG (or DIP combination) paid; null: no standard
  category       text NOT NULL,             -- normal, high_outlier, low_outlier, no_standard, reversed
  points_e2      bigint NOT NULL,           -- hundredths of a point
  cost_fen       bigint NOT NULL,
  payment_fen    bigint NOT NULL,
  adjustment_fen bigint NOT NULL,
  steps          jsonb NOT NULL,
  entry_id       bigint REFERENCES journal_entry (id),
  PRIMARY KEY (run_id, encounter_id)
);
CREATE INDEX drg_case_payment_encounter ON drg_case_payment (encounter_id);

-- the runs and their cases are books: written once, never changed
REVOKE UPDATE, DELETE ON drg_payment_run, drg_case_payment FROM yibao_app;
CREATE TRIGGER drg_payment_run_append_only BEFORE UPDATE OR DELETE ON drg_payment_run FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER drg_case_payment_append_only BEFORE UPDATE OR DELETE ON drg_case_payment FOR EACH ROW EXECUTE FUNCTION refuse_change();
REVOKE DELETE ON drg_case FROM yibao_app;

-- the DRG adjustments are journal entries of their own sources
-- (journal_entry.source: 'drg_prepayment', 'drg_clearing'; source_id: the run)
