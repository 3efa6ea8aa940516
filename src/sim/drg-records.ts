/**
 * Synthetic inpatient records drawn from the CHS-DRG scheme itself (seeded): for a chosen ADRG
 * (and split), a record that meets its MDC's entry and its own condition — main diagnosis from
 * both lists, procedures from its procedure lists, sex, age and birth weight from its
 * comparisons, a second trauma region for MDCZ — and, for the split, a secondary diagnosis
 * that is an MCC / CC not excluded by the main diagnosis's table. Order matters in the scheme
 * (an earlier MDC or ADRG may take the record), so each candidate is grouped and redrawn until
 * it lands where it was meant to. Used by the tests, the benchmark and the demo.
 */
import type { CompiledAdrg, CompiledDrgScheme } from '../policy/drg-compile.js';
import type { DrgCondition, DrgSplit } from '../policy/drg-scheme.js';
import { groupDrg } from '../rules/drg/group.js';
import type { DrgRecord } from '../rules/drg/record.js';
import { Rng } from './random.js';

/** What a record must satisfy, for one branch of the `any`s. */
interface Need {
  main: string[][];
  anyDx: string[][];
  mainProc: string[][];
  anyProc: string[][];
  mainProcValid: boolean;
  noValidProc: boolean;
  sex: string | null;
  compare: { field: 'ageYears' | 'ageDays' | 'birthWeightGrams'; op: string; value: number }[];
  trauma: { min: number; regions: Record<string, string[]> } | null;
}

const emptyNeed = (): Need => ({ main: [], anyDx: [], mainProc: [], anyProc: [], mainProcValid: false, noValidProc: false, sex: null, compare: [], trauma: null });

function merge(a: Need, b: Need): Need {
  return {
    main: [...a.main, ...b.main],
    anyDx: [...a.anyDx, ...b.anyDx],
    mainProc: [...a.mainProc, ...b.mainProc],
    anyProc: [...a.anyProc, ...b.anyProc],
    mainProcValid: a.mainProcValid || b.mainProcValid,
    noValidProc: a.noValidProc || b.noValidProc,
    sex: a.sex ?? b.sex,
    compare: [...a.compare, ...b.compare],
    trauma: a.trauma ?? b.trauma,
  };
}

/** The alternatives (one per combination of `any` branches) that make `c` hold. */
function needs(c: DrgCondition): Need[] {
  if ('all' in c) return c.all.map(needs).reduce((acc, alts) => acc.flatMap((x) => alts.map((y) => merge(x, y))), [emptyNeed()]);
  if ('any' in c) return c.any.flatMap(needs);
  if ('not' in c) return [emptyNeed()]; // not used by the active rules
  const n = emptyNeed();
  switch (c.kind) {
    case 'mainDiagnosisIn':
      n.main.push(c.codes);
      break;
    case 'anyDiagnosisIn':
      n.anyDx.push(c.codes);
      break;
    case 'mainProcedureIn':
      n.mainProc.push(c.codes);
      break;
    case 'anyProcedureIn':
      n.anyProc.push(c.codes);
      break;
    case 'mainProcedureValid':
      n.mainProcValid = true;
      break;
    case 'noValidProcedure':
      n.noValidProc = true;
      break;
    case 'sex':
      n.sex = c.equals;
      break;
    case 'compare':
      n.compare.push(c);
      break;
    case 'distinctTraumaRegions':
      n.trauma = { min: c.min, regions: c.regions };
      break;
    default:
  }
  return [n];
}

function intersect(lists: string[][], keep: (x: string) => boolean = () => true): string[] {
  if (!lists.length) return [];
  const [first, ...rest] = [...lists].sort((a, b) => a.length - b.length);
  const sets = rest.map((l) => new Set(l));
  return [...new Set(first)].filter((x) => keep(x) && sets.every((s) => s.has(x)));
}

/** A number meeting every comparison on `field`, or null when none is given. */
function numberFor(rng: Rng, field: string, cs: Need['compare'], dflt: () => number | null): number | null {
  const mine = cs.filter((c) => c.field === field);
  if (!mine.length) return dflt();
  let lo = 0;
  let hi = field === 'birthWeightGrams' ? 5000 : field === 'ageDays' ? 365 : 100;
  for (const c of mine) {
    if (c.op === '==') lo = hi = c.value;
    else if (c.op === '<') hi = Math.min(hi, c.value - 1);
    else if (c.op === '<=') hi = Math.min(hi, c.value);
    else if (c.op === '>') lo = Math.max(lo, c.value + 1);
    else if (c.op === '>=') lo = Math.max(lo, c.value);
  }
  return lo > hi ? null : rng.int(lo, hi);
}

export interface DrgDraw {
  /** the split to aim for; default: any of the ADRG's */
  split?: DrgSplit;
  /** draws before giving up (default 400) */
  attempts?: number;
  /** id of the record */
  id?: string;
}

/** Record builder over one compiled scheme (its lists and tables are indexed once). */
export class DrgRecordMaker {
  private readonly mccCodes: string[];
  private readonly ccCodes: string[];
  private readonly nonCc: string[];
  private readonly ccByTable = new Map<string, string[]>();
  private readonly needCache = new Map<string, Need[]>();
  private readonly lists = new WeakMap<Need, Map<string, string[]>>();
  private readonly allDiagnoses: string[];
  private readonly unlisted: string[];

  /** The candidate codes of a need, computed once. */
  private cached(n: Need, key: string, make: () => string[]): string[] {
    let m = this.lists.get(n);
    if (!m) this.lists.set(n, (m = new Map()));
    let l = m.get(key);
    if (!l) m.set(key, (l = make()));
    return l;
  }

  constructor(private readonly s: CompiledDrgScheme) {
    this.mccCodes = [...s.mcc.keys()];
    this.ccCodes = [...s.cc.keys()];
    // further secondaries: no complication, and no trauma or perinatal code (which could move the record)
    this.allDiagnoses = [...s.diagnosisNames.keys()];
    const openers = (c: string): number => s.index.mdcsOf(s.index.diagnosis(c)).length;
    const none = openers('');
    this.unlisted = this.allDiagnoses.filter((c) => openers(c) === none);
    this.nonCc = [...s.diagnosisNames.keys()].filter((c) => !s.mcc.has(c) && !s.cc.has(c) && !/^[PST]/.test(c));
    for (const [c, t] of s.cc) {
      const l = this.ccByTable.get(t);
      if (l) l.push(c);
      else this.ccByTable.set(t, [c]);
    }
  }

  private needsOf(a: CompiledAdrg): Need[] {
    let n = this.needCache.get(a.code);
    if (!n) {
      const entry = needs(this.s.data.mdcs.find((m) => m.code === a.mdc)!.entry);
      const own = needs(a.def.condition);
      n = entry.flatMap((x) => own.map((y) => merge(x, y)));
      this.needCache.set(a.code, n);
    }
    return n;
  }

  /** One draw of a record for `a` (not yet checked against the grouper). */
  private draw(a: CompiledAdrg, rng: Rng, split: DrgSplit, id: string): DrgRecord | null {
    const s = this.s;
    const need = rng.pick(this.needsOf(a));
    const valid = s.validProcedures;
    const mains = this.cached(need, 'main', () => (need.main.length ? intersect(need.main) : this.allDiagnoses));
    if (!mains.length) return null;
    const main = rng.pick(mains);
    const diagnoses = [main];
    for (const list of need.anyDx) if (!diagnoses.some((d) => list.includes(d))) diagnoses.push(rng.pick(list));
    if (need.trauma) {
      const regions = Object.values(need.trauma.regions);
      const touched = (): number => regions.filter((r) => diagnoses.some((d) => r.includes(d))).length;
      for (let k = 0; k < 20 && touched() < need.trauma.min; k++) {
        const other = rng.pick(regions.filter((r) => !diagnoses.some((d) => r.includes(d))));
        diagnoses.push(rng.pick(other));
      }
    }
    const procedures: string[] = [];
    if (need.mainProc.length || need.mainProcValid) {
      const lists = need.mainProc.length ? need.mainProc : [[...valid]];
      const ps = this.cached(need, 'mainProc', () => intersect(lists, (p) => (!need.mainProcValid || valid.has(p)) && !(need.noValidProc && valid.has(p))));
      if (!ps.length) return null;
      procedures.push(rng.pick(ps));
    }
    for (const list of need.anyProc) {
      if (procedures.some((p) => list.includes(p))) continue;
      const ok = need.noValidProc ? list.filter((p) => !valid.has(p)) : list;
      if (!ok.length) return null;
      procedures.push(rng.pick(ok));
    }
    const sex = need.sex ?? (rng.chance(0.5) ? '1' : '2');
    const ageYears = numberFor(rng, 'ageYears', need.compare, () => rng.int(1, 90));
    const infant = ageYears === 0;
    const ageDays = numberFor(rng, 'ageDays', need.compare, () => (infant ? rng.int(0, 364) : null));
    const birthWeightGrams = numberFor(rng, 'birthWeightGrams', need.compare, () => (infant ? rng.int(1200, 4200) : null));
    if (ageYears === null || (need.compare.some((c) => c.field === 'ageDays') && ageDays === null) || (need.compare.some((c) => c.field === 'birthWeightGrams') && birthWeightGrams === null)) return null;
    this.addComplication(rng, split, diagnoses);
    const losDays = rng.int(1, 30);
    return { id, sex, ageYears, ageDays, birthWeightGrams, dept: null, losDays, dischargeMethod: rng.chance(0.97) ? '1' : '5', diagnoses, procedures };
  }

  private addComplication(rng: Rng, split: DrgSplit, diagnoses: string[]): void {
    const table = this.s.ccExclusions.get(diagnoses[0]);
    const pick = (codes: string[], tables: ReadonlyMap<string, string>): void => {
      for (let k = 0; k < 50; k++) {
        const c = rng.pick(codes);
        if (tables.get(c) !== table && !diagnoses.includes(c)) {
          diagnoses.push(c);
          return;
        }
      }
    };
    if (split === 'MCC') pick(this.mccCodes, this.s.mcc);
    else if (split === 'CC') pick(this.ccCodes, this.s.cc);
  }

  /** A record that groups into ADRG `code` (and the DRG of `opts.split`), or null if none was found. */
  forAdrg(code: string, rng: Rng, opts: DrgDraw = {}): DrgRecord | null {
    const a = this.s.adrgs.get(code);
    if (!a) throw new RangeError(`no ADRG ${code}`);
    const splits = a.drgs.map((d) => d.split);
    const attempts = opts.attempts ?? 400;
    for (let k = 0; k < attempts; k++) {
      const split = opts.split ?? rng.pick(splits);
      const target = a.drgs.find((d) => d.split === split);
      if (!target) return null;
      const r = this.draw(a, rng, split, opts.id ?? `${code}-${k}`);
      if (!r) continue;
      const g = groupDrg(this.s, r);
      if (g.adrg === code && g.drg === target.code) return r;
    }
    return null;
  }

  /**
   * A realistic mix: every ADRG alike, its splits alike, 0–4 further secondary diagnoses that
   * are no complication, now and then an excluded complication, an unknown code, a missing
   * value; the grouper decides where each lands (not always the ADRG drawn for).
   */
  realistic(rng: Rng, id: string): DrgRecord {
    const adrgs = [...this.s.adrgs.values()];
    for (;;) {
      const a = rng.pick(adrgs);
      const r = this.draw(a, rng, rng.pick(a.drgs).split, id);
      if (!r) continue;
      const d = r.diagnoses as string[];
      for (let k = rng.int(0, 4); k > 0; k--) d.push(rng.pick(this.nonCc));
      if (rng.chance(0.1)) {
        const table = this.s.ccExclusions.get(d[0]);
        const same = table === undefined ? undefined : this.ccByTable.get(table);
        if (same) d.push(rng.pick(same)); // a CC the main diagnosis's exclusion table removes
      }
      if (rng.chance(0.01)) d.push('X99.999x999'); // a code in no dictionary
      if (rng.chance(0.01)) d[0] = rng.pick(this.unlisted); // a main diagnosis no MDC opens on
      if (r.ageYears && rng.chance(0.1)) r.ageDays = r.ageYears * 365 + rng.int(0, 364); // total days, as some systems send
      if (rng.chance(0.005)) r.sex = null;
      if (rng.chance(0.003)) r.diagnoses = [];
      if (rng.chance(0.2) && r.dischargeMethod) r.dept = rng.pick(['内科', '外科', '妇产科', '儿科', '骨科', '神经内科', '心血管内科']);
      return r;
    }
  }
}

/** `n` realistic records from `seed`. */
export function syntheticDrgRecords(s: CompiledDrgScheme, seed: number, n: number): DrgRecord[] {
  const rng = new Rng(seed);
  const maker = new DrgRecordMaker(s);
  const out: DrgRecord[] = [];
  for (let i = 0; i < n; i++) out.push(maker.realistic(rng, `S${seed}-${i + 1}`));
  return out;
}
