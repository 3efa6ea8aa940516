/** Who sees which risk records: a clerk only their villages' (or townships'); a hospital account none. */
import { sql, type Expression, type SqlBool } from 'kysely';
import { ForbiddenError } from '../errors.js';
import type { Actor } from '../access/roles.js';

/** A condition on a village-code column for the actor (null: no restriction). */
export function villageScope(actor: Actor, column: string): Expression<SqlBool> | null {
  if (actor.role === 'hospital') throw new ForbiddenError('a hospital account may not read risk warnings');
  if (actor.role !== 'clerk') return null;
  if (actor.villages.length === 0) return sql<SqlBool>`false`;
  return sql<SqlBool>`(${sql.join(actor.villages.map((v) => sql`${sql.ref(column)} LIKE ${`${v}%`}`), sql` OR `)})`;
}

/** A clerk may name their own villages or an area above them (the list then keeps to theirs); any other area is refused. */
export function requireArea(actor: Actor, code: string | undefined): void {
  if (!code || actor.role !== 'clerk') return;
  if (!actor.villages.some((v) => v.startsWith(code) || code.startsWith(v))) throw new ForbiddenError(`area ${code} is outside ${actor.username}'s area`);
}
