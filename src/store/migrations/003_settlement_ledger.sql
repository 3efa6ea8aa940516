-- Hospitals, encounters, settlements with each person's year-to-date accumulators, and the
-- double-entry fund ledger (balances are derived from postings, never stored or edited).

CREATE TABLE hospital (
  code   text PRIMARY KEY,                   -- fixmedins_code
  name   text NOT NULL,
  level  text NOT NULL CHECK (level IN ('primary', 'secondary', 'tertiary')),
  region text NOT NULL
);

CREATE TABLE encounter (
  id            bigserial PRIMARY KEY,
  hospital_code text NOT NULL REFERENCES hospital (code),
  person_id     bigint NOT NULL REFERENCES person (id),
  coverage_year int NOT NULL,
  type          text NOT NULL,
  setting       text,
  date          date NOT NULL,
  location      text NOT NULL DEFAULT 'in_area',
  referred      boolean NOT NULL DEFAULT true,
  disease       text,
  total_fen     bigint NOT NULL,
  full_own_pay_fen bigint NOT NULL,
  over_limit_fen   bigint NOT NULL,
  pre_self_pay_fen bigint NOT NULL,
  in_scope_fen     bigint NOT NULL,
  lines         jsonb,
  external_id   text,                        -- the hospital's own id (mdtrt_id on the platform)
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (hospital_code, external_id)
);
CREATE INDEX encounter_person ON encounter (person_id, coverage_year);

CREATE TABLE accumulator (
  person_id     bigint NOT NULL REFERENCES person (id),
  coverage_year int NOT NULL,
  data          jsonb NOT NULL,              -- fen; see src/rules/settlement/input.ts Accumulators
  version       int NOT NULL DEFAULT 0,
  PRIMARY KEY (person_id, coverage_year)
);

CREATE TABLE settlement (
  id              bigserial PRIMARY KEY,
  encounter_id    bigint NOT NULL REFERENCES encounter (id),
  person_id       bigint NOT NULL REFERENCES person (id),
  hospital_code   text NOT NULL REFERENCES hospital (code),
  coverage_year   int NOT NULL,
  basic_fund_fen  bigint NOT NULL,
  critical_illness_fen bigint NOT NULL,
  medical_assistance_fen bigint NOT NULL,
  cash_fen        bigint NOT NULL,
  total_fen       bigint NOT NULL,
  cash_reason     text,
  result          jsonb NOT NULL,
  delta           jsonb NOT NULL,
  settled_at      timestamptz NOT NULL DEFAULT now(),
  settled_by      text NOT NULL,
  reversed_at     timestamptz,
  reversed_by     text,
  CHECK (basic_fund_fen + critical_illness_fen + medical_assistance_fen + cash_fen = total_fen)
);
-- one live settlement per encounter
CREATE UNIQUE INDEX settlement_live ON settlement (encounter_id) WHERE reversed_at IS NULL;
CREATE INDEX settlement_person ON settlement (person_id, coverage_year);

CREATE TABLE account (
  code  text PRIMARY KEY,
  name  text NOT NULL,
  kind  text NOT NULL CHECK (kind IN ('asset', 'liability', 'income', 'expense', 'equity'))
);

CREATE TABLE journal_entry (
  id          bigserial PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  memo        text NOT NULL,
  source      text NOT NULL,                 -- 'payment', 'assistance', 'subsidy', 'settlement', 'reversal'
  source_id   bigint
);

CREATE TABLE posting (
  id         bigserial PRIMARY KEY,
  entry_id   bigint NOT NULL REFERENCES journal_entry (id),
  account    text NOT NULL REFERENCES account (code),
  amount_fen bigint NOT NULL CHECK (amount_fen <> 0)  -- debit positive, credit negative
);
CREATE INDEX posting_entry ON posting (entry_id);
CREATE INDEX posting_account ON posting (account);

-- An entry must balance: checked at commit, so an entry's postings may be inserted one by one.
CREATE FUNCTION check_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE s bigint;
BEGIN
  SELECT COALESCE(SUM(amount_fen), 0) INTO s FROM posting WHERE entry_id = NEW.entry_id;
  IF s <> 0 THEN
    RAISE EXCEPTION 'journal entry % does not balance (sum % fen)', NEW.entry_id, s;
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER posting_balanced AFTER INSERT OR UPDATE ON posting
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION check_entry_balanced();

CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;
CREATE TRIGGER posting_append_only BEFORE UPDATE OR DELETE ON posting FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER journal_entry_append_only BEFORE UPDATE OR DELETE ON journal_entry FOR EACH ROW EXECUTE FUNCTION refuse_change();

INSERT INTO account (code, name, kind) VALUES
  ('basic_fund',                '城乡居民基本医疗保险基金',         'equity'),
  ('critical_illness_fund',     '城乡居民大病保险资金',             'equity'),
  ('medical_assistance_fund',   '医疗救助基金',                     'equity'),
  ('contributions_received',    '个人缴费收入（银行存款）',         'asset'),
  ('subsidy_receivable_central',    '应收中央财政补助',             'asset'),
  ('subsidy_receivable_provincial', '应收省级财政补助',             'asset'),
  ('subsidy_receivable_prefecture', '应收市级财政补助',             'asset'),
  ('subsidy_receivable_county',     '应收县级财政补助',             'asset'),
  ('subsidy_receivable_local',      '应收地方财政补助',             'asset'),
  ('subsidy_receivable_unallocated','应收财政补助（未分级）',       'asset'),
  ('payable_hospitals',         '应付定点医疗机构款',               'liability');
