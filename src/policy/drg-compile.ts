/**
 * The CHS-DRG scheme compiled for grouping: every code list becomes a Set, every condition a
 * matcher (a closure over those Sets), and the index (drg-index.ts) lets a record try only
 * the MDCs and ADRGs its main diagnosis / main procedure can open. The index is exact: an
 * MDC or ADRG is left out only when a condition it cannot do without (its main-diagnosis or
 * main-procedure list) fails, so the result is the one of trying every MDC and ADRG in order
 * (README §4), which the tests check against a literal reading of the README.
 */
import { CX_KIND_MASK, CX_TABLE_SHIFT, DrgIndex, HAS_CC, HAS_MCC, MAIN_EXCLUSION_MASK, requiredLeaf } from './drg-index.js';

export { CX_KIND_MASK, CX_TABLE_SHIFT, DrgIndex, DX_COMPLICATION, DX_COMPLICATION_TABLE, DX_EXCLUSION, DX_MDCS, DX_NAME, HAS_CC, HAS_MCC, MAIN_EXCLUSION_MASK, MAIN_GROUPS_SHIFT, PX_MDCS, PX_NAME, PX_VALID, requiredLeaf } from './drg-index.js';
import { DEFAULT_DRG_DIR, readDrgScheme, type DrgAdrgDef, type DrgCompareOp, type DrgCondition, type DrgDef, type DrgLeaf, type DrgMdcDef, type DrgNumberField, type DrgSchemeData, type DrgSplit } from './drg-scheme.js';

/**
 * The facts of one record that conditions read. Numbers are already 0 where the record has
 * none (README §2); `sex` is '' when missing. `complications` is filled on first use.
 */
export interface DrgFacts {
  sex: string;
  ageYears: number;
  ageDays: number;
  birthWeightGrams: number;
  diagnoses: readonly string[];
  procedures: readonly string[];
  /** diagnoses[0], or '' when there is none */
  main: string;
  /** procedures[0], or '' when there is none (no code is '') */
  mainProcedure: string;
  /** -1 not computed yet; otherwise HAS_CC | HAS_MCC bits over the secondary diagnoses */
  complications: number;
  /** the main-diagnosis key of `main` (drg-index.ts MAIN_GROUPS_SHIFT), once looked up (-1 before) */
  mainKey: number;
  /** the main-procedure key of `mainProcedure`, once looked up (-1 before) */
  procedureKey: number;
}


export type Matcher = (f: DrgFacts) => boolean;

/** A compiled condition: the matcher, and the tree it came from with its Sets (for explanations). */
export type CompiledCondition =
  | { op: 'all' | 'any'; of: CompiledCondition[]; test: Matcher }
  | { op: 'not'; of: CompiledCondition; test: Matcher }
  | CompiledLeaf;

/**
 * A compiled leaf. Every leaf has every field (null where its kind has none), so code reading
 * leaves of many kinds (the explanations) sees one shape.
 */
export interface CompiledLeaf {
  op: 'leaf';
  leaf: DrgLeaf;
  kind: DrgLeaf['kind'];
  set: ReadonlySet<string> | null;
  regions: ReadonlyMap<string, number> | null;
  regionNames: readonly string[];
  /** anyProcedureIn: its procedure group */
  label: string | null;
  /** compare: field, operator, value; sex: the value; distinctTraumaRegions: the minimum */
  field: DrgNumberField | null;
  cmp: DrgCompareOp | null;
  value: number;
  equals: string | null;
  test: Matcher;
}

export interface CompiledDrg {
  code: string;
  name: string;
  split: DrgSplit;
  adrg: string;
  mdc: string;
  condition: CompiledCondition;
  def: DrgDef;
}

export interface CompiledAdrg {
  code: string;
  name: string;
  mdc: string;
  /** position in its MDC, from 0 */
  index: number;
  condition: CompiledCondition;
  /** the list the index files this ADRG under: its main-diagnosis list, else its main-procedure list, else none */
  key: 'main' | 'procedure' | null;
  /** the condition without that list: what is left to test once the index has offered this ADRG */
  rest: Matcher;
  drgs: CompiledDrg[];
  def: DrgAdrgDef;
}

export interface CompiledMdc {
  code: string;
  name: string;
  /** position in the MDC order, from 0 */
  index: number;
  entry: CompiledCondition;
  /** the main-diagnosis list the entry cannot do without, or null (MDCA) */
  entryList: ReadonlySet<string> | null;
  /** the entry without that list: what is left to test once the index has offered this MDC */
  rest: Matcher;
  adrgs: CompiledAdrg[];
  def: DrgMdcDef;
}

export interface CompiledValidation {
  status: 'invalid_missing_sex' | 'invalid_newborn_no_weight' | 'invalid_no_diagnosis';
  message: string;
  opendrgStatus: string;
  when: CompiledCondition;
}

export interface CompiledDrgScheme {
  name: string;
  version: string;
  data: DrgSchemeData;
  validation: CompiledValidation[];
  /** the sex words accepted after validation (男 → 1, 女 → 2) */
  sexWords: ReadonlyMap<string, string>;
  /** the same as two lists, for the hot path */
  sexWordList: readonly string[];
  sexCodeList: readonly string[];
  mdcs: CompiledMdc[];
  /** where each diagnosis / procedure code may lead (drg-index.ts) */
  index: DrgIndex;
  adrgs: ReadonlyMap<string, CompiledAdrg>;
  drgs: ReadonlyMap<string, CompiledDrg>;
  mcc: ReadonlyMap<string, string>;
  cc: ReadonlyMap<string, string>;
  ccExclusions: ReadonlyMap<string, string>;
  validProcedures: ReadonlySet<string>;
  diagnosisNames: ReadonlyMap<string, string>;
  procedureNames: ReadonlyMap<string, string>;
  /** compile a further condition against this scheme's tables (tests, tools) */
  compileCondition(c: DrgCondition): CompiledCondition;
}

const mapOf = (o: Record<string, string>): Map<string, string> => new Map(Object.entries(o));

/** Compile a scheme read by readDrgScheme. */
export function compileDrgScheme(data: DrgSchemeData): CompiledDrgScheme {
  const mcc = mapOf(data.mcc);
  const cc = mapOf(data.cc);
  const ccExclusions = mapOf(data.ccExclusions);
  const valid = new Set(data.validProcedures);
  const sets = new Map<string, Set<string>>(); // one Set per distinct list, shared
  const setOf = (codes: string[]): Set<string> => {
    const key = codes.join('\u0001');
    let s = sets.get(key);
    if (!s) sets.set(key, (s = new Set(codes)));
    return s;
  };
  let index: DrgIndex | null = null; // built below, before any matcher runs
  const complications = (f: DrgFacts): number => {
    if (f.complications >= 0) return f.complications;
    const ix = index!;
    if (f.mainKey < 0) f.mainKey = ix.mainKey(f.main);
    const table = (f.mainKey & MAIN_EXCLUSION_MASK) - 1;
    const d = f.diagnoses;
    let bits = 0;
    for (let i = 1; i < d.length; i++) {
      const c = ix.complication(d[i]); // the small table: only CC / MCC codes
      if (c !== 0 && c >> CX_TABLE_SHIFT !== table) bits |= c & CX_KIND_MASK;
    }
    return (f.complications = bits);
  };
  const mainProcedureValid = (f: DrgFacts): boolean => {
    if (f.procedureKey < 0) f.procedureKey = index!.procedureKey(f.mainProcedure);
    return (f.procedureKey & 1) === 1;
  };
  const compile = (c: DrgCondition): CompiledCondition => {
    if ('all' in c || 'any' in c) {
      const isAll = 'all' in c;
      const of = (isAll ? c.all : c.any).map(compile);
      return { op: isAll ? 'all' : 'any', of, test: isAll ? allOf(of.map((x) => x.test)) : anyOf(of.map((x) => x.test)) };
    }
    if ('not' in c) {
      const of = compile(c.not);
      const t = of.test;
      return { op: 'not', of, test: (f) => !t(f) };
    }
    return compileLeaf(c, setOf, valid, complications, mainProcedureValid);
  };

  const validation: CompiledValidation[] = [];
  const sexWords = new Map<string, string>();
  for (const v of data.meta.validation) {
    if ('normalise' in v) for (const [w, s] of Object.entries(v.map)) sexWords.set(w, s);
    else validation.push({ status: v.status, message: v.message, opendrgStatus: v.opendrgStatus, when: compile(v.when) });
  }

  const drgs = new Map<string, CompiledDrg>();
  const adrgs = new Map<string, CompiledAdrg>();
  const keyed = (c: DrgCondition): { key: 'main' | 'procedure' | null; rest: Matcher } => {
    for (const kind of ['mainDiagnosisIn', 'mainProcedureIn'] as const) {
      const leaf = requiredLeaf(c, kind);
      if (leaf) return { key: kind === 'mainDiagnosisIn' ? 'main' : 'procedure', rest: compile(without(c, leaf)).test };
    }
    return { key: null, rest: compile(c).test };
  };
  const mdcs: CompiledMdc[] = data.mdcs.map((m, mi) => {
    const list: CompiledAdrg[] = m.adrgs.map((code, index) => {
      const def = data.adrgs[code];
      const a: CompiledAdrg = {
        code,
        name: def.name,
        mdc: m.code,
        index,
        condition: compile(def.condition),
        ...keyed(def.condition),
        drgs: def.drgs.map((g) => {
          const dd = data.drgs[g];
          const drg: CompiledDrg = { code: g, name: dd.name, split: dd.split, adrg: code, mdc: m.code, condition: compile(dd.condition), def: dd };
          drgs.set(g, drg);
          return drg;
        }),
        def,
      };
      adrgs.set(code, a);
      return a;
    });
    const entryLeaf = requiredLeaf(m.entry, 'mainDiagnosisIn');
    return {
      code: m.code,
      name: m.name,
      index: mi,
      entry: compile(m.entry),
      entryList: entryLeaf ? setOf(entryLeaf.codes) : null,
      rest: compile(entryLeaf ? without(m.entry, entryLeaf) : m.entry).test,
      adrgs: list,
      def: m,
    };
  });
  index = DrgIndex.build(data, mdcs);

  return {
    name: data.meta.scheme,
    version: data.meta.dataVersion,
    data,
    validation,
    sexWords,
    sexWordList: [...sexWords.keys()],
    sexCodeList: [...sexWords.values()],
    mdcs,
    index,
    adrgs,
    drgs,
    mcc,
    cc,
    ccExclusions,
    validProcedures: valid,
    diagnosisNames: mapOf(data.diagnosisNames),
    procedureNames: mapOf(data.procedureNames),
    compileCondition: compile,
  };
}

/** `c` with `leaf` (a required leaf of it) taken out: `always` if nothing is left. */
function without(c: DrgCondition, leaf: DrgLeaf): DrgCondition {
  if (c === leaf) return { kind: 'always' };
  if ('all' in c) {
    const rest = c.all.filter((x) => x !== leaf).map((x) => (requiredLeaf(x, leaf.kind as 'mainDiagnosisIn') === leaf ? without(x, leaf) : x));
    return rest.length === 0 ? { kind: 'always' } : rest.length === 1 ? rest[0] : { all: rest };
  }
  return c;
}

function allOf(ts: Matcher[]): Matcher {
  if (ts.length === 1) return ts[0];
  if (ts.length === 2) {
    const [a, b] = ts;
    return (f) => a(f) && b(f);
  }
  if (ts.length === 3) {
    const [a, b, c] = ts;
    return (f) => a(f) && b(f) && c(f);
  }
  return (f) => {
    for (let i = 0; i < ts.length; i++) if (!ts[i](f)) return false;
    return true;
  };
}

function anyOf(ts: Matcher[]): Matcher {
  if (ts.length === 1) return ts[0];
  if (ts.length === 2) {
    const [a, b] = ts;
    return (f) => a(f) || b(f);
  }
  return (f) => {
    for (let i = 0; i < ts.length; i++) if (ts[i](f)) return true;
    return false;
  };
}

function compareWith(field: DrgNumberField, op: DrgCompareOp, v: number): Matcher {
  switch (field) {
    case 'ageYears':
      return cmp(op, v, (f) => f.ageYears);
    case 'ageDays':
      return cmp(op, v, (f) => f.ageDays);
    case 'birthWeightGrams':
      return cmp(op, v, (f) => f.birthWeightGrams);
  }
}

function cmp(op: DrgCompareOp, v: number, get: (f: DrgFacts) => number): Matcher {
  switch (op) {
    case '==':
      return (f) => get(f) === v;
    case '<':
      return (f) => get(f) < v;
    case '<=':
      return (f) => get(f) <= v;
    case '>':
      return (f) => get(f) > v;
    case '>=':
      return (f) => get(f) >= v;
  }
}

function compileLeaf(
  leaf: DrgLeaf,
  setOf: (codes: string[]) => Set<string>,
  valid: ReadonlySet<string>,
  complications: (f: DrgFacts) => number,
  mainProcedureValid: Matcher,
): CompiledCondition {
  const node = (test: Matcher, set: ReadonlySet<string> | null = null, regions: ReadonlyMap<string, number> | null = null, regionNames: readonly string[] = []): CompiledLeaf => ({
    op: 'leaf',
    leaf,
    kind: leaf.kind,
    set,
    regions,
    regionNames,
    label: leaf.kind === 'anyProcedureIn' && leaf.label !== undefined ? leaf.label : null,
    field: leaf.kind === 'compare' ? leaf.field : null,
    cmp: leaf.kind === 'compare' ? leaf.op : null,
    value: leaf.kind === 'compare' ? leaf.value : leaf.kind === 'distinctTraumaRegions' ? leaf.min : 0,
    equals: leaf.kind === 'sex' ? leaf.equals : null,
    test,
  });
  switch (leaf.kind) {
    case 'always':
      return node(() => true);
    case 'mainDiagnosisIn': {
      const s = setOf(leaf.codes);
      return node((f) => s.has(f.main), s);
    }
    case 'anyDiagnosisIn': {
      const s = setOf(leaf.codes);
      return node((f) => {
        const d = f.diagnoses;
        for (let i = 0; i < d.length; i++) if (s.has(d[i])) return true;
        return false;
      }, s);
    }
    case 'mainProcedureIn': {
      const s = setOf(leaf.codes);
      return node((f) => s.has(f.mainProcedure), s);
    }
    case 'anyProcedureIn': {
      const s = setOf(leaf.codes);
      return node((f) => {
        const p = f.procedures;
        for (let i = 0; i < p.length; i++) if (s.has(p[i])) return true;
        return false;
      }, s);
    }
    case 'mainProcedureValid':
      return node(mainProcedureValid, valid);
    case 'anyProcedureValid':
      return node((f) => {
        const p = f.procedures;
        for (let i = 0; i < p.length; i++) if (valid.has(p[i])) return true;
        return false;
      }, valid);
    case 'noValidProcedure':
      return node((f) => {
        const p = f.procedures;
        for (let i = 0; i < p.length; i++) if (valid.has(p[i])) return false;
        return true;
      }, valid);
    case 'sex': {
      const v = leaf.equals;
      return node((f) => f.sex === v);
    }
    case 'compare':
      return node(compareWith(leaf.field, leaf.op, leaf.value));
    case 'distinctTraumaRegions': {
      const names = Object.keys(leaf.regions);
      const regions = new Map<string, number>();
      names.forEach((r, i) => {
        for (const x of leaf.regions[r]) regions.set(x, i);
      });
      const min = leaf.min;
      return node(
        (f) => {
          const d = f.diagnoses;
          let seen = 0;
          let n = 0;
          for (let i = 0; i < d.length; i++) {
            const r = regions.get(d[i]);
            if (r === undefined) continue;
            const bit = 1 << r;
            if ((seen & bit) === 0) {
              seen |= bit;
              if (++n >= min) return true;
            }
          }
          return false;
        },
        null,
        regions,
        names,
      );
    }
    case 'hasMcc':
      return node((f) => (complications(f) & HAS_MCC) !== 0);
    case 'hasCc':
      return node((f) => (complications(f) & HAS_CC) !== 0);
    case 'sexMissing':
      return node((f) => f.sex === '');
    case 'noDiagnosis':
      return node((f) => f.diagnoses.length === 0);
  }
}

const loaded = new Map<string, CompiledDrgScheme>();

/** Read, check and compile the scheme in `dir` (the bundled CHS-DRG 1.1 by default), once per folder. */
export function loadDrgScheme(dir: string = DEFAULT_DRG_DIR): CompiledDrgScheme {
  let s = loaded.get(dir);
  if (!s) loaded.set(dir, (s = compileDrgScheme(readDrgScheme(dir))));
  return s;
}
