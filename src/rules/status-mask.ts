/** Needy statuses as bits, so a rule's status condition is one AND. */
import { NEEDY_STATUSES, STATUS_GROUPS, STATUS_IMPLIES, type NeedyStatus } from '../policy/vocabulary.js';

const BIT = new Map<string, number>(NEEDY_STATUSES.map((s, i) => [s, 1 << i]));

export function statusBit(s: string): number {
  const own = BIT.get(s);
  if (own !== undefined) return own;
  const group = (STATUS_GROUPS as Record<string, readonly string[]>)[s];
  if (group) return group.reduce((m, x) => m | BIT.get(x)!, 0);
  throw new RangeError(`unknown needy status: ${s}`);
}

/** Mask of a person's statuses, with implied statuses added (脱贫不稳定户 → 监测对象). */
export function personMask(statuses: readonly string[]): number {
  let m = 0;
  for (const s of statuses) {
    m |= statusBit(s);
    for (const implied of STATUS_IMPLIES[s as NeedyStatus] ?? []) m |= statusBit(implied);
  }
  return m;
}

/** Which of a person's statuses (by name) a rule's mask matched. */
export function matchedStatuses(personStatuses: readonly string[], ruleMask: number): string[] {
  const out: string[] = [];
  for (const s of NEEDY_STATUSES) if (ruleMask & BIT.get(s)! && personStatuses.includes(s)) out.push(s);
  if (out.length === 0) for (const s of NEEDY_STATUSES) if (ruleMask & BIT.get(s)! && personMask(personStatuses) & BIT.get(s)!) out.push(s);
  return out;
}
