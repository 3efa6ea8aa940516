-- Issue #20 (review, item 2): the ordinary workflow for a person insured in another coordinating
-- area (异地就医). A hospital here registers the visit (2201 / 2401) of a person who is not in this
-- area's registers: the visit names the insured area (insuplc_admdvs) and the person by the insured
-- area's psn_no (away_psn_no, with the person as that area answered kept in info), instead of
-- person_id. Its fee lines (2204 / 2301) are stored and classified here like any others
-- (就医地目录); its settlement (2207 / 2304) is made by the insured area (src/areas/treating.ts).
-- A visit names exactly one of the two. (No new table: yibao_app's privileges on fsi_mdtrt stand.)
ALTER TABLE fsi_mdtrt ALTER COLUMN person_id DROP NOT NULL;
ALTER TABLE fsi_mdtrt ADD COLUMN insuplc_admdvs text, ADD COLUMN away_psn_no text;
ALTER TABLE fsi_mdtrt ADD CONSTRAINT fsi_mdtrt_person_here_or_away CHECK (
  CASE WHEN insuplc_admdvs IS NULL THEN person_id IS NOT NULL AND away_psn_no IS NULL
       ELSE person_id IS NULL AND away_psn_no IS NOT NULL AND insuplc_admdvs ~ '^\d{6}$' END);
CREATE INDEX fsi_mdtrt_away_person ON fsi_mdtrt (insuplc_admdvs, away_psn_no) WHERE insuplc_admdvs IS NOT NULL;
-- the treating area's claims of a visit (src/areas/treating.ts: the lines a live claim carries are not settled again)
CREATE INDEX area_claim_visit ON area_claim (hospital_code, (request->'view'->>'mdtrtId'));
