-- The enrollment campaign: each person's assessment for a coverage year, payments
-- (idempotent by reference), employee-insurance lists and duplicate-enrollment flags.

CREATE TABLE enrollment (
  id             bigserial PRIMARY KEY,
  person_id      bigint NOT NULL REFERENCES person (id),
  coverage_year  int NOT NULL,
  region         text NOT NULL,
  pack           text NOT NULL,
  tier           text,
  state          text NOT NULL CHECK (state IN ('assessed', 'paid', 'refused', 'blocked')),
  standard_fen   bigint NOT NULL,
  assistance_fen bigint,
  due_fen        bigint,
  borne_fen      bigint,
  subsidy_fen    bigint,
  benefit_start  date,
  benefit_end    date,
  waiting_days   int,
  refusal_code   text,
  block_reason   text,
  quote          jsonb NOT NULL,             -- the engine's answer (with its trace) as assessed
  paid_fen       bigint NOT NULL DEFAULT 0,
  paid_on        date,
  guardian_person_id bigint REFERENCES person (id),
  version        int NOT NULL DEFAULT 1,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (person_id, coverage_year)
);
CREATE INDEX enrollment_year_state ON enrollment (coverage_year, state);

CREATE TABLE payment (
  id            bigserial PRIMARY KEY,
  reference     text NOT NULL UNIQUE,        -- the channel's payment reference: the same payment twice is one
  channel       text NOT NULL CHECK (channel IN ('online', 'offline', 'tax_bureau', 'medical_assistance')),
  enrollment_id bigint NOT NULL REFERENCES enrollment (id),
  amount_fen    bigint NOT NULL CHECK (amount_fen > 0),
  paid_on       date NOT NULL,
  recorded_by   text NOT NULL,
  recorded_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_enrollment ON payment (enrollment_id);

CREATE TABLE employee_insurance (
  id_number     text NOT NULL,
  coverage_year int NOT NULL,
  source        text NOT NULL,
  PRIMARY KEY (id_number, coverage_year)
);

CREATE TABLE duplicate_flag (
  id            bigserial PRIMARY KEY,
  person_id     bigint REFERENCES person (id),
  id_number     text NOT NULL,
  coverage_year int NOT NULL,
  reason        text NOT NULL CHECK (reason IN ('same_id_twice', 'employee_insurance')),
  detail        text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  resolved_at   timestamptz,
  UNIQUE (id_number, coverage_year, reason)
);
