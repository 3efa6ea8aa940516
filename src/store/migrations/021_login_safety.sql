-- Log-in safety (issue #11 item 9): failed log-ins in a row and the lock-out they lead to.
-- The service (yibao_app, migration 012: SELECT, INSERT on app_user) updates exactly these two
-- columns, on a failed log-in and on the next good one.
ALTER TABLE app_user ADD COLUMN failed_logins integer NOT NULL DEFAULT 0 CHECK (failed_logins >= 0);
ALTER TABLE app_user ADD COLUMN locked_until timestamptz;
GRANT UPDATE (failed_logins, locked_until) ON app_user TO yibao_app;

-- tokens are looked up by their hash on every request (the UNIQUE index); a user's tokens for revocation
CREATE INDEX api_token_user ON api_token (user_id) WHERE revoked_at IS NULL;
