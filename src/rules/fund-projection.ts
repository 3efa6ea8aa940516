/**
 * Projecting the fund years ahead from a base year (pure). The base year is the fund's position
 * at its end (from the ledger, src/fund/position.ts, or from a simulation): the accumulated
 * balance (累计结余), the enrolled persons by age band with the fund's spending per person in each
 * band, and the contribution and fiscal subsidy per person. Each following year:
 *   1. ageing: a share of each band's persons moves up to the next band (the last band keeps its own);
 *   2. enrollment change: every band grows (or shrinks) by the same rate;
 *   3. spending per person grows by the cost growth (compounded from the base year);
 *   4. the contribution and the subsidy per person rise by fixed yuan amounts (医保发〔2022〕20号 一
 *      gives the 2022 rises; carrying them on is an example, marked in the pack).
 * Out per year: income, spending, current-year surplus (当期结余), balance, months of reserve with
 * the same definition as src/rules/fund-position.ts (balance ÷ the year's average monthly
 * spending, 12 months elapsed) and the alerts of the pack's bottom lines (鲁医保发〔2022〕24号 九),
 * and the first year each bottom line is crossed, citing the sentence.
 *
 * Persons are real numbers (a projection, not a register); every amount is rounded to whole fen
 * once per year, so income − spending = surplus and the balances chain exactly.
 */
import type { Fen } from '../money.js';
import { checkBottomLines, type BottomLineAlert, type BottomLines } from './fund-position.js';

export interface Assumption {
  value: number;
  cite: string | null;
  quote: string | null;
  /** set when no notice gives the number */
  example: string | null;
}

export interface ProjectionAssumptions {
  ageBands: readonly number[];
  /** share of a band moving to the next band per year (0..1) */
  ageing: Assumption;
  /** yearly growth of spending per person (e.g. 0.06) */
  costGrowth: Assumption;
  /** yearly rise of the individual contribution, yuan per person */
  contributionRise: Assumption;
  /** yearly rise of the fiscal subsidy, yuan per person */
  subsidyRise: Assumption;
  /** yearly change of enrolled persons (e.g. −0.01) */
  enrollmentChange: Assumption;
}

export interface ProjectionBase {
  year: number;
  account: string;
  /** 累计结余 at the end of the base year */
  balanceFen: Fen;
  /** one entry per age band of the assumptions */
  bands: readonly { persons: number; spendingPerPersonFen: Fen }[];
  contributionPerPersonFen: Fen;
  subsidyPerPersonFen: Fen;
}

export interface ProjectedYear {
  year: number;
  persons: number;
  personsByBand: number[];
  contributionPerPersonFen: Fen;
  subsidyPerPersonFen: Fen;
  incomeFen: Fen;
  spendingFen: Fen;
  /** 当期结余 */
  surplusFen: Fen;
  /** 累计结余 at the year's end */
  balanceFen: Fen;
  /** 可支付月数 (null when nothing is spent) */
  reserveMonths: number | null;
  alerts: BottomLineAlert[];
}

export interface FirstCrossing {
  code: BottomLineAlert['code'];
  year: number;
  alert: BottomLineAlert;
}

export interface Projection {
  baseYear: number;
  years: ProjectedYear[];
  /** the first year each bottom line is crossed (absent: not crossed within the horizon) */
  firstCrossings: FirstCrossing[];
  /** the assumptions that are examples, with their note */
  examplesUsed: { assumption: string; example: string }[];
  assumptions: Record<string, Assumption>;
}

const NAMES = ['ageing', 'costGrowth', 'contributionRise', 'subsidyRise', 'enrollmentChange'] as const;

/** Persons after one year of ageing (share a moves up one band; the total is kept). */
export function ageOneYear(persons: readonly number[], a: number): number[] {
  const n = persons.length;
  const out = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    if (i === n - 1) out[i] += persons[i];
    else {
      const moving = persons[i] * a;
      out[i] += persons[i] - moving;
      out[i + 1] += moving;
    }
  }
  return out;
}

export function projectFund(base: ProjectionBase, assumptions: ProjectionAssumptions, years: number, lines: BottomLines | ((year: number) => BottomLines)): Projection {
  if (!Number.isInteger(years) || years < 1 || years > 100) throw new RangeError('years: a whole number 1..100');
  if (base.bands.length !== assumptions.ageBands.length) throw new RangeError(`bands: one per age band (${assumptions.ageBands.length})`);
  const linesOf = typeof lines === 'function' ? lines : () => lines;
  const a = assumptions.ageing.value;
  const g = assumptions.costGrowth.value;
  const e = assumptions.enrollmentChange.value;
  const riseC = Math.round(assumptions.contributionRise.value * 100);
  const riseS = Math.round(assumptions.subsidyRise.value * 100);
  let persons = base.bands.map((b) => b.persons);
  let balance = base.balanceFen;
  const out: ProjectedYear[] = [];
  for (let t = 1; t <= years; t++) {
    const year = base.year + t;
    persons = ageOneYear(persons, a).map((p) => p * (1 + e));
    const costFactor = (1 + g) ** t;
    const contribution = base.contributionPerPersonFen + riseC * t;
    const subsidy = base.subsidyPerPersonFen + riseS * t;
    const total = persons.reduce((s, p) => s + p, 0);
    const income = Math.round(total * (contribution + subsidy));
    let spendingExact = 0;
    for (let i = 0; i < persons.length; i++) spendingExact += persons[i] * base.bands[i].spendingPerPersonFen * costFactor;
    const spending = Math.round(spendingExact);
    const surplus = income - spending;
    balance += surplus;
    const position = { account: base.account, month: `${year}-12`, currentSurplusFen: surplus, balanceFen: balance, yearSpendingFen: spending };
    out.push({
      year,
      persons: total,
      personsByBand: persons,
      contributionPerPersonFen: contribution,
      subsidyPerPersonFen: subsidy,
      incomeFen: income,
      spendingFen: spending,
      surplusFen: surplus,
      balanceFen: balance,
      reserveMonths: spending > 0 ? (balance * 12) / spending : null,
      alerts: checkBottomLines(position, 12, linesOf(year)),
    });
  }
  const firstCrossings: FirstCrossing[] = [];
  for (const code of ['CURRENT_YEAR_DEFICIT', 'RESERVE_BELOW_MINIMUM'] as const) {
    for (const y of out) {
      const alert = y.alerts.find((x) => x.code === code);
      if (alert) {
        firstCrossings.push({ code, year: y.year, alert });
        break;
      }
    }
  }
  const all = Object.fromEntries(NAMES.map((n) => [n, assumptions[n]])) as Record<string, Assumption>;
  return {
    baseYear: base.year,
    years: out,
    firstCrossings,
    examplesUsed: NAMES.filter((n) => assumptions[n].example).map((n) => ({ assumption: n, example: assumptions[n].example! })),
    assumptions: all,
  };
}

/**
 * A base year from the ledger's totals: the year's spending is spread over the bands in
 * proportion to persons × a relative cost weight per band (e.g. the simulation's spending per
 * person by band); the per-person amounts are whole fen.
 */
export function baseFromTotals(input: { year: number; account: string; balanceFen: Fen; yearSpendingFen: Fen; personsByBand: readonly number[]; costWeights: readonly number[]; contributionPerPersonFen: Fen; subsidyPerPersonFen: Fen }): ProjectionBase {
  if (input.personsByBand.length !== input.costWeights.length) throw new RangeError('costWeights: one per age band');
  const weighted = input.personsByBand.reduce((s, p, i) => s + p * input.costWeights[i], 0);
  const unit = weighted > 0 ? input.yearSpendingFen / weighted : 0;
  return {
    year: input.year,
    account: input.account,
    balanceFen: input.balanceFen,
    bands: input.personsByBand.map((p, i) => ({ persons: p, spendingPerPersonFen: Math.round(unit * input.costWeights[i]) })),
    contributionPerPersonFen: input.contributionPerPersonFen,
    subsidyPerPersonFen: input.subsidyPerPersonFen,
  };
}
