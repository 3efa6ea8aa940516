-- Campaign monitoring (兴义府发〔2022〕3号 一, 七, 八(三)): each village's targets per coverage
-- year, 医保电子凭证 activations, and what the progress figures are summed from.
--
-- enrollment_progress: one narrow row per enrollment (village, state, the day it counts as
-- enrolled, the money), kept by triggers on enrollment and person in the same transaction as
-- the change, whoever makes it. progress_rollup: those rows summed by village, kind and day,
-- kept by a trigger on enrollment_progress (deltas of each statement). A county's progress as
-- of any date is a sum over the rollup (a few thousand rows), not a pass over a million
-- enrollments; it stays reproducible for a past date because paid rows are keyed by the day
-- they were paid.

CREATE TABLE village_target (
  coverage_year     int NOT NULL,
  village_code      text NOT NULL REFERENCES admin_area (code),
  enrollment_target int NOT NULL CHECK (enrollment_target >= 0),  -- 应参保人数
  evoucher_target   int CHECK (evoucher_target >= 0),             -- 电子医保卡（医保电子凭证）激活人数
  import_batch_id   bigint REFERENCES import_batch (id),
  updated_by        text NOT NULL,
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (coverage_year, village_code)
);

CREATE TABLE evoucher_activation (
  person_id       bigint PRIMARY KEY REFERENCES person (id),
  activated_on    date NOT NULL,
  channel         text NOT NULL CHECK (channel IN ('wechat', 'alipay', 'nhsa_app', 'bank', 'offline', 'other')),
  import_batch_id bigint REFERENCES import_batch (id),
  recorded_by     text NOT NULL,
  recorded_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE enrollment_progress (
  enrollment_id   bigint PRIMARY KEY,
  person_id       bigint NOT NULL,
  coverage_year   int NOT NULL,
  village_code    text NOT NULL,
  state           text NOT NULL,
  birth_date      date NOT NULL,
  enrolled_on     date,            -- paid: the payment date (a newborn following its guardian: the guardian's, or its birth if later)
  paid_fen        bigint NOT NULL DEFAULT 0,  -- the individual contribution paid (not the medical-assistance fund's)
  assistance_fen  bigint,          -- classified assistance granted (paid rows)
  subsidy_fen     bigint,          -- fiscal subsidy due (paid rows), and its split by level:
  sub_central_fen bigint, sub_provincial_fen bigint, sub_prefecture_fen bigint, sub_county_fen bigint, sub_local_fen bigint, sub_unallocated_fen bigint,
  statuses        text NOT NULL DEFAULT ''  -- the needy statuses the quote was computed with, sorted, comma-separated
);
CREATE UNIQUE INDEX enrollment_progress_person ON enrollment_progress (person_id, coverage_year);
CREATE INDEX enrollment_progress_village ON enrollment_progress (coverage_year, village_code text_pattern_ops);

CREATE TABLE progress_rollup (
  coverage_year   int NOT NULL,
  village_code    text NOT NULL,
  kind            text NOT NULL CHECK (kind IN ('enrollments', 'paid', 'refused', 'blocked')),
  day             date NOT NULL DEFAULT '-infinity',  -- paid: the day enrolled; enrollments and blocked: the birth date when
                                                      -- it is in the year before the coverage year or later (for the base of the targets); otherwise -infinity
  statuses        text NOT NULL DEFAULT '',           -- paid with assistance: the statuses it was granted for
  n               bigint NOT NULL DEFAULT 0,
  paid_fen        bigint NOT NULL DEFAULT 0,
  assistance_fen  bigint NOT NULL DEFAULT 0,
  subsidy_fen     bigint NOT NULL DEFAULT 0,
  sub_central_fen bigint NOT NULL DEFAULT 0, sub_provincial_fen bigint NOT NULL DEFAULT 0, sub_prefecture_fen bigint NOT NULL DEFAULT 0,
  sub_county_fen  bigint NOT NULL DEFAULT 0, sub_local_fen bigint NOT NULL DEFAULT 0, sub_unallocated_fen bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (coverage_year, village_code, kind, day, statuses)
);

-- ---------------------------------------------------------------- enrollment → enrollment_progress

-- The progress row of each enrollment in `changed` (ids), computed from the enrollment, its
-- person and (for a newborn following a guardian) the guardian's enrollment.
CREATE FUNCTION progress_sync(ids bigint[]) RETURNS void LANGUAGE sql AS $$
  INSERT INTO enrollment_progress AS f (enrollment_id, person_id, coverage_year, village_code, state, birth_date, enrolled_on, paid_fen, assistance_fen, subsidy_fen,
    sub_central_fen, sub_provincial_fen, sub_prefecture_fen, sub_county_fen, sub_local_fen, sub_unallocated_fen, statuses)
  SELECT e.id, e.person_id, e.coverage_year, p.village_code, e.state, p.birth_date,
    CASE WHEN e.state = 'paid' THEN COALESCE(e.paid_on, GREATEST(g.paid_on, p.birth_date), e.updated_at::date) END,
    -- the person's own contribution: a fully assisted person's payment comes from the medical-assistance fund
    CASE WHEN e.state = 'paid' AND COALESCE(e.due_fen, 0) > 0 THEN e.paid_fen ELSE 0 END,
    CASE WHEN e.state = 'paid' AND e.assistance_fen > 0 THEN e.assistance_fen END,
    CASE WHEN e.state = 'paid' THEN e.subsidy_fen END,
    s.central, s.provincial, s.prefecture, s.county, s.local, s.unallocated,
    COALESCE((SELECT string_agg(x, ',' ORDER BY x) FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(e.quote->'request'->'person'->'statuses') = 'array' THEN e.quote->'request'->'person'->'statuses' END) x), '')
  FROM enrollment e
  JOIN person p ON p.id = e.person_id
  LEFT JOIN enrollment g ON e.guardian_person_id IS NOT NULL AND g.person_id = e.guardian_person_id AND g.coverage_year = e.coverage_year
  LEFT JOIN LATERAL (
    SELECT sum(round((l->>'amount')::numeric * 100)) FILTER (WHERE l->>'level' = 'central')::bigint AS central,
           sum(round((l->>'amount')::numeric * 100)) FILTER (WHERE l->>'level' = 'provincial')::bigint AS provincial,
           sum(round((l->>'amount')::numeric * 100)) FILTER (WHERE l->>'level' = 'prefecture')::bigint AS prefecture,
           sum(round((l->>'amount')::numeric * 100)) FILTER (WHERE l->>'level' = 'county')::bigint AS county,
           sum(round((l->>'amount')::numeric * 100)) FILTER (WHERE l->>'level' = 'local')::bigint AS local,
           sum(round((l->>'amount')::numeric * 100)) FILTER (WHERE l->>'level' = 'unallocated')::bigint AS unallocated
    FROM jsonb_array_elements(CASE WHEN e.state = 'paid' AND jsonb_typeof(e.quote->'answer'->'fiscalSubsidy'->'shares') = 'array' THEN e.quote->'answer'->'fiscalSubsidy'->'shares' END) l
  ) s ON true
  WHERE e.id = ANY(ids)
  ORDER BY e.id
  ON CONFLICT (enrollment_id) DO UPDATE SET
    person_id = EXCLUDED.person_id, coverage_year = EXCLUDED.coverage_year, village_code = EXCLUDED.village_code, state = EXCLUDED.state,
    birth_date = EXCLUDED.birth_date, enrolled_on = EXCLUDED.enrolled_on, paid_fen = EXCLUDED.paid_fen, assistance_fen = EXCLUDED.assistance_fen, subsidy_fen = EXCLUDED.subsidy_fen,
    sub_central_fen = EXCLUDED.sub_central_fen, sub_provincial_fen = EXCLUDED.sub_provincial_fen, sub_prefecture_fen = EXCLUDED.sub_prefecture_fen,
    sub_county_fen = EXCLUDED.sub_county_fen, sub_local_fen = EXCLUDED.sub_local_fen, sub_unallocated_fen = EXCLUDED.sub_unallocated_fen, statuses = EXCLUDED.statuses
  WHERE (f.person_id, f.coverage_year, f.village_code, f.state, f.birth_date, f.enrolled_on, f.paid_fen, f.assistance_fen, f.subsidy_fen, f.sub_central_fen, f.sub_provincial_fen,
         f.sub_prefecture_fen, f.sub_county_fen, f.sub_local_fen, f.sub_unallocated_fen, f.statuses)
    IS DISTINCT FROM (EXCLUDED.person_id, EXCLUDED.coverage_year, EXCLUDED.village_code, EXCLUDED.state, EXCLUDED.birth_date, EXCLUDED.enrolled_on, EXCLUDED.paid_fen,
         EXCLUDED.assistance_fen, EXCLUDED.subsidy_fen, EXCLUDED.sub_central_fen, EXCLUDED.sub_provincial_fen, EXCLUDED.sub_prefecture_fen,
         EXCLUDED.sub_county_fen, EXCLUDED.sub_local_fen, EXCLUDED.sub_unallocated_fen, EXCLUDED.statuses);
$$;

CREATE FUNCTION enrollment_progress_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM progress_sync(ARRAY(SELECT id FROM changed_rows));
  RETURN NULL;
END $$;
CREATE TRIGGER enrollment_progress_insert AFTER INSERT ON enrollment REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION enrollment_progress_changed();
CREATE TRIGGER enrollment_progress_update AFTER UPDATE ON enrollment REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION enrollment_progress_changed();

CREATE FUNCTION enrollment_progress_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM enrollment_progress f USING gone_rows g WHERE f.enrollment_id = g.id;
  RETURN NULL;
END $$;
CREATE TRIGGER enrollment_progress_delete AFTER DELETE ON enrollment REFERENCING OLD TABLE AS gone_rows
  FOR EACH STATEMENT EXECUTE FUNCTION enrollment_progress_deleted();

-- a person who moves to another village takes their enrollments' figures along (and a corrected birth date is followed)
CREATE FUNCTION person_progress_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE enrollment_progress f SET village_code = n.village_code, birth_date = n.birth_date
  FROM new_rows n JOIN old_rows o ON o.id = n.id
  WHERE (n.village_code, n.birth_date) IS DISTINCT FROM (o.village_code, o.birth_date) AND f.person_id = n.id
    AND (f.village_code, f.birth_date) IS DISTINCT FROM (n.village_code, n.birth_date);
  RETURN NULL;
END $$;
CREATE TRIGGER person_progress_moved AFTER UPDATE ON person REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION person_progress_moved();

-- ---------------------------------------------------------------- enrollment_progress → progress_rollup

-- Each statement's change as signed contributions, summed by key, added to the rollup in key
-- order (so two writers lock the rollup rows they share in the same order). An assessed row
-- only counts among the enrollments: assessed-but-unpaid is enrollments − paid − refused −
-- blocked, so a payment touches one rollup row (its village and day), not a shared counter.
CREATE FUNCTION progress_rollup_delta(added enrollment_progress[], removed enrollment_progress[]) RETURNS void LANGUAGE sql AS $$
  INSERT INTO progress_rollup AS r (coverage_year, village_code, kind, day, statuses, n, paid_fen, assistance_fen, subsidy_fen,
    sub_central_fen, sub_provincial_fen, sub_prefecture_fen, sub_county_fen, sub_local_fen, sub_unallocated_fen)
  SELECT c.coverage_year, c.village_code, k.kind, k.day, k.statuses, sum(c.sign), sum(k.m * c.paid_fen), sum(k.m * c.assistance_fen), sum(k.m * c.subsidy_fen),
    sum(k.m * c.c1), sum(k.m * c.c2), sum(k.m * c.c3), sum(k.m * c.c4), sum(k.m * c.c5), sum(k.m * c.c6)
  FROM (
    SELECT 1 AS sign, x.coverage_year, x.village_code, x.state, x.enrolled_on,
      CASE WHEN x.birth_date >= make_date(x.coverage_year - 1, 1, 1) THEN x.birth_date ELSE '-infinity'::date END AS born, x.paid_fen, COALESCE(x.assistance_fen, 0) AS assistance_fen, COALESCE(x.subsidy_fen, 0) AS subsidy_fen,
      COALESCE(x.sub_central_fen, 0) c1, COALESCE(x.sub_provincial_fen, 0) c2, COALESCE(x.sub_prefecture_fen, 0) c3, COALESCE(x.sub_county_fen, 0) c4,
      COALESCE(x.sub_local_fen, 0) c5, COALESCE(x.sub_unallocated_fen, 0) c6, CASE WHEN x.assistance_fen > 0 THEN x.statuses ELSE '' END AS statuses
    FROM unnest(added) x
    UNION ALL
    SELECT -1, x.coverage_year, x.village_code, x.state, x.enrolled_on,
      CASE WHEN x.birth_date >= make_date(x.coverage_year - 1, 1, 1) THEN x.birth_date ELSE '-infinity'::date END, -x.paid_fen, -COALESCE(x.assistance_fen, 0), -COALESCE(x.subsidy_fen, 0),
      -COALESCE(x.sub_central_fen, 0), -COALESCE(x.sub_provincial_fen, 0), -COALESCE(x.sub_prefecture_fen, 0), -COALESCE(x.sub_county_fen, 0),
      -COALESCE(x.sub_local_fen, 0), -COALESCE(x.sub_unallocated_fen, 0), CASE WHEN x.assistance_fen > 0 THEN x.statuses ELSE '' END
    FROM unnest(removed) x
  ) c
  CROSS JOIN LATERAL (VALUES
    ('enrollments', c.born, '', 0),
    (CASE WHEN c.state IN ('paid', 'refused', 'blocked') THEN c.state END,
     CASE WHEN c.state = 'paid' THEN c.enrolled_on WHEN c.state = 'blocked' THEN c.born ELSE '-infinity'::date END,
     CASE WHEN c.state = 'paid' THEN c.statuses ELSE '' END, CASE WHEN c.state = 'paid' THEN 1 ELSE 0 END)
  ) AS k(kind, day, statuses, m)
  WHERE k.kind IS NOT NULL
  GROUP BY 1, 2, 3, 4, 5
  HAVING sum(c.sign) <> 0 OR sum(k.m * c.paid_fen) <> 0 OR sum(k.m * c.assistance_fen) <> 0 OR sum(k.m * c.subsidy_fen) <> 0
    OR sum(k.m * c.c1) <> 0 OR sum(k.m * c.c2) <> 0 OR sum(k.m * c.c3) <> 0 OR sum(k.m * c.c4) <> 0 OR sum(k.m * c.c5) <> 0 OR sum(k.m * c.c6) <> 0
  ORDER BY 1, 2, 3, 4, 5
  ON CONFLICT (coverage_year, village_code, kind, day, statuses) DO UPDATE SET
    n = r.n + EXCLUDED.n, paid_fen = r.paid_fen + EXCLUDED.paid_fen, assistance_fen = r.assistance_fen + EXCLUDED.assistance_fen,
    subsidy_fen = r.subsidy_fen + EXCLUDED.subsidy_fen, sub_central_fen = r.sub_central_fen + EXCLUDED.sub_central_fen,
    sub_provincial_fen = r.sub_provincial_fen + EXCLUDED.sub_provincial_fen, sub_prefecture_fen = r.sub_prefecture_fen + EXCLUDED.sub_prefecture_fen,
    sub_county_fen = r.sub_county_fen + EXCLUDED.sub_county_fen, sub_local_fen = r.sub_local_fen + EXCLUDED.sub_local_fen,
    sub_unallocated_fen = r.sub_unallocated_fen + EXCLUDED.sub_unallocated_fen;
$$;


CREATE FUNCTION progress_rollup_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM progress_rollup_delta(ARRAY(SELECT x::enrollment_progress FROM new_rows x), '{}');
  RETURN NULL;
END $$;
CREATE FUNCTION progress_rollup_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM progress_rollup_delta(ARRAY(SELECT x::enrollment_progress FROM new_rows x), ARRAY(SELECT x::enrollment_progress FROM old_rows x));
  RETURN NULL;
END $$;
CREATE FUNCTION progress_rollup_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM progress_rollup_delta('{}', ARRAY(SELECT x::enrollment_progress FROM old_rows x));
  RETURN NULL;
END $$;
CREATE TRIGGER progress_rollup_insert AFTER INSERT ON enrollment_progress REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION progress_rollup_inserted();
CREATE TRIGGER progress_rollup_update AFTER UPDATE ON enrollment_progress REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION progress_rollup_updated();
CREATE TRIGGER progress_rollup_delete AFTER DELETE ON enrollment_progress REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION progress_rollup_deleted();

-- enrollments recorded before this migration
SELECT progress_sync(ARRAY(SELECT id FROM enrollment));
