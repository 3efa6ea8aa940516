/**
 * The sums every progress figure is made of, read from progress_rollup (kept by the triggers of
 * migration 020): per village, as of a date. One aggregate pass over the rollup rows of the
 * area's villages; no query per village.
 */
import { sql, type Kysely } from 'kysely';
import { SUBSIDY_LEVELS, type SubsidyLevel } from '../policy/vocabulary.js';
import type { DB } from '../store/schema.js';

export interface VillageSums {
  villageCode: string;
  /** enrollment rows of the year (every person the assessment saw) */
  enrollments: number;
  /** of them, born on or before the target base date */
  enrollmentsAtBase: number;
  /** paid (or enrolled following a guardian) on or before the date */
  paid: number;
  refused: number;
  blocked: number;
  blockedAtBase: number;
  paidFen: number;
  assistanceFen: number;
  subsidyFen: number;
  subsidyByLevelFen: Record<SubsidyLevel, number>;
}

interface Row {
  village_code: string;
  enrollments: string | null;
  enrollments_base: string | null;
  paid: string | null;
  refused: string | null;
  blocked: string | null;
  blocked_base: string | null;
  paid_fen: string | null;
  assistance_fen: string | null;
  subsidy_fen: string | null;
  central: string | null;
  provincial: string | null;
  prefecture: string | null;
  county: string | null;
  local: string | null;
  unallocated: string | null;
}

const num = (v: string | null): number => (v === null ? 0 : Number(v));

export const emptySums = (villageCode: string): VillageSums => ({
  villageCode, enrollments: 0, enrollmentsAtBase: 0, paid: 0, refused: 0, blocked: 0, blockedAtBase: 0, paidFen: 0, assistanceFen: 0, subsidyFen: 0,
  subsidyByLevelFen: Object.fromEntries(SUBSIDY_LEVELS.map((l) => [l, 0])) as Record<SubsidyLevel, number>,
});

/** Sums per village of the area (code prefix) for a coverage year as of `asOf`; `base`: the target base date. */
export async function villageSums(db: Kysely<DB>, year: number, areaCode: string, asOf: string, base: string): Promise<Map<string, VillageSums>> {
  const { rows } = await sql<Row>`
    SELECT village_code,
      sum(n) FILTER (WHERE kind = 'enrollments') AS enrollments,
      sum(n) FILTER (WHERE kind = 'enrollments' AND day <= ${base}::date) AS enrollments_base,
      sum(n) FILTER (WHERE kind = 'paid' AND day <= ${asOf}::date) AS paid,
      sum(n) FILTER (WHERE kind = 'refused') AS refused,
      sum(n) FILTER (WHERE kind = 'blocked') AS blocked,
      sum(n) FILTER (WHERE kind = 'blocked' AND day <= ${base}::date) AS blocked_base,
      sum(paid_fen) FILTER (WHERE kind = 'paid' AND day <= ${asOf}::date) AS paid_fen,
      sum(assistance_fen) FILTER (WHERE kind = 'paid' AND day <= ${asOf}::date) AS assistance_fen,
      sum(subsidy_fen) FILTER (WHERE kind = 'paid' AND day <= ${asOf}::date) AS subsidy_fen,
      sum(sub_central_fen) FILTER (WHERE kind = 'paid' AND day <= ${asOf}::date) AS central,
      sum(sub_provincial_fen) FILTER (WHERE kind = 'paid' AND day <= ${asOf}::date) AS provincial,
      sum(sub_prefecture_fen) FILTER (WHERE kind = 'paid' AND day <= ${asOf}::date) AS prefecture,
      sum(sub_county_fen) FILTER (WHERE kind = 'paid' AND day <= ${asOf}::date) AS county,
      sum(sub_local_fen) FILTER (WHERE kind = 'paid' AND day <= ${asOf}::date) AS local,
      sum(sub_unallocated_fen) FILTER (WHERE kind = 'paid' AND day <= ${asOf}::date) AS unallocated
    FROM progress_rollup
    WHERE coverage_year = ${year} AND village_code LIKE ${`${areaCode}%`}
    GROUP BY village_code`.execute(db);
  const out = new Map<string, VillageSums>();
  for (const r of rows)
    out.set(r.village_code, {
      villageCode: r.village_code,
      enrollments: num(r.enrollments),
      enrollmentsAtBase: num(r.enrollments_base),
      paid: num(r.paid),
      refused: num(r.refused),
      blocked: num(r.blocked),
      blockedAtBase: num(r.blocked_base),
      paidFen: num(r.paid_fen),
      assistanceFen: num(r.assistance_fen),
      subsidyFen: num(r.subsidy_fen),
      subsidyByLevelFen: { central: num(r.central), provincial: num(r.provincial), prefecture: num(r.prefecture), county: num(r.county), local: num(r.local), unallocated: num(r.unallocated) },
    });
  return out;
}

/** Paid enrollments of the area by day (for the half-month series): [day, count] in day order. */
export async function paidByDay(db: Kysely<DB>, year: number, areaCode: string, asOf: string): Promise<[string, number][]> {
  const { rows } = await sql<{ day: string; n: string }>`
    SELECT day::text AS day, sum(n) AS n FROM progress_rollup
    WHERE coverage_year = ${year} AND village_code LIKE ${`${areaCode}%`} AND kind = 'paid' AND day <= ${asOf}::date
    GROUP BY day ORDER BY day`.execute(db);
  return rows.map((r) => [r.day, Number(r.n)]);
}

/** Assistance of paid enrollments as of a date by the statuses it was granted for (comma-joined). */
export async function assistanceByStatuses(db: Kysely<DB>, year: number, areaCode: string, asOf: string): Promise<{ statuses: string[]; persons: number; fen: number }[]> {
  const { rows } = await sql<{ statuses: string; n: string; fen: string }>`
    SELECT statuses, sum(n) AS n, sum(assistance_fen) AS fen FROM progress_rollup
    WHERE coverage_year = ${year} AND village_code LIKE ${`${areaCode}%`} AND kind = 'paid' AND day <= ${asOf}::date AND statuses <> ''
    GROUP BY statuses ORDER BY statuses`.execute(db);
  return rows.filter((r) => Number(r.n) !== 0 || Number(r.fen) !== 0).map((r) => ({ statuses: r.statuses.split(','), persons: Number(r.n), fen: Number(r.fen) }));
}
