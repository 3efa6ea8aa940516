/**
 * What the notices measure of payment by group (issue #19 item 4), computed from plain figures
 * (the queries are in src/drg/metrics.ts):
 * - the share of the area's inpatient fund spending paid by DRG/DIP (桂医保发〔2022〕30号 五,
 *   鲁医保发〔2022〕24号 五): the basic fund's spending on stays at hospitals the area pays by
 *   group, with the group adjustments posted, over its spending on every inpatient stay;
 * - the share of secondary-and-above public hospitals paid by DRG/DIP, and by DRG
 *   (鲁医保发〔2022〕24号 五); a hospital whose ownership is not recorded is counted apart;
 * - per hospital: cases, CMI (case-mix index: the cases' mean relative weight), the group
 *   payment against the item-based cost (结余 when positive, 超支 when negative), cost per weight
 *   and days per weight.
 * Shares and ratios are exact integer arithmetic, rounded half up once for display; whether a
 * target is met is decided on the exact fraction. Each figure names its rule and the target its
 * citation.
 */
import { formatYuan, type Fen } from '../../money.js';
import { divRound } from './payment-catalogue.js';

export interface Share {
  numerator: string;
  denominator: string;
  /** the share, 4 decimals ("0.6250"); null when the denominator is 0 */
  value: string | null;
  percent: string | null;
}

/** num / den to 4 decimals (and as a percentage with 2), half up; null for den 0. */
export function shareOf(num: bigint | number, den: bigint | number, asMoney = false): Share {
  const n = BigInt(num);
  const d = BigInt(den);
  const show = (x: bigint) => (asMoney ? formatYuan(Number(x)) : String(x));
  if (d === 0n) return { numerator: show(n), denominator: show(d), value: null, percent: null };
  const e4 = divRound(n * 10_000n, d);
  const e4s = String(e4).padStart(5, '0');
  const value = `${e4s.slice(0, -4)}.${e4s.slice(-4)}`;
  const pct = String(divRound(n * 10_000n * 100n, d * 100n)).padStart(3, '0');
  return { numerator: show(n), denominator: show(d), value, percent: `${pct.slice(0, -2)}.${pct.slice(-2)}` };
}

/** Whether num / den ≥ the target share (a decimal string), exactly. */
export function meets(num: bigint | number, den: bigint | number, target: string): boolean | null {
  const d = BigInt(den);
  if (d === 0n) return null;
  const [i, f = ''] = target.split('.');
  const t = BigInt(i + f.padEnd(4, '0').slice(0, 4));
  return BigInt(num) * 10_000n >= t * d;
}

export type PaidBy = 'DRG' | 'DIP' | null;

export interface HospitalFacts {
  code: string;
  name: string;
  level: 'primary' | 'secondary' | 'tertiary';
  ownership: 'public' | 'private' | null;
  paidBy: PaidBy;
}

export interface HospitalCoverage {
  /** secondary-and-above public hospitals */
  publicSecondaryPlus: number;
  paidByGroup: number;
  paidByDrg: number;
  /** secondary-and-above hospitals whose ownership is not recorded (not counted above) */
  ownershipUnknown: string[];
  groupShare: Share;
  drgShare: Share;
  rule: string;
}

export function hospitalCoverage(hospitals: readonly HospitalFacts[]): HospitalCoverage {
  const upper = hospitals.filter((h) => h.level !== 'primary');
  const pub = upper.filter((h) => h.ownership === 'public');
  const byGroup = pub.filter((h) => h.paidBy !== null).length;
  const byDrg = pub.filter((h) => h.paidBy === 'DRG').length;
  return {
    publicSecondaryPlus: pub.length,
    paidByGroup: byGroup,
    paidByDrg: byDrg,
    ownershipUnknown: upper.filter((h) => h.ownership === null).map((h) => h.code),
    groupShare: shareOf(byGroup, pub.length),
    drgShare: shareOf(byDrg, pub.length),
    rule: '二级及以上公立医疗机构中按DRG/DIP付费（付费包所列医院）的家数 / 二级及以上公立医疗机构家数；所有制未登记的医院单列，不计入',
  };
}

export interface FundShare {
  /** the basic fund's spending on inpatient stays at hospitals paid by group, with the group adjustments, fen */
  groupPaidFen: Fen;
  /** the basic fund's spending on every inpatient stay of the area's year, with the same adjustments, fen */
  inpatientFen: Fen;
  share: Share;
  rule: string;
}

export function fundShare(groupPaidFen: Fen, inpatientFen: Fen): FundShare {
  return {
    groupPaidFen,
    inpatientFen,
    share: shareOf(groupPaidFen, inpatientFen, true),
    rule: '按病组付费医院住院结算的基本医保统筹基金支出（含已记账的DRG调整）/ 统筹区全部住院结算的基本医保统筹基金支出（含同一调整）',
  };
}

/** One hospital's grouped stays as the query sums them. */
export interface HospitalCaseSums {
  code: string;
  /** grouped stays with a live settlement */
  cases: number;
  /** of them, stays whose DRG has a weight in the catalogue */
  weightedCases: number;
  /** Σ points of the weighted stays, hundredths (weight 1 = 10 000) */
  pointsE2: bigint | number;
  /** Σ item-based cost (settlement total) of the weighted stays, fen */
  weightedCostFen: Fen;
  /** Σ length of stay of the weighted stays that give one, and Σ their points (hundredths) */
  losDays: number;
  losPointsE2: bigint | number;
  /** the payment runs: Σ group payment and Σ item cost of the stays paid (the clearing's, else the pre-payments'); null: no run yet */
  paid: { cases: number; paymentFen: Fen; costFen: Fen; run: 'year' | 'month' } | null;
}

export interface HospitalMetrics {
  code: string;
  cases: number;
  weightedCases: number;
  /** the case-mix index, 4 decimals; null without a weighted stay */
  cmi: string | null;
  /** fen per weight 1 (Σ cost / Σ weight), half up */
  costPerWeightFen: Fen | null;
  costPerWeight: string | null;
  /** days per weight 1 (Σ days / Σ weight of the stays giving days), 2 decimals */
  daysPerWeight: string | null;
  paid: { cases: number; run: 'year' | 'month'; payment: string; cost: string; balanceFen: Fen; balance: string; result: '结余' | '超支' | '持平' } | null;
  rules: string[];
}

export function hospitalMetrics(s: HospitalCaseSums): HospitalMetrics {
  const p = BigInt(s.pointsE2);
  const cmi = s.weightedCases > 0 ? shareOf(p, BigInt(s.weightedCases) * 10_000n).value : null;
  const costPerWeightFen = p > 0n ? divRound(BigInt(s.weightedCostFen) * 10_000n, p) : null;
  // days per weight over the stays that give their days (losDays), by their own points
  const lp = BigInt(s.losPointsE2);
  const dpw = lp > 0n ? String(divRound(BigInt(s.losDays) * 1_000_000n, lp)).padStart(3, '0') : null;
  let paid: HospitalMetrics['paid'] = null;
  if (s.paid) {
    const b = s.paid.paymentFen - s.paid.costFen;
    paid = { cases: s.paid.cases, run: s.paid.run, payment: formatYuan(s.paid.paymentFen), cost: formatYuan(s.paid.costFen), balanceFen: b, balance: formatYuan(b), result: b > 0 ? '结余' : b < 0 ? '超支' : '持平' };
  }
  return {
    code: s.code,
    cases: s.cases,
    weightedCases: s.weightedCases,
    cmi,
    costPerWeightFen,
    costPerWeight: costPerWeightFen === null ? null : formatYuan(costPerWeightFen),
    daysPerWeight: dpw === null ? null : `${dpw.slice(0, -2)}.${dpw.slice(-2)}`,
    paid,
    rules: [
      'CMI = 有权重病例的权重之和 / 病例数（权重 = 病组点数 / 100）',
      '费用消耗指数口径：每权重费用 = 按项目总费用之和 / 权重之和',
      '时间消耗指数口径：每权重住院日 = 住院天数之和 / 权重之和',
      '结余 / 超支 = 按病组支付 − 按项目费用（年度清算后取清算结果，否则取月度预付）',
    ],
  };
}
