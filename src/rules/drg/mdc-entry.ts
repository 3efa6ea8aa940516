/**
 * Step 2 (README §4.2): the MDCs a record may enter, in the scheme's order. Only MDCs whose
 * entry list holds the main diagnosis, and those without such a list (MDCA, entered on a valid
 * main procedure), can be entered: the main diagnosis's index run gives them in order, and for
 * each only the rest of its entry condition (age, sex, trauma regions) is left to test.
 */
import type { CompiledDrgScheme, CompiledMdc, DrgFacts } from '../../policy/drg-compile.js';

/** The index run of the main diagnosis (looked up once per record). */
export function mainRun(s: CompiledDrgScheme, f: DrgFacts): number {
  if (f.mainRun < 0) f.mainRun = s.index.diagnosis(f.main);
  return f.mainRun;
}

/** The index run of the main procedure (looked up once per record; no procedure has the unknown run). */
export function mainProcedureRun(s: CompiledDrgScheme, f: DrgFacts): number {
  if (f.mainProcedureRun < 0) f.mainProcedureRun = s.index.procedure(f.mainProcedure);
  return f.mainProcedureRun;
}

/** Whether `f` enters `m`, an MDC its main diagnosis's run offers (the rest of the entry condition). */
export function entersOfferedMdc(m: CompiledMdc, f: DrgFacts): boolean {
  return m.rest(f);
}
