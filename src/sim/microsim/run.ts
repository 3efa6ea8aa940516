/**
 * One simulated coverage year by the engine production uses: each person's contribution quote
 * (src/rules/quote.ts quoteContribution) and each encounter through the three tiers
 * (src/rules/settlement/settle.ts settle), the person's accumulators carried encounter to
 * encounter as the settlement service carries them — no second implementation of any rule. The
 * loop only routes amounts into columns: fund income and spending by month, payments by tier,
 * each person's out-of-pocket.
 *
 * What each fund receives and pays mirrors the ledger's postings: the basic fund receives the
 * contributions (payment date), the medical-assistance fund's payment of assisted contributions
 * and the fiscal subsidy; it pays the settlements' basic-fund amounts and the allocation to
 * 大病保险 (example: a sum per enrolled person, in January); 大病保险 pays its settlement
 * amounts; the medical-assistance fund pays assisted contributions and its settlement amounts and
 * receives an appropriation (example: what it paid, in December).
 */
import { dayOf, yearEnd, yearStart, ymd, type Day } from '../../dates.js';
import type { Fen } from '../../money.js';
import { HOSPITAL_LEVELS, CARE_LOCATIONS, SUBSIDY_LEVELS, type EncounterType } from '../../policy/vocabulary.js';
import type { CompiledPack } from '../../rules/compile.js';
import { quoteContribution } from '../../rules/quote.js';
import type { CompiledBenefits } from '../../rules/settlement/compile.js';
import { emptyAccumulators, type Accumulators, type Encounter, type SettlementPerson } from '../../rules/settlement/input.js';
import { settle } from '../../rules/settlement/settle.js';
import { SETTINGS, type Encounters } from './draws.js';
import { quoteInputOf, type Population } from './population.js';
import { SIM_TYPES } from './rates.js';

export interface Compiled {
  cp: CompiledPack;
  cb: CompiledBenefits;
}

/**
 * The packs of a run: the baseline's, then a reform's stages, each from a date (a payment or an
 * encounter on or after it uses that stage's packs).
 */
export interface PackPlan {
  base: Compiled;
  stages?: { from: Day; packs: Compiled }[];
}

function packsOn(plan: PackPlan, d: Day): Compiled {
  let c = plan.base;
  if (plan.stages) for (const s of plan.stages) if (d >= s.from) c = s.packs;
  return c;
}

export interface RunOptions {
  /** yuan per enrolled person allocated to 大病保险 (example); 0: none */
  criticalIllnessPerCapitaFen: Fen;
  /** the medical-assistance fund's appropriation equals what it paid (example) */
  appropriationCoversAssistance: boolean;
  /** out-of-pocket above this is high-burden, fen */
  highBurdenFen: Fen;
  /** persons [from, to) only (a worker's share); default all */
  from?: number;
  to?: number;
  /** each person's age band (index as the population's) and the number of bands: the basic fund's spending and the enrolled by band */
  ageBand?: { of: Uint8Array; count: number };
  onProgress?: (done: number, total: number) => void;
}

export const MONTHS = 24;
/** the months of a run: January of the year before to December of the coverage year */
export const monthLabel = (year: number, slot: number) => `${year - 1 + Math.floor(slot / 12)}-${String((slot % 12) + 1).padStart(2, '0')}`;

/** Sums by month slot (fen, exact in doubles far beyond any area's year). */
export interface Flows {
  contributions: Float64Array;
  assistance: Float64Array;
  subsidy: Float64Array;
  basicPaid: Float64Array;
  criticalIllnessPaid: Float64Array;
  medicalAssistancePaid: Float64Array;
  outOfPocket: Float64Array;
  totalCost: Float64Array;
  criticalIllnessAllocation: Float64Array;
  assistanceAppropriation: Float64Array;
}

export interface RunResult {
  year: number;
  persons: number;
  enrolled: number;
  refused: number;
  encounters: number;
  /** settled under the pack's rules (not all cash) */
  settled: number;
  flows: Flows;
  subsidyByLevel: Record<string, Fen>;
  /** each person's out-of-pocket for the year (fen), index as the population's (from .. to) */
  oop: Float64Array;
  /** persons with at least one encounter */
  withEncounters: Uint8Array;
  /** each person's needy group (population.ts GROUPS) */
  group: Uint8Array;
  highBurden: number;
  /** by age band (RunOptions.ageBand; empty without): persons enrolled, the basic fund's settlement payments (fen) */
  byBand: { enrolled: Float64Array; basicPaid: Float64Array };
  examples: string[];
}

const UNALLOCATED = SUBSIDY_LEVELS.indexOf('unallocated');

const newFlows = (): Flows => ({
  contributions: new Float64Array(MONTHS),
  assistance: new Float64Array(MONTHS),
  subsidy: new Float64Array(MONTHS),
  basicPaid: new Float64Array(MONTHS),
  criticalIllnessPaid: new Float64Array(MONTHS),
  medicalAssistancePaid: new Float64Array(MONTHS),
  outOfPocket: new Float64Array(MONTHS),
  totalCost: new Float64Array(MONTHS),
  criticalIllnessAllocation: new Float64Array(MONTHS),
  assistanceAppropriation: new Float64Array(MONTHS),
});

/** Run the year (see the module comment). */
export function runYear(p: Population, e: Encounters, plan: PackPlan, o: RunOptions): RunResult {
  const year = p.year;
  const from = o.from ?? 0;
  const to = o.to ?? p.n;
  const first = yearStart(year - 1);
  const slotOf = new Uint8Array(yearEnd(year) - first + 1);
  for (let d = first, i = 0; d <= yearEnd(year); d++, i++) {
    const x = ymd(d);
    slotOf[i] = (x.y - (year - 1)) * 12 + x.m - 1;
  }
  const slot = (d: Day) => (d < first ? 0 : d - first >= slotOf.length ? MONTHS - 1 : slotOf[d - first]);
  const f = newFlows();
  const byLevel: Record<string, Fen> = Object.fromEntries(SUBSIDY_LEVELS.map((l) => [l, 0]));
  // the subsidy by level, summed by the level's index (a record's keys are slower to add to)
  const levelFen = new Float64Array(SUBSIDY_LEVELS.length);
  const oop = new Float64Array(to - from);
  const withEnc = new Uint8Array(to - from);
  const examples = new Set<string>();
  let lastEx: readonly string[] = [];
  let lastQuoteEx: readonly string[] = [];
  let enrolled = 0;
  let refused = 0;
  let settled = 0;
  let encounters = 0;
  let highBurden = 0;
  const staged = (plan.stages?.length ?? 0) > 0;
  const nb = o.ageBand?.count ?? 0;
  const bandOf = o.ageBand?.of ?? null;
  const byBand = { enrolled: new Float64Array(nb), basicPaid: new Float64Array(nb) };
  // one encounter object, refilled for each settlement (the engine keeps no reference past its answer)
  const costs = { total: 0, fullOwnPay: 0, overLimitSelfPay: 0, preSelfPay: 0, inScope: 0 };
  const enc: Encounter = { type: 'general_outpatient', setting: null, date: 0, level: 'primary', location: 'in_area', referred: true, disease: null, costs, lines: null };
  const empty = emptyAccumulators();
  for (let i = from; i < to; i++) {
    if (o.onProgress && (i - from) % 65536 === 0) o.onProgress(i - from, to - from);
    // registers: every stored paid enrollment is quoted (a newborn following its guardian pays nothing, paid null)
    const stored = p.inputs?.[i] ?? null;
    const paid = stored ? (stored.paid ?? stored.enrolled ?? stored.birth) : p.paid[i];
    let person: SettlementPerson | null = null;
    if (stored !== null || paid >= 0) {
      const packs = staged ? packsOn(plan, paid) : plan.base;
      const q = quoteInputOf(p, i);
      const r = quoteContribution(packs.cp, q, false);
      if (!sameList(r.examples, lastQuoteEx)) for (const x of (lastQuoteEx = r.examples)) examples.add(x);
      if (r.accepted && r.period) {
        enrolled++;
        if (bandOf) byBand.enrolled[bandOf[i]]++;
        const s = slot(paid);
        f.contributions[s] += r.individualDue ?? 0;
        const assist = r.assistance ?? 0;
        f.assistance[s] += assist;
        if (r.subsidy) {
          f.subsidy[s] += r.subsidy.total;
          if (r.subsidy.shares)
            for (const sh of r.subsidy.shares) {
              const l = SUBSIDY_LEVELS.indexOf(sh.level);
              if (l >= 0) levelFen[l] += sh.fen;
              else byLevel[sh.level] += sh.fen;
            }
          else levelFen[UNALLOCATED] += r.subsidy.total;
        }
        person = { tier: r.tier, statusMask: q.statusMask, statuses: q.statuses, benefitStart: r.period.start, benefitEnd: r.period.end, periodAssumed: false };
      } else refused++;
    }
    let acc: Accumulators = empty;
    let personOop = 0;
    const k0 = e.start[i];
    const k1 = e.start[i + 1];
    if (k1 > k0) withEnc[i - from] = 1;
    for (let k = k0; k < k1; k++) {
      encounters++;
      const d = e.date[k];
      const s = slot(d);
      const total = e.total[k];
      f.totalCost[s] += total;
      if (person === null) {
        personOop += total;
        f.outOfPocket[s] += total;
        continue;
      }
      const cb = staged ? packsOn(plan, d).cb : plan.base.cb;
      enc.type = SIM_TYPES[e.type[k]] as EncounterType;
      enc.setting = SETTINGS[e.setting[k]];
      enc.date = d;
      enc.level = HOSPITAL_LEVELS[e.level[k]];
      enc.location = CARE_LOCATIONS[e.location[k]];
      enc.referred = e.referred[k] === 1;
      enc.disease = e.disease[k] ? e.diseases[e.disease[k] - 1] : null;
      costs.total = total;
      costs.fullOwnPay = e.fullOwnPay[k];
      costs.overLimitSelfPay = e.overLimit[k];
      costs.preSelfPay = e.preSelfPay[k];
      costs.inScope = e.inScope[k];
      const r = settle(cb, person, enc, acc, false);
      acc = r.after;
      if (r.cashReason === null) settled++;
      if (!sameList(r.examples, lastEx)) for (const x of (lastEx = r.examples)) examples.add(x);
      f.basicPaid[s] += r.basicFund;
      if (bandOf) byBand.basicPaid[bandOf[i]] += r.basicFund;
      f.criticalIllnessPaid[s] += r.criticalIllness;
      f.medicalAssistancePaid[s] += r.medicalAssistance;
      f.outOfPocket[s] += r.personalBurden;
      personOop += r.personalBurden;
    }
    oop[i - from] = personOop;
    if (personOop > o.highBurdenFen) highBurden++;
  }
  for (let l = 0; l < SUBSIDY_LEVELS.length; l++) byLevel[SUBSIDY_LEVELS[l]] += levelFen[l];
  const jan = 12;
  const dec = 23;
  f.criticalIllnessAllocation[jan] = enrolled * o.criticalIllnessPerCapitaFen;
  if (o.appropriationCoversAssistance) f.assistanceAppropriation[dec] = sum(f.assistance) + sum(f.medicalAssistancePaid);
  o.onProgress?.(to - from, to - from);
  return { year, persons: to - from, enrolled, refused, encounters, settled, flows: f, subsidyByLevel: byLevel, oop, withEncounters: withEnc, group: p.group.slice(from, to), highBurden, byBand, examples: [...examples].sort() };
}

/** The engine's example lists repeat from one answer to the next: compare before adding. */
function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function sum(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}

/** Two runs' results of shares of one population added (the workers' parts). */
export function mergeRuns(parts: readonly RunResult[]): RunResult {
  const f = newFlows();
  for (const p of parts) for (const k of Object.keys(f) as (keyof Flows)[]) for (let i = 0; i < MONTHS; i++) f[k][i] += p.flows[k][i];
  const byLevel: Record<string, Fen> = Object.fromEntries(SUBSIDY_LEVELS.map((l) => [l, 0]));
  for (const p of parts) for (const l of SUBSIDY_LEVELS) byLevel[l] += p.subsidyByLevel[l] ?? 0;
  const n = parts.reduce((s, p) => s + p.oop.length, 0);
  const oop = new Float64Array(n);
  const withEnc = new Uint8Array(n);
  const group = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    oop.set(p.oop, at);
    withEnc.set(p.withEncounters, at);
    group.set(p.group, at);
    at += p.oop.length;
  }
  const nb = parts[0]?.byBand.enrolled.length ?? 0;
  const byBand = { enrolled: new Float64Array(nb), basicPaid: new Float64Array(nb) };
  for (const p of parts)
    for (let b = 0; b < nb; b++) {
      byBand.enrolled[b] += p.byBand.enrolled[b];
      byBand.basicPaid[b] += p.byBand.basicPaid[b];
    }
  const add = (k: 'persons' | 'enrolled' | 'refused' | 'encounters' | 'settled' | 'highBurden') => parts.reduce((s, p) => s + p[k], 0);
  return {
    year: parts[0].year,
    persons: add('persons'),
    enrolled: add('enrolled'),
    refused: add('refused'),
    encounters: add('encounters'),
    settled: add('settled'),
    flows: f,
    subsidyByLevel: byLevel,
    oop,
    withEncounters: withEnc,
    group,
    highBurden: add('highBurden'),
    byBand,
    examples: [...new Set(parts.flatMap((p) => p.examples))].sort(),
  };
}

export const dayOfYearStart = (y: number) => dayOf(y, 1, 1);
