-- Risk (issue #18): high-burden warnings (因病返贫致贫风险预警), fraud-screening cases with their
-- review trail, applications for medical assistance (依申请救助), and the register's date of death.
--
-- A warning or a case is found by the rules of src/risk (parameters in the packs: risk.*). A case
-- moves open → reviewed → confirmed | dismissed; every move is a row of risk_case_event (append-
-- only) and an audit row. A confirmed case's recovery is a journal entry (journal_entry.source
-- 'recovery'), an approved application's payment another ('assistance_application').

-- 死亡日期: imported with the persons (column 死亡日期); settlements after it are screened (FR02).
ALTER TABLE person ADD COLUMN date_of_death date;

-- Where assistance decided on application is owed until it is paid out to the person.
INSERT INTO account (code, name, kind) VALUES
  ('payable_assistance_recipients', '应付医疗救助对象款（依申请救助）', 'liability');

-- The role that decides applications for medical assistance (医疗救助经办).
ALTER TABLE app_user DROP CONSTRAINT IF EXISTS app_user_role_check;
ALTER TABLE app_user ADD CONSTRAINT app_user_role_check CHECK (role IN ('admin', 'policy_officer', 'clerk', 'hospital', 'auditor', 'finance', 'medical_assistance'));

-- A person whose out-of-pocket cost after the three tiers crossed the pack's threshold: one per
-- person, coverage year and basis (the coverage year, or the 12 months up to the crossing
-- encounter). Written when the crossing settlement is written (and by the batch scan).
CREATE TABLE risk_warning (
  id             bigserial PRIMARY KEY,
  person_id      bigint NOT NULL REFERENCES person (id),
  village_code   text NOT NULL REFERENCES admin_area (code),
  coverage_year  int NOT NULL,
  basis          text NOT NULL CHECK (basis IN ('coverage_year', 'rolling_12_months')),
  period_from    date NOT NULL,
  period_to      date NOT NULL,
  burden_fen     bigint NOT NULL,
  threshold_fen  bigint NOT NULL,
  needy          boolean NOT NULL,
  statuses       text[] NOT NULL DEFAULT '{}',
  encounters     int NOT NULL,
  settlement_id  bigint REFERENCES settlement (id),   -- the settlement that crossed the threshold
  explanation    jsonb NOT NULL,
  found_by       text NOT NULL,                      -- 'settlement' (as it was written) or 'scan'
  created_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (person_id, coverage_year, basis)
);
CREATE INDEX risk_warning_village ON risk_warning (village_code, coverage_year);

-- A hit of a screening rule: the rule, what it is about (subject: the key that makes a hit the
-- same hit when screened again), the settlements and fee lines behind it, the amount at issue.
CREATE TABLE risk_case (
  id              bigserial PRIMARY KEY,
  rule_code       text NOT NULL,
  subject         text NOT NULL,
  coverage_year   int NOT NULL,
  hospital_code   text REFERENCES hospital (code),
  person_id       bigint REFERENCES person (id),
  village_code    text,
  settlement_ids  bigint[] NOT NULL DEFAULT '{}',
  fee_lines       jsonb NOT NULL DEFAULT '[]',         -- [{mdtrt_id, feedetl_sn}]
  amount_fen      bigint NOT NULL DEFAULT 0,
  detail          jsonb NOT NULL,
  state           text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'reviewed', 'confirmed', 'dismissed')),
  recovered_fen   bigint NOT NULL DEFAULT 0,
  recovery_entry  bigint REFERENCES journal_entry (id),
  found_at        timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (rule_code, subject)
);
CREATE INDEX risk_case_state ON risk_case (state, rule_code);
CREATE INDEX risk_case_hospital ON risk_case (hospital_code);

CREATE TABLE risk_case_event (
  id          bigserial PRIMARY KEY,
  case_id     bigint NOT NULL REFERENCES risk_case (id),
  from_state  text NOT NULL,
  to_state    text NOT NULL,
  actor       text NOT NULL,
  note        text,
  amount_fen  bigint,
  at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX risk_case_event_case ON risk_case_event (case_id);
REVOKE UPDATE, DELETE ON risk_case_event FROM yibao_app;
CREATE TRIGGER risk_case_event_append_only BEFORE UPDATE OR DELETE ON risk_case_event FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- 依申请救助: a person applies (after a warning or not) with documents; the medical-assistance
-- role decides; an approved application is paid through the ledger; referrals to 临时救助 /
-- 慈善救助 are kept with it.
CREATE TABLE assistance_application (
  id             bigserial PRIMARY KEY,
  person_id      bigint NOT NULL REFERENCES person (id),
  coverage_year  int NOT NULL,
  warning_id     bigint REFERENCES risk_warning (id),
  reason         text NOT NULL,
  documents      jsonb NOT NULL DEFAULT '[]',          -- [{name, reference}]
  state          text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'approved', 'rejected')),
  requested_fen  bigint,
  approved_fen   bigint,
  decision       jsonb,                                -- the computation and its citations
  referrals      text[] NOT NULL DEFAULT '{}',         -- 'temporary_assistance', 'charity_assistance'
  entry_id       bigint REFERENCES journal_entry (id),
  created_by     text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  decided_by     text,
  decided_at     timestamptz
);
CREATE INDEX assistance_application_person ON assistance_application (person_id, coverage_year);

-- The settled encounters as the screening reads them: live settlements with the encounter's
-- dates (discharge from the platform's visit where there is one) and diagnosis.
CREATE VIEW risk_settled AS
SELECT s.id AS settlement_id, s.encounter_id, s.person_id, s.hospital_code, s.coverage_year,
       s.total_fen, s.basic_fund_fen, s.critical_illness_fen, s.medical_assistance_fen, s.cash_fen,
       s.basic_fund_fen + s.critical_illness_fen + s.medical_assistance_fen AS fund_fen,
       e.type, e.date AS adm_date,
       COALESCE(NULLIF(left(m.endtime, 10), '')::date, e.date) AS dscg_date,
       COALESCE(m.dise_codg, e.disease) AS diagnosis, e.visit, COALESCE(e.visit_part, '') AS visit_part
  FROM settlement s
  JOIN encounter e ON e.id = s.encounter_id
  LEFT JOIN fsi_mdtrt m ON m.mdtrt_id = e.visit
 WHERE s.reversed_at IS NULL;
GRANT SELECT ON risk_settled TO yibao_app;
