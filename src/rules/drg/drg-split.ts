/**
 * Step 4 (README §4.4, §4.1): the DRG of an ADRG, split by the record's complications. A
 * secondary diagnosis counts as an MCC (CC) when it is in mcc.json (cc.json) and the main
 * diagnosis's exclusion table (cc-exclusions.json) is not the same table; the main diagnosis
 * itself never counts, a repeat of it among the secondaries is checked like any other.
 */
import { DX_COMPLICATION, DX_COMPLICATION_TABLE, DX_EXCLUSION, DX_NAME, HAS_MCC, type CompiledAdrg, type CompiledDrg, type CompiledDrgScheme, type DrgFacts } from '../../policy/drg-compile.js';

/** The first DRG of `a` whose split condition holds (the last is always "always"). */
export function firstDrg(a: CompiledAdrg, f: DrgFacts): CompiledDrg {
  const d = a.drgs;
  for (let i = 0; i < d.length - 1; i++) if (d[i].condition.test(f)) return d[i];
  return d[d.length - 1];
}

export interface Complication {
  code: string;
  /** the Chinese name from diagnosis-names.json, or null for a code not in it */
  name: string | null;
  /** position in `diagnoses` (1 = the first secondary diagnosis) */
  position: number;
  list: 'MCC' | 'CC';
  /** the complication's exclusion table */
  table: string;
}

export interface ComplicationReport {
  main: string;
  mainName: string | null;
  /** the main diagnosis's exclusion table, or null when it has none (then nothing is excluded) */
  exclusionTable: string | null;
  /** complications that count, in the order of the diagnoses */
  counted: Complication[];
  /** complications the exclusion table removed: their table is the main diagnosis's */
  excluded: Complication[];
  hasMcc: boolean;
  hasCc: boolean;
}

/** Which secondary diagnoses are MCC / CC and which the exclusion table removed (for explanations). */
export function complicationReport(s: CompiledDrgScheme, diagnoses: readonly string[]): ComplicationReport {
  const ix = s.index;
  const main = diagnoses[0] ?? '';
  const table = ix.dx[ix.diagnosis(main) + DX_EXCLUSION];
  const counted: Complication[] = [];
  const excluded: Complication[] = [];
  let hasMcc = false;
  let hasCc = false;
  for (let i = 1; i < diagnoses.length; i++) {
    const code = diagnoses[i];
    const run = ix.diagnosis(code);
    const kind = ix.dx[run + DX_COMPLICATION];
    if (kind === 0) continue;
    const t = ix.dx[run + DX_COMPLICATION_TABLE];
    const n = ix.dx[run + DX_NAME];
    const x: Complication = { code, name: n < 0 ? null : ix.diagnosisNames[n], position: i, list: kind === HAS_MCC ? 'MCC' : 'CC', table: ix.tableName(t)! };
    if (table >= 0 && t === table) excluded.push(x);
    else {
      counted.push(x);
      if (kind === HAS_MCC) hasMcc = true;
      else hasCc = true;
    }
  }
  return { main, mainName: ix.diagnosisName(main), exclusionTable: ix.tableName(table), counted, excluded, hasMcc, hasCc };
}
