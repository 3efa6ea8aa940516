/**
 * Step 1 (README §4.1): the validation rules of scheme.json in order; the first that holds
 * decides the status and grouping stops. Then the sex words (男 / 女) become codes.
 */
import type { CompiledDrgScheme, CompiledValidation, DrgFacts } from '../../policy/drg-compile.js';

/** The first validation rule that holds for `f`, or null when the record passes. */
export function failedValidation(s: CompiledDrgScheme, f: DrgFacts): CompiledValidation | null {
  const v = s.validation;
  for (let i = 0; i < v.length; i++) if (v[i].when.test(f)) return v[i];
  return null;
}

/** Apply scheme.json's `normalise` entry (男 → 1, 女 → 2); returns whether the sex changed. */
export function normaliseSex(s: CompiledDrgScheme, f: DrgFacts): boolean {
  const words = s.sexWordList;
  for (let i = 0; i < words.length; i++)
    if (f.sex === words[i]) {
      f.sex = s.sexCodeList[i];
      return true;
    }
  return false;
}
