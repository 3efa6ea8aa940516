/**
 * The half-monthly report (兴义府发〔2022〕3号 八(三): 镇政府每半月对全镇参保筹资工作情况进行通报，对筹资
 * 工作推进不力的村居主要负责人进行约谈): for a town as of a date, per village the target, enrolled,
 * rate, rank, change since the last report (the previous half-month end, recomputed from payment
 * dates), the seven groups' rate and number missing, and 医保电子凭证 activation; the town's totals.
 * The same object is the API's answer and what the XLSX and PDF print.
 */
import type { Kysely } from 'kysely';
import { formatDay, parseDay } from '../dates.js';
import { InputError } from '../errors.js';
import type { QuoteService } from '../quotes/quote-service.js';
import type { DB } from '../store/schema.js';
import { areaInScope, checkYear, type AreaRef } from './area.js';
import { evoucherRates } from './evouchers.js';
import { compareRates, coverageYearOf, previousHalfMonthEnd, ranks, rateOf, type RateFigure } from './figures.js';
import { priorityGroups } from './priority-groups.js';
import { checkDate, progress } from './progress.js';
import { type Actor } from '../access/roles.js';

export interface ReportVillage {
  villageCode: string;
  villageName: string;
  target: number;
  targetSource: 'imported' | 'derived';
  enrolled: number;
  unpaid: number;
  rate: RateFigure | null;
  rank: number | null;
  previous: { enrolled: number; rate: RateFigure | null; rank: number | null };
  /** enrolled since the last report */
  change: number;
  /** rank places gained since the last report (positive: moved up) */
  rankChange: number | null;
  groups: { persons: number; enrolled: number; missing: number; rate: RateFigure | null };
  evouchers: { target: number; activated: number; rate: RateFigure | null };
  /** below the town's rate: the notice has the lagging villages' heads summoned (约谈) */
  lagging: boolean;
}

export interface HalfMonthlyReport {
  title: string;
  town: AreaRef;
  coverageYear: number;
  asOf: string;
  previousAsOf: string;
  pack: string;
  window: { from: string; to: string };
  villages: ReportVillage[];
  totals: Omit<ReportVillage, 'villageCode' | 'villageName' | 'rank' | 'rankChange' | 'lagging' | 'previous' | 'targetSource'> & {
    previous: { enrolled: number; rate: RateFigure | null };
    targetSource: 'imported' | 'derived' | 'mixed';
  };
  notes: string[];
  cite: string;
}

export async function halfMonthlyReport(
  db: Kysely<DB>,
  quotes: QuoteService,
  actor: Actor,
  q: { town?: string; asOf: string; year?: number },
): Promise<HalfMonthlyReport> {
  const asOf = checkDate(q.asOf, 'asOf');
  const year = q.year === undefined ? coverageYearOf(asOf) : checkYear(q.year);
  const town: AreaRef = await areaInScope(db, actor, q.town, 'town');
  if (town.level === 'village') throw new InputError('town', `${town.code} is a village: give its township (9 digits) or the county`);
  const previousAsOf = formatDay(previousHalfMonthEnd(parseDay(asOf)));
  const [now, before, groups, ev] = await Promise.all([
    progress(db, quotes, actor, { area: town.code, year, asOf }),
    progress(db, quotes, actor, { area: town.code, year, asOf: previousAsOf }),
    priorityGroups(db, quotes, actor, { area: town.code, year, asOf }),
    evoucherRates(db, quotes, actor, { area: town.code, year, asOf }),
  ]);
  const rankNow = ranks(now.villages, (v) => v.rate);
  const rankBefore = ranks(before.villages, (v) => v.rate);
  const townRate = now.totals.rate;
  const villages = now.villages.map((v, i): ReportVillage => {
    const b = before.villages[i];
    const g = groups.villages[i];
    const e = ev.villages[i];
    return {
      villageCode: v.villageCode,
      villageName: v.villageName,
      target: v.target,
      targetSource: v.targetSource === 'imported' ? 'imported' : 'derived',
      enrolled: v.paid,
      unpaid: v.unpaid,
      rate: v.rate,
      rank: rankNow[i],
      previous: { enrolled: b.paid, rate: b.rate, rank: rankBefore[i] },
      change: v.paid - b.paid,
      rankChange: rankNow[i] !== null && rankBefore[i] !== null ? rankBefore[i]! - rankNow[i]! : null,
      groups: { persons: g.persons, enrolled: g.enrolled, missing: g.missing, rate: g.rate },
      evouchers: { target: e.target, activated: e.activated, rate: e.rate },
      lagging: v.rate !== null && townRate !== null && compareRates(v.rate, townRate) > 0,
    };
  });
  const t = now.totals;
  return {
    title: `${town.name}${year}年度城乡居民医保参保筹资工作情况通报（截至${asOf}）`,
    town,
    coverageYear: year,
    asOf,
    previousAsOf,
    pack: now.pack,
    window: { from: now.window.from, to: now.window.to },
    villages,
    totals: {
      target: t.target,
      targetSource: t.targetSource,
      enrolled: t.paid,
      unpaid: t.unpaid,
      rate: t.rate,
      previous: { enrolled: before.totals.paid, rate: before.totals.rate },
      change: t.paid - before.totals.paid,
      groups: { persons: groups.totals.persons, enrolled: groups.totals.enrolled, missing: groups.totals.missing, rate: groups.totals.rate },
      evouchers: { target: ev.totals.target, activated: ev.totals.activated, rate: rateOf(ev.totals.activated, ev.totals.target) },
    },
    notes: [
      `参保人数按缴费日期统计至${asOf}（随监护人参保的新生儿按监护人缴费日或出生日）；上期为${previousAsOf}，按同一口径重算。`,
      `应参保人数：已导入的分解表数；未导入的村按${now.targetBase}户籍在册人数减职工医保参保名单推算（标“推算”）。`,
      `七类对象：${groups.groups.map((g) => g.label).join('、')}，按集中参保期（${groups.window.from}至${groups.window.to}）内缴费统计，目标${groups.target}（${groups.cite ?? ''}）。`,
      '电子凭证激活率按村分解表的激活目标计算，未导入的按应参保人数计算。',
      '“推进滞后”标记参保率低于全镇的村（示例口径：通知未规定约谈的具体标准）。',
    ],
    cite: '兴义府发〔2022〕3号 八(三)',
  };
}
