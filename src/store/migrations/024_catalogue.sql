-- The catalogue (医保目录, issue #16 item 5): drugs, consumables and service items of the
-- area, each with its class (chrgitm_lv 01 甲 / 02 乙 / 03 丙), its price cap
-- (hilist_pric_uplmt_amt, table 48 of the interface spec, here in fen) and its self-pay share
-- (selfpay_prop, table 50: the share of a 乙 item paid first by the person), valid from/to, for
-- a region (insu_admdvs: the county, the city, the province or 000000 for the whole country;
-- the most specific one valid on the day applies).
-- med_list_codg is the national code (医疗目录编码), also the hilist_code of 1312/1318/1319
-- (this area's catalogue matches the national code one to one, 1316).
-- ver: a number from catalogue_ver_seq taken on every insert or change, what the downloads
-- 1301–1306 compare with the hospital's local version ("v" and the number).
CREATE SEQUENCE catalogue_ver_seq;

CREATE TABLE catalogue_item (
  med_list_codg     text NOT NULL CHECK (length(med_list_codg) BETWEEN 1 AND 50),
  region            text NOT NULL CHECK (region ~ '^\d{6}$'),
  begndate          date NOT NULL,
  enddate           date CHECK (enddate IS NULL OR enddate >= begndate),
  name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  list_type         text NOT NULL CHECK (list_type IN ('101', '102', '103', '104', '105', '106', '201', '301')),
  chrgitm_lv        text NOT NULL CHECK (chrgitm_lv IN ('01', '02', '03')),
  med_chrgitm_type  text NOT NULL CHECK (med_chrgitm_type ~ '^(0[1-9]|1[0-4])$'),
  price_cap_fen     bigint CHECK (price_cap_fen >= 0),
  selfpay_prop      numeric(5, 4) CHECK (selfpay_prop >= 0 AND selfpay_prop <= 1),
  memo              text,
  example           boolean NOT NULL DEFAULT false,
  ver               bigint NOT NULL,
  rid               text NOT NULL UNIQUE,
  crte_time         timestamptz NOT NULL DEFAULT now(),
  updt_time         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (med_list_codg, region, begndate),
  CHECK (selfpay_prop IS NULL OR chrgitm_lv = '02')
);
CREATE INDEX catalogue_item_updt ON catalogue_item (updt_time, med_list_codg, region, begndate);
CREATE INDEX catalogue_item_ver ON catalogue_item (ver);

GRANT SELECT, INSERT, UPDATE ON catalogue_item TO yibao_app;
GRANT USAGE ON SEQUENCE catalogue_ver_seq TO yibao_app;
