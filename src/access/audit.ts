/** The append-only audit log: every change, in the same transaction as the change. */
import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../store/schema.js';
import type { Actor } from './roles.js';

export async function audit(
  tx: Kysely<DB> | Transaction<DB>,
  actor: Actor,
  action: string,
  entity: string,
  entityId: string | number | null,
  detail?: Record<string, unknown>,
): Promise<void> {
  await tx
    .insertInto('audit_log')
    .values({ actor: actor.username, role: actor.role, action, entity, entity_id: entityId === null ? null : String(entityId), detail: detail ? JSON.stringify(detail) : null })
    .execute();
}
