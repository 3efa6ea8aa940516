-- Files a hospital uploads through the platform's 9101 文件上传 (issue #16): kept as sent (a ZIP of
-- TXT files, or one TXT), by the file_qury_no the reply gave; 3202 对明细账 reads the settlement
-- rows of the file its file_qury_no names. Append-only: a file is never changed.
CREATE TABLE fsi_file (
  file_qury_no  text PRIMARY KEY,
  hospital_code text NOT NULL REFERENCES hospital (code),
  msgid         text NOT NULL,
  filename      text NOT NULL,
  sha256        text NOT NULL,
  content       bytea NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (hospital_code, msgid)
);
GRANT SELECT, INSERT ON fsi_file TO yibao_app;
CREATE TRIGGER fsi_file_append_only BEFORE UPDATE OR DELETE ON fsi_file FOR EACH ROW EXECUTE FUNCTION refuse_change();
