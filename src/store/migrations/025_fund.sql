-- The fund kept safe (issue #17): clearing with hospitals, money received, the area's budget.
--
-- A finance role (财务) approves clearing statements and records what is paid and received.
-- The fund's bank account (基金专户银行存款) is what payments to hospitals are paid from and
-- fiscal subsidies are received into. Every table here is a book: append-only, never updated
-- (yibao_app gets SELECT and INSERT only, and refuse_change() guards it for the owner too).

ALTER TABLE app_user DROP CONSTRAINT IF EXISTS app_user_role_check;
ALTER TABLE app_user ADD CONSTRAINT app_user_role_check CHECK (role IN ('admin', 'policy_officer', 'clerk', 'hospital', 'auditor', 'finance'));

INSERT INTO account (code, name, kind) VALUES
  ('fund_bank', '基金专户银行存款', 'asset');

-- A monthly clearing statement of one hospital, as approved: the live settlements of encounters
-- up to the month's end not cleared before, and the reversals of settlements cleared before.
CREATE TABLE clearing_statement (
  id             bigserial PRIMARY KEY,
  hospital_code  text NOT NULL REFERENCES hospital (code),
  month          text NOT NULL CHECK (month ~ '^\d{4}-(0[1-9]|1[0-2])$'),
  settlements    int NOT NULL,
  reversals      int NOT NULL,
  total_fen      bigint NOT NULL,
  fund_total_fen bigint NOT NULL,                  -- what the funds owe the hospital by this statement (net of carried reversals)
  lines          jsonb NOT NULL,                   -- by fund and encounter type (src/fund/clearing.ts StatementLine)
  approved_by    text NOT NULL,
  approved_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (hospital_code, month)
);

-- Which settlements a statement cleared ('settled') or carried back ('reversed'): each at most once.
CREATE TABLE clearing_item (
  statement_id   bigint NOT NULL REFERENCES clearing_statement (id),
  settlement_id  bigint NOT NULL REFERENCES settlement (id),
  kind           text NOT NULL CHECK (kind IN ('settled', 'reversed')),
  fund_fen       bigint NOT NULL,                  -- signed: a carried reversal is negative
  PRIMARY KEY (settlement_id, kind)
);
CREATE INDEX clearing_item_statement ON clearing_item (statement_id);

-- The payment of an approved statement: Dr payable_hospitals / Cr fund_bank. Idempotent by its
-- reference; one payment per statement.
CREATE TABLE clearing_payment (
  id            bigserial PRIMARY KEY,
  reference     text NOT NULL UNIQUE,
  statement_id  bigint NOT NULL UNIQUE REFERENCES clearing_statement (id),
  amount_fen    bigint NOT NULL,
  paid_on       date NOT NULL,
  entry_id      bigint REFERENCES journal_entry (id),   -- null when the statement nets to zero
  recorded_by   text NOT NULL,
  recorded_at   timestamptz NOT NULL DEFAULT now()
);

-- Money received into the fund's bank account: a fiscal subsidy from one level of government for
-- a coverage year (Dr fund_bank / Cr subsidy_receivable_<level>), or the fiscal appropriation of
-- the medical-assistance fund (Dr fund_bank / Cr medical_assistance_appropriation_receivable).
-- Idempotent by reference; several per level and year (partial receipts).
CREATE TABLE fund_receipt (
  id            bigserial PRIMARY KEY,
  reference     text NOT NULL UNIQUE,
  kind          text NOT NULL CHECK (kind IN ('fiscal_subsidy', 'assistance_appropriation')),
  level         text CHECK (level IN ('central', 'provincial', 'prefecture', 'county', 'local', 'unallocated')),
  coverage_year int NOT NULL,
  amount_fen    bigint NOT NULL CHECK (amount_fen > 0),
  received_on   date NOT NULL,
  memo          text,
  entry_id      bigint NOT NULL REFERENCES journal_entry (id),
  recorded_by   text NOT NULL,
  recorded_at   timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'fiscal_subsidy') = (level IS NOT NULL))
);
CREATE INDEX fund_receipt_year ON fund_receipt (coverage_year, kind, level);

-- The area's budget per year and fund (以收定支): each entry is a version; the latest counts.
CREATE TABLE fund_budget (
  id            bigserial PRIMARY KEY,
  year          int NOT NULL,
  account       text NOT NULL REFERENCES account (code),
  income_fen    bigint NOT NULL CHECK (income_fen >= 0),
  spending_fen  bigint NOT NULL CHECK (spending_fen >= 0),
  memo          text,
  recorded_by   text NOT NULL,
  recorded_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX fund_budget_year ON fund_budget (year, account, id);

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['clearing_statement', 'clearing_item', 'clearing_payment', 'fund_receipt', 'fund_budget'] LOOP
    EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION refuse_change()', t || '_append_only', t);
    EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()', t || '_no_truncate', t);
    EXECUTE format('REVOKE UPDATE, DELETE ON %I FROM yibao_app', t);
  END LOOP;
END $$;
