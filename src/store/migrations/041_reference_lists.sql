-- The reference lists the platform's catalogue downloads serve besides the 医保目录 (issue #16):
-- 1307 疾病与诊断, 1308 手术操作, 1309 门诊慢特病种, 1310 按病种付费病种, 1311 日间手术治疗病种,
-- 1313 肿瘤形态学, 1314 中医疾病, 1315 中医证候. One row an entry of a list, imported by an admin
-- (src/hospitals/catalogue/reference-lists.ts); cells: the row of the download's file, the
-- spec's columns in order (第1列 …) as text. The lists' built-in rows (diagnoses and procedures
-- of the bundled CHS-DRG data, the pack's chronic diseases, example rows) are version 1 and are
-- not stored; an imported row of the same code takes the place of a built-in one.
-- ver: from reference_list_ver_seq (2 on), taken on every insert or change, what a download
-- compares with the hospital's local version.
CREATE SEQUENCE reference_list_ver_seq START 2;

CREATE TABLE reference_list_item (
  infno      text NOT NULL CHECK (infno IN ('1307', '1308', '1309', '1310', '1311', '1313', '1314', '1315')),
  code       text NOT NULL CHECK (length(code) BETWEEN 1 AND 50),
  cells      jsonb NOT NULL CHECK (jsonb_typeof(cells) = 'array'),
  example    boolean NOT NULL DEFAULT false,
  ver        bigint NOT NULL,
  rid        text NOT NULL UNIQUE,
  crte_time  timestamptz NOT NULL DEFAULT now(),
  updt_time  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (infno, code)
);
CREATE INDEX reference_list_item_ver ON reference_list_item (infno, ver);

GRANT SELECT, INSERT, UPDATE ON reference_list_item TO yibao_app;
GRANT USAGE ON SEQUENCE reference_list_ver_seq TO yibao_app;
