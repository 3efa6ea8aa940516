/**
 * Campaign-monitoring parameters of a pack (兴义府发〔2022〕3号 一, 八(三)): the priority groups
 * that must all be enrolled within the enrollment window, and the base of the villages'
 * targets. Declared here, registered in schema.ts with the other parameter families, read
 * through the typed accessors below.
 */
import { z } from 'zod';
import { rate } from './pack-values.js';
import type { ResolvedPack, ResolvedParam } from './loader.js';
import { NEEDY_STATUSES, type NeedyStatus } from './vocabulary.js';

export const priorityGroupsSchema = z
  .object({
    target: rate.describe('the enrollment rate each group must reach'),
    within: z.literal('enrollment_window').describe('the period it must be reached in: the pack’s enrollment.window'),
    groups: z
      .array(
        z
          .object({
            id: z.string().regex(/^[a-z][a-z0-9_]*$/, 'a lower-case identifier'),
            label: z.string().min(1),
            statuses: z.array(z.enum(NEEDY_STATUSES)).min(1),
          })
          .strict(),
      )
      .min(1)
      .superRefine((groups, ctx) => {
        const seen = new Set<string>();
        groups.forEach((g, i) => {
          if (seen.has(g.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `group ${g.id} is listed twice` });
          seen.add(g.id);
        });
      }),
  })
  .strict();
export type PriorityGroups = z.infer<typeof priorityGroupsSchema>;

/** The month whose household register is the base of the targets (以2021年12月户籍人数为基数). */
export const targetBaseSchema = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month written YYYY-MM');

export const CAMPAIGN_FAMILIES: { pattern: RegExp; schema: z.ZodType; doc: string; yearly?: boolean }[] = [
  {
    pattern: /^campaign\.priorityGroups$/,
    schema: priorityGroupsSchema,
    doc: 'the groups that must reach the target enrollment rate within the enrollment window (e.g. the seven groups of 兴义府发〔2022〕3号 一), each by its needy statuses',
    yearly: true,
  },
  { pattern: /^campaign\.targetBaseMonth$/, schema: targetBaseSchema, doc: 'the month of the household register the villages’ targets are counted from', yearly: true },
];

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
