/** Checks on a request body that the services share: a JSON object read by its schema, and amounts in yuan. */
import type { z } from 'zod';
import { InputError, fromZodIssues } from './errors.js';
import { yuanToFen, type Fen } from './money.js';

/** The body read by its schema; anything else is an InputError naming the field. */
export function parseBody<S extends z.ZodTypeAny>(schema: S, input: unknown): z.infer<S> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw new InputError('(body)', 'must be a JSON object');
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw fromZodIssues(parsed.error.issues);
  return parsed.data;
}

/** An amount in yuan (at most two decimals) that must be more than 0 and at most `maxYuan`, in fen. */
export function positiveFen(field: string, yuan: number | string, maxYuan: number): Fen {
  let fen: Fen;
  try {
    fen = yuanToFen(yuan);
  } catch (e) {
    throw new InputError(field, (e as Error).message);
  }
  if (fen <= 0) throw new InputError(field, 'must be more than 0');
  if (fen > maxYuan * 100) throw new InputError(field, `must be at most ${maxYuan} yuan`);
  return fen;
}
