/**
 * Synthetic persons for the benchmark: deterministic (seeded PRNG), already in the parsed
 * QuoteInput form the engine takes, with a mix of kinds, tiers, needy statuses and payment
 * dates that resembles a county's enrollment year. Nothing here is timed.
 */
import { dayOf, type Day } from '../src/dates.js';
import type { CompiledPack } from '../src/rules/compile.js';
import type { QuoteInput } from '../src/rules/input.js';
import { personMask, statusBit } from '../src/rules/status-mask.js';
import { NEEDY_STATUSES, type NeedyStatus, type PersonKind, type Tier } from '../src/policy/vocabulary.js';

/** sfc32: small, fast, good enough for test data; seeded so every run sees the same persons. */
export function rng(seed: number): () => number {
  let a = 0x9e3779b9 ^ seed;
  let b = 0x243f6a88 ^ (seed * 31);
  let c = 0xb7e15162 ^ (seed * 131);
  let d = 1;
  const next = (): number => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 16; i++) next();
  return next;
}

/** Relative frequency of each needy status among needy persons (illustrative, not statistics). */
const STATUS_WEIGHT: Partial<Record<NeedyStatus, number>> = {
  stable_exited: 30,
  dibao: 18,
  severe_disability: 12,
  illness_impoverished: 5,
  unstable_exited: 5,
  at_risk_edge: 5,
  destitute: 4,
  relapsed_poor: 3,
  civil_affairs_registered: 3,
  entitled_veteran: 3,
  sudden_hardship: 2,
  orphan: 1,
  unsupported_child: 1,
  old_demobilized_soldier: 0.5,
};
const CHILD_ONLY = new Set<NeedyStatus>(['orphan', 'unsupported_child']);
const ADULT_ONLY = new Set<NeedyStatus>(['old_demobilized_soldier', 'entitled_veteran']);

/** The needy statuses the pack's assistance rules name (groups expanded), in vocabulary order. */
export function statusesNamedByPack(cp: CompiledPack): NeedyStatus[] {
  let mask = 0;
  for (const r of cp.rules.assistance) for (const s of r.rule.when.status ?? []) mask |= statusBit(s);
  return NEEDY_STATUSES.filter((s) => (mask & statusBit(s)) !== 0);
}

export interface Population {
  persons: QuoteInput[];
  /** counts by kind, tier, number of statuses, payment category — to print what was generated */
  mix: Record<string, number>;
}

export function generatePersons(cp: CompiledPack, n: number, seed = 20221): Population {
  const rand = rng(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1)); // inclusive
  const year = cp.pack.year;
  const region = cp.pack.region;
  const tiers: (Tier | null)[] = cp.tiers.length ? (cp.tiers.slice() as Tier[]) : [null];
  const { from: wFrom, to: wTo } = cp.window;
  const named = statusesNamedByPack(cp);
  const weights = named.map((s) => STATUS_WEIGHT[s] ?? 1);
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  const drawStatus = (): NeedyStatus => {
    let x = rand() * totalWeight;
    for (let i = 0; i < named.length; i++) if ((x -= weights[i]) < 0) return named[i];
    return named[named.length - 1];
  };
  // one shared array per status combination: the engine reads statuses, never writes them
  const statusArrays = new Map<string, readonly string[]>();
  const shared = (list: string[]): readonly string[] => {
    const key = list.join(',');
    let a = statusArrays.get(key);
    if (!a) statusArrays.set(key, (a = Object.freeze(list.slice())));
    return a;
  };
  const mix: Record<string, number> = {};
  const count = (k: string): void => {
    mix[k] = (mix[k] ?? 0) + 1;
  };

  const lateTo = dayOf(year, 9, 30);
  const subsidyCut = dayOf(year, 6, 30);
  const persons: QuoteInput[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const k = rand();
    const kind: PersonKind = k < 0.7 ? 'adult' : k < 0.94 ? 'student_child' : k < 0.98 ? 'college_student' : 'newborn';
    const tier = tiers.length === 1 ? tiers[0] : rand() < 0.12 ? tiers[1] : tiers[0];
    let birth: Day;
    switch (kind) {
      case 'adult':
        birth = int(dayOf(1932, 1, 1), dayOf(year - 19, 12, 31));
        break;
      case 'student_child':
        birth = int(dayOf(year - 18, 1, 1), dayOf(year - 1, 12, 31));
        break;
      case 'college_student':
        birth = int(dayOf(year - 24, 1, 1), dayOf(year - 18, 12, 31));
        break;
      default:
        birth = int(dayOf(year, 1, 1), dayOf(year, 11, 30));
    }

    // needy statuses: most persons none, some one, a few two
    const sr = rand();
    const howMany = sr < 0.86 ? 0 : sr < 0.97 ? 1 : 2;
    const list: string[] = [];
    while (list.length < howMany) {
      const s = drawStatus();
      if (list.includes(s)) continue;
      if (kind === 'adult' ? CHILD_ONLY.has(s) : ADULT_ONLY.has(s)) continue;
      list.push(s);
    }
    list.sort((a, b) => NEEDY_STATUSES.indexOf(a as NeedyStatus) - NEEDY_STATUSES.indexOf(b as NeedyStatus));
    const statuses = shared(list);
    count(`statuses=${howMany}`);

    // payment date
    let paid: Day | null;
    let guardianEnrolled = false;
    let previousCoverage: QuoteInput['previousCoverage'] = null;
    if (kind === 'newborn') {
      const p = rand();
      if (p < 0.6) {
        paid = birth + int(0, 89);
        count('paid=newborn_within_90_days');
      } else if (p < 0.9) {
        paid = null;
        guardianEnrolled = true;
        count('paid=newborn_with_guardian');
      } else {
        paid = birth + int(90, 150);
        count('paid=newborn_after_90_days');
      }
    } else {
      const p = rand();
      if (p < 0.003) {
        paid = int(wFrom - 60, wFrom - 1);
        count('paid=before_window');
      } else if (p < 0.903) {
        paid = int(wFrom, wTo);
        count('paid=in_window');
      } else if (p < 0.953) {
        paid = int(wTo + 1, subsidyCut);
        count('paid=late_subsidised');
      } else if (p < 0.988) {
        paid = int(subsidyCut + 1, lateTo);
        count('paid=late_unsubsidised');
      } else {
        paid = int(lateTo + 1, dayOf(year, 12, 31));
        count('paid=after_final_deadline');
      }
      if (paid > wTo && rand() < 0.2) previousCoverage = { scheme: 'employee', endedOn: paid - int(10, 120) };
    }
    if (paid !== null && paid < birth) paid = birth;
    count(`kind=${kind}`);
    count(`tier=${tier}`);

    persons[i] = {
      region,
      coverageYear: year,
      tier,
      kind,
      statusMask: personMask(statuses),
      statuses,
      birth,
      paid,
      paidAssumed: false,
      enrolled: null,
      guardianEnrolled,
      previousCoverage,
      residence: null,
      graduationYear: kind === 'college_student' ? (rand() < 0.25 ? year : int(year + 1, year + 3)) : null,
      subsidyClass: null,
    };
  }
  return { persons, mix };
}
