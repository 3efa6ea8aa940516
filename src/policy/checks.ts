/**
 * What `pack check` warns about in packs that load: values that are valid one by one but do not
 * meet a rule another value states. Today: category standards whose average, weighted by the
 * pack's population shares, falls below an average floor (平均不低于) the pack or a parent states.
 * Pure: a loaded library in, warnings out.
 */
import { formatYuan, parseRate, yuanToFen } from '../money.js';
import type { PolicyLibrary, ResolvedPack, ResolvedParam } from './loader.js';
import { PERSON_KINDS, type PersonKind, type Tier } from './vocabulary.js';

export interface PackWarning {
  pack: string;
  file: string;
  path: string;
  message: string;
}

const basis = (p: ResolvedParam): string => `${p.from}${p.cite ? `, ${p.cite}` : ''}${p.example ? ', example' : ''}`;

/** An exact fraction of fen (BigInt), for weighted averages. */
interface Frac {
  num: bigint;
  den: bigint;
}
const ZERO: Frac = { num: 0n, den: 1n };
const add = (a: Frac, b: Frac): Frac => ({ num: a.num * b.den + b.num * a.den, den: a.den * b.den });
const times = (rate: string | number, f: Frac): Frac => {
  const r = parseRate(rate);
  return { num: BigInt(r.num) * f.num, den: BigInt(r.den) * f.den };
};
const fen = (yuan: number | string): Frac => ({ num: BigInt(yuanToFen(yuan)), den: 1n });

/** The standard of a kind in fen: by tier weighted by the tier shares, or the single amount. */
function kindStandard(pack: ResolvedPack, kind: PersonKind, tierShares: ResolvedParam | undefined): Frac | 'needs tier shares' {
  const p = pack.params.get(`contribution.${kind}`) ?? pack.params.get('contribution.default')!;
  const v = p.value as number | string | Record<Tier, number | string>;
  if (typeof v !== 'object') return fen(v);
  if (!tierShares) return 'needs tier shares';
  const ts = tierShares.value as Record<Tier, string | number>;
  return add(times(ts.tier1, fen(v.tier1)), times(ts.tier2, fen(v.tier2)));
}

/** The average floor check for one pack; null when no floor applies to it or the standards meet it. */
export function averageFloorWarning(lib: PolicyLibrary, id: string): PackWarning | null {
  const pack = lib.resolve(id);
  const floor = pack.params.get('contribution.average');
  if (!floor || floor.bound !== 'min' || !pack.params.has('contribution.default')) return null;
  const file = lib.fileOf(id);
  const floorText = `the average floor ${formatYuan(yuanToFen(floor.value as number))} yuan (contribution.average, bound min: ${basis(floor)})`;
  const shares = pack.params.get('population.shares');
  if (!shares)
    return { pack: id, file, path: 'params.population.shares', message: `cannot check the category standards against ${floorText}: the pack states no population.shares (cited or marked example)` };
  const tierShares = pack.params.get('population.tierShares');
  let avg = ZERO;
  for (const kind of PERSON_KINDS) {
    const share = (shares.value as Partial<Record<PersonKind, string | number>>)[kind];
    if (share === undefined) continue;
    const s = kindStandard(pack, kind, tierShares);
    if (s === 'needs tier shares')
      return { pack: id, file, path: 'params.population.tierShares', message: `cannot check the tiered standards against ${floorText}: the pack states no population.tierShares` };
    avg = add(avg, times(share, s));
  }
  const floorFen = BigInt(yuanToFen(floor.value as number));
  if (avg.num >= floorFen * avg.den) return null;
  return {
    pack: id,
    file,
    path: 'params.contribution',
    message: `the category standards average ${formatYuan(Number(avg.num / avg.den))} yuan (weighted by population.shares: ${basis(shares)}${tierShares ? `; population.tierShares: ${basis(tierShares)}` : ''}), below ${floorText}`,
  };
}

/** Every warning over every pack, in pack order. */
export function packWarnings(lib: PolicyLibrary): PackWarning[] {
  return lib.packIds().flatMap((id) => {
    const w = averageFloorWarning(lib, id);
    return w ? [w] : [];
  });
}
