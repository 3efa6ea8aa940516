/**
 * Progress of the campaign for an area (county, township, village) as of any date, recomputed
 * from payment dates so that a past half-month gives the same figures again: target (imported
 * or derived), enrolled (paid, or following a paid guardian, on or before the date), assessed
 * but unpaid, refused, blocked, the rate against the target and against last year, individual
 * contributions collected, classified assistance granted by group, fiscal subsidy due by level,
 * and the series by half-month. Refused and blocked are as recorded now (the register keeps no
 * dated history of them); everything paid is dated.
 */
import type { Kysely } from 'kysely';
import { isDateString } from '../dates.js';
import { InputError } from '../errors.js';
import { priorityGroupsOf } from '../policy/campaign-groups.js';
import { NEEDY_STATUSES, STATUS_LABELS, SUBSIDY_LEVELS, type SubsidyLevel } from '../policy/vocabulary.js';
import type { QuoteService } from '../quotes/quote-service.js';
import type { DB } from '../store/schema.js';
import { checkYear, packOf, type AreaRef } from './area.js';
import { halfMonthEnds, rateOf, type RateFigure } from './figures.js';
import { emptySums, paidSums, yearSums, type VillageSums, type YearSums } from './rollup.js';
import { villageTargets } from './targets.js';
import { type Actor } from '../access/roles.js';

export interface ProgressFigures {
  target: number;
  targetSource: 'imported' | 'derived' | 'mixed';
  /** enrollment rows of the year: every person the assessment saw */
  enrollments: number;
  paid: number;
  /** assessed but not paid on the date */
  unpaid: number;
  refused: number;
  blocked: number;
  rate: RateFigure | null;
  lastYear: { enrolled: number; enrolledSameDay: number; asOf: string; rate: RateFigure | null; change: number };
  contributionsYuan: number;
  assistanceYuan: number;
  subsidyYuan: number;
  subsidyByLevelYuan: Record<SubsidyLevel, number>;
}

export interface VillageProgress extends ProgressFigures {
  villageCode: string;
  villageName: string;
  townshipName: string | null;
}

export interface ProgressAnswer {
  area: AreaRef;
  coverageYear: number;
  asOf: string;
  pack: string;
  window: { from: string; to: string; cite: string | null };
  targetBase: string;
  totals: ProgressFigures;
  villages: VillageProgress[];
  assistanceByGroup: { group: string; label: string; statuses: string[]; persons: number; yuan: number }[];
  series: { asOf: string; paid: number; rate: RateFigure | null }[];
  explain: { figure: string; rule: string; cite?: string }[];
}

export function checkDate(v: unknown, field = 'asOf'): string {
  if (typeof v !== 'string' || !isDateString(v)) throw new InputError(field, 'must be a real date written YYYY-MM-DD');
  return v;
}

const yuan = (fen: number): number => fen / 100;

/** The same calendar day a year earlier (29 February → 28 February). */
export function aYearBefore(date: string): string {
  const y = Number(date.slice(0, 4)) - 1;
  const md = date.slice(5);
  const d = `${y}-${md}`;
  return isDateString(d) ? d : `${y}-02-28`;
}

/** The figures of a village (or the area's totals) from its sums; `lastPaid`, `lastSamePaid`: last year's enrolled, in all and as of the same day. */
function figures(s: VillageSums, target: number, source: ProgressFigures['targetSource'], lastPaid: number, lastSamePaid: number, lastAsOf: string): ProgressFigures {
  return {
    target,
    targetSource: source,
    enrollments: s.enrollments,
    paid: s.paid,
    unpaid: s.enrollments - s.paid - s.refused - s.blocked,
    refused: s.refused,
    blocked: s.blocked,
    rate: rateOf(s.paid, target),
    lastYear: { enrolled: lastPaid, enrolledSameDay: lastSamePaid, asOf: lastAsOf, rate: rateOf(s.paid, lastPaid), change: s.paid - lastSamePaid },
    contributionsYuan: yuan(s.paidFen),
    assistanceYuan: yuan(s.assistanceFen),
    subsidyYuan: yuan(s.subsidyFen),
    subsidyByLevelYuan: Object.fromEntries(SUBSIDY_LEVELS.map((l) => [l, yuan(s.subsidyByLevelFen[l])])) as Record<SubsidyLevel, number>,
  };
}

const SUMMED = ['enrollments', 'enrollmentsAtBase', 'paid', 'refused', 'blocked', 'blockedAtBase', 'paidFen', 'assistanceFen', 'subsidyFen'] as const;

/** Adds b's sums into a (the area's totals, village after village). */
function addInto(a: VillageSums, b: VillageSums): void {
  for (const k of SUMMED) a[k] += b[k];
  for (const l of SUBSIDY_LEVELS) a.subsidyByLevelFen[l] += b.subsidyByLevelFen[l];
}

export interface ProgressQuery {
  area?: string;
  year: number;
  asOf: string;
}

export async function progress(db: Kysely<DB>, quotes: QuoteService, actor: Actor, q: ProgressQuery): Promise<ProgressAnswer> {
  const year = checkYear(q.year);
  const asOf = checkDate(q.asOf);
  const lastAsOf = aYearBefore(asOf);
  // the year's sums read once (the targets' base-date figures come from the same pass), last year's beside them
  let current: Promise<YearSums> | undefined;
  let previous: Promise<Map<string, { paid: number; paidAsOf: number }>> | undefined;
  const targets = await villageTargets(db, quotes, actor, { area: q.area, year }, (a, base) => {
    previous = paidSums(db, year - 1, a.code, lastAsOf);
    previous.catch(() => {}); // awaited below; not left unhandled when the targets fail first
    current = yearSums(db, year, a.code, asOf, base);
    return current.then((s) => s.villages);
  });
  const area = targets.area;
  const pack = packOf(quotes, area, year);
  const windowP = pack.params.get('enrollment.window');
  const window = windowP?.value as { from: string; to: string };
  const [{ villages: sums, byDay, byStatuses }, lastPaid] = await Promise.all([current!, previous!]);
  // last year's figures: its paid enrollments only (all of the year, and as of the same day)
  const total = emptySums(area.code);
  let lastTotal = 0;
  let lastSameTotal = 0;
  let targetTotal = 0;
  const sources = new Set<'imported' | 'derived'>();
  const villages: VillageProgress[] = targets.villages.map((t) => {
    const s = sums.get(t.villageCode) ?? emptySums(t.villageCode);
    const l = lastPaid.get(t.villageCode)?.paid ?? 0;
    const ls = lastPaid.get(t.villageCode)?.paidAsOf ?? 0;
    addInto(total, s);
    lastTotal += l;
    lastSameTotal += ls;
    targetTotal += t.enrollment;
    sources.add(t.source);
    return { villageCode: t.villageCode, villageName: t.villageName, townshipName: t.townshipName, ...figures(s, t.enrollment, t.source, l, ls, lastAsOf) };
  });
  const source: ProgressFigures['targetSource'] = sources.size > 1 ? 'mixed' : (([...sources][0] as 'imported' | 'derived' | undefined) ?? 'derived');

  // assistance by group: each statuses combination to the first priority group it meets, else to its first status
  const groups = priorityGroupsOf(pack);
  const order: { group: string; label: string; statuses: string[] }[] = (groups?.groups ?? []).map((g) => ({ group: g.id, label: g.label, statuses: g.statuses as string[] }));
  for (const s of NEEDY_STATUSES) if (!order.some((o) => o.group === s)) order.push({ group: s, label: STATUS_LABELS[s], statuses: [s] });
  const byGroup = new Map<string, { group: string; label: string; statuses: string[]; persons: number; fen: number }>();
  for (const x of byStatuses) {
    const g = order.find((o) => o.statuses.some((s) => x.statuses.includes(s))) ?? { group: 'other', label: '其他', statuses: x.statuses };
    const cur = byGroup.get(g.group) ?? { ...g, persons: 0, fen: 0 };
    cur.persons += x.persons;
    cur.fen += x.fen;
    byGroup.set(g.group, cur);
  }
  const assistanceByGroup = order.flatMap((o) => (byGroup.has(o.group) ? [byGroup.get(o.group)!] : [])).concat(byGroup.has('other') ? [byGroup.get('other')!] : []);

  // the series: enrolled at each half-month end from the window's start to the date
  const seriesFrom = window?.from && window.from <= asOf ? window.from : asOf;
  let k = 0;
  let cum = 0;
  const series = halfMonthEnds(seriesFrom, asOf).map((d) => {
    while (k < byDay.length && byDay[k][0] <= d) cum += byDay[k++][1];
    return { asOf: d, paid: cum, rate: rateOf(cum, targetTotal) };
  });
  const groupsCite = groups?.param.cite;
  return {
    area,
    coverageYear: year,
    asOf,
    pack: pack.id,
    window: { from: window?.from ?? '', to: window?.to ?? '', cite: windowP?.cite ?? null },
    targetBase: targets.baseDate,
    totals: figures(total, targetTotal, source, lastTotal, lastSameTotal, lastAsOf),
    villages,
    assistanceByGroup: assistanceByGroup.map((g) => ({ group: g.group, label: g.label, statuses: g.statuses, persons: g.persons, yuan: yuan(g.fen) })),
    series,
    explain: [
      { figure: 'target', rule: `the village's 应参保人数 as imported from the town's breakdown sheet; where none was imported, ${targets.basis.derived}`, ...(targets.basis.cite ? { cite: targets.basis.cite } : {}) },
      { figure: 'paid', rule: `enrollments of ${year} paid on or before ${asOf} (by the payment date), and newborns enrolled following a paid guardian (from the guardian's payment date, or the birth if later)` },
      { figure: 'unpaid', rule: 'enrollments assessed and not paid on that date (those paid later count here)' },
      { figure: 'refused / blocked', rule: 'as recorded now: refused by the notice’s rules (e.g. after the final deadline); blocked as duplicate enrollment (employee-insurance list)' },
      { figure: 'rate', rule: 'paid ÷ target, percent with two decimals rounded half up' },
      { figure: 'lastYear', rule: `enrolled for ${year - 1} (all of it, and as of ${lastAsOf}); the rate against last year is paid ÷ last year's enrolled` },
      { figure: 'contributionsYuan', rule: 'individual contributions paid on or before the date (the payment amounts)' },
      { figure: 'assistanceYuan', rule: 'classified assistance (分类资助) of the enrollments paid by the date; by group: the first priority group of the pack whose statuses the person holds, else the first status', ...(groupsCite ? { cite: groupsCite } : {}) },
      { figure: 'subsidyYuan', rule: 'fiscal subsidy due for the enrollments paid by the date, split by level as each quote split it (none for payments after the subsidy deadline)' },
    ],
  };
}
