-- Registers: the administrative hierarchy, households, persons (with history) and needy
-- statuses as the source departments report them. Money is integer fen everywhere.

CREATE TABLE admin_area (
  code        text PRIMARY KEY,              -- county 6 digits; township 9; village 12 (GB/T 10114 style)
  name        text NOT NULL,
  level       text NOT NULL CHECK (level IN ('county', 'township', 'village')),
  parent_code text REFERENCES admin_area (code),
  region      text NOT NULL                  -- the coordinating area (统筹区) whose pack governs
);
CREATE INDEX admin_area_parent ON admin_area (parent_code);

CREATE TABLE household (
  id           bigserial PRIMARY KEY,
  village_code text NOT NULL REFERENCES admin_area (code),
  house_no     text NOT NULL,                -- the clerk's household number (户号)
  address      text,
  UNIQUE (village_code, house_no)
);

CREATE TABLE person (
  id           bigserial PRIMARY KEY,
  id_number    text NOT NULL UNIQUE,         -- resident ID (GB 11643), validated
  name         text NOT NULL,
  gender       text NOT NULL CHECK (gender IN ('male', 'female')),
  birth_date   date NOT NULL,
  household_id bigint REFERENCES household (id),
  village_code text NOT NULL REFERENCES admin_area (code),
  kind         text NOT NULL,                -- glossary person kind
  graduation_year int,
  version      int NOT NULL DEFAULT 1,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX person_village ON person (village_code);
CREATE INDEX person_household ON person (household_id);

-- Every edit of a register row keeps the row as it was: who, when, before / after.
CREATE TABLE register_history (
  id         bigserial PRIMARY KEY,
  entity     text NOT NULL,                  -- 'person', 'household', 'needy_status'
  entity_id  bigint NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT now(),
  changed_by text NOT NULL,
  before     jsonb,
  after      jsonb
);
CREATE INDEX register_history_entity ON register_history (entity, entity_id);

CREATE TABLE needy_status (
  id          bigserial PRIMARY KEY,
  person_id   bigint NOT NULL REFERENCES person (id),
  status      text NOT NULL,                 -- glossary needy status
  source      text NOT NULL CHECK (source IN ('civil_affairs', 'rural_revitalization', 'disability_federation', 'veterans_affairs', 'medical_security')),
  valid_from  date NOT NULL,
  valid_to    date,                          -- null: open-ended
  reference   text,                          -- the department's document or list reference
  created_at  timestamptz NOT NULL DEFAULT now(),
  CHECK (valid_to IS NULL OR valid_to >= valid_from),
  UNIQUE (person_id, status, source, valid_from)
);
CREATE INDEX needy_status_person ON needy_status (person_id);

CREATE TABLE import_batch (
  id          bigserial PRIMARY KEY,
  kind        text NOT NULL,                 -- 'persons', 'statuses', 'employee_list', 'payments'
  file_name   text NOT NULL,
  file_sha256 text NOT NULL,
  rows_total  int NOT NULL,
  rows_ok     int NOT NULL,
  rows_bad    int NOT NULL,
  rows_unchanged int NOT NULL DEFAULT 0,
  created_by  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
