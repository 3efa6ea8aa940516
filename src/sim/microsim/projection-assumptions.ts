/**
 * The projection's assumptions (policies/sim/projection-example.yaml): read and checked; the
 * numbers no notice gives are marked example and every projection made with them says so.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import { fromZodIssues } from '../../errors.js';
import type { ProjectionAssumptions } from '../../rules/fund-projection.js';

const assumption = (min: number, max: number) =>
  z
    .object({ value: z.number().min(min).max(max), cite: z.string().min(1).optional(), quote: z.string().min(1).optional(), example: z.string().min(1).optional() })
    .strict()
    .refine((a) => a.cite || a.example, { message: 'a number without a citation must be marked example' })
    .transform((a) => ({ value: a.value, cite: a.cite ?? null, quote: a.quote ?? null, example: a.example ?? null }));

export const projectionSchema = z
  .object({
    example: z.string().min(1),
    ageBands: z.array(z.number().int().min(0)).min(1),
    ageing: assumption(0, 1),
    costGrowth: assumption(-0.5, 1),
    contributionRise: assumption(-1000, 1000),
    subsidyRise: assumption(-1000, 1000),
    enrollmentChange: assumption(-0.5, 0.5),
  })
  .strict();

export const DEFAULT_PROJECTION_FILE = resolve(dirname(fileURLToPath(import.meta.url)), '../../../policies/sim/projection-example.yaml');

export function parseProjectionAssumptions(data: unknown): ProjectionAssumptions & { example: string } {
  const r = projectionSchema.safeParse(data);
  if (!r.success) throw fromZodIssues(r.error.issues, 'projection');
  return r.data;
}

export function loadProjectionAssumptions(file: string = DEFAULT_PROJECTION_FILE): ProjectionAssumptions & { example: string } {
  return parseProjectionAssumptions(parse(readFileSync(file, 'utf8')));
}
