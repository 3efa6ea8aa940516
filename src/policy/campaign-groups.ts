/** The campaign-monitoring parameters of a resolved pack, typed (declared in campaign-params.ts): the priority groups and the targets' base month. */
import type { ResolvedPack, ResolvedParam } from './loader.js';
import { priorityGroupsSchema, targetBaseSchema, type PriorityGroups } from './campaign-params.js';
import type { NeedyStatus } from './vocabulary.js';

export interface PackPriorityGroups extends PriorityGroups {
  param: ResolvedParam;
}

/** The pack's priority groups, or null when the pack names none. */
export function priorityGroupsOf(pack: ResolvedPack): PackPriorityGroups | null {
  const p = pack.params.get('campaign.priorityGroups');
  if (!p) return null;
  return { ...priorityGroupsSchema.parse(p.value), param: p };
}

/** The last day of the target base month (e.g. 2021-12-31), or null when the pack gives none. */
export function targetBaseDateOf(pack: ResolvedPack): { date: string; param: ResolvedParam } | null {
  const p = pack.params.get('campaign.targetBaseMonth');
  if (!p) return null;
  const [y, m] = targetBaseSchema.parse(p.value).split('-').map(Number);
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return { date: `${y}-${String(m).padStart(2, '0')}-${String(last).padStart(2, '0')}`, param: p };
}

/** The statuses of every group, for a query. */
export const groupStatuses = (g: PriorityGroups): NeedyStatus[] => [...new Set(g.groups.flatMap((x) => x.statuses))];
