/**
 * What a simulated year reports, in yuan at the edge (fen kept beside for exact comparison):
 * each fund's income and spending by month, payments by tier, the fiscal subsidy by level,
 * out-of-pocket by needy group and by decile, the number of high-burden persons, the example
 * values used; and the differences between a baseline and a reform run on the same draws.
 */
import { fenToYuan, type Fen } from '../../money.js';
import { GROUPS } from './population.js';
import { MONTHS, monthLabel, sum, type RunResult } from './run.js';

export interface FundFlow {
  incomeFen: Fen;
  spendingFen: Fen;
  income: number;
  spending: number;
}

const flow = (i: Fen, s: Fen): FundFlow => ({ incomeFen: i, spendingFen: s, income: fenToYuan(i), spending: fenToYuan(s) });

export interface SimSummary {
  year: number;
  persons: number;
  enrolled: number;
  refused: number;
  encounters: number;
  settled: number;
  funds: { basicFund: FundFlow; criticalIllnessFund: FundFlow; medicalAssistanceFund: FundFlow };
  months: { month: string; basicFund: FundFlow; criticalIllnessFund: FundFlow; medicalAssistanceFund: FundFlow }[];
  income: { contributionsFen: Fen; assistanceFen: Fen; subsidyFen: Fen; subsidyByLevel: Record<string, Fen>; criticalIllnessAllocationFen: Fen; assistanceAppropriationFen: Fen };
  tiers: { totalCostFen: Fen; basicFundFen: Fen; criticalIllnessFen: Fen; medicalAssistanceFen: Fen; outOfPocketFen: Fen };
  outOfPocketByGroup: { group: string; persons: number; withEncounters: number; outOfPocketFen: Fen; meanFen: number; highBurden: number }[];
  deciles: { decile: number; persons: number; fromFen: Fen; toFen: Fen; meanFen: number; share: number }[];
  highBurden: { count: number; thresholdFen: Fen };
  /** by age band (lower bound in years, age at 1 July): persons enrolled and the basic fund's spending on them — settlement payments and the 大病保险 allocation per enrolled person */
  ageBands: { from: number; enrolled: number; basicFundSpendingFen: Fen }[];
  examplesUsed: string[];
}

function monthFlows(r: RunResult, m: number) {
  const f = r.flows;
  return {
    basicFund: flow(f.contributions[m] + f.assistance[m] + f.subsidy[m], f.basicPaid[m] + f.criticalIllnessAllocation[m]),
    criticalIllnessFund: flow(f.criticalIllnessAllocation[m], f.criticalIllnessPaid[m]),
    medicalAssistanceFund: flow(f.assistanceAppropriation[m], f.assistance[m] + f.medicalAssistancePaid[m]),
  };
}

export function summarise(r: RunResult, highBurdenFen: Fen, extraExamples: string[] = [], bands: { from: readonly number[]; criticalIllnessPerCapitaFen: Fen } = { from: [], criticalIllnessPerCapitaFen: 0 }): SimSummary {
  const f = r.flows;
  const months: SimSummary['months'] = [];
  for (let m = 0; m < MONTHS; m++) {
    const x = monthFlows(r, m);
    if (x.basicFund.incomeFen || x.basicFund.spendingFen || x.criticalIllnessFund.incomeFen || x.criticalIllnessFund.spendingFen || x.medicalAssistanceFund.incomeFen || x.medicalAssistanceFund.spendingFen)
      months.push({ month: monthLabel(r.year, m), ...x });
  }
  const total = (k: 'basicFund' | 'criticalIllnessFund' | 'medicalAssistanceFund') => flow(months.reduce((s, m) => s + m[k].incomeFen, 0), months.reduce((s, m) => s + m[k].spendingFen, 0));
  // out-of-pocket by group
  const g = GROUPS.map((name) => ({ group: name, persons: 0, withEncounters: 0, outOfPocketFen: 0, meanFen: 0, highBurden: 0 }));
  const withOop: number[] = [];
  for (let i = 0; i < r.oop.length; i++) {
    const x = g[r.group[i]];
    x.persons++;
    x.outOfPocketFen += r.oop[i];
    if (r.oop[i] > highBurdenFen) x.highBurden++;
    if (r.withEncounters[i]) {
      x.withEncounters++;
      withOop.push(r.oop[i]);
    }
  }
  for (const x of g) x.meanFen = x.withEncounters ? Math.round(x.outOfPocketFen / x.withEncounters) : 0;
  // deciles of persons with an encounter by their year's out-of-pocket
  const sorted = Float64Array.from(withOop).sort();
  const all = sum(sorted);
  const deciles: SimSummary['deciles'] = [];
  for (let d = 0; d < 10; d++) {
    const a = Math.floor((sorted.length * d) / 10);
    const b = Math.floor((sorted.length * (d + 1)) / 10);
    let s = 0;
    for (let i = a; i < b; i++) s += sorted[i];
    deciles.push({ decile: d + 1, persons: b - a, fromFen: b > a ? sorted[a] : 0, toFen: b > a ? sorted[b - 1] : 0, meanFen: b > a ? Math.round(s / (b - a)) : 0, share: all > 0 ? s / all : 0 });
  }
  return {
    year: r.year,
    persons: r.persons,
    enrolled: r.enrolled,
    refused: r.refused,
    encounters: r.encounters,
    settled: r.settled,
    funds: { basicFund: total('basicFund'), criticalIllnessFund: total('criticalIllnessFund'), medicalAssistanceFund: total('medicalAssistanceFund') },
    months,
    income: {
      contributionsFen: sum(f.contributions),
      assistanceFen: sum(f.assistance),
      subsidyFen: sum(f.subsidy),
      subsidyByLevel: Object.fromEntries(Object.entries(r.subsidyByLevel).filter(([, v]) => v !== 0)),
      criticalIllnessAllocationFen: sum(f.criticalIllnessAllocation),
      assistanceAppropriationFen: sum(f.assistanceAppropriation),
    },
    tiers: { totalCostFen: sum(f.totalCost), basicFundFen: sum(f.basicPaid), criticalIllnessFen: sum(f.criticalIllnessPaid), medicalAssistanceFen: sum(f.medicalAssistancePaid), outOfPocketFen: sum(f.outOfPocket) },
    outOfPocketByGroup: g.filter((x) => x.persons > 0),
    deciles,
    highBurden: { count: r.highBurden, thresholdFen: highBurdenFen },
    ageBands: bands.from.slice(0, r.byBand.enrolled.length).map((from, b) => ({ from, enrolled: r.byBand.enrolled[b], basicFundSpendingFen: r.byBand.basicPaid[b] + r.byBand.enrolled[b] * bands.criticalIllnessPerCapitaFen })),
    examplesUsed: [...new Set([...r.examples, ...extraExamples])].sort(),
  };
}

export interface Difference {
  what: string;
  baselineFen: Fen;
  reformFen: Fen;
  differenceFen: Fen;
  difference: number;
}

/** Reform less baseline on the figures the issue names: fund balances, subsidies by level, assistance spending, out-of-pocket by group. */
export function differences(base: SimSummary, reform: SimSummary): Difference[] {
  const out: Difference[] = [];
  const d = (what: string, b: Fen, r: Fen) => out.push({ what, baselineFen: b, reformFen: r, differenceFen: r - b, difference: fenToYuan(r - b) });
  for (const k of ['basicFund', 'criticalIllnessFund', 'medicalAssistanceFund'] as const) {
    d(`${k}.income`, base.funds[k].incomeFen, reform.funds[k].incomeFen);
    d(`${k}.spending`, base.funds[k].spendingFen, reform.funds[k].spendingFen);
    d(`${k}.balance`, base.funds[k].incomeFen - base.funds[k].spendingFen, reform.funds[k].incomeFen - reform.funds[k].spendingFen);
  }
  d('income.contributions', base.income.contributionsFen, reform.income.contributionsFen);
  d('income.assistance', base.income.assistanceFen, reform.income.assistanceFen);
  const levels = [...new Set([...Object.keys(base.income.subsidyByLevel), ...Object.keys(reform.income.subsidyByLevel)])].sort();
  for (const l of levels) d(`subsidy.${l}`, base.income.subsidyByLevel[l] ?? 0, reform.income.subsidyByLevel[l] ?? 0);
  d('assistance.spending', base.income.assistanceFen + base.tiers.medicalAssistanceFen, reform.income.assistanceFen + reform.tiers.medicalAssistanceFen);
  for (const k of ['basicFundFen', 'criticalIllnessFen', 'medicalAssistanceFen', 'outOfPocketFen'] as const) d(`tiers.${k.replace(/Fen$/, '')}`, base.tiers[k], reform.tiers[k]);
  const groups = new Map(reform.outOfPocketByGroup.map((g) => [g.group, g]));
  for (const g of base.outOfPocketByGroup) d(`outOfPocket.${g.group}`, g.outOfPocketFen, groups.get(g.group)?.outOfPocketFen ?? 0);
  d('highBurden.count', base.highBurden.count, reform.highBurden.count);
  return out;
}
