-- Campaign progress by half-month (issue #14: a county of 1 M persons as of any date in < 200 ms).
--
-- progress_rollup (migration 020) keys paid enrollments by the day they count as enrolled: ~450
-- rows a village, ~190 000 for a county of 1 M persons, every one read for each figure.
-- progress_half_month holds the same sums keyed by the half-month the day falls in (its end:
-- the 15th or the last day of the month, the dates of 每半月通报; -infinity stays -infinity), so
-- a figure as of a date D is the half-months ending on or before D, plus, when D is not itself a
-- half-month end, progress_rollup's days after the last half-month end before D up to D (at
-- most 15 days). The half-month series of the report is read straight from it.
--
-- It is kept by statement-level triggers on progress_rollup (transition tables; the deltas of
-- each statement summed by key and added in key order, as progress_rollup is kept from
-- enrollment_progress), so whatever writes progress_rollup keeps it exact, in the same
-- transaction: the payment file's batches, the single payment, newborns following a guardian,
-- assessments, moves and deletions alike.

-- The half-month a day falls in, as its last day: the 15th, or the last day of the month.
CREATE FUNCTION half_month_end(d date) RETURNS date LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN d IS NULL OR NOT isfinite(d) THEN d
    WHEN extract(day FROM d) <= 15 THEN make_date(extract(year FROM d)::int, extract(month FROM d)::int, 15)
    ELSE (make_date(extract(year FROM d)::int, extract(month FROM d)::int, 1) + interval '1 month')::date - 1
  END
$$;

CREATE TABLE progress_half_month (
  coverage_year   int NOT NULL,
  village_code    text NOT NULL,
  kind            text NOT NULL CHECK (kind IN ('enrollments', 'paid', 'refused', 'blocked')),
  period          date NOT NULL,                      -- half_month_end(progress_rollup.day)
  n               bigint NOT NULL DEFAULT 0,
  paid_fen        bigint NOT NULL DEFAULT 0,
  assistance_fen  bigint NOT NULL DEFAULT 0,
  subsidy_fen     bigint NOT NULL DEFAULT 0,
  sub_central_fen bigint NOT NULL DEFAULT 0, sub_provincial_fen bigint NOT NULL DEFAULT 0, sub_prefecture_fen bigint NOT NULL DEFAULT 0,
  sub_county_fen  bigint NOT NULL DEFAULT 0, sub_local_fen bigint NOT NULL DEFAULT 0, sub_unallocated_fen bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (coverage_year, village_code, kind, period)
);

-- the assistance of paid enrollments by the statuses it was granted for (progress_rollup's paid
-- rows with statuses), by half-month: apart, so that the village sums read one row a village,
-- kind and half-month (a county: ~15 000 rows at 1 M persons, not ~42 000)
CREATE TABLE progress_half_month_statuses (
  coverage_year   int NOT NULL,
  village_code    text NOT NULL,
  period          date NOT NULL,
  statuses        text NOT NULL,
  n               bigint NOT NULL DEFAULT 0,
  assistance_fen  bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (coverage_year, village_code, period, statuses)
);

-- the partial half-month of a date: a few days of the county's paid rows, whatever its villages
CREATE INDEX progress_rollup_kind_day ON progress_rollup (coverage_year, kind, day, village_code);

-- Each statement's change to progress_rollup as signed sums by half-month key, added in key
-- order: the village sums, then the assistance by statuses (every writer in that order).
CREATE FUNCTION progress_half_month_delta(added progress_rollup[], removed progress_rollup[]) RETURNS void LANGUAGE sql AS $$
  INSERT INTO progress_half_month AS h (coverage_year, village_code, kind, period, n, paid_fen, assistance_fen, subsidy_fen,
    sub_central_fen, sub_provincial_fen, sub_prefecture_fen, sub_county_fen, sub_local_fen, sub_unallocated_fen)
  SELECT c.coverage_year, c.village_code, c.kind, half_month_end(c.day), sum(c.n), sum(c.paid_fen), sum(c.assistance_fen), sum(c.subsidy_fen),
    sum(c.sub_central_fen), sum(c.sub_provincial_fen), sum(c.sub_prefecture_fen), sum(c.sub_county_fen), sum(c.sub_local_fen), sum(c.sub_unallocated_fen)
  FROM (
    SELECT x.coverage_year, x.village_code, x.kind, x.day, x.n, x.paid_fen, x.assistance_fen, x.subsidy_fen,
      x.sub_central_fen, x.sub_provincial_fen, x.sub_prefecture_fen, x.sub_county_fen, x.sub_local_fen, x.sub_unallocated_fen
    FROM unnest(added) x
    UNION ALL
    SELECT x.coverage_year, x.village_code, x.kind, x.day, -x.n, -x.paid_fen, -x.assistance_fen, -x.subsidy_fen,
      -x.sub_central_fen, -x.sub_provincial_fen, -x.sub_prefecture_fen, -x.sub_county_fen, -x.sub_local_fen, -x.sub_unallocated_fen
    FROM unnest(removed) x
  ) c
  GROUP BY 1, 2, 3, 4
  HAVING sum(c.n) <> 0 OR sum(c.paid_fen) <> 0 OR sum(c.assistance_fen) <> 0 OR sum(c.subsidy_fen) <> 0
    OR sum(c.sub_central_fen) <> 0 OR sum(c.sub_provincial_fen) <> 0 OR sum(c.sub_prefecture_fen) <> 0 OR sum(c.sub_county_fen) <> 0
    OR sum(c.sub_local_fen) <> 0 OR sum(c.sub_unallocated_fen) <> 0
  ORDER BY 1, 2, 3, 4
  ON CONFLICT (coverage_year, village_code, kind, period) DO UPDATE SET
    n = h.n + EXCLUDED.n, paid_fen = h.paid_fen + EXCLUDED.paid_fen, assistance_fen = h.assistance_fen + EXCLUDED.assistance_fen,
    subsidy_fen = h.subsidy_fen + EXCLUDED.subsidy_fen, sub_central_fen = h.sub_central_fen + EXCLUDED.sub_central_fen,
    sub_provincial_fen = h.sub_provincial_fen + EXCLUDED.sub_provincial_fen, sub_prefecture_fen = h.sub_prefecture_fen + EXCLUDED.sub_prefecture_fen,
    sub_county_fen = h.sub_county_fen + EXCLUDED.sub_county_fen, sub_local_fen = h.sub_local_fen + EXCLUDED.sub_local_fen,
    sub_unallocated_fen = h.sub_unallocated_fen + EXCLUDED.sub_unallocated_fen;

  INSERT INTO progress_half_month_statuses AS h (coverage_year, village_code, period, statuses, n, assistance_fen)
  SELECT c.coverage_year, c.village_code, half_month_end(c.day), c.statuses, sum(c.n), sum(c.assistance_fen)
  FROM (
    SELECT x.coverage_year, x.village_code, x.day, x.statuses, x.n, x.assistance_fen FROM unnest(added) x WHERE x.kind = 'paid' AND x.statuses <> ''
    UNION ALL
    SELECT x.coverage_year, x.village_code, x.day, x.statuses, -x.n, -x.assistance_fen FROM unnest(removed) x WHERE x.kind = 'paid' AND x.statuses <> ''
  ) c
  GROUP BY 1, 2, 3, 4
  HAVING sum(c.n) <> 0 OR sum(c.assistance_fen) <> 0
  ORDER BY 1, 2, 3, 4
  ON CONFLICT (coverage_year, village_code, period, statuses) DO UPDATE SET
    n = h.n + EXCLUDED.n, assistance_fen = h.assistance_fen + EXCLUDED.assistance_fen;
$$;

CREATE FUNCTION progress_half_month_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM progress_half_month_delta(ARRAY(SELECT x::progress_rollup FROM new_rows x), '{}');
  RETURN NULL;
END $$;
CREATE FUNCTION progress_half_month_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM progress_half_month_delta(ARRAY(SELECT x::progress_rollup FROM new_rows x), ARRAY(SELECT x::progress_rollup FROM old_rows x));
  RETURN NULL;
END $$;
CREATE FUNCTION progress_half_month_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM progress_half_month_delta('{}', ARRAY(SELECT x::progress_rollup FROM old_rows x));
  RETURN NULL;
END $$;
-- an INSERT … ON CONFLICT DO UPDATE (how progress_rollup is written) fires both: the rows it
-- inserted in the one, the rows it updated (before and after) in the other
CREATE TRIGGER progress_half_month_insert AFTER INSERT ON progress_rollup REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION progress_half_month_inserted();
CREATE TRIGGER progress_half_month_update AFTER UPDATE ON progress_rollup REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION progress_half_month_updated();
CREATE TRIGGER progress_half_month_delete AFTER DELETE ON progress_rollup REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION progress_half_month_deleted();

-- the rollup recorded before this migration
INSERT INTO progress_half_month (coverage_year, village_code, kind, period, n, paid_fen, assistance_fen, subsidy_fen,
  sub_central_fen, sub_provincial_fen, sub_prefecture_fen, sub_county_fen, sub_local_fen, sub_unallocated_fen)
SELECT coverage_year, village_code, kind, half_month_end(day), sum(n), sum(paid_fen), sum(assistance_fen), sum(subsidy_fen),
  sum(sub_central_fen), sum(sub_provincial_fen), sum(sub_prefecture_fen), sum(sub_county_fen), sum(sub_local_fen), sum(sub_unallocated_fen)
FROM progress_rollup
GROUP BY 1, 2, 3, 4
ORDER BY 1, 2, 3, 4;
INSERT INTO progress_half_month_statuses (coverage_year, village_code, period, statuses, n, assistance_fen)
SELECT coverage_year, village_code, half_month_end(day), statuses, sum(n), sum(assistance_fen)
FROM progress_rollup WHERE kind = 'paid' AND statuses <> ''
GROUP BY 1, 2, 3, 4
ORDER BY 1, 2, 3, 4;
ANALYZE progress_half_month;
ANALYZE progress_half_month_statuses;
ANALYZE progress_rollup;
