-- The platform gateway's authentication (issue #16 item 1): key pairs issued per hospital
-- account by an admin, and the nonces seen within the timestamp window.
--
-- A key pair is an access key (AK, the spec's _api_access_key, the national gateway's
-- x-tif-paasid) and a secret (SK / paasToken), shown once when issued. Both signatures the
-- clients send (HMAC-SHA1 of §4.5, SHA-256 of timestamp + token + nonce + timestamp) need the
-- secret itself to verify, so it cannot be kept as a one-way hash: it is stored encrypted
-- (AES-256-GCM) under a server key that is not in the database (YIBAO_GATEWAY_KEY, or the
-- key file beside the data; src/access/gateway-keys.ts). A dump of the database alone does
-- not give the secrets.

CREATE TABLE fsi_gateway_key (
  access_key    text PRIMARY KEY,
  user_id       bigint NOT NULL REFERENCES app_user (id),  -- the hospital account the key acts as
  hospital_code text NOT NULL REFERENCES hospital (code),
  label         text NOT NULL,
  secret_enc    text NOT NULL,                               -- iv.tag.ciphertext (base64url), AES-256-GCM
  created_by    text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  revoked_at    timestamptz
);
CREATE INDEX fsi_gateway_key_user ON fsi_gateway_key (user_id);

-- A nonce (x-tif-nonce; for §4.5, the timestamp and signature) is used once per key within
-- the window; rows older than the window are deleted.
CREATE TABLE fsi_gateway_nonce (
  access_key text NOT NULL,
  nonce      text NOT NULL,
  seen_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (access_key, nonce)
);
CREATE INDEX fsi_gateway_nonce_seen ON fsi_gateway_nonce (seen_at);

-- keys are issued and revoked, never deleted (revoked_at is the only change)
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'yibao_app') THEN
    REVOKE UPDATE, DELETE ON fsi_gateway_key FROM yibao_app;
    GRANT UPDATE (revoked_at) ON fsi_gateway_key TO yibao_app;
  END IF;
END $$;
