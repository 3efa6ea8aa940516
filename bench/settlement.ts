/**
 * Settlement benchmark: a synthetic year of encounters settled through the three tiers with
 * traces off, beside the floor — a plain loop applying deductible × ratio to the same amounts.
 */
import { performance } from 'node:perf_hooks';
import { PolicyLibrary } from '../src/policy/loader.js';
import { HOSPITAL_LEVELS, type HospitalLevel } from '../src/policy/vocabulary.js';
import { applyRate } from '../src/money.js';
import { compileBenefits, type CompiledBenefits } from '../src/rules/settlement/compile.js';
import { emptyAccumulators, type Accumulators, type Encounter, type SettlementPerson } from '../src/rules/settlement/input.js';
import { settle } from '../src/rules/settlement/settle.js';
import { personMask } from '../src/rules/status-mask.js';

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SyntheticYear {
  cb: CompiledBenefits;
  persons: SettlementPerson[];
  /** encounters[i] belongs to persons[owner[i]], persons' encounters in date order */
  encounters: Encounter[];
  owner: Int32Array;
}

export function syntheticYear(settlements: number, seed = 7): SyntheticYear {
  const lib = PolicyLibrary.load();
  const cb = compileBenefits(lib.resolve('500230/2022'));
  const r = rng(seed);
  const persons: SettlementPerson[] = [];
  const encounters: Encounter[] = [];
  const owner: number[] = [];
  const statusPool: string[][] = [[], [], [], [], [], [], [], [], [], ['dibao'], ['destitute'], ['dibao_edge'], ['relapsed_poor']];
  while (encounters.length < settlements) {
    const statuses = statusPool[Math.floor(r() * statusPool.length)];
    const pi = persons.length;
    persons.push({ tier: r() < 0.8 ? 'tier1' : 'tier2', statusMask: personMask(statuses), statuses, benefitStart: cb.coverageStart, benefitEnd: cb.coverageEnd, periodAssumed: false });
    const n = 1 + Math.floor(r() * 8);
    const days = Array.from({ length: n }, () => Math.floor(r() * 365)).sort((a, b) => a - b);
    for (const d of days) {
      const x = r();
      const type = x < 0.55 ? 'general_outpatient' : x < 0.7 ? 'hypertension_diabetes' : x < 0.8 ? 'chronic_special_outpatient' : 'inpatient';
      const big = type === 'inpatient' ? 300_000 + Math.floor(r() * 6_000_000) : 3_000 + Math.floor(r() * 60_000);
      const own = Math.floor(big * r() * 0.1);
      const pre = Math.floor(big * r() * 0.05);
      encounters.push({
        type,
        setting: null,
        date: cb.coverageStart + d,
        level: HOSPITAL_LEVELS[Math.floor(r() * 3)],
        location: r() < 0.9 ? 'in_area' : 'in_province',
        referred: r() < 0.9,
        disease: type === 'chronic_special_outpatient' ? 'uremia_dialysis' : null,
        costs: { total: big + own + pre, fullOwnPay: own, overLimitSelfPay: 0, preSelfPay: pre, inScope: big },
        lines: null,
      });
      owner.push(pi);
    }
  }
  return { cb, persons, encounters, owner: Int32Array.from(owner) };
}

/** The engine: every encounter through the three tiers, accumulators carried per person. */
export function runEngine(y: SyntheticYear): { fen: number } {
  const accs: Accumulators[] = new Array(y.persons.length);
  let sum = 0;
  for (let i = 0; i < y.encounters.length; i++) {
    const o = y.owner[i];
    const r = settle(y.cb, y.persons[o], y.encounters[i], accs[o] ?? emptyAccumulators(), false);
    accs[o] = r.after;
    sum += r.fundTotal;
  }
  return { fen: sum };
}

/** The floor: deductible × ratio by type, tier and level from precomputed tables; nothing else. */
export function runFloor(y: SyntheticYear): { fen: number } {
  const types = ['inpatient', 'general_outpatient', 'hypertension_diabetes', 'chronic_special_outpatient'] as const;
  const ded = new Map<string, number>();
  const ratio = new Map<string, { num: number; den: number; text: string }>();
  for (const t of types)
    for (const tier of ['tier1', 'tier2'] as const)
      for (const l of HOSPITAL_LEVELS as readonly HospitalLevel[]) {
        const b = y.cb.basic[t]!;
        ded.set(`${t}|${tier}|${l}`, b.deductible.get(tier, l));
        ratio.set(`${t}|${tier}|${l}`, b.ratio.get(tier, l));
      }
  let sum = 0;
  for (let i = 0; i < y.encounters.length; i++) {
    const e = y.encounters[i];
    const k = `${e.type}|${y.persons[y.owner[i]].tier}|${e.level}`;
    const d = ded.get(k)!;
    const base = e.costs.inScope > d ? e.costs.inScope - d : 0;
    sum += applyRate(base, ratio.get(k)!);
  }
  return { fen: sum };
}

export function time<T>(fn: () => T, rounds = 3): { seconds: number; result: T } {
  fn(); // warm-up
  const times: number[] = [];
  let result!: T;
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    result = fn();
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  return { seconds: times[Math.floor(times.length / 2)], result };
}

/** The settlement section of `npm run bench`: prints its table and targets; false if a check fails. */
export function settlementBench(log: (s?: string) => void, settlements: number, rounds: number): boolean {
  const y = syntheticYear(settlements);
  const n = y.encounters.length;
  const types = new Map<string, number>();
  for (const e of y.encounters) types.set(e.type, (types.get(e.type) ?? 0) + 1);
  log(`\nsettlement: ${n.toLocaleString('en-US')} encounters of ${y.persons.length.toLocaleString('en-US')} persons, 丰都县 2022 (${[...types].map(([t, c]) => `${t} ${((c / n) * 100).toFixed(0)}%`).join(', ')})`);
  // Correctness, not timing: every settlement adds up.
  let bad = 0;
  const accs: Accumulators[] = new Array(y.persons.length);
  for (let i = 0; i < n; i++) {
    const o = y.owner[i];
    const r = settle(y.cb, y.persons[o], y.encounters[i], accs[o] ?? emptyAccumulators(), false);
    if (r.basicFund + r.criticalIllness + r.medicalAssistance + r.personalBurden !== y.encounters[i].costs.total) bad++;
    accs[o] = r.after;
  }
  log(`  ${bad === 0 ? 'ok  ' : 'FAIL'} funds + cash = total for every settlement (${bad} differ)`);
  const e = time(() => runEngine(y), rounds);
  const f = time(() => runFloor(y), rounds);
  const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
  log('| benchmark | settlements | wall s | settlements/s |');
  log('|:--|--:|--:|--:|');
  log(`| engine: three tiers, traces off | ${fmt(n)} | ${e.seconds.toFixed(3)} | ${fmt(n / e.seconds)} |`);
  log(`| floor: deductible × ratio loop | ${fmt(n)} | ${f.seconds.toFixed(3)} | ${fmt(n / f.seconds)} |`);
  const ratio = e.seconds / f.seconds;
  log('targets:');
  log(`  ≥ 500,000 settlements/s per core, traces off: ${fmt(n / e.seconds)}/s — ${n / e.seconds >= 500_000 ? 'met' : 'NOT met'}`);
  log(`  within 4× of the floor: ${ratio.toFixed(2)}× — ${ratio <= 4 ? 'met' : 'NOT met'}`);
  return bad === 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const ok = settlementBench((s = '') => console.log(s), Number(process.env.BENCH_SETTLEMENTS ?? 1_000_000), 3);
  if (!ok) process.exitCode = 1;
}
