/**
 * The CHS-DRG grouper (data README §4, §7): validation, then the MDCs in order; in each MDC
 * entered, the first ADRG whose condition holds and its first DRG whose split holds. An MDC
 * entered without a matching ADRG passes the record on to the next MDC. Pure: the scheme is
 * data compiled by src/policy/drg-compile.ts; nothing here reads files or keeps state between
 * records (`scratch` is refilled for every record).
 */
import { type CompiledAdrg, type CompiledDrg, type CompiledDrgScheme, type CompiledMdc, type CompiledValidation, type DrgFacts } from '../../policy/drg-compile.js';
import { firstAdrg } from './adrg.js';
import { firstDrg } from './drg-split.js';
import { entersOfferedMdc, mainGroups, mainProcedureGroups } from './mdc-entry.js';
import { factsOf, newFacts, type DrgRecord, type DrgResult } from './record.js';
import { failedValidation, normaliseSex } from './validation.js';
import { explainGrouping, type DrgExplanation } from './explanation.js';

/** Where a record ends: a failed validation, a DRG, or neither (ungroupable). */
export interface DrgOutcome {
  invalid: CompiledValidation | null;
  mdc: CompiledMdc | null;
  adrg: CompiledAdrg | null;
  drg: CompiledDrg | null;
}

/** The MDC, ADRG and DRG of facts that passed validation, written into `out`; false when ungroupable. */
export function locate(s: CompiledDrgScheme, f: DrgFacts, out: DrgOutcome): boolean {
  const ix = s.index;
  const dg = ix.dxGroups;
  const pg = ix.pxGroups;
  let q0 = mainProcedureGroups(s, f);
  const pn = pg[q0++];
  let p = mainGroups(s, f);
  const n = dg[p++];
  const mdcs = s.mdcs;
  for (let g = 0; g < n; g++) {
    const k = dg[p];
    const count = dg[p + 1];
    const at = p + 2;
    p = at + count;
    const m = mdcs[k];
    if (!entersOfferedMdc(m, f)) continue;
    // the ADRGs the main procedure offers in this MDC (a procedure is filed in few MDCs)
    let q = q0;
    let qn = 0;
    for (let h = 0; h < pn; h++) {
      if (pg[q] === k) {
        qn = pg[q + 1];
        break;
      }
      q += 2 + pg[q + 1];
    }
    const a = firstAdrg(m, dg, at, count, pg, q + 2, qn, f);
    if (a === null) continue; // entered, but no ADRG: on to the next MDC (README §4.2)
    out.mdc = m;
    out.adrg = a;
    out.drg = firstDrg(a, f);
    return true;
  }
  return false;
}

const scratch = newFacts();
const outcome: DrgOutcome = { invalid: null, mdc: null, adrg: null, drg: null };

/** Group `r` into `out` and the facts `f` (both refilled); the building block of groupDrg. */
export function groupOutcome(s: CompiledDrgScheme, r: DrgRecord, f: DrgFacts, out: DrgOutcome): DrgOutcome {
  factsOf(r, f);
  out.mdc = out.adrg = out.drg = null;
  out.invalid = failedValidation(s, f);
  if (out.invalid !== null) return out;
  normaliseSex(s, f);
  locate(s, f, out);
  return out;
}

/** Group one record: the README §3 result. */
export function groupDrg(s: CompiledDrgScheme, r: DrgRecord): DrgResult {
  const o = groupOutcome(s, r, scratch, outcome);
  const id = r.id ?? null;
  if (o.invalid !== null) return { id, status: o.invalid.status, mdc: null, adrg: null, drg: null };
  if (o.drg === null) return { id, status: 'ungroupable', mdc: null, adrg: null, drg: null };
  return { id, status: 'success', mdc: o.mdc!.code, adrg: o.adrg!.code, drg: o.drg.code };
}

export interface DrgExplainedResult extends DrgResult {
  explanation: DrgExplanation;
}

/** Group one record and explain each step (validation, MDC, ADRG, DRG split). */
export function groupDrgExplained(s: CompiledDrgScheme, r: DrgRecord): DrgExplainedResult {
  const g = groupDrg(s, r);
  return { id: g.id, status: g.status, mdc: g.mdc, adrg: g.adrg, drg: g.drg, explanation: explainGrouping(s, r, g) };
}
