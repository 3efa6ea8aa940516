/**
 * One error shape for every route: { error, field, message }. Bad input of any kind is a 400
 * naming the field; nothing reaches the caller as a stack trace or a 500 for input reasons.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ConflictError, ForbiddenError, InputError, NotFoundError, TooManyRequestsError, UnauthorizedError } from '../errors.js';
import { isConnectionError } from '../store/pg-errors.js';

export interface ErrorBody {
  error: string;
  field?: string;
  message: string;
}

/**
 * SQLSTATEs of class 22 (data exception) that only a value sent by the caller can cause: a
 * character the database cannot hold (22021, 22P05), a number past its type's range (22003),
 * text that is not a number or a date (22P02, 22007, 22008), a string too long (22001). The
 * answer says what kind of value; the database's own message and detail (which may quote the
 * value) stay in the log.
 */
const DATA_EXCEPTIONS: Record<string, string> = {
  '22021': 'a text holds a character that cannot be stored (e.g. \\u0000)',
  '22P05': 'a text holds a character that cannot be stored',
  '22003': 'a number is out of the range a record can hold',
  '22P02': 'a value is not of the expected kind (e.g. an id that is not a number)',
  '22007': 'a date or time is not written as one',
  '22008': 'a date or time is out of range',
  '22001': 'a text is longer than a record can hold',
};

export function badValue(err: unknown): string | null {
  const x = err as { code?: unknown; severity?: unknown } | null;
  if (!x || typeof x.code !== 'string' || typeof x.severity !== 'string') return null;
  return DATA_EXCEPTIONS[x.code] ?? null;
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof InputError) return reply.code(400).send({ error: 'invalid_input', field: err.field, message: err.message } satisfies ErrorBody);
    if (err instanceof UnauthorizedError) return reply.code(401).send({ error: 'unauthorized', message: err.message });
    if (err instanceof ForbiddenError) return reply.code(403).send({ error: 'forbidden', message: err.message });
    if (err instanceof NotFoundError) return reply.code(404).send({ error: 'not_found', message: err.message });
    if (err instanceof ConflictError) return reply.code(409).send({ error: err.code, message: err.message });
    if (err instanceof TooManyRequestsError) return reply.code(429).header('retry-after', String(err.retryAfterSeconds)).send({ error: 'too_many_requests', message: err.message } satisfies ErrorBody);
    // the database went away (a restart, a fail-over, connections terminated): not the caller's
    // fault and not a defect; /health says degraded until it is back
    if (isConnectionError(err)) {
      req.log.warn({ code: err.code, message: err.message }, 'database unavailable');
      return reply
        .code(503)
        .header('retry-after', '2')
        .send({ error: 'database_unavailable', message: 'the database cannot be reached just now, so the request may not have been completed; try it again in a few seconds' } satisfies ErrorBody);
    }
    if ((err as { code?: string }).code === '23505')
      return reply.code(409).send({ error: 'duplicate', message: 'this record already exists' });
    const bad = badValue(err);
    if (bad) {
      // the database refused a value the schemas let through: the caller's input, not a defect
      // (logged, masked, so that the schema can be tightened)
      req.log.warn({ err }, 'value refused by the database');
      return reply.code(400).send({ error: 'invalid_input', field: '(request)', message: bad } satisfies ErrorBody);
    }
    const code = err.code ?? '';
    if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      return reply.code(415).send({ error: 'unsupported_media_type', field: '(content-type)', message: 'send the request as application/json' });
    if (code === 'FST_ERR_CTP_EMPTY_JSON_BODY')
      return reply.code(400).send({ error: 'invalid_input', field: '(body)', message: 'the request body is empty; send a JSON object' });
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return reply.code(413).send({ error: 'body_too_large', field: '(body)', message: 'the request body is too large' });
    if (err instanceof SyntaxError || code === 'FST_ERR_CTP_INVALID_JSON_BODY')
      return reply.code(400).send({ error: 'invalid_input', field: '(body)', message: `the body is not valid JSON: ${err.message}` });
    if (err.validation)
      return reply.code(400).send({ error: 'invalid_input', field: err.validationContext ?? '(request)', message: err.message });
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500)
      return reply.code(err.statusCode).send({ error: 'bad_request', message: err.message });
    req.log.error({ err }, 'unexpected error');
    return reply.code(500).send({ error: 'internal', message: 'an unexpected error occurred; it has been logged' });
  });
  app.setNotFoundHandler((req, reply) => {
    // a path no route answers may be one of the web console's own pages (src/http/console.ts)
    const page = fallbacks.get(app)?.(req, reply);
    if (page) return page;
    return reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url}; see /docs for the API` });
  });
}

type Fallback = (req: FastifyRequest, reply: FastifyReply) => FastifyReply | null;
const fallbacks = new WeakMap<FastifyInstance, Fallback>();

/** What answers a path no route takes before the 404 (the web console's client-side pages); null: the 404. */
export function setNotFoundFallback(app: FastifyInstance, f: Fallback): void {
  fallbacks.set(app, f);
}
