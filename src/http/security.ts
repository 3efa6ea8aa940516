/**
 * Personal data on the wire and in the log (issue #11 item 10): every answer of the API, FHIR
 * and the platform's interface is `Cache-Control: no-store` (a shared cache or the browser's
 * must not keep a person's record) with the usual headers (nosniff, no framing, no referrer,
 * a CSP that allows nothing — the console's pages keep their own, src/http/console.ts); and
 * the log's serializers mask every ID number in a request's URL and in an error — its message,
 * stack and a database error's detail, where PostgreSQL quotes key values.
 */
import type { FastifyInstance } from 'fastify';
import { maskIdsInText } from '../access/privacy.js';

const DATA_PREFIXES = ['/api/', '/fhir/', '/fsi/'];
const API_CSP = "default-src 'none'; frame-ancestors 'none'";

export function installSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    if (!reply.hasHeader('x-frame-options')) reply.header('x-frame-options', 'DENY');
    if (!reply.hasHeader('referrer-policy')) reply.header('referrer-policy', 'no-referrer');
    const url = req.url;
    if (DATA_PREFIXES.some((p) => url.startsWith(p))) {
      if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
      if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', API_CSP);
    }
    return payload;
  });
}

/** Every string of an error (and of its cause), ID numbers masked: what the log may hold of it. */
export function maskedError(e: unknown, depth = 0): unknown {
  if (e === null || typeof e !== 'object' || depth > 3) return typeof e === 'string' ? maskIdsInText(e) : e;
  const x = e as Record<string, unknown> & { message?: unknown; stack?: unknown; name?: unknown };
  const out: Record<string, unknown> = { type: typeof x.name === 'string' ? x.name : (e as object).constructor?.name };
  if (typeof x.message === 'string') out.message = maskIdsInText(x.message);
  if (typeof x.stack === 'string') out.stack = maskIdsInText(x.stack);
  for (const [k, v] of Object.entries(x)) {
    if (k === 'message' || k === 'stack') continue;
    if (typeof v === 'string') out[k] = maskIdsInText(v);
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = v;
    else if (k === 'cause') out[k] = maskedError(v, depth + 1);
    else if (v && typeof v === 'object') out[k] = maskIdsInText(safeJson(v)).slice(0, 2000);
  }
  if ('cause' in x && !('cause' in out)) out.cause = maskedError(x.cause, depth + 1);
  return out;
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? '';
  } catch {
    return '[unserialisable]';
  }
}

/** The logger's serializers: the request's method and URL, and errors, ID numbers masked. */
export const LOG_SERIALIZERS = {
  req: (r: { method: string; url: string }) => ({ method: r.method, url: maskIdsInText(r.url) }),
  err: (e: unknown) => maskedError(e) as { [key: string]: unknown; type: string; message: string; stack: string },
};
