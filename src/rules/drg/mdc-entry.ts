/**
 * Step 2 (README §4.2): the MDCs a record may enter, in the scheme's order. Only MDCs whose
 * entry list holds the main diagnosis, and those without such a list (MDCA, entered on a valid
 * main procedure), can be entered: the main diagnosis's index run gives them in order, and for
 * each only the rest of its entry condition (age, sex, trauma regions) is left to test.
 */
import { MAIN_GROUPS_SHIFT, type CompiledDrgScheme, type CompiledMdc, type DrgFacts } from '../../policy/drg-compile.js';

/** Where the main diagnosis's MDC groups start in the index's `dxGroups` (its key looked up once per record). */
export function mainGroups(s: CompiledDrgScheme, f: DrgFacts): number {
  if (f.mainKey < 0) f.mainKey = s.index.mainKey(f.main);
  return f.mainKey >>> MAIN_GROUPS_SHIFT;
}

/** Where the main procedure's groups start in `pxGroups` (looked up once per record; no procedure has the unknown key). */
export function mainProcedureGroups(s: CompiledDrgScheme, f: DrgFacts): number {
  if (f.procedureKey < 0) f.procedureKey = s.index.procedureKey(f.mainProcedure);
  return f.procedureKey >>> 1;
}

/** Whether `f` enters `m`, an MDC its main diagnosis's run offers (the rest of the entry condition). */
export function entersOfferedMdc(m: CompiledMdc, f: DrgFacts): boolean {
  return m.rest(f);
}
