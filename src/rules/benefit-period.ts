/**
 * 待遇享受期: when benefits start (window, waiting period, its exemptions) and end (year end,
 * or the academic year for college students, extended for graduates where the pack says).
 */
import { addMonths, dayAfterPeriod, dayOf, firstOfMonth, formatDay, parseDay, ymd, type Day } from '../dates.js';
import type { CompiledPack, EvalContext } from './compile.js';
import { decide } from './enrollment.js';
import type { QuoteInput } from './input.js';
import type { Trace } from './trace.js';

export interface BenefitPeriod {
  start: Day;
  end: Day;
  waitingDays: number;
}

/** The period a full contribution buys for this person, before any waiting period. */
export function basePeriod(cp: CompiledPack, q: QuoteInput, trace: Trace): { from: Day; to: Day } {
  const c = cp.college;
  if (q.kind === 'college_student' && c.period === 'academic_year' && c.academicYear) {
    let to = c.academicYear.to;
    { if (trace.on) trace.add('benefitPeriod.base', `${formatDay(c.academicYear.from)}..${formatDay(to)}`, '在校大学生按学年度参保', c.academicYear.param); else trace.use(c.academicYear.param); }
    if (q.graduationYear !== null && q.graduationYear === ymd(to).y) {
      if (c.graduateEnd === 'coverage_year_end') {
        to = dayOf(q.graduationYear, 12, 31);
        { if (trace.on) trace.add('benefitPeriod.graduateEnd', formatDay(to), '当年毕业的参保大学生，待遇享受至当年12月31日', c.graduateEndParam); else trace.use(c.graduateEndParam); }
      } else { if (trace.on) trace.add('benefitPeriod.graduateEnd', formatDay(to), '当年毕业的参保大学生，待遇享受至学年度末', c.graduateEndParam); else trace.use(c.graduateEndParam); }
    }
    return { from: c.academicYear.from, to };
  }
  if (q.kind === 'college_student' && c.periodParam)
    { if (trace.on) trace.add('benefitPeriod.base', 'natural_year', '在校大学生按自然年度参保', c.periodParam); else trace.use(c.periodParam); }
  return { from: cp.coverageStart, to: cp.coverageEnd };
}

export function benefitPeriod(cp: CompiledPack, q: QuoteInput, ctx: EvalContext, trace: Trace): BenefitPeriod | null {
  const base = basePeriod(cp, q, trace);
  const r = decide(cp, 'benefitStart', q, ctx);
  let start = base.from;
  let waitingDays = 0;
  if (!r) { if (trace.on) trace.add('benefitPeriod.start', formatDay(start), '无适用的待遇起始规则，按待遇期首日'); }
  else {
    const s = r.rule.then.start;
    const paid = q.paid ?? base.from;
    let explain: string;
    if (s === 'period_start') {
      start = base.from;
      explain = '集中参保期内参保缴费，自待遇期首日起享受待遇';
    } else if (s === 'payment_date') {
      start = paid;
      explain = '不设等待期，自缴费之日起享受待遇';
    } else if (s === 'enrollment_month') {
      start = firstOfMonth(q.enrolled ?? paid);
      explain = '不设等待期，自参保当月起享受待遇';
    } else if (s === 'birth_date') {
      start = q.birth;
      explain = '新生儿自出生之日起享受待遇';
    } else if ('monthDay' in s) {
      start = parseDay(`${cp.pack.year}-${s.monthDay}`);
      explain = `自当年${s.monthDay.replace('-', '月')}日起享受待遇`;
    } else {
      waitingDays = s.afterPaymentDays;
      start = dayAfterPeriod(paid, waitingDays, 'day', cp.counting.value);
      ctx.periodsCounted = true;
      explain = trace.on ? `集中参保期后缴费，等待期 ${waitingDays} 日：自缴费之日（${formatDay(paid)}）起满 ${waitingDays} 日（至 ${formatDay(start - 1)}）后享受待遇` : '';
    }
    if (q.kind === 'newborn' && start < q.birth) start = q.birth;
    if (start < base.from) start = base.from;
    { if (trace.on) trace.add('benefitPeriod.start', formatDay(start), explain, r.param, r.id); else trace.use(r.param); }
  }
  { if (trace.on) trace.add('benefitPeriod.end', formatDay(base.to), '待遇享受至待遇期末'); }
  if (start > base.to) {
    { if (trace.on) trace.add('benefitPeriod', null, '等待期结束时本待遇期已结束，本年度无待遇享受期'); }
    return null;
  }
  return { start, end: base.to, waitingDays };
}

export { addMonths };
