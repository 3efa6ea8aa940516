-- The national platform's interface (POST /fsi/api/rsfComIfsService/callService): per-hospital
-- signing settings, sign-ins (9001/9002), every message's stored reply by msgid (a retried msgid
-- gets the first answer), the platform's encounters (mdtrt_id), uploaded fee details by
-- feedetl_sn, and settlements (setl_id) mapped onto the settlement table.

CREATE TABLE fsi_hospital (
  hospital_code text PRIMARY KEY REFERENCES hospital (code),
  sign_required boolean NOT NULL DEFAULT false,  -- check the envelope's SM3 signature (cainfo)
  sign_key      text                             -- the shared HMAC-SM3 key
);

CREATE TABLE fsi_sign_in (
  sign_no       text PRIMARY KEY,
  hospital_code text NOT NULL REFERENCES hospital (code),
  opter_no      text NOT NULL,
  mac           text NOT NULL,
  ip            text NOT NULL,
  sign_time     timestamptz NOT NULL DEFAULT now(),
  sign_out_time timestamptz
);
CREATE INDEX fsi_sign_in_hospital ON fsi_sign_in (hospital_code) WHERE sign_out_time IS NULL;

CREATE TABLE fsi_message (
  hospital_code text NOT NULL REFERENCES hospital (code),
  msgid         text NOT NULL,
  infno         text NOT NULL,
  input         jsonb,
  reply         jsonb,                           -- null while the message is being processed
  effect        jsonb,                           -- what it did (for 2601 correction)
  received_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (hospital_code, msgid)
);

CREATE TABLE fsi_mdtrt (
  mdtrt_id      text PRIMARY KEY,
  hospital_code text NOT NULL REFERENCES hospital (code),
  person_id     bigint NOT NULL REFERENCES person (id),
  kind          text NOT NULL CHECK (kind IN ('outpatient', 'inpatient')),
  ipt_otp_no    text NOT NULL,
  insutype      text NOT NULL,
  med_type      text,
  begntime      text NOT NULL,                   -- yyyy-MM-dd HH:mm:ss as sent
  endtime       text,
  dise_codg     text,
  dise_name     text,
  info          jsonb,                           -- 2203 / 2401 / 2402 details as sent
  state         text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'discharged', 'cancelled')),
  msgid         text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX fsi_mdtrt_person ON fsi_mdtrt (person_id);

CREATE TABLE fsi_setl (
  setl_id       text PRIMARY KEY,
  mdtrt_id      text NOT NULL REFERENCES fsi_mdtrt (mdtrt_id),
  hospital_code text NOT NULL REFERENCES hospital (code),
  settlement_id bigint NOT NULL REFERENCES settlement (id),  -- the live settlement (moves when re-settled)
  encounter_id  bigint NOT NULL REFERENCES encounter (id),
  msgid         text NOT NULL,
  setl_time     timestamptz NOT NULL DEFAULT now(),
  reversed_at   timestamptz
);
CREATE UNIQUE INDEX fsi_setl_live ON fsi_setl (mdtrt_id) WHERE reversed_at IS NULL;

CREATE TABLE fsi_fee (
  mdtrt_id      text NOT NULL REFERENCES fsi_mdtrt (mdtrt_id),
  feedetl_sn    text NOT NULL,
  chrg_bchno    text,
  amount_fen    bigint NOT NULL,
  line          jsonb NOT NULL,                  -- the fee line as sent
  setl_id       text REFERENCES fsi_setl (setl_id),
  cancelled_at  timestamptz,
  PRIMARY KEY (mdtrt_id, feedetl_sn)
);
