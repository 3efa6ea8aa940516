/**
 * The bottom lines a projection checks each future year: the pack in force that year, or when
 * the library has no pack that far ahead, the latest earlier pack of the area (a bottom line of
 * 鲁医保发〔2022〕24号 九 stays until a later notice changes it).
 */
import type { PolicyLibrary } from '../policy/loader.js';
import { bottomLinesOf, type BottomLines } from '../rules/fund-position.js';

const NONE: BottomLines = { minimumReserveMonths: null, noCurrentDeficit: null };

export function bottomLinesCarriedOn(lib: PolicyLibrary, regionCode: string, fromYear: number): (year: number) => BottomLines {
  const cache = new Map<number, BottomLines>();
  return (year) => {
    let b = cache.get(year);
    if (!b) {
      b = NONE;
      for (let y = year; y >= fromYear - 1; y--) {
        const pack = lib.packFor(regionCode, y);
        if (pack) {
          b = bottomLinesOf(pack);
          break;
        }
      }
      cache.set(year, b);
    }
    return b;
  };
}
