/**
 * The payment reform's targets (issue #19 item 4): policies/drg/targets/targets.yaml, each a
 * quoted sentence of a notice with the share it sets, the figure it measures and the province
 * whose areas it binds. Read once; a malformed file is refused naming the entry and field.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { InputError } from '../errors.js';

export const DEFAULT_TARGETS_FILE = resolvePath(dirname(fileURLToPath(import.meta.url)), '../../policies/drg/targets/targets.yaml');

export const TARGET_MEASURES = ['fund_share', 'public_hospitals', 'drg_hospitals', 'area_share', 'none'] as const;
export type TargetMeasure = (typeof TARGET_MEASURES)[number];

const targetSchema = z
  .object({
    key: z.string().min(1),
    applies: z.string().regex(/^\d{6}$/),
    measure: z.enum(TARGET_MEASURES),
    /** the share set, as a decimal string 0..1 (absent for a target with no number) */
    share: z.string().regex(/^(0(\.\d{1,4})?|1(\.0{1,4})?)$/).optional(),
    method: z.enum(['DRG', 'DIP']).optional(),
    cite: z.string().min(1),
    quote: z.string().min(1),
    note: z.string().min(1).optional(),
  })
  .strict()
  .refine((t) => (t.measure === 'none') === (t.share === undefined), { message: 'a target gives a share unless its measure is none' });
export type DrgTarget = z.infer<typeof targetSchema>;

const fileSchema = z.object({ version: z.literal(1), targets: z.array(targetSchema).min(1) }).strict();

const cache = new Map<string, DrgTarget[]>();

export function loadDrgTargets(file: string = DEFAULT_TARGETS_FILE): DrgTarget[] {
  const hit = cache.get(file);
  if (hit) return hit;
  const r = fileSchema.safeParse(parseYaml(readFileSync(file, 'utf8')));
  if (!r.success) {
    const i = r.error.issues[0];
    throw new InputError(`${file}: ${i.path.join('.')}`, i.message);
  }
  cache.set(file, r.data.targets);
  return r.data.targets;
}

/** The targets binding an area: the national ones and its province's (region code's first two digits). */
export function targetsFor(region: string, file?: string): DrgTarget[] {
  return loadDrgTargets(file).filter((t) => t.applies === '000000' || t.applies.slice(0, 2) === region.slice(0, 2));
}
