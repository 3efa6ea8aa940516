/**
 * The random draws of a simulated year: each person's encounters (type, date, hospital level,
 * cost and its split), in columns, persons' encounters in date order (CSR: person i's are
 * start[i] .. start[i+1]). Drawn once from a seed, so a baseline and a reform run on the same draws.
 */
import { dayOf, yearEnd, yearStart, ageOn } from '../../dates.js';
import { MAX_YUAN } from '../../money.js';
import { CARE_LOCATIONS } from '../../policy/vocabulary.js';
import { Rng } from '../random.js';
import { BLOCK, blockSeed, type Population } from './population.js';
import { bandOfAge, SIM_TYPES, type SimRates } from './rates.js';

export const SETTINGS = [null, 'outpatient', 'inpatient'] as const;

export interface Encounters {
  count: number;
  start: Int32Array;
  /** index into SIM_TYPES */
  type: Uint8Array;
  /** index into SETTINGS (maternity: where the care was given) */
  setting: Uint8Array;
  date: Int32Array;
  /** index into HOSPITAL_LEVELS */
  level: Uint8Array;
  /** index into CARE_LOCATIONS */
  location: Uint8Array;
  referred: Uint8Array;
  /** 0: none; else index + 1 into diseases */
  disease: Uint16Array;
  diseases: string[];
  /** fen */
  total: Int32Array;
  fullOwnPay: Int32Array;
  overLimit: Int32Array;
  preSelfPay: Int32Array;
  inScope: Int32Array;
  /** registers: the settlement order (ids) the encounters were settled in, for reference only */
}

export function emptyEncounters(persons: number, count: number, diseases: string[]): Encounters {
  return {
    count,
    start: new Int32Array(persons + 1),
    type: new Uint8Array(count),
    setting: new Uint8Array(count),
    date: new Int32Array(count),
    level: new Uint8Array(count),
    location: new Uint8Array(count),
    referred: new Uint8Array(count),
    disease: new Uint16Array(count),
    diseases,
    total: new Int32Array(count),
    fullOwnPay: new Int32Array(count),
    overLimit: new Int32Array(count),
    preSelfPay: new Int32Array(count),
    inScope: new Int32Array(count),
  };
}

const IN_AREA = CARE_LOCATIONS.indexOf('in_area' as (typeof CARE_LOCATIONS)[number]);
const NT = SIM_TYPES.length;
const MAX_FEN = MAX_YUAN.bill * 100;

/**
 * Draw a year of encounters for the population (see the module comment). `diseases`: the pack's
 * chronic-disease codes. Each block of persons (population.ts BLOCK) draws from its own seed, so a
 * worker's share of whole blocks draws what the same persons draw in the whole population.
 */
export function drawEncounters(p: Population, rates: SimRates, diseases: string[], seed: number): Encounters {
  const bands = bandOfAge(rates);
  const nb = rates.ageBands.length;
  // e^-λ for each type, band, sex and needy flag
  const expNeg = new Float64Array(NT * nb * 4);
  for (let t = 0; t < NT; t++)
    for (let b = 0; b < nb; b++)
      for (let s = 0; s < 2; s++)
        for (let nd = 0; nd < 2; nd++) {
          let lambda = rates.rates[SIM_TYPES[t]][b] * (s ? rates.sexFactor.female : rates.sexFactor.male) * (nd ? rates.needyFactor : 1);
          if (SIM_TYPES[t] === 'maternity' && s === 0) lambda = 0;
          expNeg[((t * nb + b) * 2 + s) * 2 + nd] = Math.exp(-lambda);
        }
  const start = yearStart(p.year);
  const end = yearEnd(p.year);
  const mid = dayOf(p.year, 7, 1);
  // pass 1: how many of each type; each block's generator goes on into pass 2
  const counts = new Uint8Array(p.n * NT);
  const rngs: Rng[] = [];
  let total = 0;
  let rng = new Rng(0);
  for (let i = 0; i < p.n; i++) {
    if (i % BLOCK === 0) rngs.push((rng = new Rng(blockSeed(seed, (p.first + i) / BLOCK) ^ 0x5eed)));
    const age = Math.max(0, Math.min(120, ageOn(p.birth[i], mid)));
    const base = bands[age] * 4 + p.sex[i] * 2 + (p.statusMask[i] !== 0 ? 1 : 0);
    for (let t = 0; t < NT; t++) {
      const L = expNeg[t * nb * 4 + base];
      let k = 0;
      let prod = rng.next();
      while (prod > L && k < 60) {
        k++;
        prod *= rng.next();
      }
      counts[i * NT + t] = k;
      total += k;
    }
  }
  const e = emptyEncounters(p.n, total, diseases);
  const cost = SIM_TYPES.map((t) => ({ mu: Math.log(rates.costs[t].median), ...rates.costs[t] }));
  const levels = SIM_TYPES.map((t) => rates.levels[t]);
  const dates: number[] = [];
  const types: number[] = [];
  let at = 0;
  for (let i = 0; i < p.n; i++) {
    if (i % BLOCK === 0) rng = rngs[i / BLOCK];
    e.start[i] = at;
    dates.length = 0;
    types.length = 0;
    const from = Math.max(start, p.birth[i]);
    const span = end - from + 1;
    for (let t = 0; t < NT; t++)
      for (let k = counts[i * NT + t]; k > 0; k--) {
        const d = from + Math.floor(rng.next() * span);
        // insertion in date order
        let j = dates.length;
        dates.push(d);
        types.push(t);
        while (j > 0 && dates[j - 1] > d) {
          dates[j] = dates[j - 1];
          types[j] = types[j - 1];
          j--;
        }
        dates[j] = d;
        types[j] = t;
      }
    for (let j = 0; j < dates.length; j++, at++) {
      const t = types[j];
      const c = cost[t];
      // log-normal cost (Box–Muller)
      const z = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
      const fen = Math.min(MAX_FEN, Math.max(100, Math.round(Math.exp(c.mu + c.sigma * z) * 100)));
      const own = Math.round(fen * c.fullOwnPay);
      const pre = Math.round((fen - own) * c.preSelfPay);
      e.type[at] = t;
      e.date[at] = dates[j];
      e.total[at] = fen;
      e.fullOwnPay[at] = own;
      e.preSelfPay[at] = pre;
      e.inScope[at] = fen - own - pre;
      const lv = levels[t];
      const u = rng.next() * (lv[0] + lv[1] + lv[2]);
      e.level[at] = u < lv[0] ? 0 : u < lv[0] + lv[1] ? 1 : 2;
      e.location[at] = IN_AREA;
      e.referred[at] = rng.next() < rates.referred ? 1 : 0;
      if (SIM_TYPES[t] === 'chronic_special_outpatient' && diseases.length) e.disease[at] = 1 + Math.floor(rng.next() * diseases.length);
      if (SIM_TYPES[t] === 'maternity') e.setting[at] = rng.next() < 0.7 ? 2 : 1;
    }
  }
  e.start[p.n] = at;
  return e;
}
