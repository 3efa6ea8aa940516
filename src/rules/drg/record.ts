/**
 * The CHS-DRG record and result (data README §2, §3), and the facts the conditions read.
 * Codes are compared exactly as given; a missing number counts as 0 (README §2).
 */
import type { DrgFacts } from '../../policy/drg-compile.js';
import type { DrgStatus } from '../../policy/drg-scheme.js';

export type { DrgStatus } from '../../policy/drg-scheme.js';

/** One inpatient record. `dept`, `losDays` and `dischargeMethod` are carried along, not used. */
export interface DrgRecord {
  id?: string | null;
  /** "1" male, "2" female; null, absent or "" unknown; 男 / 女 are accepted after validation */
  sex?: string | null;
  ageYears?: number | null;
  /** age in days: filled for infants, may be filled for anyone */
  ageDays?: number | null;
  birthWeightGrams?: number | null;
  dept?: string | null;
  losDays?: number | null;
  dischargeMethod?: string | null;
  /** [0] is the main diagnosis, the rest secondary diagnoses in order */
  diagnoses: readonly string[];
  /** [0] is the main procedure; may be empty */
  procedures?: readonly string[];
}

/** The grouping result: codes when `success`, null otherwise. */
export interface DrgResult {
  id: string | null;
  status: DrgStatus;
  mdc: string | null;
  adrg: string | null;
  drg: string | null;
}

const NONE: readonly string[] = Object.freeze([]);

/** Fill `f` with the facts of `r` (sex as given: validation comes before normalising it). */
export function factsOf(r: DrgRecord, f: DrgFacts): DrgFacts {
  const d = r.diagnoses ?? NONE;
  const p = r.procedures ?? NONE;
  f.sex = r.sex ?? '';
  f.ageYears = r.ageYears ?? 0;
  f.ageDays = r.ageDays ?? 0;
  f.birthWeightGrams = r.birthWeightGrams ?? 0;
  f.diagnoses = d;
  f.procedures = p;
  f.main = d.length > 0 ? d[0] : '';
  f.mainProcedure = p.length > 0 ? p[0] : '';
  f.complications = -1;
  f.mainKey = -1;
  f.procedureKey = -1;
  return f;
}

/** An empty facts object to fill with factsOf. */
export function newFacts(): DrgFacts {
  return { sex: '', ageYears: 0, ageDays: 0, birthWeightGrams: 0, diagnoses: NONE, procedures: NONE, main: '', mainProcedure: '', complications: -1, mainKey: -1, procedureKey: -1 };
}
