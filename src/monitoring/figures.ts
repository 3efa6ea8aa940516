/**
 * Pure helpers of the monitoring figures: rates as exact fractions (shown as percentages with
 * two decimals, rounded half up), ranks by rate, and the half-months of 每半月通报.
 */
import { daysInMonth, formatDay, parseDay, ymd, type Day } from '../dates.js';

/** A rate as the fraction it is and the percentage a report prints ("97.53%"); null when there is no target. */
export interface RateFigure {
  numerator: number;
  denominator: number;
  /** percent, two decimals, rounded half up */
  percent: number;
  text: string;
}

export function rateOf(numerator: number, denominator: number): RateFigure | null {
  if (!Number.isSafeInteger(numerator) || !Number.isSafeInteger(denominator) || denominator <= 0 || numerator < 0) return null;
  // percent × 100, rounded half up, in integers: floor((2·n·10000 + d) / (2·d))
  const hundredths = Math.floor((2 * numerator * 10000 + denominator) / (2 * denominator));
  const percent = hundredths / 100;
  return { numerator, denominator, percent, text: `${Math.floor(hundredths / 100)}.${String(hundredths % 100).padStart(2, '0')}%` };
}

/** Compare two rates exactly (a/b against c/d); a missing rate sorts last. */
export function compareRates(a: RateFigure | null, b: RateFigure | null): number {
  if (!a || !b) return a ? -1 : b ? 1 : 0;
  const l = BigInt(a.numerator) * BigInt(b.denominator);
  const r = BigInt(b.numerator) * BigInt(a.denominator);
  return l === r ? 0 : l > r ? -1 : 1;
}

/** Competition ranks (1, 2, 2, 4) by rate, highest first; items without a rate get null. */
export function ranks<T>(items: readonly T[], rate: (t: T) => RateFigure | null): (number | null)[] {
  const order = items.map((t, i) => ({ i, r: rate(t) })).sort((x, y) => compareRates(x.r, y.r) || x.i - y.i);
  const out: (number | null)[] = items.map(() => null);
  let prev: RateFigure | null = null;
  let rank = 0;
  order.forEach((o, k) => {
    if (!o.r) return;
    if (k === 0 || compareRates(prev, o.r) !== 0) rank = k + 1;
    out[o.i] = rank;
    prev = o.r;
  });
  return out;
}

/** The half-month a date closes: the 15th, or the last day of the month. */
export const isHalfMonthEnd = (d: Day): boolean => {
  const x = ymd(d);
  return x.d === 15 || x.d === daysInMonth(x.y, x.m);
};

/** The last half-month end strictly before `d` (the report before the one as of `d`). */
export function previousHalfMonthEnd(d: Day): Day {
  let x = d - 1;
  while (!isHalfMonthEnd(x)) x--;
  return x;
}

/** Half-month ends from the one on or after `from` up to `to`, then `to` itself when it is not one. */
export function halfMonthEnds(from: string, to: string): string[] {
  const a = parseDay(from);
  const b = parseDay(to);
  const out: string[] = [];
  for (let d = a; d <= b; d++) if (isHalfMonthEnd(d)) out.push(formatDay(d));
  if (!out.length || out[out.length - 1] !== to) out.push(to);
  return out;
}

/** The coverage year a campaign date belongs to: December collects for the next year. */
export const coverageYearOf = (date: string): number => Number(date.slice(0, 4)) + (date.slice(5, 7) === '12' ? 1 : 0);
