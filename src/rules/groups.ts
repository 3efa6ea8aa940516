/**
 * Status lists that may name derived groups (农村低收入人口): a person matches a plain status by
 * holding it, a group by holding one of its statuses and — where the pack's definition says so —
 * the group's residence type (户籍). Where the request gives no residence the pack's assumption
 * (residence.whenUnknown) is tested, and the caller says so. Pure.
 */
import type { ResolvedParam } from '../policy/loader.js';
import type { Residence } from '../policy/vocabulary.js';
import { statusBit } from './status-mask.js';

/** A derived group: the statuses that make a member, and the residence a member must have. */
export interface CompiledGroup {
  name: string;
  mask: number;
  residence: Residence | null;
  param: ResolvedParam | undefined;
}

/** What testing a group's residence found for one person. */
export interface GroupCheck {
  group: CompiledGroup;
  /** the residence tested: the person's, or the pack's assumption when the request gives none */
  residence: Residence;
  assumed: boolean;
  member: boolean;
}

/** The groups a pack defines (groups.<name>). */
export function compileGroups(params: ReadonlyMap<string, ResolvedParam>): Map<string, CompiledGroup> {
  const groups = new Map<string, CompiledGroup>();
  for (const [key, p] of params)
    if (key.startsWith('groups.')) {
      const g = p.value as { statuses: string[]; residence?: Residence };
      const name = key.slice('groups.'.length);
      groups.set(name, { name, mask: g.statuses.reduce((m, x) => m | statusBit(x), 0), residence: g.residence ?? null, param: p });
    }
  return groups;
}

/** A status list: the mask of its plain statuses (and groups without a residence), and its residence-bound groups. */
export interface StatusList {
  mask: number;
  residential: CompiledGroup[];
}

export function compileStatusList(list: readonly string[], groups: ReadonlyMap<string, CompiledGroup>): StatusList {
  let mask = 0;
  const residential: CompiledGroup[] = [];
  for (const s of list) {
    const g = groups.get(s);
    if (g?.residence) residential.push(g);
    else mask |= g ? g.mask : statusBit(s);
  }
  return { mask, residential };
}

/**
 * Whether a person matches the list. `record` receives each residence test made (a person holding
 * one of a residence-bound group's statuses), so the caller can trace it and warn of an assumption.
 */
export function matchesStatusList(
  list: StatusList,
  statusMask: number,
  residence: Residence | null,
  whenUnknown: Residence,
  record: (c: GroupCheck) => void,
): boolean {
  if ((statusMask & list.mask) !== 0) return true;
  let member = false;
  for (const g of list.residential) {
    if ((statusMask & g.mask) === 0) continue;
    const r = residence ?? whenUnknown;
    const ok = r === g.residence;
    record({ group: g, residence: r, assumed: residence === null, member: ok });
    member ||= ok;
  }
  return member;
}
