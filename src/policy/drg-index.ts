/**
 * The indexes that let a record try only the MDCs and ADRGs its codes can open, in the
 * scheme's order, with one table lookup per code.
 *
 * Each diagnosis code of any list, table or the dictionary has a slot of integers in one Int32Array:
 *   [exclusion table as main diagnosis, CC/MCC bits as secondary, its CC/MCC table, its name,
 *    where its MDC groups are], the groups being n, then n times (MDC position, m, m ADRG positions)
 * listing the MDCs whose entry list holds the code (plus those with no such list, MDCA), and
 * in each the ADRGs whose main-diagnosis list holds it (plus those filed under no list). Each
 * procedure code has a slot [valid, name, where its groups are], groups (MDC, m, m ADRGs) with
 * the ADRGs whose main-procedure list holds it. Tables are numbered (equal strings, equal
 * numbers; -1 for none), so the exclusion test compares integers, and names are numbered into
 * the dictionaries. The payloads sit in their keys' slots in the code tables (drg-code-table.ts),
 * one cache line per code, which keeps a record's work to a few cache lines: grouping is bound
 * by memory, not arithmetic. Grouping itself reads three smaller tables of one integer per code
 * (32-byte slots): the main-diagnosis keys, the main-procedure keys and the complications of
 * secondary diagnoses; the full slots (names, all fields) serve explanations and tools.
 */
import { CodeTable, SMALL_SLOT } from './drg-code-table.js';
import type { DrgCondition, DrgLeaf, DrgSchemeData } from './drg-scheme.js';

/** complication bits: a CC, an MCC */
export const HAS_CC = 1;
export const HAS_MCC = 2;

/** offsets in a diagnosis's slot payload */
export const DX_EXCLUSION = 0;
export const DX_COMPLICATION = 1;
export const DX_COMPLICATION_TABLE = 2;
export const DX_NAME = 3;
/**
 * The complication table (`cx`) holds only the CC / MCC codes, one integer each:
 * (its CC/MCC table number << 2) | HAS_CC or HAS_MCC; a code not in it reads as 0. It is a
 * quarter of the diagnosis table's size, so the secondary diagnoses of a record, looked up
 * for the DRG split, mostly hit the cache.
 */
export const CX_KIND_MASK = 3;
/**
 * The main-code keys: what grouping reads of a main diagnosis or main procedure, one integer
 * in a table of 32-byte slots (half the size of the full tables, which keep names and
 * complication fields for explanations). A main diagnosis's key is
 * (where its MDC groups start in `dxGroups` << MAIN_GROUPS_SHIFT) | (its exclusion table + 1);
 * a main procedure's is (where its groups start in `pxGroups` << 1) | valid.
 */
export const MAIN_GROUPS_SHIFT = 9;
export const MAIN_EXCLUSION_MASK = (1 << MAIN_GROUPS_SHIFT) - 1;
export const CX_TABLE_SHIFT = 2;
/** where its MDC groups start in `dxGroups`: n, then n times (MDC position, m, m ADRG positions) */
export const DX_MDCS = 4;
/** offsets in a procedure's slot payload */
export const PX_VALID = 0;
export const PX_NAME = 1;
/** where its MDC groups start in `pxGroups` */
export const PX_MDCS = 2;

/** The part of a compiled MDC / ADRG the index needs. */
interface IndexedMdc {
  index: number;
  entryList: ReadonlySet<string> | null;
  adrgs: readonly { index: number; key: 'main' | 'procedure' | null; def: { condition: DrgCondition } }[];
}

/**
 * The mainDiagnosisIn / mainProcedureIn leaf that `c` cannot hold without: the leaf itself, or
 * such a leaf directly under an `all`. Null when there is none.
 */
export function requiredLeaf<K extends 'mainDiagnosisIn' | 'mainProcedureIn'>(c: DrgCondition, kind: K): Extract<DrgLeaf, { kind: K }> | null {
  if ('kind' in c) return c.kind === kind ? (c as Extract<DrgLeaf, { kind: K }>) : null;
  if ('all' in c)
    for (const x of c.all) {
      const r = requiredLeaf(x, kind);
      if (r) return r;
    }
  return null;
}

export class DrgIndex {
  /** the diagnosis slots (drg-code-table.ts); a diagnosis's "run" is its payload offset in here */
  readonly dx: Int32Array;
  /** the run of a code in no list, table or dictionary */
  readonly unknownDx: number;
  /** the procedure runs */
  readonly px: Int32Array;
  /** the run of a procedure in no list (and of "no procedure") */
  readonly unknownPx: number;

  /** the complication slots; `complication(code)` reads the packed value from here */
  readonly cx: Int32Array;
  /** the main-code key tables' slots and the keys of codes in none of them */
  private readonly mx: Int32Array;
  private readonly qx: Int32Array;
  readonly unknownMainKey: number;
  readonly unknownProcedureKey: number;

  private constructor(
    private readonly dxAt: CodeTable,
    private readonly pxAt: CodeTable,
    private readonly cxAt: CodeTable,
    private readonly mainAt: CodeTable,
    private readonly procedureAt: CodeTable,
    /** the MDC groups of the diagnoses / procedures (variable length, apart from the slots) */
    readonly dxGroups: Int32Array,
    readonly pxGroups: Int32Array,
    /** table numbers back to the tables' strings */
    readonly tables: readonly string[],
    /** the dictionaries' names, by the name numbers of the runs */
    readonly diagnosisNames: readonly string[],
    readonly procedureNames: readonly string[],
  ) {
    this.dx = dxAt.data;
    this.unknownDx = dxAt.keylessAt[0];
    this.px = pxAt.data;
    this.unknownPx = pxAt.keylessAt[0];
    this.cx = cxAt.data;
    this.mx = mainAt.data;
    this.qx = procedureAt.data;
    this.unknownMainKey = this.mx[mainAt.keylessAt[0]];
    this.unknownProcedureKey = this.qx[procedureAt.keylessAt[0]];
  }

  /** The key of a main diagnosis (MAIN_GROUPS_SHIFT): its MDC groups and exclusion table. */
  mainKey(code: string): number {
    const o = this.mainAt.find(code);
    return o < 0 ? this.unknownMainKey : this.mx[o];
  }

  /** The key of a main procedure ("" — none — has the unknown key): its groups and whether it is valid. */
  procedureKey(code: string): number {
    if (code === '') return this.unknownProcedureKey;
    const o = this.procedureAt.find(code);
    return o < 0 ? this.unknownProcedureKey : this.qx[o];
  }

  /** A secondary diagnosis's complication: (table << CX_TABLE_SHIFT) | HAS_CC / HAS_MCC, or 0 when it is neither. */
  complication(code: string): number {
    const o = this.cxAt.find(code);
    return o < 0 ? 0 : this.cx[o];
  }

  /** The run of a diagnosis code. */
  diagnosis(code: string): number {
    const o = this.dxAt.find(code);
    return o < 0 ? this.unknownDx : o;
  }

  /** The run of a procedure code ("" — no procedure — has the unknown run). */
  procedure(code: string): number {
    if (code === '') return this.unknownPx;
    const o = this.pxAt.find(code);
    return o < 0 ? this.unknownPx : o;
  }

  /** The dictionary name of a diagnosis code, or null. */
  diagnosisName(code: string): string | null {
    const n = this.dx[this.diagnosis(code) + DX_NAME];
    return n < 0 ? null : this.diagnosisNames[n];
  }

  /** The dictionary name of a procedure code, or null. */
  procedureName(code: string): string | null {
    const n = this.px[this.procedure(code) + PX_NAME];
    return n < 0 ? null : this.procedureNames[n];
  }

  // ---- readers for explanations and tests (they allocate) ----

  /** [MDC position, ADRG positions][] of a diagnosis run */
  mdcsOf(run: number): [number, number[]][] {
    return groups(this.dxGroups, this.dx[run + DX_MDCS]);
  }

  /** The ADRG positions a procedure run offers in MDC `mdc`. */
  procedureAdrgs(run: number, mdc: number): number[] {
    return groups(this.pxGroups, this.px[run + PX_MDCS]).find(([m]) => m === mdc)?.[1] ?? [];
  }

  tableName(id: number): string | null {
    return id < 0 ? null : this.tables[id];
  }

  static build(data: DrgSchemeData, mdcs: readonly IndexedMdc[]): DrgIndex {
    const sorted = (xs: Iterable<number>): number[] => [...new Set(xs)].sort((x, y) => x - y);
    const tableIds = new Map<string, number>();
    const tableId = (t: string | undefined): number => {
      if (t === undefined) return -1;
      let id = tableIds.get(t);
      if (id === undefined) tableIds.set(t, (id = tableIds.size));
      return id;
    };
    const add = (m: Map<string, number[]>, k: string, v: number): void => {
      const l = m.get(k);
      if (l) l.push(v);
      else m.set(k, [v]);
    };
    const openNoList = mdcs.filter((m) => m.entryList === null).map((m) => m.index);
    const free = mdcs.map((m) => m.adrgs.filter((a) => a.key === null).map((a) => a.index));
    const byMain = mdcs.map(() => new Map<string, number[]>());
    const byProc = mdcs.map(() => new Map<string, number[]>());
    const opens = new Map<string, number[]>();
    for (const m of mdcs) {
      if (m.entryList) for (const c of m.entryList) add(opens, c, m.index);
      for (const a of m.adrgs) {
        if (a.key === 'main') for (const c of requiredLeaf(a.def.condition, 'mainDiagnosisIn')!.codes) add(byMain[m.index], c, a.index);
        else if (a.key === 'procedure') for (const c of requiredLeaf(a.def.condition, 'mainProcedureIn')!.codes) add(byProc[m.index], c, a.index);
      }
    }
    const own = (o: Record<string, string>, k: string): string | undefined => (Object.hasOwn(o, k) ? o[k] : undefined);
    const dxNamed = Object.keys(data.diagnosisNames);
    const dxName = new Map(dxNamed.map((c, i) => [c, i]));
    const pxNamed = Object.keys(data.procedureNames);
    const pxName = new Map(pxNamed.map((c, i) => [c, i]));

    const dxG: number[] = [];
    const groupsAt = new Map<string, number>(); // equal group lists are stored once
    const storeGroups = (out: number[], g: number[]): number => {
      const key = g.join();
      let at = groupsAt.get(key);
      if (at === undefined) {
        groupsAt.set(key, (at = out.length));
        out.push(...g);
      }
      return at;
    };
    const diagnosisRun = (code: string | null): number[] => {
      const mcc = code === null ? undefined : own(data.mcc, code);
      const cc = code === null ? undefined : own(data.cc, code);
      const order = sorted([...((code !== null && opens.get(code)) || []), ...openNoList]);
      const g = [order.length];
      for (const k of order) {
        const adrgs = sorted([...((code !== null && byMain[k].get(code)) || []), ...free[k]]);
        g.push(k, adrgs.length, ...adrgs);
      }
      return [
        tableId(code === null ? undefined : own(data.ccExclusions, code)),
        mcc !== undefined ? HAS_MCC : cc !== undefined ? HAS_CC : 0,
        tableId(mcc ?? cc),
        code === null ? -1 : (dxName.get(code) ?? -1),
        storeGroups(dxG, g),
      ];
    };
    const codes = new Set<string>([...opens.keys(), ...byMain.flatMap((m) => [...m.keys()]), ...Object.keys(data.mcc), ...Object.keys(data.cc), ...Object.keys(data.ccExclusions), ...dxNamed]);
    const dxRuns = [...codes].map((c) => [c, diagnosisRun(c)] as const);
    const dxUnknown = diagnosisRun(null);
    const dxAt = new CodeTable(dxRuns, [dxUnknown]);

    const keyed = (runs: Iterable<readonly [string, number[]]>, unknown: number[], key: (run: number[]) => number): CodeTable => {
      const u = key(unknown);
      const entries: (readonly [string, number[]])[] = [];
      for (const [c, run] of runs) {
        const k = key(run);
        if (k !== u) entries.push([c, [k]] as const); // a code keyed like an unknown one needs no slot
      }
      return new CodeTable(entries, [[u]], { slot: SMALL_SLOT, maxLoad: 0.7 });
    };
    if (tableIds.size >= MAIN_EXCLUSION_MASK) throw new RangeError(`${tableIds.size} exclusion tables: the main-diagnosis key holds fewer than ${MAIN_EXCLUSION_MASK}`);
    const mainAt = keyed(dxRuns, dxUnknown, (run) => (run[DX_MDCS] << MAIN_GROUPS_SHIFT) | (run[DX_EXCLUSION] + 1));

    const cxEntries: (readonly [string, number[]])[] = [];
    for (const [list, bit] of [[data.mcc, HAS_MCC], [data.cc, HAS_CC]] as const)
      for (const code of Object.keys(list)) cxEntries.push([code, [(tableId(list[code]) << CX_TABLE_SHIFT) | bit]] as const);
    const cxAt = new CodeTable(cxEntries, [], { slot: SMALL_SLOT, maxLoad: 0.7 });

    const valid = new Set(data.validProcedures);
    const pxG: number[] = [];
    groupsAt.clear();
    const procedureRun = (code: string | null): number[] => {
      const here = code === null ? [] : mdcs.filter((m) => byProc[m.index].has(code));
      const g = [here.length];
      for (const m of here) {
        const adrgs = sorted(byProc[m.index].get(code!)!);
        g.push(m.index, adrgs.length, ...adrgs);
      }
      return [code !== null && valid.has(code) ? 1 : 0, code === null ? -1 : (pxName.get(code) ?? -1), storeGroups(pxG, g)];
    };
    const procs = new Set([...byProc.flatMap((m) => [...m.keys()]), ...valid, ...pxNamed]);
    const pxRuns = [...procs].map((c) => [c, procedureRun(c)] as const);
    const pxUnknown = procedureRun(null);
    const pxAt = new CodeTable(pxRuns, [pxUnknown]);
    const procedureAt = keyed(
      pxRuns,
      pxUnknown,
      (run) => (run[PX_MDCS] << 1) | run[PX_VALID],
    );
    return new DrgIndex(dxAt, pxAt, cxAt, mainAt, procedureAt, Int32Array.from(dxG), Int32Array.from(pxG), [...tableIds.keys()], dxNamed.map((c) => data.diagnosisNames[c]), pxNamed.map((c) => data.procedureNames[c]));
  }
}

function groups(a: Int32Array, at: number): [number, number[]][] {
  const out: [number, number[]][] = [];
  let p = at + 1;
  for (let g = 0; g < a[at]; g++) {
    const n = a[p + 1];
    const list: number[] = [];
    for (let i = 0; i < n; i++) list.push(a[p + 2 + i]);
    out.push([a[p], list]);
    p += 2 + n;
  }
  return out;
}
