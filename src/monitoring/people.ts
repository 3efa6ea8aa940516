/**
 * Personal data in monitoring lists: full ID numbers and names for the roles that may see them
 * (admin and policy officer, as for the collection list), masked for everyone else (clerks,
 * auditors), and always masked when asked. Lists are read in scope; every list and file of
 * persons is audited before it is sent.
 */
import type { Kysely } from 'kysely';
import { audit } from '../access/audit.js';
import { maskIdNumber, maskName } from '../access/privacy.js';
import type { DB } from '../store/schema.js';
import { type Actor } from '../access/roles.js';

export const mayReadFull = (actor: Actor): boolean => actor.role === 'admin' || actor.role === 'policy_officer';

export interface Masking {
  full: boolean;
  id: (v: string) => string;
  name: (v: string) => string;
}

export function maskingFor(actor: Actor, masked = false): Masking {
  const full = mayReadFull(actor) && !masked;
  return { full, id: full ? (v) => v : maskIdNumber, name: full ? (v) => v : maskName };
}

/** Audit a read of a list of persons or a download (who, what, area, rows, whether unmasked). */
export async function auditRead(db: Kysely<DB>, actor: Actor, what: string, detail: Record<string, unknown>): Promise<void> {
  await audit(db, actor, 'export', what, null, detail);
}
