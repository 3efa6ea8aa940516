/**
 * Errors PostgreSQL reports, recognised by their SQLSTATE. PGlite's errors are not pg's
 * DatabaseError class, hence by shape.
 */

/**
 * An error the database server sent (an SQLSTATE with a severity) about a statement: the
 * statement failed, the connection is fine. A FATAL or PANIC error ends the session (e.g.
 * 57P01 when pg_terminate_backend or a shutdown ends it): not a statement's error.
 */
export function isServerError(e: unknown): boolean {
  const x = e as { code?: unknown; severity?: unknown } | null;
  return typeof x?.code === 'string' && /^[0-9A-Z]{5}$/.test(x.code) && typeof x.severity === 'string' && x.severity !== 'FATAL' && x.severity !== 'PANIC';
}

/**
 * SQLSTATEs that say the database cannot be reached or is going away, not that the statement
 * was wrong: class 08 (connection exception), 57P01–57P05 (admin / crash shutdown, cannot
 * connect now, database dropped, idle session timeout) and 53300 (too many connections).
 */
const UNAVAILABLE_STATES = /^(08...|57P0[1-5]|53300)$/;
/** Socket errors of the connection (node's codes). */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED']);
/** What pg says when a connection ended or never came (its errors carry no code). */
const PG_CONNECTION_MESSAGES = /^(Connection terminated( unexpectedly| due to connection timeout)?|Client has encountered a connection error and is not queryable|Client was closed and is not queryable|timeout exceeded when trying to connect|Cannot use a pool after calling end on the pool)$/;

/**
 * The database is unreachable (the connection was lost, refused or timed out, or the server
 * is shutting down): the request may be tried again later (HTTP 503), nothing about it was
 * wrong. Looks through one `cause`.
 */
export function isConnectionError(e: unknown): boolean {
  const x = e as { code?: unknown; message?: unknown; cause?: unknown } | null;
  if (!x || typeof x !== 'object') return false;
  if (typeof x.code === 'string' && (UNAVAILABLE_STATES.test(x.code) || SOCKET_CODES.has(x.code))) return true;
  if (typeof x.message === 'string' && PG_CONNECTION_MESSAGES.test(x.message)) return true;
  const c = x.cause as { code?: unknown; message?: unknown } | undefined;
  return !!c && c !== e && typeof c === 'object' && ((typeof c.code === 'string' && (UNAVAILABLE_STATES.test(c.code) || SOCKET_CODES.has(c.code))) || (typeof c.message === 'string' && PG_CONNECTION_MESSAGES.test(c.message)));
}

/**
 * A unique index refused a row: SQLSTATE 23505 on the named constraint (or index). On a table
 * partitioned by coverage year (migration 050) the partition's index refuses it and is named:
 * `<index>__y<year>` or `<index>__default`.
 */
export function isUniqueViolation(e: unknown, constraint: string): boolean {
  const err = e as { code?: string; constraint?: string; message?: string } | null;
  if (err?.code !== '23505') return false;
  const named = new RegExp(`^${constraint.replace(/[^a-z0-9_]/gi, '\\$&')}(__y\\d{4}|__default)?$`);
  if (typeof err.constraint === 'string' && named.test(err.constraint)) return true;
  const quoted = /unique constraint "([^"]+)"/.exec(String(err.message ?? ''));
  return quoted !== null && named.test(quoted[1]);
}

/**
 * Run a write whose key (a payment's or a transfer's reference) another request may take at the
 * same moment: when the unique index refuses it, run it once more, and the second run reads the
 * row the other request wrote (a replay, or a conflict).
 */
export async function onceMoreIfRaced<T>(constraint: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (e) {
    if (isUniqueViolation(e, constraint)) return write();
    throw e;
  }
}

/** A foreign key refused the row (23503): what it names is not there. */
export function isForeignKeyViolation(e: unknown): boolean {
  return (e as { code?: string } | null)?.code === '23503';
}
