/** Shared pieces of the DRG tests: the bundled scheme, records drawn from it, small lookups. */
import assert from 'node:assert/strict';
import { loadDrgScheme } from '../../src/policy/drg-compile.js';
import type { DrgCondition, DrgLeaf } from '../../src/policy/drg-scheme.js';
import { groupDrg } from '../../src/rules/drg/group.js';
import type { DrgRecord, DrgResult } from '../../src/rules/drg/record.js';
import { DrgRecordMaker } from '../../src/sim/drg-records.js';
import { Rng } from '../../src/sim/random.js';
import type { DrgSplit } from '../../src/policy/drg-scheme.js';

export const scheme = loadDrgScheme();
export const maker = new DrgRecordMaker(scheme);

export const group = (r: DrgRecord): DrgResult => groupDrg(scheme, r);

/** A record that groups into `adrg` (and the DRG of `split`), drawn with a fixed seed. */
export function witness(adrg: string, split?: DrgSplit, seed = 7): DrgRecord {
  const r = maker.forAdrg(adrg, new Rng(seed), { split, attempts: 5000, id: `${adrg}${split ? `-${split}` : ''}` });
  assert.ok(r, `no record found for ${adrg} ${split ?? ''}`);
  return r;
}

/** A copy of a record with some fields replaced. */
export const edit = (r: DrgRecord, change: Partial<DrgRecord>): DrgRecord => ({ ...r, diagnoses: [...r.diagnoses], procedures: [...(r.procedures ?? [])], ...change });

/** The leaves of a condition. */
export function leavesOf(c: DrgCondition): DrgLeaf[] {
  if ('all' in c) return c.all.flatMap(leavesOf);
  if ('any' in c) return c.any.flatMap(leavesOf);
  if ('not' in c) return leavesOf(c.not);
  return [c];
}

/** The codes of the first leaf of `kind` in an ADRG's condition (or an MDC's entry). */
export function listOf(c: DrgCondition, kind: 'mainDiagnosisIn' | 'anyDiagnosisIn' | 'mainProcedureIn' | 'anyProcedureIn', label?: string): string[] {
  const l = leavesOf(c).find((x) => x.kind === kind && (label === undefined || ('label' in x && x.label === label)));
  assert.ok(l && 'codes' in l, `no ${kind} list`);
  return l.codes;
}

export const adrgDef = (code: string) => scheme.data.adrgs[code];
export const mdcDef = (code: string) => scheme.data.mdcs.find((m) => m.code === code)!;
export const isValid = (p: string): boolean => scheme.validProcedures.has(p);
