/** The settlement routes' requests: an encounter to record, a settlement to make, a list of settlements to read. */
import { z } from 'zod';
import { isDateString } from '../dates.js';
import { InputError, fromZodIssues } from '../errors.js';
import { encounterSchema } from '../quotes/settlement-request.js';

export const ID_NUMBER = /^\d{17}[\dX]$/;
export const idString = z.string().regex(/^[1-9]\d{0,17}$/, 'must be a record id (a positive integer)');

/** POST /api/v1/encounters: the encounter of the settlement quote without the hospital level (the hospital's own), plus who and where. */
export const encounterRequestSchema = encounterSchema
  .omit({ hospitalLevel: true })
  .extend({
    hospitalCode: z.string().min(1).max(30).optional().describe('the hospital (fixmedins_code); a hospital account may leave it out'),
    idNumber: z
      .string()
      .transform((s) => s.trim().toUpperCase())
      .refine((s) => ID_NUMBER.test(s), { message: 'must be an 18-character resident ID number' })
      .optional()
      .describe('the patient’s resident ID number (give this or personId)'),
    personId: z.union([idString, z.number().int().positive()]).optional().describe('the patient’s person id in the register'),
    coverageYear: z.number().int().min(2000).max(2100),
    externalId: z.string().min(1).max(64).optional().describe('the hospital’s own id of the encounter (mdtrt_id); unique per hospital'),
  })
  .strict();
export type EncounterRequest = z.input<typeof encounterRequestSchema>;

export const settleRequestSchema = z
  .object({ trace: z.boolean().optional().describe('keep the explanation of every amount with the settlement (default true)') })
  .strict();

export const settlementQuerySchema = z
  .object({
    hospital: z.string().min(1).max(30).optional(),
    person: idString.optional(),
    year: z.coerce.number().int().min(2000).max(2100).optional(),
    live: z.enum(['true', 'false']).optional().describe('true: only settlements not reversed'),
    date: z.string().refine(isDateString, { message: 'must be a real date written YYYY-MM-DD' }).optional().describe('the encounter date (a day of the hospital)'),
    after: idString.optional().describe('paging: the last id of the previous page'),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();


/** The list's query as sent (strings, as a query string carries them). */
export type SettlementQuery = z.input<typeof settlementQuerySchema>;

export function parseWith<T extends z.ZodType>(schema: T, data: unknown): z.infer<T> {
  const r = schema.safeParse(data ?? {});
  if (!r.success) throw fromZodIssues(r.error.issues);
  return r.data;
}

export function checkId(field: string, id: string): string {
  if (!/^[1-9]\d{0,17}$/.test(id)) throw new InputError(field, 'must be a record id (a positive integer)');
  return id;
}
