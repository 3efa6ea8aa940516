/** Who a command acts as: the user named by --as (their role and villages apply), or an administrator named cli:<OS user>. */
import { userInfo } from 'node:os';
import type { Kysely } from 'kysely';
import type { Actor } from '../access/roles.js';
import { InputError } from '../errors.js';
import type { DB } from '../store/schema.js';

export async function actorFor(db: Kysely<DB>, username: string | undefined): Promise<Actor> {
  if (!username) return { userId: '0', username: `cli:${userInfo().username}`, role: 'admin', villages: [], hospitalCode: null };
  const u = await db.selectFrom('app_user').select(['id', 'username', 'role', 'villages', 'hospital_code']).where('username', '=', username).where('active', '=', true).executeTakeFirst();
  if (!u) throw new InputError('--as', `no active user ${username}`);
  return { userId: u.id, username: u.username, role: u.role, villages: u.villages, hospitalCode: u.hospital_code };
}
