/**
 * A year of encounters: settled in order, the accumulators carried; totals per fund; and
 * reversal of one settlement with the later ones re-settled, which gives the same as never
 * having settled it.
 */
import type { Fen } from '../../money.js';
import type { CompiledBenefits } from './compile.js';
import { emptyAccumulators, type Accumulators, type Encounter, type SettlementPerson } from './input.js';
import type { SettlementResult } from './result.js';
import { reverse, settle } from './settle.js';

export interface YearTotals {
  encounters: number;
  total: Fen;
  inScope: Fen;
  basicFund: Fen;
  criticalIllness: Fen;
  medicalAssistance: Fen;
  fundTotal: Fen;
  personalBurden: Fen;
  /** inpatient: the basic fund's share of in-scope costs, to compare with the target (~70 %) */
  inpatientInScope: Fen;
  inpatientBasicFund: Fen;
}

export function settleYear(cb: CompiledBenefits, p: SettlementPerson, encounters: readonly Encounter[], start: Accumulators = emptyAccumulators(), traceOn = true): { results: SettlementResult[]; totals: YearTotals; after: Accumulators } {
  let acc = start;
  const results: SettlementResult[] = [];
  for (const e of encounters) {
    const r = settle(cb, p, e, acc, traceOn);
    results.push(r);
    acc = r.after;
  }
  return { results, totals: totalsOf(results), after: acc };
}

export function totalsOf(results: readonly SettlementResult[]): YearTotals {
  const t: YearTotals = { encounters: results.length, total: 0, inScope: 0, basicFund: 0, criticalIllness: 0, medicalAssistance: 0, fundTotal: 0, personalBurden: 0, inpatientInScope: 0, inpatientBasicFund: 0 };
  for (const r of results) {
    t.total += r.costs.total;
    t.inScope += r.costs.inScope;
    t.basicFund += r.basicFund;
    t.criticalIllness += r.criticalIllness;
    t.medicalAssistance += r.medicalAssistance;
    t.fundTotal += r.fundTotal;
    t.personalBurden += r.personalBurden;
    if (r.settledAs === 'inpatient') {
      t.inpatientInScope += r.costs.inScope;
      t.inpatientBasicFund += r.basicFund;
    }
  }
  return t;
}

/**
 * Reverse settlement `index` of a settled sequence: the later ones are reversed (newest
 * first), then re-settled in order without it. Returns the new results of the later
 * encounters and the accumulators after them.
 */
export function reverseAndResettle(
  cb: CompiledBenefits,
  p: SettlementPerson,
  encounters: readonly Encounter[],
  results: readonly SettlementResult[],
  index: number,
  accNow: Accumulators,
  traceOn = false,
): { resettled: SettlementResult[]; after: Accumulators } {
  let acc = accNow;
  for (let i = results.length - 1; i >= index; i--) acc = reverse(acc, results[i]);
  const resettled: SettlementResult[] = [];
  for (let i = index + 1; i < encounters.length; i++) {
    const r = settle(cb, p, encounters[i], acc, traceOn);
    resettled.push(r);
    acc = r.after;
  }
  return { resettled, after: acc };
}
