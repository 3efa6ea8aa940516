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
  /** as paidByDay gives them */
  byDay: [string, number][];
  /** as assistanceByStatuses gives them */
  byStatuses: { statuses: string[]; persons: number; fen: number }[];
}

/**
 * villageSums, paidByDay and assistanceByStatuses of one area, year and date in one pass over
 * the rollup rows (GROUPING SETS by village, by day and by statuses): a county's progress reads
 * its ~200 000 rollup rows once, not three times.
 */
export async function yearSums(db: Kysely<DB>, year: number, areaCode: string, asOf: string, base: string): Promise<YearSums> {
  const { rows } = await sql<Row & { day: string | null; statuses: string | null; g: number }>`
    SELECT village_code, day::text AS day, statuses, GROUPING(village_code, day, statuses) AS g,
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
    GROUP BY GROUPING SETS ((village_code), (day), (statuses))`.execute(db);
  const villages = new Map<string, VillageSums>();
  const byDay: [string, number][] = [];
  const byStatuses: YearSums['byStatuses'] = [];
  // GROUPING(village_code, day, statuses): a bit set for each column not grouped by
  for (const r of rows) {
    const g = Number(r.g);
    if (g === 3) villages.set(r.village_code, sumsOf(r));
    else if (g === 5 && r.paid !== null) byDay.push([r.day!, Number(r.paid)]);
    else if (g === 6 && r.statuses !== '' && r.paid !== null && (Number(r.paid) !== 0 || num(r.assistance_fen) !== 0))
      byStatuses.push({ statuses: r.statuses!.split(','), persons: Number(r.paid), fen: num(r.assistance_fen) });
  }
  byDay.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  byStatuses.sort((a, b) => (a.statuses.join(',') < b.statuses.join(',') ? -1 : 1));
  return { villages, byDay, byStatuses };
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
