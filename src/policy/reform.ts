/**
 * A reform as data (like PolicyEngine's): a list of changes (parameter path, value, from date)
 * applied to a resolved pack. A path names a pack parameter (`benefits.criticalIllness.deductible`)
 * or a part of its value (`contribution.default.tier1`), or a part of a rule
 * (`rules.assistance.dibao_tier1.then.assist.amount`). The changed parameter keeps where it came
 * from and says that a reform set it (its citation is the reform's, when the change gives one; else
 * it is marked as an example). Pure.
 */
import { z } from 'zod';
import { InputError, fromZodIssues } from '../errors.js';
import type { ResolvedPack, ResolvedParam } from './loader.js';

export const changeSchema = z
  .object({
    path: z.string().min(1).max(200),
    value: z.unknown(),
    from: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date written YYYY-MM-DD'),
    cite: z.string().max(200).optional(),
    quote: z.string().max(1000).optional(),
    note: z.string().max(1000).optional(),
  })
  .strict();
export type Change = z.infer<typeof changeSchema>;

export const reformSchema = z
  .object({
    name: z.string().min(1).max(200),
    description: z.string().max(2000).optional(),
    /** the pack the reform changes (its region's area and coverage year) */
    baseline: z.string().regex(/^\d{6}\/\d{4}$/, 'must be a pack id, e.g. 500230/2022'),
    hypothetical: z.boolean().default(false),
    changes: z.array(changeSchema).max(200),
  })
  .strict();
export type Reform = z.infer<typeof reformSchema>;

export function parseReform(data: unknown): Reform {
  const r = reformSchema.safeParse(data);
  if (!r.success) throw fromZodIssues(r.error.issues, 'reform');
  return r.data;
}

function setIn(target: unknown, parts: string[], value: unknown, field: string): unknown {
  if (parts.length === 0) return value;
  if (typeof target !== 'object' || target === null) throw new InputError(field, `has no part "${parts.join('.')}"`);
  const copy: Record<string, unknown> = Array.isArray(target) ? ([...target] as unknown as Record<string, unknown>) : { ...(target as Record<string, unknown>) };
  const [head, ...rest] = parts;
  if (!(head in copy) && rest.length > 0) throw new InputError(field, `has no part "${head}"`);
  copy[head] = setIn(copy[head], rest, value, field);
  return copy;
}

/** The pack with the changes that apply (from ≤ `on`) made; `on` null: all of them. Unknown paths are an InputError naming the change. */
export function applyChanges(pack: ResolvedPack, changes: readonly Change[], reformName: string, on: string | null = null): ResolvedPack {
  const params = new Map(pack.params);
  const rules = Object.fromEntries(Object.entries(pack.rules).map(([g, m]) => [g, new Map(m as Map<string, unknown>)])) as unknown as ResolvedPack['rules'];
  changes.forEach((c, i) => {
    if (on !== null && c.from > on) return;
    const field = `changes.${i}.path`;
    const mark = (p: ResolvedParam): ResolvedParam => ({
      ...p,
      from: `reform: ${reformName}`,
      cite: c.cite,
      quote: c.quote,
      example: c.cite ? undefined : `改革方案“${reformName}”设定的数值（自 ${c.from} 起），不是所载通知的规定`,
      note: c.note ?? p.note,
    });
    const parts = c.path.split('.');
    if (parts[0] === 'rules') {
      const group = (rules as Record<string, Map<string, Record<string, unknown> & { param: ResolvedParam }>>)[parts[1]];
      const rule = group?.get(parts[2]);
      if (!rule) throw new InputError(field, `no rule ${parts.slice(0, 3).join('.')} in pack ${pack.id}`);
      const { param, ...body } = rule;
      const changed = setIn(body, parts.slice(3), c.value, field) as Record<string, unknown>;
      group.set(parts[2], { ...changed, param: mark({ ...param, value: changed }) } as typeof rule);
      return;
    }
    // the longest parameter key the path starts with
    for (let k = parts.length; k > 0; k--) {
      const key = parts.slice(0, k).join('.');
      const p = params.get(key);
      if (!p) continue;
      params.set(key, mark({ ...p, value: setIn(p.value, parts.slice(k), c.value, field) }));
      return;
    }
    // a parameter the pack does not have yet: set whole
    if (c.path.startsWith('benefits.') || c.path.startsWith('contribution.') || c.path.startsWith('fiscalSubsidy.') || c.path.startsWith('fund.')) {
      params.set(c.path, mark({ key: c.path, value: c.value, from: '' }));
      return;
    }
    throw new InputError(field, `no parameter ${c.path} in pack ${pack.id}`);
  });
  return { ...pack, params, rules };
}
