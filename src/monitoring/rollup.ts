/**
 * The sums every progress figure is made of, read from progress_rollup (kept by the triggers of
 * migration 020): per village, as of a date. One aggregate pass over the rollup rows of the
 * area's villages; no query per village.
 */
import { sql, type Kysely } from 'kysely';
import { inArea } from './area.js';
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
    WHERE coverage_year = ${year} AND ${inArea('village_code', areaCode)}
    GROUP BY village_code`.execute(db);
  return new Map(rows.map((r) => [r.village_code, sumsOf(r)]));
}

function sumsOf(r: Row): VillageSums {
  return {
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
  };
}

export interface YearSums {
  /** per village, as villageSums gives them */
  villages: Map<string, VillageSums>;
  /** paid enrollments of the area by day (for the half-month series): [day, count] in day order */
  byDay: [string, number][];
  /** assistance of paid enrollments as of the date by the statuses it was granted for */
  byStatuses: { statuses: string[]; persons: number; fen: number }[];
}

/**
 * The sums per village as of `asOf` (and at the target base date `base`), the paid by day and the
 * assistance by statuses of one area and year: three statements run together. The village sums
 * group the rollup rows by village, kind and which side of the two dates they fall (a few rows a
 * village, added up here) instead of evaluating fifteen filtered sums on every row: at 1 M persons
 * (~190 000 rollup rows) that halves the statement.
 */
export async function yearSums(db: Kysely<DB>, year: number, areaCode: string, asOf: string, base: string): Promise<YearSums> {
  const where = sql`coverage_year = ${year} AND ${inArea('village_code', areaCode)}`;
  const [{ rows }, { rows: days }, { rows: st }] = await Promise.all([
    sql<{ village_code: string; kind: string; upto: boolean; atbase: boolean; n: string; paid_fen: string; assistance_fen: string; subsidy_fen: string; c1: string; c2: string; c3: string; c4: string; c5: string; c6: string }>`
      SELECT village_code, kind, day <= ${asOf}::date AS upto, day <= ${base}::date AS atbase, sum(n) AS n, sum(paid_fen) AS paid_fen, sum(assistance_fen) AS assistance_fen,
        sum(subsidy_fen) AS subsidy_fen, sum(sub_central_fen) AS c1, sum(sub_provincial_fen) AS c2, sum(sub_prefecture_fen) AS c3, sum(sub_county_fen) AS c4,
        sum(sub_local_fen) AS c5, sum(sub_unallocated_fen) AS c6
      FROM progress_rollup WHERE ${where}
      GROUP BY 1, 2, 3, 4`.execute(db),
    sql<{ day: string; n: string }>`
      SELECT day::text AS day, sum(n) AS n FROM progress_rollup WHERE ${where} AND kind = 'paid' AND day <= ${asOf}::date GROUP BY day ORDER BY day`.execute(db),
    sql<{ statuses: string; n: string; fen: string }>`
      SELECT statuses, sum(n) AS n, sum(assistance_fen) AS fen FROM progress_rollup
      WHERE ${where} AND kind = 'paid' AND day <= ${asOf}::date AND statuses <> '' GROUP BY statuses ORDER BY statuses`.execute(db),
  ]);
  const villages = new Map<string, VillageSums>();
  for (const r of rows) {
    const v = villages.get(r.village_code) ?? emptySums(r.village_code);
    villages.set(r.village_code, v);
    const n = Number(r.n);
    if (r.kind === 'enrollments') {
      v.enrollments += n;
      if (r.atbase) v.enrollmentsAtBase += n;
    } else if (r.kind === 'refused') v.refused += n;
    else if (r.kind === 'blocked') {
      v.blocked += n;
      if (r.atbase) v.blockedAtBase += n;
    } else if (r.kind === 'paid' && r.upto) {
      v.paid += n;
      v.paidFen += Number(r.paid_fen);
      v.assistanceFen += Number(r.assistance_fen);
      v.subsidyFen += Number(r.subsidy_fen);
      const l = v.subsidyByLevelFen;
      l.central += Number(r.c1);
      l.provincial += Number(r.c2);
      l.prefecture += Number(r.c3);
      l.county += Number(r.c4);
      l.local += Number(r.c5);
      l.unallocated += Number(r.c6);
    }
  }
  return {
    villages,
    byDay: days.map((d) => [d.day, Number(d.n)]),
    byStatuses: st.filter((r) => Number(r.n) !== 0 || Number(r.fen) !== 0).map((r) => ({ statuses: r.statuses.split(','), persons: Number(r.n), fen: Number(r.fen) })),
  };
}

/** A year's paid enrollments per village, in all and as of a date, in one pass (last year's figures beside this year's). */
export async function paidSums(db: Kysely<DB>, year: number, areaCode: string, asOf: string): Promise<Map<string, { paid: number; paidAsOf: number }>> {
  const { rows } = await sql<{ village_code: string; paid: string | null; paid_as_of: string | null }>`
    SELECT village_code, sum(n) AS paid, sum(n) FILTER (WHERE day <= ${asOf}::date) AS paid_as_of
    FROM progress_rollup
    WHERE coverage_year = ${year} AND ${inArea('village_code', areaCode)} AND kind = 'paid'
    GROUP BY village_code`.execute(db);
  return new Map(rows.map((r) => [r.village_code, { paid: num(r.paid), paidAsOf: num(r.paid_as_of) }]));
}
