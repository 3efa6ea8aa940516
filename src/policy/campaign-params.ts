/**
 * Campaign-monitoring parameters of a pack (兴义府发〔2022〕3号 一, 八(三)): the priority groups
 * that must all be enrolled within the enrollment window, and the base of the villages'
 * targets. Declared here, registered in schema.ts with the other parameter families, read
 * through the typed accessors of campaign-groups.ts.
 */
import { z } from 'zod';
import { rate } from './pack-values.js';
import { NEEDY_STATUSES } from './vocabulary.js';

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
