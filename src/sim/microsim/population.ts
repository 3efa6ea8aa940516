/**
 * A population in columns (typed arrays, one entry per person, no object per person): what the
 * contribution quote and the settlement need of each person. Generated with a seed (shares from
 * the example rates file), or read from the registers (registers.ts).
 */
import { dayOf, type Day } from '../../dates.js';
import { NEEDY_STATUSES, type PersonKind, type Residence, type Tier } from '../../policy/vocabulary.js';
import type { QuoteInput } from '../../rules/input.js';
import { personMask } from '../../rules/status-mask.js';
import { Rng } from '../random.js';
import type { SimRates } from './rates.js';

export const KINDS: readonly PersonKind[] = ['adult', 'student_child', 'college_student', 'newborn'];
export const GROUPS = ['none', ...NEEDY_STATUSES] as const;

export interface Population {
  n: number;
  /** the index of person 0 in the whole generated population (a worker's share starts later) */
  first: number;
  region: string;
  year: number;
  birth: Int32Array;
  /** 0 male, 1 female */
  sex: Uint8Array;
  /** index into KINDS */
  kind: Uint8Array;
  /** 0 tier1, 1 tier2 */
  tier: Uint8Array;
  statusMask: Uint32Array;
  /** index into statusSets */
  statusSet: Uint16Array;
  statusSets: string[][];
  /** payment day, or -1: does not enrol */
  paid: Int32Array;
  /** 0 rural, 1 urban */
  residence: Uint8Array;
  /** needy group for the out-of-pocket tables: index into GROUPS (0: none) */
  group: Uint8Array;
  /** registers: the quote input as production parsed it (null: built from the columns) */
  inputs: (QuoteInput | null)[] | null;
}

export function emptyPopulation(n: number, region: string, year: number): Population {
  return {
    n,
    first: 0,
    region,
    year,
    birth: new Int32Array(n),
    sex: new Uint8Array(n),
    kind: new Uint8Array(n),
    tier: new Uint8Array(n),
    statusMask: new Uint32Array(n),
    statusSet: new Uint16Array(n),
    statusSets: [[]],
    paid: new Int32Array(n).fill(-1),
    residence: new Uint8Array(n),
    group: new Uint8Array(n),
    inputs: null,
  };
}

/** The group of a status list: its first status in the vocabulary's order (destitute before dibao …), else none. */
export function groupOf(statuses: readonly string[]): number {
  for (let i = 0; i < NEEDY_STATUSES.length; i++) if (statuses.includes(NEEDY_STATUSES[i])) return i + 1;
  return 0;
}

// example shares of needy statuses among needy persons (not statistics)
const STATUS_WEIGHTS: [string, number][] = [
  ['stable_exited', 30], ['dibao', 18], ['severe_disability', 12], ['illness_impoverished', 5], ['unstable_exited', 5],
  ['at_risk_edge', 5], ['destitute', 4], ['relapsed_poor', 3], ['civil_affairs_registered', 3], ['entitled_veteran', 3], ['sudden_hardship', 2],
];

/**
 * Persons are drawn in blocks of BLOCK, each block from its own seed (blockSeed), so any run of
 * whole blocks — a worker thread's share — is drawn alone and equals the same persons drawn with
 * the rest. A population of at most BLOCK persons is one block, drawn from the seed itself.
 */
export const BLOCK = 16384;
export const blockSeed = (seed: number, block: number): number => seed + block * 7919;

/**
 * A generated population (example shares): ages of a rural county, most paying in the window.
 * `first`: the index of the first person to draw (a multiple of BLOCK), for a worker's share of
 * a larger population; persons first .. first + n - 1.
 */
export function generatePopulation(n: number, seed: number, region: string, year: number, rates: SimRates, first = 0): Population {
  if (first % BLOCK !== 0) throw new RangeError(`first person ${first} is not at a block boundary (${BLOCK})`);
  const p = emptyPopulation(n, region, year);
  p.first = first;
  // the status lists: none, then each weighted status alone
  p.statusSets = [[], ...STATUS_WEIGHTS.map(([s]) => [s])];
  const masks = p.statusSets.map((s) => personMask(s));
  const groups = p.statusSets.map((s) => groupOf(s));
  const weights = STATUS_WEIGHTS.map(([, w], i) => [i + 1, w] as const);
  let rng = new Rng(blockSeed(seed, first / BLOCK));
  const windowStart = dayOf(year - 1, 12, 1);
  const windowDays = dayOf(year, 2, 28) - windowStart + 1;
  const late = dayOf(year, 3, 1);
  const pop = rates.population;
  for (let i = 0; i < n; i++) {
    if (i > 0 && i % BLOCK === 0) rng = new Rng(blockSeed(seed, (first + i) / BLOCK));
    // ages: 0–90, more elderly than the nation (a mountain county)
    const u = rng.next();
    const age = u < 0.02 ? 0 : u < 0.2 ? rng.int(1, 17) : u < 0.55 ? rng.int(18, 44) : u < 0.78 ? rng.int(45, 59) : rng.int(60, 92);
    const by = year - age - (age === 0 ? 0 : 1);
    p.birth[i] = age === 0 ? dayOf(year, rng.int(1, 6), rng.int(1, 28)) : dayOf(by, rng.int(1, 12), rng.int(1, 28));
    p.sex[i] = rng.next() < pop.femaleShare ? 1 : 0;
    p.kind[i] = age === 0 ? 3 : age < 18 ? 1 : age < 23 && rng.next() < 0.15 ? 2 : 0;
    p.tier[i] = rng.next() < pop.tier2Share ? 1 : 0;
    let set = 0;
    if (rng.next() < pop.needyShare) set = rng.weighted(weights);
    if (p.statusSets[set][0] === 'entitled_veteran' && age < 18) set = 0;
    p.statusSet[i] = set;
    p.statusMask[i] = masks[set];
    p.group[i] = groups[set];
    p.residence[i] = rng.next() < 0.8 ? 0 : 1;
    if (rng.next() < pop.enrolledShare) {
      if (p.kind[i] === 3) p.paid[i] = p.birth[i] + rng.int(5, 60);
      else p.paid[i] = rng.next() < 0.94 ? windowStart + rng.int(0, windowDays - 1) : late + rng.int(0, 120);
    }
  }
  return p;
}

const TIER_OF: readonly Tier[] = ['tier1', 'tier2'];
const RES_OF: readonly Residence[] = ['rural', 'urban'];

/** The quote input of person i (registers: production's own parsed input). */
export function quoteInputOf(p: Population, i: number): QuoteInput {
  const stored = p.inputs?.[i];
  if (stored) return stored;
  return {
    region: p.region,
    coverageYear: p.year,
    tier: TIER_OF[p.tier[i]],
    kind: KINDS[p.kind[i]],
    statusMask: p.statusMask[i],
    statuses: p.statusSets[p.statusSet[i]],
    birth: p.birth[i],
    paid: p.paid[i] < 0 ? null : p.paid[i],
    paidAssumed: false,
    enrolled: null,
    guardianEnrolled: false,
    previousCoverage: null,
    graduationYear: null,
    subsidyClass: null,
    residence: RES_OF[p.residence[i]],
  };
}
