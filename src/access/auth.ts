/**
 * Room src/access/ — who may do what: roles and permissions (roles.ts), passwords, log-in and tokens (auth.ts), the audit log, masking of personal data.
 * May import: src/store and the base.
 *
 * Who is calling and what they may do. People log in with a password (scrypt); hospital
 * systems use API tokens. Only hashes are stored. Roles: admin, policy_officer, clerk (only
 * their own villages), hospital (only its own encounters), auditor (read-only).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { InputError, NotFoundError, UnauthorizedError } from '../errors.js';
import type { DB } from '../store/schema.js';
import { audit } from './audit.js';
import { hashPassword, verifyPassword } from './passwords.js';
import type { Actor, Role } from './roles.js';

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

export interface NewUser {
  username: string;
  displayName: string;
  password?: string;
  role: Role;
  villages?: string[];
  hospitalCode?: string;
}

export class AuthService {
  /** token hash → actor, for a short while: a settlement burst should not hit the token table each time */
  private readonly cache = new Map<string, { actor: Actor; until: number }>();

  constructor(private readonly db: Kysely<DB>) {}

  async createUser(by: Actor, u: NewUser): Promise<string> {
    if (!/^[a-z0-9_.-]{3,40}$/.test(u.username)) throw new InputError('username', '3–40 characters: a–z, 0–9, _ . -');
    if (u.password !== undefined && u.password.length < 10) throw new InputError('password', 'at least 10 characters');
    if (u.role === 'clerk' && !u.villages?.length) throw new InputError('villages', 'a clerk needs the villages or townships they work in');
    if (u.role === 'hospital' && !u.hospitalCode) throw new InputError('hospitalCode', 'a hospital account needs its hospital code');
    const hash = u.password ? await hashPassword(u.password) : null;
    return this.db.transaction().execute(async (tx) => {
      const row = await tx
        .insertInto('app_user')
        .values({ username: u.username, display_name: u.displayName, password_hash: hash, role: u.role, villages: u.villages ?? [], hospital_code: u.hospitalCode ?? null })
        .returning('id')
        .executeTakeFirstOrThrow();
      await audit(tx, by, 'create', 'app_user', row.id, { username: u.username, role: u.role, villages: u.villages ?? [], hospitalCode: u.hospitalCode ?? null });
      return row.id;
    });
  }

  /** Password log-in → a session token valid for `hours`. */
  async login(username: string, password: string, hours = 12): Promise<{ token: string; actor: Actor; expiresAt: Date }> {
    const u = await this.db.selectFrom('app_user').selectAll().where('username', '=', username).where('active', '=', true).executeTakeFirst();
    // the same work whether or not the user exists, so timing does not reveal user names
    const ok = u?.password_hash ? await verifyPassword(password, u.password_hash) : (await hashPassword(password), false);
    if (!u || !ok) throw new UnauthorizedError('wrong user name or password');
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + hours * 3600_000);
    const actor = toActor(u);
    await this.db.transaction().execute(async (tx) => {
      await tx.insertInto('api_token').values({ user_id: u.id, token_sha256: sha256(token), label: 'session', kind: 'session', expires_at: expiresAt }).execute();
      await audit(tx, actor, 'login', 'app_user', u.id);
    });
    return { token, actor, expiresAt };
  }

  /** A long-lived API token for a hospital system (shown once). */
  async issueApiToken(by: Actor, userId: string, label: string): Promise<string> {
    const token = `yb_${randomBytes(32).toString('base64url')}`;
    const user = await this.db.selectFrom('app_user').select('id').where('id', '=', userId).executeTakeFirst();
    if (!user) throw new NotFoundError('user', userId);
    await this.db.transaction().execute(async (tx) => {
      await tx.insertInto('api_token').values({ user_id: userId, token_sha256: sha256(token), label, kind: 'api', expires_at: null }).execute();
      await audit(tx, by, 'issue_token', 'app_user', userId, { label });
    });
    return token;
  }

  async revoke(by: Actor, token: string): Promise<void> {
    const h = sha256(token);
    this.cache.delete(h);
    await this.db.transaction().execute(async (tx) => {
      await tx.updateTable('api_token').set({ revoked_at: new Date() }).where('token_sha256', '=', h).execute();
      await audit(tx, by, 'revoke_token', 'api_token', null);
    });
  }

  /** The actor behind a bearer token, or null. */
  async authenticate(token: string | undefined): Promise<Actor | null> {
    if (!token) return null;
    const h = sha256(token);
    const now = Date.now();
    const hit = this.cache.get(h);
    if (hit && hit.until > now) return hit.actor;
    const row = await this.db
      .selectFrom('api_token as t')
      .innerJoin('app_user as u', 'u.id', 't.user_id')
      .select(['u.id', 'u.username', 'u.role', 'u.villages', 'u.hospital_code', 't.expires_at', 't.revoked_at', 'u.active'])
      .where('t.token_sha256', '=', h)
      .executeTakeFirst();
    if (!row || row.revoked_at || !row.active || (row.expires_at && new Date(row.expires_at).getTime() < now)) {
      this.cache.delete(h);
      return null;
    }
    const actor: Actor = { userId: row.id, username: row.username, role: row.role, villages: row.villages, hospitalCode: row.hospital_code };
    this.cache.set(h, { actor, until: now + 30_000 });
    return actor;
  }
}

function toActor(u: { id: string; username: string; role: Role; villages: string[]; hospital_code: string | null }): Actor {
  return { userId: u.id, username: u.username, role: u.role, villages: u.villages, hospitalCode: u.hospital_code };
}
