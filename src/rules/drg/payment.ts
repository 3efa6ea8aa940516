/**
 * Payment by group (DRG now, DIP later through the same catalogue shape): what the fund owes
 * a hospital for one inpatient case, by the base-rate method (费率法: points / 100 × base rate,
 * i.e. weight × base rate) or by the regional points method (区域点数法总额预算: points × point
 * value, the point value being the year's budget / the year's total points), with the outlier
 * rules: a case costing more than k_high × its group's average cost, or less than k_low ×, is
 * paid by item or as the pack says.
 *
 * Rules of this implementation (each explained in the case's steps):
 * - points: the group's points; a case paid by item counts its cost in points, 100 points per
 *   the catalogue's average cost of all cases (so under the points method it shares the
 *   budget like every case); the extra points of a high outlier paid at a ratio are its cost
 *   above the threshold, × the ratio, in the same points;
 * - points are kept in hundredths of a point, every adjusted number of points rounded half up
 *   once to the hundredth; money in fen, rounded half up once per case;
 * - thresholds are compared exactly (cost × den against multiple × average), never rounded;
 * - under the points method the cases' payments may differ from the budget by the rounding of
 *   each case (at most half a fen per case): settleYearByPoints reports that remainder.
 * All parameters are plain typed objects, each with its citation or example mark (the packs
 * will supply them); a parameter with neither is refused.
 */
import { InputError } from '../../errors.js';
import { formatYuan, type Fen } from '../../money.js';
import type { TraceStep } from '../trace.js';
import { decimalOf, divRound, mulDivRound, parseFactor, sourced, type Factor, type PaymentCatalogue, type PaymentParam } from './payment-catalogue.js';

export * from './payment-catalogue.js';

export type HighOutlierPay = 'by_item' | { extraRatio: string | number };
export type LowOutlierPay = 'by_item' | 'scaled';

export interface OutlierRules {
  /** a case costing more than multiple × its group's average cost (高倍率病例) */
  high?: { multiple: PaymentParam<string | number>; pay: PaymentParam<HighOutlierPay> };
  /** a case costing less than multiple × its group's average cost (低倍率病例) */
  low?: { multiple: PaymentParam<string | number>; pay: PaymentParam<LowOutlierPay> };
}

export type PaymentMethod =
  /** 费率法: fen per 100 points (per relative weight 1) */
  | { kind: 'base_rate'; baseRateFen: PaymentParam<number> }
  /** 点数法: the year's point value (pointValueOf) */
  | { kind: 'point_value'; pointValue: PointValue }
  /** 点数法 before the year is cleared: a fixed point value, fen per point (the monthly pre-payment) */
  | { kind: 'provisional_point_value'; fenPerPoint: PaymentParam<number> };

export interface PointValue {
  budgetFen: Fen;
  totalPointsE2: number;
  /** yuan per point, 4 decimals (display; payments use the exact ratio) */
  yuanPerPoint: string;
  budget: PaymentParam<number>;
}

/** One case to pay: its group (DRG code, DIP combination) or null, and its total medical cost. */
export interface CaseToPay {
  id?: string | null;
  group: string | null;
  costFen: Fen;
}

export type CaseCategory = 'normal' | 'high_outlier' | 'low_outlier' | 'no_standard';

export interface CasePoints {
  id: string | null;
  group: string | null;
  costFen: Fen;
  category: CaseCategory;
  /** paid by item (its cost, or its cost in points under the points method) */
  byItem: boolean;
  /** the points the case counts, hundredths */
  pointsE2: number;
  points: string;
  /** the outlier threshold the case crossed, fen (rounded half up for display) */
  thresholdFen?: Fen;
  steps: TraceStep[];
}

export interface CasePayment extends CasePoints {
  paymentFen: Fen;
  /** payment − cost: > 0 the hospital keeps a surplus (结余), < 0 it bears an overspend (超支) */
  balanceFen: Fen;
}

const step = (name: string, value: unknown, explain: string, p?: PaymentParam<unknown>, rule?: string): TraceStep => {
  const s: TraceStep = { step: name, value, explain };
  if (p) {
    s.param = p.key;
    if (p.from) s.pack = p.from;
    if (p.cite) s.cite = p.cite;
    if (p.quote) s.quote = p.quote;
    if (p.example) s.example = p.example;
    if (p.note) s.note = p.note;
  }
  if (rule) s.rule = rule;
  return s;
};

/** The checked outlier rules: exact factors. */
interface Rules {
  high: { multiple: Factor; pay: HighOutlierPay; ratio: Factor | null; p: PaymentParam<string | number>; payP: PaymentParam<HighOutlierPay> } | null;
  low: { multiple: Factor; pay: LowOutlierPay; p: PaymentParam<string | number>; payP: PaymentParam<LowOutlierPay> } | null;
}

function checkRules(r: OutlierRules): Rules {
  const high = r.high
    ? (() => {
        const p = sourced(r.high.multiple, 'outliers.high.multiple');
        const payP = sourced(r.high.pay, 'outliers.high.pay');
        const pay = payP.value;
        if (pay !== 'by_item' && !(typeof pay === 'object' && pay !== null && 'extraRatio' in pay)) throw new InputError('outliers.high.pay', 'is "by_item" or { extraRatio }');
        return { multiple: parseFactor(p.value, 'outliers.high.multiple'), pay, ratio: pay === 'by_item' ? null : parseFactor(pay.extraRatio, 'outliers.high.pay.extraRatio'), p, payP };
      })()
    : null;
  const low = r.low
    ? (() => {
        const p = sourced(r.low.multiple, 'outliers.low.multiple');
        const payP = sourced(r.low.pay, 'outliers.low.pay');
        if (payP.value !== 'by_item' && payP.value !== 'scaled') throw new InputError('outliers.low.pay', 'is "by_item" or "scaled"');
        return { multiple: parseFactor(p.value, 'outliers.low.multiple'), pay: payP.value, p, payP };
      })()
    : null;
  if (high && low && high.multiple.num * low.multiple.den <= low.multiple.num * high.multiple.den) throw new InputError('outliers.low.multiple', `${low.multiple.text} must be below the high multiple ${high.multiple.text}`);
  return { high, low };
}

/** Points of a cost paid by item: 100 points per the average cost of all cases, hundredths, halves up. */
const costPoints = (cat: PaymentCatalogue, costFen: Fen): number => mulDivRound(costFen, 10000, cat.overallAverageCostFen);

/** The points one case counts, and why. */
export function casePoints(cat: PaymentCatalogue, outliers: OutlierRules, c: CaseToPay): CasePoints {
  const rules = checkRules(outliers);
  return pointsOf(cat, rules, c);
}

function pointsOf(cat: PaymentCatalogue, rules: Rules, c: CaseToPay): CasePoints {
  if (!Number.isSafeInteger(c.costFen) || c.costFen < 0) throw new InputError('costFen', 'must be a whole number of fen ≥ 0');
  const id = c.id ?? null;
  const steps: TraceStep[] = [];
  const g = c.group === null ? undefined : cat.group(c.group);
  const out = (category: CaseCategory, byItem: boolean, pointsE2: number, thresholdFen?: Fen): CasePoints => ({
    id,
    group: c.group,
    costFen: c.costFen,
    category,
    byItem,
    pointsE2,
    points: decimalOf(pointsE2, 2),
    ...(thresholdFen === undefined ? {} : { thresholdFen }),
    steps,
  });
  const avg = `the average cost of all cases (${formatYuan(cat.overallAverageCostFen)} yuan) is 100 points`;
  if (!g) {
    const p = costPoints(cat, c.costFen);
    steps.push(step('category', 'no_standard', `${c.group ?? 'no group'}: not in the ${cat.kind} catalogue ${cat.name}: paid by item; its cost ${formatYuan(c.costFen)} yuan counts ${decimalOf(p, 2)} points (${avg})`, cat.source));
    return out('no_standard', true, p);
  }
  steps.push(step('group', g.code, `${g.code}${g.name ? ` ${g.name}` : ''}: ${decimalOf(g.pointsE2, 2)} points, average cost ${formatYuan(g.averageCostFen)} yuan (${cat.name})`, cat.source));
  const cost = BigInt(c.costFen);
  const avgG = BigInt(g.averageCostFen);
  const h = rules.high;
  if (h && cost * BigInt(h.multiple.den) > BigInt(h.multiple.num) * avgG) {
    const thresholdFen = mulDivRound(g.averageCostFen, h.multiple.num, h.multiple.den);
    steps.push(step('category', 'high_outlier', `cost ${formatYuan(c.costFen)} yuan is above ${h.multiple.text} × the group's average = ${formatYuan(thresholdFen)} yuan: a high-cost case`, h.p));
    if (h.ratio === null) {
      const p = costPoints(cat, c.costFen);
      steps.push(step('points', decimalOf(p, 2), `paid by item: its cost counts ${decimalOf(p, 2)} points (${avg})`, h.payP));
      return out('high_outlier', true, p, thresholdFen);
    }
    // extra points = (cost − multiple × avg) × ratio × 10000 / overall average, exactly, then halves up
    const above = cost * BigInt(h.multiple.den) - BigInt(h.multiple.num) * avgG;
    const extra = divRound(above * BigInt(h.ratio.num) * 10000n, BigInt(h.multiple.den) * BigInt(h.ratio.den) * BigInt(cat.overallAverageCostFen));
    steps.push(step('points', decimalOf(g.pointsE2 + extra, 2), `the group's ${decimalOf(g.pointsE2, 2)} points + ${h.ratio.text} of the cost above the threshold in points (${decimalOf(extra, 2)}; ${avg})`, h.payP));
    return out('high_outlier', false, g.pointsE2 + extra, thresholdFen);
  }
  const l = rules.low;
  if (l && cost * BigInt(l.multiple.den) < BigInt(l.multiple.num) * avgG) {
    const thresholdFen = mulDivRound(g.averageCostFen, l.multiple.num, l.multiple.den);
    steps.push(step('category', 'low_outlier', `cost ${formatYuan(c.costFen)} yuan is below ${l.multiple.text} × the group's average = ${formatYuan(thresholdFen)} yuan: a low-cost case`, l.p));
    if (l.pay === 'by_item') {
      const p = costPoints(cat, c.costFen);
      steps.push(step('points', decimalOf(p, 2), `paid by item: its cost counts ${decimalOf(p, 2)} points (${avg})`, l.payP));
      return out('low_outlier', true, p, thresholdFen);
    }
    const p = Math.min(g.pointsE2, mulDivRound(g.pointsE2, c.costFen, g.averageCostFen));
    steps.push(step('points', decimalOf(p, 2), `the group's points × cost / the group's average cost = ${decimalOf(p, 2)} points`, l.payP));
    return out('low_outlier', false, p, thresholdFen);
  }
  steps.push(step('category', 'normal', `cost ${formatYuan(c.costFen)} yuan is within the outlier thresholds: the group's ${decimalOf(g.pointsE2, 2)} points`));
  return out('normal', false, g.pointsE2);
}

/** The year's point value: its DRG budget / its total points (区域点数法总额预算). */
export function pointValueOf(budget: PaymentParam<number>, cases: readonly { pointsE2: number }[]): PointValue {
  sourced(budget, 'budget');
  if (!Number.isSafeInteger(budget.value) || budget.value < 0) throw new InputError('budget', 'must be a whole number of fen ≥ 0');
  const total = cases.reduce((a, c) => a + c.pointsE2, 0);
  if (total <= 0) throw new InputError('cases', 'the year has no points: no point value');
  return { budgetFen: budget.value, totalPointsE2: total, yuanPerPoint: decimalOf(mulDivRound(budget.value, 10000, total), 4), budget };
}

function payFromPoints(p: CasePoints, m: PaymentMethod): CasePayment {
  let paymentFen: Fen;
  if (m.kind === 'base_rate') {
    const rate = sourced(m.baseRateFen, 'baseRateFen');
    if (p.byItem) {
      paymentFen = p.costFen;
      p.steps.push(step('payment', formatYuan(paymentFen), `paid by item: its cost, ${formatYuan(paymentFen)} yuan`));
    } else {
      paymentFen = mulDivRound(p.pointsE2, rate.value, 10000);
      p.steps.push(step('payment', formatYuan(paymentFen), `${p.points} points / 100 × base rate ${formatYuan(rate.value)} yuan = ${formatYuan(paymentFen)} yuan (halves up to the fen)`, rate));
    }
  } else if (m.kind === 'provisional_point_value') {
    const v = sourced(m.fenPerPoint, 'fenPerPoint');
    paymentFen = mulDivRound(p.pointsE2, v.value, 100);
    p.steps.push(step('payment', formatYuan(paymentFen), `${p.points} points × the provisional point value ${formatYuan(v.value)} yuan = ${formatYuan(paymentFen)} yuan (halves up to the fen; the year's clearing pays by the year's point value)`, v));
  } else {
    const v = m.pointValue;
    paymentFen = mulDivRound(p.pointsE2, v.budgetFen, v.totalPointsE2);
    p.steps.push(
      step('payment', formatYuan(paymentFen), `${p.points} points × point value ${v.yuanPerPoint} yuan (budget ${formatYuan(v.budgetFen)} yuan / ${decimalOf(v.totalPointsE2, 2)} points) = ${formatYuan(paymentFen)} yuan (halves up to the fen)`, v.budget),
    );
  }
  return { ...p, paymentFen, balanceFen: paymentFen - p.costFen };
}

/** What the fund owes for one case. */
export function payCase(cat: PaymentCatalogue, outliers: OutlierRules, method: PaymentMethod, c: CaseToPay): CasePayment {
  return payFromPoints(casePoints(cat, outliers, c), method);
}

export interface YearSettlement {
  pointValue: PointValue;
  payments: CasePayment[];
  totalPaidFen: Fen;
  /** budget − what the cases are paid: the rounding of each case, at most half a fen each */
  remainderFen: Fen;
}

/** The annual clearing by points: every case's points, the point value, every case paid by it. */
export function settleYearByPoints(cat: PaymentCatalogue, outliers: OutlierRules, budget: PaymentParam<number>, cases: readonly CaseToPay[]): YearSettlement {
  const rules = checkRules(outliers);
  const points = cases.map((c, i) => {
    try {
      return pointsOf(cat, rules, c);
    } catch (e) {
      if (e instanceof InputError) throw new InputError(`cases.${i}.${e.field}`, e.message.slice(e.field.length + 2));
      throw e;
    }
  });
  const pointValue = pointValueOf(budget, points);
  const payments = points.map((p) => payFromPoints(p, { kind: 'point_value', pointValue }));
  const totalPaidFen = payments.reduce((a, p) => a + p.paymentFen, 0);
  return { pointValue, payments, totalPaidFen, remainderFen: pointValue.budgetFen - totalPaidFen };
}

