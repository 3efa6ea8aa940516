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
 * half-months: paid ones up to asOf, enrollments and blocked ones up to base.
 */
function villageRows(year: number, areaCode: string, asOf: string, base: string): RawBuilder<SumRow> {
  const a = halfMonthCut(asOf);
  const b = halfMonthCut(base);
  const area = inArea('village_code', areaCode);
  const parts = [sql`
    SELECT village_code, kind, 'half' AS part, period <= ${a.full}::date AS upto, period <= ${b.full}::date AS atbase, ${SUMS}
    FROM progress_half_month WHERE coverage_year = ${year} AND ${area}
    GROUP BY 1, 2, 3, 4, 5`];
  if (a.partial)
    parts.push(sql`
      SELECT village_code, kind, 'upto', true, false, ${SUMS} FROM progress_rollup
      WHERE coverage_year = ${year} AND kind = 'paid' AND day > ${a.full}::date AND day <= ${asOf}::date AND ${area}
      GROUP BY 1, 2`);
  if (b.partial)
    parts.push(sql`
      SELECT village_code, kind, 'atbase', false, true, ${SUMS} FROM progress_rollup
      WHERE coverage_year = ${year} AND kind IN ('enrollments', 'blocked') AND day > ${b.full}::date AND day <= ${base}::date AND ${area}
      GROUP BY 1, 2`);
  return sql<SumRow>`${sql.join(parts, sql` UNION ALL `)}`;
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
 * and the assistance by statuses of one area and year: three statements run together, each over
 * the area's half-months and at most the 15 days of the date's own half-month.
 */
export async function yearSums(db: Kysely<DB>, year: number, areaCode: string, asOf: string, base: string): Promise<YearSums> {
  const a = halfMonthCut(asOf);
  const area = inArea('village_code', areaCode);
  const halfPaid = sql`coverage_year = ${year} AND kind = 'paid' AND period <= ${a.full}::date AND ${area}`;
  const daysPaid = sql`coverage_year = ${year} AND kind = 'paid' AND day > ${a.full}::date AND day <= ${asOf}::date AND ${area}`;
  const [{ rows }, { rows: days }, { rows: st }] = await Promise.all([
    villageRows(year, areaCode, asOf, base).execute(db),
    // a half-month's paid are keyed by its end: the series' points are half-month ends and asOf itself
    sql<{ day: string; n: string }>`
      SELECT day::text AS day, sum(n) AS n FROM (
        SELECT period AS day, n FROM progress_half_month WHERE ${halfPaid}
        ${a.partial ? sql`UNION ALL SELECT day, n FROM progress_rollup WHERE ${daysPaid}` : sql``}
      ) x GROUP BY x.day ORDER BY x.day`.execute(db),
    sql<{ statuses: string; n: string; fen: string }>`
      SELECT statuses, sum(n) AS n, sum(assistance_fen) AS fen FROM (
        SELECT statuses, n, assistance_fen FROM progress_half_month_statuses WHERE coverage_year = ${year} AND period <= ${a.full}::date AND ${area}
        ${a.partial ? sql`UNION ALL SELECT statuses, n, assistance_fen FROM progress_rollup WHERE ${daysPaid} AND statuses <> ''` : sql``}
      ) x GROUP BY statuses ORDER BY statuses`.execute(db),
  ]);
  return {
    villages: addUp(rows),
    byDay: days.map((d) => [d.day, Number(d.n)]),
    byStatuses: st.filter((r) => Number(r.n) !== 0 || Number(r.fen) !== 0).map((r) => ({ statuses: r.statuses.split(','), persons: Number(r.n), fen: Number(r.fen) })),
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
      SELECT village_code, 0, sum(n) FROM progress_rollup
      WHERE coverage_year = ${year} AND kind = 'paid' AND day > ${a.full}::date AND day <= ${asOf}::date AND ${area}
      GROUP BY village_code` : sql``}
    ) x GROUP BY village_code`.execute(db);
  return new Map(rows.map((r) => [r.village_code, { paid: num(r.paid), paidAsOf: num(r.paid_as_of) }]));
}

export interface AreaVillage {
  code: string;
  name: string;
  townshipName: string | null;
  /** the 应参保人数 imported from the town's breakdown sheet, if any */
  importedTarget: number | null;
}

export interface AreaSums extends YearSums {
  /** the area's villages (admin_area, in code order) with their imported targets */
  areaVillages: AreaVillage[];
  /** last year's paid enrollments per village: all of that year, and as of `lastAsOf` */
  lastYear: Map<string, { paid: number; paidAsOf: number }>;
}

interface AreaRow {
  part: 'village' | 'series' | 'statuses';
  code: string;
  name: string | null;
  township: string | null;
  imported: number | null;
  enrollments: string | null; at_base: string | null; paid: string | null; refused: string | null; blocked: string | null; blocked_base: string | null;
  paid_fen: string | null; assistance_fen: string | null; subsidy_fen: string | null;
  c1: string | null; c2: string | null; c3: string | null; c4: string | null; c5: string | null; c6: string | null;
  last_paid: string | null; last_paid_as_of: string | null;
}

/**
 * Everything the progress of an area as of `asOf` is made of, in one statement (one round trip,
 * one backend, one plan whatever the load): the area's villages with their imported targets, the
 * village sums (as `villageSums`: the whole half-months up to the date's cut and up to the base
 * date's, and the days of the two partial half-months), last year's paid (as `paidSums`), the paid
 * by half-month for the series and the assistance by statuses (as `yearSums`). The days of the
 * date's own half-month are read once (`d`) for the village sums, the series and the statuses;
 * the half-months once (`h`) for the village sums and the series. Villages come back one row
 * each, already added up (FILTERed sums over the few grouped rows of a village).
 */
export async function areaSums(db: Kysely<DB>, year: number, areaCode: string, asOf: string, base: string, lastAsOf: string): Promise<AreaSums> {
  const a = halfMonthCut(asOf);
  const b = halfMonthCut(base);
  const la = halfMonthCut(lastAsOf);
  const area = inArea('village_code', areaCode);
  const paidCols = sql`sum(n) AS n, sum(paid_fen) AS paid_fen, sum(assistance_fen) AS assistance_fen, sum(subsidy_fen) AS subsidy_fen,
    sum(sub_central_fen) AS c1, sum(sub_provincial_fen) AS c2, sum(sub_prefecture_fen) AS c3, sum(sub_county_fen) AS c4, sum(sub_local_fen) AS c5, sum(sub_unallocated_fen) AS c6`;
  const paidOf = (c: string) => sql`sum(${sql.ref(c)}) FILTER (WHERE kind = 'paid' AND upto)`;
  // an empty range of days when the date is itself a half-month end (the statement keeps its shape)
  const { rows } = await sql<AreaRow>`
    WITH h AS (
      SELECT village_code, kind, period, n, paid_fen, assistance_fen, subsidy_fen, sub_central_fen, sub_provincial_fen, sub_prefecture_fen, sub_county_fen, sub_local_fen, sub_unallocated_fen
      FROM progress_half_month WHERE coverage_year = ${year} AND ${area}
    ), d AS (
      SELECT village_code, day, statuses, n, paid_fen, assistance_fen, subsidy_fen, sub_central_fen, sub_provincial_fen, sub_prefecture_fen, sub_county_fen, sub_local_fen, sub_unallocated_fen
      FROM progress_rollup WHERE coverage_year = ${year} AND kind = 'paid' AND day > ${a.full}::date AND day <= ${asOf}::date AND ${area}
    ), g AS (
      -- total: counts in the year's totals; upto: paid by the date; atbase: counts at the targets' base date
      SELECT village_code, kind, true AS total, period <= ${a.full}::date AS upto, period <= ${b.full}::date AS atbase, ${paidCols} FROM h GROUP BY 1, 2, 3, 4, 5
      UNION ALL
      SELECT village_code, 'paid', false, true, false, ${paidCols} FROM d GROUP BY 1
      UNION ALL
      SELECT village_code, kind, false, false, true, ${paidCols} FROM progress_rollup
      WHERE coverage_year = ${year} AND kind IN ('enrollments', 'blocked') AND day > ${b.full}::date AND day <= ${base}::date AND ${area} GROUP BY 1, 2
    ), v AS (
      SELECT village_code,
        sum(n) FILTER (WHERE kind = 'enrollments' AND total) AS enrollments, sum(n) FILTER (WHERE kind = 'enrollments' AND atbase) AS at_base,
        sum(n) FILTER (WHERE kind = 'refused' AND total) AS refused,
        sum(n) FILTER (WHERE kind = 'blocked' AND total) AS blocked, sum(n) FILTER (WHERE kind = 'blocked' AND atbase) AS blocked_base,
        ${paidOf('n')} AS paid, ${paidOf('paid_fen')} AS paid_fen, ${paidOf('assistance_fen')} AS assistance_fen, ${paidOf('subsidy_fen')} AS subsidy_fen,
        ${paidOf('c1')} AS c1, ${paidOf('c2')} AS c2, ${paidOf('c3')} AS c3, ${paidOf('c4')} AS c4, ${paidOf('c5')} AS c5, ${paidOf('c6')} AS c6
      FROM g GROUP BY village_code
    ), l AS (
      SELECT village_code, sum(n) FILTER (WHERE total) AS paid, sum(n) FILTER (WHERE upto) AS paid_as_of FROM (
        SELECT village_code, true AS total, period <= ${la.full}::date AS upto, n FROM progress_half_month WHERE coverage_year = ${year - 1} AND kind = 'paid' AND ${area}
        UNION ALL
        SELECT village_code, false, true, n FROM progress_rollup
        WHERE coverage_year = ${year - 1} AND kind = 'paid' AND day > ${la.full}::date AND day <= ${lastAsOf}::date AND ${area}
      ) x GROUP BY village_code
    )
    SELECT 'village' AS part, a.code, a.name, t.name AS township, vt.enrollment_target AS imported,
      v.enrollments, v.at_base, v.paid, v.refused, v.blocked, v.blocked_base, v.paid_fen, v.assistance_fen, v.subsidy_fen, v.c1, v.c2, v.c3, v.c4, v.c5, v.c6,
      l.paid AS last_paid, l.paid_as_of AS last_paid_as_of
    FROM admin_area a
    LEFT JOIN admin_area t ON t.code = a.parent_code
    LEFT JOIN village_target vt ON vt.coverage_year = ${year} AND vt.village_code = a.code
    LEFT JOIN v ON v.village_code = a.code
    LEFT JOIN l ON l.village_code = a.code
    WHERE a.level = 'village' AND ${inArea('a.code', areaCode)}
    UNION ALL
    -- the paid by half-month (keyed by its end) and by the days of the date's own half-month: the series
    SELECT 'series', x.day::text, NULL, NULL, NULL, NULL, NULL, sum(x.n), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
    FROM (SELECT period AS day, n FROM h WHERE kind = 'paid' AND period <= ${a.full}::date UNION ALL SELECT day, n FROM d) x GROUP BY x.day
    UNION ALL
    SELECT 'statuses', x.statuses, NULL, NULL, NULL, NULL, NULL, sum(x.n), NULL, NULL, NULL, NULL, sum(x.assistance_fen), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
    FROM (
      SELECT statuses, n, assistance_fen FROM progress_half_month_statuses WHERE coverage_year = ${year} AND period <= ${a.full}::date AND ${area}
      UNION ALL
      SELECT statuses, n, assistance_fen FROM d WHERE statuses <> ''
    ) x GROUP BY x.statuses
    ORDER BY 1 DESC, 2`.execute(db);
  const villages = new Map<string, VillageSums>();
  const areaVillages: AreaVillage[] = [];
  const lastYear = new Map<string, { paid: number; paidAsOf: number }>();
  const byDay: [string, number][] = [];
  const byStatuses: { statuses: string[]; persons: number; fen: number }[] = [];
  for (const r of rows) {
    if (r.part === 'village') {
      areaVillages.push({ code: r.code, name: r.name ?? '', townshipName: r.township, importedTarget: r.imported === null ? null : Number(r.imported) });
      if (r.last_paid !== null) lastYear.set(r.code, { paid: num(r.last_paid), paidAsOf: num(r.last_paid_as_of) });
      if (r.enrollments === null && r.paid === null && r.refused === null && r.blocked === null && r.at_base === null && r.blocked_base === null) continue;
      villages.set(r.code, {
        villageCode: r.code, enrollments: num(r.enrollments), enrollmentsAtBase: num(r.at_base), paid: num(r.paid), refused: num(r.refused), blocked: num(r.blocked),
        blockedAtBase: num(r.blocked_base), paidFen: num(r.paid_fen), assistanceFen: num(r.assistance_fen), subsidyFen: num(r.subsidy_fen),
        subsidyByLevelFen: { central: num(r.c1), provincial: num(r.c2), prefecture: num(r.c3), county: num(r.c4), local: num(r.c5), unallocated: num(r.c6) },
      });
    } else if (r.part === 'series') byDay.push([r.code, num(r.paid)]);
    else if (num(r.paid) !== 0 || num(r.assistance_fen) !== 0) byStatuses.push({ statuses: r.code.split(','), persons: num(r.paid), fen: num(r.assistance_fen) });
  }
  return { villages, byDay, byStatuses, areaVillages, lastYear };
}
