/**
 * Step 3 (README §4.3): the first ADRG of an MDC whose condition holds. The ADRGs are tried in
 * the MDC's order; the index offers only those whose main-diagnosis or main-procedure list
 * holds the record's code (and those under no list), so the first match is the same as
 * trying them all, and for each only the rest of its condition is left to test.
 */
import type { CompiledAdrg, CompiledMdc, DrgFacts } from '../../policy/drg-compile.js';

/**
 * The first ADRG of `m` that `f` meets, or null (then the record goes on to the next MDC).
 * The offered positions: `nm` in `dx` from `im` (by main diagnosis), `np` in `px` from `ip`
 * (by main procedure); both ascending, never sharing a position (an ADRG is filed once).
 */
export function firstAdrg(m: CompiledMdc, dx: Int32Array, im: number, nm: number, px: Int32Array, ip: number, np: number, f: DrgFacts): CompiledAdrg | null {
  const adrgs = m.adrgs;
  const em = im + nm;
  const ep = ip + np;
  while (im < em || ip < ep) {
    const k = ip >= ep || (im < em && dx[im] < px[ip]) ? dx[im++] : px[ip++];
    const a = adrgs[k];
    if (a.rest(f)) return a;
  }
  return null;
}
