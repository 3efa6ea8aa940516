/**
 * The sums every progress figure is made of, per village, as of a date: the whole half-months
 * up to the date from progress_half_month (and the assistance by statuses from
 * progress_half_month_statuses: migration 040), and, when the date is not itself a
 * half-month end (the 15th or the month's last day), the days of its half-month up to it from
 * progress_rollup (migration 020: keyed by day). Both are kept by statement-level triggers from
 * the enrollments, in the writer's transaction, so the figures as of any date equal the direct
 * counts over the enrollments. One aggregate pass over the area's rows; no query per village.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { formatDay, parseDay } from '../dates.js';
import { inArea } from './area.js';
import { isHalfMonthEnd, previousHalfMonthEnd } from './figures.js';
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

const num = (v: string | null | undefined): number => (v === null || v === undefined ? 0 : Number(v));

export const emptySums = (villageCode: string): VillageSums => ({
  villageCode, enrollments: 0, enrollmentsAtBase: 0, paid: 0, refused: 0, blocked: 0, blockedAtBase: 0, paidFen: 0, assistanceFen: 0, subsidyFen: 0,
  subsidyByLevelFen: Object.fromEntries(SUBSIDY_LEVELS.map((l) => [l, 0])) as Record<SubsidyLevel, number>,
});

/**
 * A date as half-months: the last half-month end on or before it (the date itself when it is
 * one), and whether days after that end, up to the date, remain to be read by day.
 */
export function halfMonthCut(date: string): { full: string; partial: boolean } {
  const d = parseDay(date);
  if (Number.isNaN(d)) throw new RangeError(`${date} is not a date`);
  return isHalfMonthEnd(d) ? { full: date, partial: false } : { full: formatDay(previousHalfMonthEnd(d)), partial: true };
}

const SUMS = sql`sum(n) AS n, sum(paid_fen) AS paid_fen, sum(assistance_fen) AS assistance_fen, sum(subsidy_fen) AS subsidy_fen,
  sum(sub_central_fen) AS c1, sum(sub_provincial_fen) AS c2, sum(sub_prefecture_fen) AS c3, sum(sub_county_fen) AS c4,
  sum(sub_local_fen) AS c5, sum(sub_unallocated_fen) AS c6`;

interface SumRow {
  village_code: string;
  kind: string;
  /** half: a half-month group (upto / atbase: on or before the cut of asOf / of base); upto: days of asOf's own half-month; atbase: days of base's */
  part: 'half' | 'upto' | 'atbase';
  upto: boolean;
  atbase: boolean;
  n: string;
  paid_fen: string;
  assistance_fen: string;
  subsidy_fen: string;
  c1: string; c2: string; c3: string; c4: string; c5: string; c6: string;
}

/**
 * The rows the village sums are added up from: the half-months grouped by village, kind and
 * which side of the two cuts they fall (a few rows a village), then the days of the partial
 * half-months: paid ones up to asOf (unless `withDays` is false: yearSums reads them apart),
 * enrollments and blocked ones up to base.
 */
function villageRows(year: number, areaCode: string, asOf: string, base: string, withDays = true): RawBuilder<SumRow> {
  const a = halfMonthCut(asOf);
  const b = halfMonthCut(base);
  const area = inArea('village_code', areaCode);
  const parts = [sql`
    SELECT village_code, kind, 'half' AS part, period <= ${a.full}::date AS upto, period <= ${b.full}::date AS atbase, ${SUMS}
    FROM progress_half_month WHERE coverage_year = ${year} AND ${area}
    GROUP BY 1, 2, 3, 4, 5`];
  if (a.partial && withDays)
    parts.push(sql`
      SELECT village_code, kind, 'upto', true, false, ${SUMS} FROM progress_rollup
      WHERE ${partialPaid(year, areaCode, asOf)}
      GROUP BY 1, 2`);
  if (b.partial)
    parts.push(sql`
      SELECT village_code, kind, 'atbase', false, true, ${SUMS} FROM progress_rollup
      WHERE coverage_year = ${year} AND kind IN ('enrollments', 'blocked') AND day > ${b.full}::date AND day <= ${base}::date AND ${area}
      GROUP BY 1, 2`);
  return sql<SumRow>`${sql.join(parts, sql` UNION ALL `)}`;
}

/** progress_rollup's paid rows of the area after the last half-month end before asOf, up to asOf (the date's partial half-month). */
function partialPaid(year: number, areaCode: string, asOf: string) {
  return sql`coverage_year = ${year} AND kind = 'paid' AND day > ${halfMonthCut(asOf).full}::date AND day <= ${asOf}::date AND ${inArea('village_code', areaCode)}`;
}

/**
 * The paid days of asOf's partial half-month, read once for the three things made of them: per
 * village (rows with statuses null: added to the village sums as the 'upto' part), and per
 * statuses over the area (rows with village_code null: the assistance by statuses). Their sum
 * is the series' last point.
 */
function partialDays(year: number, areaCode: string, asOf: string): RawBuilder<SumRow & { statuses: string | null }> {
  return sql<SumRow & { statuses: string | null }>`
    SELECT village_code, statuses, 'paid' AS kind, 'upto' AS part, true AS upto, false AS atbase, ${SUMS}
    FROM progress_rollup WHERE ${partialPaid(year, areaCode, asOf)}
    GROUP BY GROUPING SETS ((village_code), (statuses))`;
}

function addUp(rows: SumRow[]): Map<string, VillageSums> {
  const villages = new Map<string, VillageSums>();
  for (const r of rows) {
    const v = villages.get(r.village_code) ?? emptySums(r.village_code);
    villages.set(r.village_code, v);
    const n = Number(r.n);
    const paid = r.kind === 'paid' && (r.part === 'upto' || (r.part === 'half' && r.upto));
    if (r.part === 'atbase') {
      if (r.kind === 'enrollments') v.enrollmentsAtBase += n;
      else if (r.kind === 'blocked') v.blockedAtBase += n;
    } else if (r.kind === 'enrollments' && r.part === 'half') {
      v.enrollments += n;
      if (r.atbase) v.enrollmentsAtBase += n;
    } else if (r.kind === 'refused' && r.part === 'half') v.refused += n;
    else if (r.kind === 'blocked' && r.part === 'half') {
      v.blocked += n;
      if (r.atbase) v.blockedAtBase += n;
    } else if (paid) {
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
  return villages;
}

/** Sums per village of the area (code prefix) for a coverage year as of `asOf`; `base`: the target base date. */
export async function villageSums(db: Kysely<DB>, year: number, areaCode: string, asOf: string, base: string): Promise<Map<string, VillageSums>> {
  const { rows } = await villageRows(year, areaCode, asOf, base).execute(db);
  return addUp(rows);
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
 * The sums per village as of `asOf` (and at the target base date `base`), the paid by half-month
 * and the assistance by statuses of one area and year: statements run together, three over the
 * area's half-months and, when asOf is not a half-month end, one over the (at most 15) days of
 * its own half-month, read once for all three.
 */
export async function yearSums(db: Kysely<DB>, year: number, areaCode: string, asOf: string, base: string): Promise<YearSums> {
  const a = halfMonthCut(asOf);
  const area = inArea('village_code', areaCode);
  const [{ rows }, { rows: halves }, { rows: st }, { rows: days }] = await Promise.all([
    villageRows(year, areaCode, asOf, base, false).execute(db),
    // a half-month's paid are keyed by its end: the series' points are half-month ends and asOf itself
    sql<{ day: string; n: string }>`
      SELECT period::text AS day, sum(n) AS n FROM progress_half_month
      WHERE coverage_year = ${year} AND kind = 'paid' AND period <= ${a.full}::date AND ${area}
      GROUP BY period ORDER BY period`.execute(db),
    sql<{ statuses: string; n: string; fen: string }>`
      SELECT statuses, sum(n) AS n, sum(assistance_fen) AS fen FROM progress_half_month_statuses
      WHERE coverage_year = ${year} AND period <= ${a.full}::date AND ${area}
      GROUP BY statuses`.execute(db),
    a.partial ? partialDays(year, areaCode, asOf).execute(db) : Promise.resolve({ rows: [] }),
  ]);
  const perVillage = days.filter((r) => r.village_code !== null);
  const byStatuses = new Map(st.map((r) => [r.statuses, { n: Number(r.n), fen: Number(r.fen) }]));
  for (const r of days)
    if (r.village_code === null && r.statuses !== null && r.statuses !== '') {
      const x = byStatuses.get(r.statuses) ?? { n: 0, fen: 0 };
      byStatuses.set(r.statuses, { n: x.n + Number(r.n), fen: x.fen + Number(r.assistance_fen) });
    }
  const byDay: [string, number][] = halves.map((d) => [d.day, Number(d.n)]);
  const partial = perVillage.reduce((s, r) => s + Number(r.n), 0);
  if (a.partial && partial !== 0) byDay.push([asOf, partial]);
  return {
    villages: addUp([...rows, ...perVillage]),
    byDay,
    byStatuses: [...byStatuses].filter(([, x]) => x.n !== 0 || x.fen !== 0).sort(([p], [q]) => (p < q ? -1 : p > q ? 1 : 0))
      .map(([statuses, x]) => ({ statuses: statuses.split(','), persons: x.n, fen: x.fen })),
  };
}

/** A year's paid enrollments per village, in all and as of a date, in one pass (last year's figures beside this year's). */
export async function paidSums(db: Kysely<DB>, year: number, areaCode: string, asOf: string): Promise<Map<string, { paid: number; paidAsOf: number }>> {
  const a = halfMonthCut(asOf);
  const area = inArea('village_code', areaCode);
  const { rows } = await sql<{ village_code: string; paid: string | null; paid_as_of: string | null }>`
    SELECT village_code, sum(paid) AS paid, sum(paid_as_of) AS paid_as_of FROM (
      SELECT village_code, sum(n) AS paid, sum(n) FILTER (WHERE period <= ${a.full}::date) AS paid_as_of
      FROM progress_half_month WHERE coverage_year = ${year} AND kind = 'paid' AND ${area}
      GROUP BY village_code
      ${a.partial ? sql`UNION ALL
      SELECT village_code, 0, sum(n) FROM progress_rollup WHERE ${partialPaid(year, areaCode, asOf)}
      GROUP BY village_code` : sql``}
    ) x GROUP BY village_code`.execute(db);
  return new Map(rows.map((r) => [r.village_code, { paid: num(r.paid), paidAsOf: num(r.paid_as_of) }]));
}
