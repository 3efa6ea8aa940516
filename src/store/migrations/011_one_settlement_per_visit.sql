-- One truth for a settlement, and one live settlement per visit (issue #11, items 1-3).
--
-- The platform's visit (fsi_mdtrt.mdtrt_id, and for an outpatient visit the fee batch
-- chrg_bchno it settles) is carried by the encounter made for it and by every settlement of
-- that encounter, and the database allows one live settlement per visit and part
-- (settlement_live_visit): several 2207 for one visit, whatever their msgid, can settle it
-- once, in the same statement as the settlement itself.
--
-- The platform's records of a settlement were a second copy (fsi_setl: setl_id -> the live
-- settlement, reversed_at; fsi_fee.setl_id) kept in step by separate writes, which a crash,
-- a REST reversal or a re-settlement by a reversal cascade left behind. They are now derived
-- from the settlement table itself: the platform's setl_id names the encounter (`S<encounter
-- id>`, the same through re-settlements), a platform settlement is live while its encounter
-- has a live settlement, and a fee line is settled while an encounter of its visit with a
-- live settlement lists it. The setl_id of settlements made before this migration is kept on
-- their encounter (encounter.setl_id), so the ids hospitals hold stay valid.

ALTER TABLE encounter ADD COLUMN visit text;        -- fsi_mdtrt.mdtrt_id for platform encounters
ALTER TABLE encounter ADD COLUMN visit_part text;   -- outpatient: chrg_bchno; inpatient: ''
ALTER TABLE encounter ADD COLUMN setl_id text;      -- a platform setl_id given before migration 011 (else S<id>)
ALTER TABLE settlement ADD COLUMN visit text;
ALTER TABLE settlement ADD COLUMN visit_part text;
ALTER TABLE settlement ADD COLUMN reversal_ref text; -- what asked for the reversal (e.g. fsi:<hospital>:<msgid>)

UPDATE encounter e SET visit = f.mdtrt_id, visit_part = '', setl_id = f.setl_id
  FROM fsi_setl f
 WHERE f.encounter_id = e.id;

-- Settlements of those encounters carry their visit; where a visit was settled more than once
-- (the defect this migration closes), only its first live settlement takes the visit, so the
-- index can be built; the others stay live, without the visit, for the fund to recover.
UPDATE settlement s SET visit = e.visit, visit_part = e.visit_part
  FROM encounter e
 WHERE e.id = s.encounter_id AND e.visit IS NOT NULL
   AND (s.reversed_at IS NOT NULL OR s.id = (
        SELECT min(s2.id) FROM settlement s2 JOIN encounter e2 ON e2.id = s2.encounter_id
         WHERE e2.visit = e.visit AND e2.visit_part = e.visit_part AND s2.reversed_at IS NULL));

CREATE UNIQUE INDEX settlement_live_visit ON settlement (visit, visit_part) WHERE reversed_at IS NULL AND visit IS NOT NULL;
CREATE INDEX settlement_visit ON settlement (visit) WHERE visit IS NOT NULL;
CREATE INDEX encounter_visit ON encounter (visit) WHERE visit IS NOT NULL;
CREATE UNIQUE INDEX encounter_setl_id ON encounter (setl_id) WHERE setl_id IS NOT NULL;

ALTER TABLE fsi_fee DROP COLUMN setl_id;
DROP TABLE fsi_setl;
