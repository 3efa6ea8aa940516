-- People who log in, API tokens for hospital systems, sessions, and the append-only audit log.

CREATE TABLE app_user (
  id            bigserial PRIMARY KEY,
  username      text NOT NULL UNIQUE,
  display_name  text NOT NULL,
  password_hash text,                        -- scrypt; null for token-only accounts
  role          text NOT NULL CHECK (role IN ('admin', 'policy_officer', 'clerk', 'hospital', 'auditor')),
  villages      text[] NOT NULL DEFAULT '{}', -- clerk: the admin_area codes (village or township) they may touch
  hospital_code text REFERENCES hospital (code),
  active        boolean NOT NULL DEFAULT true,
  created_at    timestamptz NOT NULL DEFAULT now(),
  CHECK (role <> 'hospital' OR hospital_code IS NOT NULL)
);

CREATE TABLE api_token (
  id          bigserial PRIMARY KEY,
  user_id     bigint NOT NULL REFERENCES app_user (id),
  token_sha256 text NOT NULL UNIQUE,         -- only the hash is kept
  label       text NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('session', 'api')),
  expires_at  timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);

CREATE TABLE audit_log (
  id        bigserial PRIMARY KEY,
  at        timestamptz NOT NULL DEFAULT now(),
  actor     text NOT NULL,
  role      text NOT NULL,
  action    text NOT NULL,
  entity    text NOT NULL,
  entity_id text,
  detail    jsonb
);
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_change();

CREATE TABLE schema_meta (
  key   text PRIMARY KEY,
  value text NOT NULL
);
