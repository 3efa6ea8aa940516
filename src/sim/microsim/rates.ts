/**
 * The microsimulation's encounter rates and costs (policies/sim/rates-example.yaml): example
 * values, marked as such in every result that uses them. Read once; the types are what the
 * population generator and the encounter draws take.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import { fromZodIssues } from '../../errors.js';

export const SIM_TYPES = ['general_outpatient', 'hypertension_diabetes', 'chronic_special_outpatient', 'inpatient', 'maternity'] as const;
export type SimType = (typeof SIM_TYPES)[number];

const perType = <T extends z.ZodTypeAny>(t: T) => z.object(Object.fromEntries(SIM_TYPES.map((k) => [k, t])) as Record<SimType, T>).strict();
const cost = z.object({ median: z.number().positive(), sigma: z.number().min(0).max(3), fullOwnPay: z.number().min(0).max(1), preSelfPay: z.number().min(0).max(1) }).strict();

export const ratesSchema = z
  .object({
    example: z.string().min(1),
    ageBands: z.array(z.number().int().min(0)).min(1),
    rates: perType(z.array(z.number().min(0).max(50))),
    sexFactor: z.object({ male: z.number().min(0), female: z.number().min(0) }).strict(),
    needyFactor: z.number().min(0),
    costs: perType(cost),
    levels: perType(z.tuple([z.number().min(0), z.number().min(0), z.number().min(0)])),
    chronicDiseases: z.literal('pack'),
    referred: z.number().min(0).max(1),
    criticalIllnessPerCapita: z.number().min(0),
    highBurdenYuan: z.number().min(0),
    population: z.object({ tier2Share: z.number().min(0).max(1), needyShare: z.number().min(0).max(1), enrolledShare: z.number().min(0).max(1), femaleShare: z.number().min(0).max(1) }).strict(),
  })
  .strict()
  .superRefine((r, c) => {
    for (const t of SIM_TYPES) if (r.rates[t].length !== r.ageBands.length) c.addIssue({ code: 'custom', path: ['rates', t], message: `one rate per age band (${r.ageBands.length})` });
  });
export type SimRates = z.infer<typeof ratesSchema>;

export const DEFAULT_RATES_FILE = resolve(dirname(fileURLToPath(import.meta.url)), '../../../policies/sim/rates-example.yaml');

export function parseRates(data: unknown): SimRates {
  const r = ratesSchema.safeParse(data);
  if (!r.success) throw fromZodIssues(r.error.issues, 'rates');
  return r.data;
}

export function loadRates(file: string = DEFAULT_RATES_FILE): SimRates {
  return parseRates(parse(readFileSync(file, 'utf8')));
}

/** The band index of each age 0..120. */
export function bandOfAge(r: SimRates): Uint8Array {
  const t = new Uint8Array(121);
  for (let a = 0; a <= 120; a++) {
    let b = 0;
    for (let i = 0; i < r.ageBands.length; i++) if (a >= r.ageBands[i]) b = i;
    t[a] = b;
  }
  return t;
}
