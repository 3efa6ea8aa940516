/**
 * A literal reading of the CHS-DRG data README (§4 flow, §5 conditions, §7 pseudo-code) over
 * the raw JSON files, with none of the grouper's indexes or compiled matchers: the tests hold
 * the real grouper to it on many records (a Set per code list keeps it fast enough for tests).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

type Cond = Record<string, unknown>;
interface Rec {
  id?: string | null;
  sex?: string | null;
  ageYears?: number | null;
  ageDays?: number | null;
  birthWeightGrams?: number | null;
  diagnoses: readonly string[];
  procedures?: readonly string[];
}
export interface RefResult {
  id: string | null;
  status: string;
  mdc: string | null;
  adrg: string | null;
  drg: string | null;
}

export function referenceGrouper(dir: string): (r: Rec) => RefResult {
  const read = (f: string): any => JSON.parse(readFileSync(join(dir, f), 'utf8'));
  const scheme = read('scheme.json');
  const mdcs: any[] = read('mdc.json');
  const adrg: Record<string, any> = read('adrg.json');
  const drg: Record<string, any> = read('drg.json');
  const mcc: Record<string, string> = read('mcc.json');
  const cc: Record<string, string> = read('cc.json');
  const cce: Record<string, string> = read('cc-exclusions.json');
  const valid = new Set<string>(read('procedures-valid.json'));
  const sets = new WeakMap<object, Set<string>>();
  const setOf = (a: string[]): Set<string> => {
    let s = sets.get(a);
    if (!s) sets.set(a, (s = new Set(a)));
    return s;
  };
  const num = (v: number | null | undefined): number => (v === null || v === undefined ? 0 : v);
  const has = (table: Record<string, string>, r: Rec): boolean => {
    const t = Object.hasOwn(cce, r.diagnoses[0]) ? cce[r.diagnoses[0]] : undefined;
    return r.diagnoses.slice(1).some((d) => Object.hasOwn(table, d) && !(t !== undefined && t === table[d]));
  };
  const holds = (c: Cond, r: Rec): boolean => {
    const procs = r.procedures ?? [];
    if ('all' in c) return (c.all as Cond[]).every((x) => holds(x, r));
    if ('any' in c) return (c.any as Cond[]).some((x) => holds(x, r));
    if ('not' in c) return !holds(c.not as Cond, r);
    const codes = c.codes as string[] | undefined;
    switch (c.kind) {
      case 'always':
        return true;
      case 'mainDiagnosisIn':
        return r.diagnoses.length > 0 && setOf(codes!).has(r.diagnoses[0]);
      case 'anyDiagnosisIn':
        return r.diagnoses.some((d) => setOf(codes!).has(d));
      case 'mainProcedureIn':
        return procs.length > 0 && setOf(codes!).has(procs[0]);
      case 'anyProcedureIn':
        return procs.some((p) => setOf(codes!).has(p));
      case 'mainProcedureValid':
        return procs.length > 0 && valid.has(procs[0]);
      case 'noValidProcedure':
        return !procs.some((p) => valid.has(p));
      case 'anyProcedureValid':
        return procs.some((p) => valid.has(p));
      case 'sex':
        return r.sex === c.equals;
      case 'compare': {
        const v = num(r[c.field as 'ageYears']);
        const n = c.value as number;
        return { '==': v === n, '<': v < n, '<=': v <= n, '>': v > n, '>=': v >= n }[c.op as string]!;
      }
      case 'distinctTraumaRegions': {
        const regions = c.regions as Record<string, string[]>;
        const touched = Object.keys(regions).filter((k) => r.diagnoses.some((d) => regions[k].includes(d)));
        return touched.length >= (c.min as number);
      }
      case 'hasMcc':
        return has(mcc, r);
      case 'hasCc':
        return has(cc, r);
      case 'sexMissing':
        return r.sex === null || r.sex === undefined || r.sex === '';
      case 'noDiagnosis':
        return r.diagnoses.length === 0;
    }
    throw new Error(`unknown condition ${JSON.stringify(c)}`);
  };
  return (input: Rec): RefResult => {
    const r = { ...input };
    const id = r.id ?? null;
    for (const rule of scheme.validation) {
      if (rule.normalise) continue;
      if (holds(rule.when, r)) return { id, status: rule.status, mdc: null, adrg: null, drg: null };
    }
    for (const rule of scheme.validation) if (rule.normalise && r.sex && Object.hasOwn(rule.map, r.sex)) r.sex = rule.map[r.sex];
    for (const m of mdcs) {
      if (!holds(m.entry, r)) continue;
      for (const a of m.adrgs)
        if (holds(adrg[a].condition, r))
          for (const d of adrg[a].drgs) if (holds(drg[d].condition, r)) return { id, status: 'success', mdc: m.code, adrg: a, drg: d };
    }
    return { id, status: 'ungroupable', mdc: null, adrg: null, drg: null };
  };
}
