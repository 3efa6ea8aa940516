-- Cross-area direct settlement (异地就医直接结算, issue #20): each coordinating area is its own
-- yibao with its own database; these tables hold one area's side of what it agreed with others.
--   area_filing      filings (异地就医备案) of this area's persons, or of another area's persons
--                    treated here, as each area was told them (known in both areas)
--   area_claim       the treating area's side: a hospital's settlement for a person insured
--                    elsewhere, by the cross-area settlement id (pending until the insured area
--                    answers; a retry with the same message finds it)
--   area_settlement  the insured area's side: its own settlement (encounter, settlement rows,
--                    accumulators, ledger) made for a treating area's claim, keyed by that id;
--                    confirmed when the treating area has recorded it, reversed by recovery if not
--   area_clearing    the monthly clearing statement (清算) of a pair of areas, agreed to the fen,
--                    with the journal entry it posted (append-only)

CREATE TABLE area_filing (
  filing_id     text PRIMARY KEY,
  insured_area  text NOT NULL,              -- admdvs of the area that insures the person
  treat_area    text NOT NULL,              -- admdvs of the area where the person is treated
  id_number     text NOT NULL,
  name          text NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('outpatient', 'inpatient', 'all')),
  valid_from    date NOT NULL,
  valid_to      date,
  reason        text,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX area_filing_person ON area_filing (id_number, treat_area);

CREATE TABLE area_claim (
  setl_id       text PRIMARY KEY,
  hospital_code text NOT NULL,
  msgid         text NOT NULL,
  insured_area  text NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('outpatient', 'inpatient')),
  state         text NOT NULL CHECK (state IN ('pending', 'settled', 'refused', 'abandoned', 'reversed')),
  request       jsonb NOT NULL,
  result        jsonb,
  fund_fen      bigint,
  setl_time     timestamptz,
  reversed_by   text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (hospital_code, msgid)
);
CREATE INDEX area_claim_state ON area_claim (state, updated_at);

CREATE TABLE area_settlement (
  setl_id       text PRIMARY KEY,
  treat_area    text NOT NULL,
  hospital_code text NOT NULL,               -- the treating area's hospital, as this area's hospital row
  encounter_id  bigint REFERENCES encounter (id),
  settlement_id bigint REFERENCES settlement (id),
  -- cancelled: the treating area gave the claim up before anything was settled here (a tombstone,
  -- so that a late request for it is refused)
  state         text NOT NULL CHECK (state IN ('settled', 'confirmed', 'reversed', 'cancelled')),
  result        jsonb,
  fund_fen      bigint,
  setl_time     timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX area_settlement_state ON area_settlement (state, updated_at);

CREATE TABLE area_clearing (
  month         text NOT NULL CHECK (month ~ '^\d{4}-(0[1-9]|1[0-2])$'),
  insured_area  text NOT NULL,
  treat_area    text NOT NULL,
  count         int NOT NULL,
  total_fen     bigint NOT NULL,
  digest        text NOT NULL,
  statement     jsonb NOT NULL,
  entry_id      bigint REFERENCES journal_entry (id),
  agreed_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (month, insured_area, treat_area)
);
REVOKE UPDATE, DELETE ON area_clearing FROM yibao_app;
CREATE TRIGGER area_clearing_append_only BEFORE UPDATE OR DELETE ON area_clearing FOR EACH ROW EXECUTE FUNCTION refuse_change();

INSERT INTO account (code, name, kind) VALUES
  ('receivable_areas', '应收异地就医清算款（参保地统筹区）', 'asset'),
  ('payable_areas',    '应付异地就医清算款（就医地统筹区）', 'liability');
