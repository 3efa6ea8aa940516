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

/** Audit rows of one action on many entities (a batch), in one multi-row insert in the batch's transaction. */
export async function auditMany(
  tx: Kysely<DB> | Transaction<DB>,
  actor: Actor,
  action: string,
  entity: string,
  rows: readonly { id: string | number; detail?: Record<string, unknown> }[],
): Promise<void> {
  if (rows.length === 0) return;
  await tx
    .insertInto('audit_log')
    .values(rows.map((r) => ({ actor: actor.username, role: actor.role, action, entity, entity_id: String(r.id), detail: r.detail ? JSON.stringify(r.detail) : null })))
    .execute();
}
