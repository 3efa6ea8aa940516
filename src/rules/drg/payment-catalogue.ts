/**
 * What a payment-by-group scheme needs of its catalogue, whatever the grouping: for each group
 * its points (DRG: relative weight × 100; DIP 按病种分值付费: the combination's score) and its
 * average cost (for the outlier thresholds), and the average cost of all cases (what 100
 * points are worth in cost). A DRG catalogue is computed from a base year's cases (a DRG's
 * average cost over the average cost of all cases); a DIP catalogue can be given as data in
 * the same shape (catalogueOf). Every value carries its citation or its example mark.
 *
 * Exact: money in integer fen; weights in ten-thousandths and points in hundredths (weight
 * 1.2345 is 123.45 points, both the integer 12345), rounded half up once, where stated.
 */
import { InputError } from '../../errors.js';

/** A parameter as packs give it (a ResolvedParam fits): a value with its citation or example mark. */
export interface PaymentParam<T> {
  key: string;
  value: T;
  cite?: string;
  quote?: string;
  example?: string;
  note?: string;
  /** the pack that set it */
  from?: string;
}

/** Refuse a parameter that has neither a citation nor an example mark. */
export function sourced<T>(p: PaymentParam<T>, what: string): PaymentParam<T> {
  if (!p || (!p.cite && !p.example)) throw new InputError(what, `${p?.key ?? what} needs a citation (cite) or an example mark (example)`);
  return p;
}

/** An exact non-negative factor (a multiple such as 3 or 0.4, or a ratio), num / den. */
export interface Factor {
  num: number;
  den: number;
  text: string;
}

/** "3", "0.4", "60%", 2 → an exact factor; multiples above 1 are allowed. */
export function parseFactor(v: string | number, what: string): Factor {
  const text = String(v).trim();
  const m = /^(\d+)(?:\.(\d{1,6}))?(%?)$/.exec(text);
  if (!m) throw new InputError(what, `${text} is not a factor (write 3, 0.4 or 60%)`);
  const dec = m[2] ?? '';
  let num = Number(m[1] + dec);
  let den = 10 ** dec.length * (m[3] ? 100 : 1);
  const g = gcd(num, den);
  num /= g;
  den /= g;
  if (!Number.isSafeInteger(num)) throw new InputError(what, `${text} is out of range`);
  return { num, den, text };
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a || 1;
}

/** n / d to the nearest integer, halves up (n ≥ 0, d > 0). */
export function divRound(n: bigint, d: bigint): number {
  if (d <= 0n) throw new RangeError('division by zero or a negative divisor');
  if (n < 0n) throw new RangeError('a negative amount');
  const r = Number((2n * n + d) / (2n * d));
  if (!Number.isSafeInteger(r)) throw new RangeError('result out of the safe integer range');
  return r;
}

/** round(a × b / c) to the nearest integer, halves up (a, b ≥ 0 integers, c > 0); exact in BigInt. */
export function mulDivRound(a: number | bigint, b: number | bigint, c: number | bigint): number {
  return divRound(BigInt(a) * BigInt(b), BigInt(c));
}

/** "1.2345" from ten-thousandths; "123.45" from hundredths. */
export const decimalOf = (n: number, places: number): string => {
  const s = String(Math.abs(n)).padStart(places + 1, '0');
  return `${n < 0 ? '-' : ''}${s.slice(0, s.length - places)}.${s.slice(s.length - places)}`;
};

export interface GroupStandard {
  /** the DRG code, or the DIP combination's code */
  code: string;
  name?: string;
  /** points in hundredths: DRG weight 1.2345 → 12345 (123.45 points); DIP score 1234.5 → 123450 */
  pointsE2: number;
  /** the group's average cost in the base year, fen (the outlier thresholds are multiples of it) */
  averageCostFen: number;
  /** base-year cases behind it, when computed */
  cases?: number;
}

export interface PaymentCatalogue {
  kind: 'DRG' | 'DIP';
  name: string;
  /** the average cost of all cases, fen: a case of this cost is worth 100 points */
  overallAverageCostFen: number;
  /** where the catalogue comes from */
  source: PaymentParam<string>;
  group(code: string): GroupStandard | undefined;
  groups(): Iterable<GroupStandard>;
}

/** A catalogue from its groups as data (a published DRG weight table, or a DIP score catalogue). */
export function catalogueOf(kind: 'DRG' | 'DIP', name: string, overallAverageCostFen: number, groups: readonly GroupStandard[], source: PaymentParam<string>): PaymentCatalogue {
  sourced(source, 'catalogue.source');
  if (!Number.isSafeInteger(overallAverageCostFen) || overallAverageCostFen <= 0) throw new InputError('catalogue.overallAverageCostFen', 'must be a positive number of fen');
  const byCode = new Map<string, GroupStandard>();
  groups.forEach((g, i) => {
    if (byCode.has(g.code)) throw new InputError(`catalogue.groups.${i}.code`, `${g.code} appears twice`);
    if (!Number.isSafeInteger(g.pointsE2) || g.pointsE2 < 0) throw new InputError(`catalogue.groups.${i}.pointsE2`, 'must be a whole number ≥ 0 (hundredths of a point)');
    if (!Number.isSafeInteger(g.averageCostFen) || g.averageCostFen <= 0) throw new InputError(`catalogue.groups.${i}.averageCostFen`, 'must be a positive number of fen');
    byCode.set(g.code, g);
  });
  return { kind, name, overallAverageCostFen, source, group: (c) => byCode.get(c), groups: () => byCode.values() };
}

/** One case of the base year: its DRG and its total medical cost (医疗总费用), fen. */
export interface BaseYearCase {
  drg: string;
  costFen: number;
}

export interface WeightOptions {
  /** a DRG with fewer base-year cases gets no weight (it is listed as insufficient) */
  minCases?: PaymentParam<number>;
  /** before averaging, leave out the cases below low × / above high × their DRG's average cost (one pass) */
  trim?: { low: PaymentParam<string | number>; high: PaymentParam<string | number> };
}

export interface DrgWeight {
  drg: string;
  cases: number;
  totalCostFen: number;
  /** rounded half up to the fen (the weight is computed from the exact sums) */
  averageCostFen: number;
  /** ten-thousandths, rounded half up: (its total / its cases) / (all total / all cases) */
  weightE4: number;
  weight: string;
}

export interface WeightTable {
  cases: number;
  totalCostFen: number;
  averageCostFen: number;
  weights: DrgWeight[];
  insufficient: { drg: string; cases: number }[];
  trimmed: number;
  explain: string[];
}

/** Relative weights of the DRGs from a base year's cases. */
export function relativeWeights(cases: readonly BaseYearCase[], opts: WeightOptions = {}): WeightTable {
  const explain: string[] = [];
  cases.forEach((c, i) => {
    if (!Number.isSafeInteger(c.costFen) || c.costFen < 0) throw new InputError(`cases.${i}.costFen`, 'must be a whole number of fen ≥ 0');
    if (typeof c.drg !== 'string' || c.drg === '') throw new InputError(`cases.${i}.drg`, 'must be a DRG code');
  });
  const sums = (xs: readonly BaseYearCase[]): Map<string, { n: number; sum: bigint }> => {
    const m = new Map<string, { n: number; sum: bigint }>();
    for (const c of xs) {
      const s = m.get(c.drg) ?? { n: 0, sum: 0n };
      s.n++;
      s.sum += BigInt(c.costFen);
      m.set(c.drg, s);
    }
    return m;
  };
  let kept = cases;
  if (opts.trim) {
    const low = parseFactor(sourced(opts.trim.low, 'trim.low').value, 'trim.low');
    const high = parseFactor(sourced(opts.trim.high, 'trim.high').value, 'trim.high');
    const raw = sums(cases);
    // keep low × avg ≤ cost ≤ high × avg, with avg = sum / n: cost × n × den vs num × sum
    kept = cases.filter((c) => {
      const s = raw.get(c.drg)!;
      const x = BigInt(c.costFen) * BigInt(s.n);
      return x * BigInt(low.den) >= BigInt(low.num) * s.sum && x * BigInt(high.den) <= BigInt(high.num) * s.sum;
    });
    explain.push(`trimmed ${cases.length - kept.length} cases outside ${low.text}–${high.text} × their DRG's average cost (${cite(opts.trim.low)}; ${cite(opts.trim.high)})`);
  }
  const by = sums(kept);
  const n = kept.length;
  const total = kept.reduce((a, c) => a + BigInt(c.costFen), 0n);
  if (n === 0 || total === 0n) throw new InputError('cases', 'no base-year case with a cost: no weight can be computed');
  const min = opts.minCases ? sourced(opts.minCases, 'minCases').value : 1;
  const weights: DrgWeight[] = [];
  const insufficient: { drg: string; cases: number }[] = [];
  for (const [drg, s] of [...by].sort(([a], [b]) => a.localeCompare(b))) {
    if (s.n < min) {
      insufficient.push({ drg, cases: s.n });
      continue;
    }
    const weightE4 = mulDivRound(s.sum * BigInt(n), 10000, BigInt(s.n) * total);
    weights.push({ drg, cases: s.n, totalCostFen: Number(s.sum), averageCostFen: mulDivRound(s.sum, 1, s.n), weightE4, weight: decimalOf(weightE4, 4) });
  }
  const averageCostFen = mulDivRound(total, 1, n);
  explain.push(`${n} cases, average cost ${decimalOf(averageCostFen, 2)} yuan; weight of a DRG = its average cost / ${decimalOf(averageCostFen, 2)}, to 4 decimals, halves up`);
  if (opts.minCases) explain.push(`${insufficient.length} DRGs with fewer than ${min} cases get no weight (${cite(opts.minCases)})`);
  return { cases: n, totalCostFen: Number(total), averageCostFen, weights, insufficient, trimmed: cases.length - kept.length, explain };
}

/** The DRG catalogue of a weight table. */
export function drgCatalogue(t: WeightTable, name: string, source: PaymentParam<string>): PaymentCatalogue {
  return catalogueOf(
    'DRG',
    name,
    t.averageCostFen,
    t.weights.map((w) => ({ code: w.drg, pointsE2: w.weightE4, averageCostFen: w.averageCostFen, cases: w.cases })),
    source,
  );
}

/** "医保发〔2022〕20号 三" or "example: …" — how a value is sourced, for explanations. */
export function cite(p: PaymentParam<unknown>): string {
  return p.cite ? p.cite : `example (${p.example})`;
}
