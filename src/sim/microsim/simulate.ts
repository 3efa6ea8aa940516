/**
 * Room src/sim/microsim — the microsimulation: a population (generated with a seed, or the
 * registers) and a pack → a simulated coverage year by the production engine; reforms as data
 * run on the same draws; projections over years. May import every room below src/sim.
 *
 * simulate(): the packs compiled (the baseline's, and a reform's stages by their from dates), the
 * population and its encounters drawn once, the baseline run and — given a reform — the reform run
 * on the very same draws, their summaries and the differences.
 */
import { ageOn, dayOf, parseDay } from '../../dates.js';
import { InputError } from '../../errors.js';
import type { ResolvedPack } from '../../policy/loader.js';
import { applyChanges, type Reform } from '../../policy/reform.js';
import type { QuoteService } from '../../quotes/quote-service.js';
import { compilePack } from '../../rules/compile.js';
import { compileBenefits } from '../../rules/settlement/compile.js';
import { drawEncounters, type Encounters } from './draws.js';
import { generatePopulation, type Population } from './population.js';
import { bandOfAge, loadRates, type SimRates } from './rates.js';
import type { RatesFit } from './fit-rates.js';
import { runYear, type Compiled, type PackPlan, type RunOptions, type RunResult } from './run.js';
import { differences, summarise, type Difference, type SimSummary } from './summary.js';

export const compiled = (pack: ResolvedPack): Compiled => ({ cp: compilePack(pack), cb: compileBenefits(pack) });

/** The baseline pack and a reform's stages, one per distinct from date (each with every change from on or before it). */
export function planFor(quotes: QuoteService, packId: string, reform?: Reform): PackPlan {
  const pack = quotes.lib.resolve(packId);
  const base: Compiled = { cp: quotes.compiled(packId), cb: quotes.benefits(packId) };
  if (!reform || reform.changes.length === 0) return { base };
  applyChanges(pack, reform.changes, reform.name); // every path checked, whatever its date
  const dates = [...new Set(reform.changes.map((c) => c.from))].sort();
  return { base, stages: dates.map((d) => ({ from: parseDay(d), packs: compiled(applyChanges(pack, reform.changes, reform.name, d)) })) };
}

export interface SimulateOptions {
  region: string;
  year: number;
  /** a generated population of this many persons (ignored with `registers`) */
  persons?: number;
  seed?: number;
  rates?: SimRates;
  /** the rates were fitted from the registers' settlements of a past year (fit-rates.ts): what the result says of them */
  ratesFit?: RatesFit;
  reform?: Reform;
  registers?: { population: Population; encounters: Encounters };
  onProgress?: (stage: string, done: number, total: number) => void;
}

export interface Simulation {
  packId: string;
  region: string;
  year: number;
  source: 'generated' | 'registers';
  seed: number | null;
  /** null: the example rates (or the registers' own encounters) */
  ratesFrom: RatesFit | null;
  baseline: SimSummary;
  reform: { name: string; hypothetical: boolean; summary: SimSummary; differences: Difference[] } | null;
}

export const RATE_EXAMPLES = ['sim.rates（policies/sim/rates-example.yaml：就诊率、费用分布、医院等级构成，示例）', 'sim.criticalIllnessPerCapita（大病保险资金按参保人数划转，示例）', 'sim.assistanceAppropriation（医疗救助财政资金按当年支出拨入，示例）', 'sim.highBurdenYuan（高额费用负担人数的界限：通知要求“高额费用负担患者预警”，未给数额，示例）'];

/** What stays an example when the rates were fitted: the generated population's shares and what the fit could not see. */
export const fittedExamples = (f: RatesFit): string[] => [`sim.rates（就诊率、费用按 ${f.year} 年登记结算拟合；人口构成${f.keptExamples.filter((k) => !['population', 'criticalIllnessPerCapita', 'highBurdenYuan'].includes(k)).map((k) => `、${k}`).join('')}仍为示例）`];

export function runOptions(rates: SimRates): RunOptions {
  return { criticalIllnessPerCapitaFen: Math.round(rates.criticalIllnessPerCapita * 100), appropriationCoversAssistance: true, highBurdenFen: Math.round(rates.highBurdenYuan * 100) };
}

export function diseasesOf(c: Compiled): string[] {
  return c.cb.diseases ? [...c.cb.diseases.byCode.keys()] : [];
}

/** The population and its draws (generated) — once per simulation, shared by baseline and reform. */
export function drawYear(quotes: QuoteService, packId: string, o: SimulateOptions, rates: SimRates): { population: Population; encounters: Encounters } {
  if (o.registers) return o.registers;
  const n = o.persons ?? 10_000;
  const seed = o.seed ?? 20220101;
  const population = generatePopulation(n, seed, o.region, o.year, rates);
  const encounters = drawEncounters(population, rates, diseasesOf({ cp: quotes.compiled(packId), cb: quotes.benefits(packId) }), seed);
  return { population, encounters };
}

/** Each person's age band (the rates' bands, age on 1 July of the year, as the draws count it). */
export function ageBands(p: Population, rates: SimRates): Uint8Array {
  const band = bandOfAge(rates);
  const mid = dayOf(p.year, 7, 1);
  const out = new Uint8Array(p.n);
  for (let i = 0; i < p.n; i++) out[i] = band[Math.max(0, Math.min(120, ageOn(p.birth[i], mid)))];
  return out;
}

export function simulate(quotes: QuoteService, o: SimulateOptions): Simulation {
  const packId = o.reform?.baseline ?? quotes.lib.packIdFor(o.region, o.year);
  if (!packId) throw new InputError('region', `no policy pack covers region ${o.region} in ${o.year}`);
  if (quotes.lib.resolve(packId).year !== o.year) throw new InputError('year', `the reform's baseline ${packId} is not for ${o.year}`);
  const rates = o.rates ?? loadRates();
  const opts = runOptions(rates);
  const { population, encounters } = drawYear(quotes, packId, o, rates);
  // the registers bring their own encounters: the rates and costs are not used, the other examples are
  const extra = o.registers ? RATE_EXAMPLES.slice(1) : o.ratesFit ? [...RATE_EXAMPLES.slice(1), ...fittedExamples(o.ratesFit)] : RATE_EXAMPLES;
  const ageBand = { of: ageBands(population, rates), count: rates.ageBands.length };
  const bands = { from: rates.ageBands, criticalIllnessPerCapitaFen: opts.criticalIllnessPerCapitaFen };
  const run = (plan: PackPlan, stage: string): RunResult => runYear(population, encounters, plan, { ...opts, ageBand, onProgress: o.onProgress && ((d, t) => o.onProgress!(stage, d, t)) });
  const baseline = summarise(run(planFor(quotes, packId), 'baseline'), opts.highBurdenFen, extra, bands);
  let reform: Simulation['reform'] = null;
  if (o.reform) {
    const summary = summarise(run(planFor(quotes, packId, o.reform), 'reform'), opts.highBurdenFen, extra, bands);
    reform = { name: o.reform.name, hypothetical: o.reform.hypothetical, summary, differences: differences(baseline, summary) };
  }
  return { packId, region: o.region, year: o.year, source: o.registers ? 'registers' : 'generated', seed: o.registers ? null : (o.seed ?? 20220101), ratesFrom: o.registers ? null : (o.ratesFit ?? null), baseline, reform };
}
