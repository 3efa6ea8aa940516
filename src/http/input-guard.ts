/**
 * Text no field of this system may hold, refused for every route before its handler: the NUL
 * character (PostgreSQL text cannot store it: 22021) and lone UTF-16 surrogates (half of a
 * character, which JSON's \uD800 escapes can carry; no encoding can write them). A request
 * carrying either in its body, query or path parameters is a 400 naming the field; the
 * platform's envelope (its body read as text) is checked by its route with `badText`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { InputError } from '../errors.js';

// a NUL, a high surrogate not followed by a low one, a low one not preceded by a high one
const BAD = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const why = (s: string): string => (s.includes('\u0000') ? 'must not contain the NUL character (\\u0000)' : 'must not contain a lone surrogate (half of a UTF-16 character)');

/** The path of the first string (or key) holding text no field may hold, with the reason; null when all is well. */
export function badText(value: unknown, path = '', depth = 0): { field: string; reason: string } | null {
  if (typeof value === 'string') return BAD.test(value) ? { field: path || '(body)', reason: why(value) } : null;
  if (value === null || typeof value !== 'object' || depth > 64) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const r = badText(value[i], path ? `${path}.${i}` : String(i), depth + 1);
      if (r) return r;
    }
    return null;
  }
  if (Buffer.isBuffer(value)) return null;
  for (const [k, v] of Object.entries(value)) {
    const here = path ? `${path}.${k}` : k;
    if (BAD.test(k)) return { field: here, reason: `the field name ${why(k)}` };
    const r = badText(v, here, depth + 1);
    if (r) return r;
  }
  return null;
}

function check(req: FastifyRequest): void {
  for (const [part, value] of [
    ['', req.body],
    ['', req.query],
    ['', req.params],
  ] as const) {
    if (typeof value === 'string' || (value && typeof value === 'object' && !Buffer.isBuffer(value) && !('upload' in (value as object)))) {
      const r = badText(value, part);
      if (r) throw new InputError(r.field, r.reason);
    }
  }
}

/** Install before the routes: every route's input is checked before its handler runs. */
export function installInputGuard(app: FastifyInstance): void {
  app.addHook('preValidation', async (req) => {
    // the platform's envelope is text until its route parses it (and answers with infcode -1)
    if (typeof req.body === 'string' && req.routeOptions.url?.startsWith('/fsi/')) return;
    check(req);
  });
}

/**
 * A name shown to people (a hospital, an area, a user): no control characters, no bidirectional
 * overrides or isolates, no invisible format or private-use characters, no line separators.
 */
export const plainName = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => !/[\p{Cc}\p{Cf}\p{Co}\p{Zl}\p{Zp}]/u.test(s), { message: 'contains a control, invisible or direction-changing character (such as U+202E)' });
