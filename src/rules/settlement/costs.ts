/**
 * Cost classification: fee lines (甲/乙/丙, price limits, 乙类先行自付) into the national split
 * — fully self-paid, over-limit self-paid, pre-self-paid, in scope. Pure, exact to the fen.
 */
import { applyRate } from '../../money.js';
import type { CostSplit, FeeLine, LineSplit } from './input.js';

/** Over-limit part of a line: (unit price − limit) × quantity, half up, never above the line. */
function overLimit(l: FeeLine): number {
  if (l.priceLimit === null || l.unitPrice === null || l.quantity4 === null || l.unitPrice <= l.priceLimit) return 0;
  const v = Math.floor(((l.unitPrice - l.priceLimit) * l.quantity4 * 2 + 10000) / 20000);
  return Math.min(v, l.amount);
}

export function classifyLine(l: FeeLine): LineSplit {
  if (l.catalogClass === 'C') return { sn: l.sn, total: l.amount, fullOwnPay: l.amount, overLimitSelfPay: 0, preSelfPay: 0, inScope: 0 };
  const over = overLimit(l);
  const allowed = l.amount - over;
  const pre = l.catalogClass === 'B' && l.selfPayRatio ? applyRate(allowed, l.selfPayRatio) : 0;
  return { sn: l.sn, total: l.amount, fullOwnPay: 0, overLimitSelfPay: over, preSelfPay: pre, inScope: allowed - pre };
}

export function sumSplits(parts: readonly CostSplit[]): CostSplit {
  const s: CostSplit = { total: 0, fullOwnPay: 0, overLimitSelfPay: 0, preSelfPay: 0, inScope: 0 };
  for (const p of parts) {
    s.total += p.total;
    s.fullOwnPay += p.fullOwnPay;
    s.overLimitSelfPay += p.overLimitSelfPay;
    s.preSelfPay += p.preSelfPay;
    s.inScope += p.inScope;
  }
  return s;
}

export function classifyLines(lines: readonly FeeLine[]): { costs: CostSplit; lines: LineSplit[] } {
  const split = lines.map(classifyLine);
  return { costs: sumSplits(split), lines: split };
}
