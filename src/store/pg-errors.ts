/**
 * Errors PostgreSQL reports, recognised by their SQLSTATE. PGlite's errors are not pg's
 * DatabaseError class, hence by shape.
 */

/** An error the database server sent (an SQLSTATE with a severity): the statement failed, the connection is fine. */
export function isServerError(e: unknown): boolean {
  const x = e as { code?: unknown; severity?: unknown } | null;
  return typeof x?.code === 'string' && /^[0-9A-Z]{5}$/.test(x.code) && typeof x.severity === 'string';
}

/** A unique index refused a row: SQLSTATE 23505 on the named constraint (or index). */
export function isUniqueViolation(e: unknown, constraint: string): boolean {
  const err = e as { code?: string; constraint?: string; message?: string } | null;
  return err?.code === '23505' && (err.constraint === constraint || String(err.message ?? '').includes(`"${constraint}"`));
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
