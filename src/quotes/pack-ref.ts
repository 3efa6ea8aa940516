/** Parse a pack reference ("500230/2022" or "500230 2022") and find the pack that governs it. */
import { InputError } from '../errors.js';
import type { PolicyLibrary, ResolvedPack } from '../policy/loader.js';

export function packRef(lib: PolicyLibrary, field: string, region: string, year: string | number): ResolvedPack {
  if (!/^\d{6}$/.test(region)) throw new InputError(field, `"${region}" is not a 6-digit region code (GB/T 2260), e.g. 500230`);
  const y = typeof year === 'number' ? year : /^\d{4}$/.test(year) ? Number(year) : NaN;
  if (!Number.isInteger(y)) throw new InputError(field, `"${year}" is not a coverage year such as 2022`);
  if (!lib.regions.has(region)) throw new InputError(field, `unknown region code ${region}`);
  const id = lib.packIdFor(region, y);
  if (!id) throw new InputError(field, `no policy pack covers region ${region} in ${y} (years with packs: ${lib.years().join(', ')})`);
  return lib.resolve(id);
}

/** "500000/2022" → the pack. */
export function packRefString(lib: PolicyLibrary, field: string, ref: string): ResolvedPack {
  const m = /^(\S+?)[/ :](\S+)$/.exec(ref.trim());
  if (!m) throw new InputError(field, `"${ref}" is not a pack reference written REGION/YEAR, e.g. 500000/2022`);
  return packRef(lib, field, m[1], m[2]);
}
