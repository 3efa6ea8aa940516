/**
 * The fund's position by month, and the bottom lines of the pack (鲁医保发〔2022〕24号 九:
 * 严守当期不出现收不抵支、累计结余可支付月数不低于6个月“两条底线”). Pure: monthly income and
 * spending of each fund in, per month out: the year's income and spending to date, the
 * current-year surplus or deficit (当期结余), the accumulated balance (累计结余) and the months of
 * spending it covers (可支付月数), with an alert citing the sentence when a bottom line is crossed.
 *
 * Interpretations (the notice defines neither): 当期 is the coverage (calendar) year to date;
 * 可支付月数 = 累计结余 ÷ the year's average monthly spending to date (spending to date ÷ months
 * elapsed). Exactly at a bottom line is not crossing it: a surplus of 0 is not 收不抵支, and
 * exactly 6 months is not below 6. Compared exactly in integers (fen × months).
 */
import type { Fen } from '../money.js';
import type { ResolvedPack, ResolvedParam } from '../policy/loader.js';

export interface MonthFlow {
  /** YYYY-MM */
  month: string;
  account: string;
  incomeFen: Fen;
  spendingFen: Fen;
}

export interface BottomLines {
  /** 累计结余可支付月数不低于 N 个月 */
  minimumReserveMonths: { months: number; param: ResolvedParam } | null;
  /** 当期不出现收不抵支 */
  noCurrentDeficit: { param: ResolvedParam } | null;
}

/** The bottom lines a resolved pack sets (fund.minimumReserveMonths, fund.currentYearDeficitAllowed: "no"). */
export function bottomLinesOf(pack: ResolvedPack): BottomLines {
  const m = pack.params.get('fund.minimumReserveMonths');
  const d = pack.params.get('fund.currentYearDeficitAllowed');
  return {
    minimumReserveMonths: m ? { months: Number(m.value), param: m } : null,
    noCurrentDeficit: d && String(d.value) === 'no' ? { param: d } : null,
  };
}

export interface Citation {
  param: string;
  pack: string;
  cite: string | null;
  quote: string | null;
  example: string | null;
}

export const citationOf = (p: ResolvedParam): Citation => ({ param: p.key, pack: p.from, cite: p.cite ?? null, quote: p.quote ?? null, example: p.example ?? null });

export interface BottomLineAlert {
  code: 'CURRENT_YEAR_DEFICIT' | 'RESERVE_BELOW_MINIMUM';
  account: string;
  month: string;
  message: string;
  citation: Citation;
}

export interface FundPosition {
  account: string;
  month: string;
  incomeFen: Fen;
  spendingFen: Fen;
  /** the coverage year to the end of the month */
  yearIncomeFen: Fen;
  yearSpendingFen: Fen;
  /** 当期结余: the year's income less spending to date */
  currentSurplusFen: Fen;
  /** 累计结余: everything received less spent to the end of the month */
  balanceFen: Fen;
  /** 可支付月数 (null when nothing was spent this year) */
  reserveMonths: number | null;
  alerts: BottomLineAlert[];
}

const monthsElapsed = (month: string) => Number(month.slice(5, 7));

/** Each fund's position month by month (months without a movement are filled in), and the alerts. */
export function fundPositions(flows: readonly MonthFlow[], lines: BottomLines | ((year: number) => BottomLines)): FundPosition[] {
  const linesOf = typeof lines === 'function' ? lines : () => lines;
  const accounts = [...new Set(flows.map((f) => f.account))].sort();
  const months = [...new Set(flows.map((f) => f.month))].sort();
  if (months.length === 0) return [];
  const all = monthRange(months[0], months[months.length - 1]);
  const byKey = new Map<string, { i: Fen; s: Fen }>();
  for (const f of flows) {
    const k = `${f.account}|${f.month}`;
    const v = byKey.get(k) ?? { i: 0, s: 0 };
    v.i += f.incomeFen;
    v.s += f.spendingFen;
    byKey.set(k, v);
  }
  const out: FundPosition[] = [];
  for (const account of accounts) {
    let balance = 0;
    let yi = 0;
    let ys = 0;
    let year = '';
    for (const month of all) {
      if (month.slice(0, 4) !== year) {
        year = month.slice(0, 4);
        yi = 0;
        ys = 0;
      }
      const v = byKey.get(`${account}|${month}`) ?? { i: 0, s: 0 };
      yi += v.i;
      ys += v.s;
      balance += v.i - v.s;
      const n = monthsElapsed(month);
      const p: FundPosition = {
        account,
        month,
        incomeFen: v.i,
        spendingFen: v.s,
        yearIncomeFen: yi,
        yearSpendingFen: ys,
        currentSurplusFen: yi - ys,
        balanceFen: balance,
        reserveMonths: ys > 0 ? (balance * n) / ys : null,
        alerts: [],
      };
      p.alerts = checkBottomLines(p, n, linesOf(Number(year)));
      out.push(p);
    }
  }
  return out;
}

/** The alerts of one position (see the module comment: exactly at a line is not below it). */
export function checkBottomLines(p: Pick<FundPosition, 'account' | 'month' | 'currentSurplusFen' | 'balanceFen' | 'yearSpendingFen'>, monthsElapsedInYear: number, lines: BottomLines): BottomLineAlert[] {
  const alerts: BottomLineAlert[] = [];
  if (lines.noCurrentDeficit && p.currentSurplusFen < 0)
    alerts.push({
      code: 'CURRENT_YEAR_DEFICIT',
      account: p.account,
      month: p.month,
      message: `当期收不抵支：${p.month.slice(0, 4)} 年至 ${p.month} 月底支出超过收入 ${(-p.currentSurplusFen / 100).toFixed(2)} 元`,
      citation: citationOf(lines.noCurrentDeficit.param),
    });
  const min = lines.minimumReserveMonths;
  // balance / (spending / n) < min  ⇔  balance · n < min · spending (spending > 0)
  if (min && p.yearSpendingFen > 0 && p.balanceFen * monthsElapsedInYear < min.months * p.yearSpendingFen)
    alerts.push({
      code: 'RESERVE_BELOW_MINIMUM',
      account: p.account,
      month: p.month,
      message: `累计结余可支付月数 ${((p.balanceFen * monthsElapsedInYear) / p.yearSpendingFen).toFixed(2)} 个月，低于 ${min.months} 个月`,
      citation: citationOf(min.param),
    });
  return alerts;
}

export function monthRange(from: string, to: string): string[] {
  const out: string[] = [];
  let y = Number(from.slice(0, 4));
  let m = Number(from.slice(5, 7));
  const end = Number(to.slice(0, 4)) * 12 + Number(to.slice(5, 7));
  while (y * 12 + m <= end) {
    out.push(`${y}-${String(m).padStart(2, '0')}`);
    m++;
    if (m > 12) {
      m = 1;
      y++;
    }
  }
  return out;
}

export interface BudgetLine {
  year: number;
  account: string;
  incomeFen: Fen;
  spendingFen: Fen;
}

export interface BudgetTracking extends BudgetLine {
  actualIncomeFen: Fen;
  actualSpendingFen: Fen;
  /** shares executed, 0..; null when the budget line is 0 */
  incomeExecuted: number | null;
  spendingExecuted: number | null;
  /** months of the year the actual figures cover */
  monthsElapsed: number;
  warnings: { code: 'BUDGET_SPENDING_ABOVE_INCOME' | 'SPENDING_ABOVE_BUDGET'; message: string; citation: Citation | null }[];
}

/** The budget against the year's actual figures; 以收定支: a budget spending more than it takes in is flagged, and so is spending beyond the budget. */
export function trackBudget(b: BudgetLine, actual: { incomeFen: Fen; spendingFen: Fen; monthsElapsed: number }, principle: ResolvedParam | undefined): BudgetTracking {
  const warnings: BudgetTracking['warnings'] = [];
  const cite = principle ? citationOf(principle) : null;
  if (b.spendingFen > b.incomeFen) warnings.push({ code: 'BUDGET_SPENDING_ABOVE_INCOME', message: `预算支出 ${(b.spendingFen / 100).toFixed(2)} 元高于预算收入 ${(b.incomeFen / 100).toFixed(2)} 元（以收定支）`, citation: cite });
  if (actual.spendingFen > b.spendingFen) warnings.push({ code: 'SPENDING_ABOVE_BUDGET', message: `实际支出 ${(actual.spendingFen / 100).toFixed(2)} 元已超过预算支出 ${(b.spendingFen / 100).toFixed(2)} 元`, citation: cite });
  return {
    ...b,
    actualIncomeFen: actual.incomeFen,
    actualSpendingFen: actual.spendingFen,
    incomeExecuted: b.incomeFen > 0 ? actual.incomeFen / b.incomeFen : null,
    spendingExecuted: b.spendingFen > 0 ? actual.spendingFen / b.spendingFen : null,
    monthsElapsed: actual.monthsElapsed,
    warnings,
  };
}
