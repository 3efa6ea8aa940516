/**
 * Room src/access/ — who may do what: roles and permissions (roles.ts), passwords, log-in and tokens (auth.ts), the audit log, masking of personal data.
 * May import: src/store and the base.
 *
 * Who is calling and what they may do. People log in with a password (scrypt); hospital
 * systems use API tokens. Only hashes are stored. Roles: admin, policy_officer, clerk (only
 * their own villages), hospital (only its own encounters), auditor (read-only).
 */
import { createHash, randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { InputError, NotFoundError, TooManyRequestsError, UnauthorizedError } from '../errors.js';
import type { DB } from '../store/schema.js';
import { audit } from './audit.js';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.js';
import { maskIdsInText } from './privacy.js';
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

/** Failed log-ins in a row that lock an account, and for how long (an example setting, not policy). */
export const LOCK_AFTER_FAILURES = 5;
export const LOCK_MINUTES = 15;
/** API tokens' lifetime when none is asked, and the longest (example settings, not policy). */
export const API_TOKEN_DAYS = 365;
export const API_TOKEN_MAX_DAYS = 730;

export class AuthService {
  constructor(private readonly db: Kysely<DB>) {}

  async createUser(by: Actor, u: NewUser): Promise<string> {
    if (!/^[a-z0-9_.-]{3,40}$/.test(u.username)) throw new InputError('username', '3–40 characters: a–z, 0–9, _ . -');
    if (u.password !== undefined) {
      const problem = passwordProblem(u.password, u.username);
      if (problem) throw new InputError('password', problem);
    }
    // token-only accounts are for hospital systems; a person who may change everything logs in
    if (u.role === 'admin' && !u.password) throw new InputError('password', 'an admin account needs a password');
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

  /**
   * Password log-in → a session token valid for `hours`. Every failure is audited (the name
   * tried, the address); LOCK_AFTER_FAILURES failures in a row lock the account for
   * LOCK_MINUTES (TooManyRequestsError, with the time left), a good log-in clears the count.
   */
  async login(username: string, password: string, hours = 12, from: string | null = null): Promise<{ token: string; actor: Actor; expiresAt: Date }> {
    const u = await this.db.selectFrom('app_user').selectAll().where('username', '=', username).where('active', '=', true).executeTakeFirst();
    const lockedFor = u?.locked_until ? new Date(u.locked_until).getTime() - Date.now() : 0;
    if (u && lockedFor > 0) {
      await this.failure(username, u.id, from, 'locked');
      throw new TooManyRequestsError(Math.ceil(lockedFor / 1000), `the account is locked after ${LOCK_AFTER_FAILURES} failed log-ins; try again in ${Math.ceil(lockedFor / 60_000)} minutes`);
    }
    // the same work whether or not the user exists, so timing does not reveal user names
    const ok = u?.password_hash ? await verifyPassword(password, u.password_hash) : (await hashPassword(password), false);
    if (!u || !ok) {
      await this.failure(username, u?.id ?? null, from, u ? 'wrong_password' : 'unknown_user');
      throw new UnauthorizedError('wrong user name or password');
    }
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + hours * 3600_000);
    const actor = toActor(u);
    await this.db.transaction().execute(async (tx) => {
      if (u.failed_logins || u.locked_until) await tx.updateTable('app_user').set({ failed_logins: 0, locked_until: null }).where('id', '=', u.id).execute();
      await tx.insertInto('api_token').values({ user_id: u.id, token_sha256: sha256(token), label: 'session', kind: 'session', expires_at: expiresAt }).execute();
      await audit(tx, actor, 'login', 'app_user', u.id, from ? { from } : undefined);
    });
    return { token, actor, expiresAt };
  }

  /** A failed log-in: counted against the account (locking it at the limit) and audited, in one transaction. */
  private async failure(username: string, userId: string | null, from: string | null, reason: 'wrong_password' | 'unknown_user' | 'locked'): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      let locked = false;
      if (userId && reason === 'wrong_password') {
        const r = await tx
          .updateTable('app_user')
          .set({
            failed_logins: sql<number>`failed_logins + 1`,
            locked_until: sql<Date | null>`CASE WHEN failed_logins + 1 >= ${LOCK_AFTER_FAILURES} THEN now() + make_interval(mins => ${LOCK_MINUTES}) ELSE locked_until END`,
          })
          .where('id', '=', userId)
          .returning('failed_logins')
          .executeTakeFirst();
        locked = (r?.failed_logins ?? 0) >= LOCK_AFTER_FAILURES;
      }
      // who tried is not known: the name they gave (masked if it holds an ID number), as "anonymous"
      const tried = maskIdsInText(username.slice(0, 80));
      await tx
        .insertInto('audit_log')
        .values({ actor: tried, role: 'anonymous', action: 'login_failed', entity: 'app_user', entity_id: userId, detail: JSON.stringify({ reason, from, ...(locked ? { locked: true } : {}) }) })
        .execute();
    });
  }

  /** A long-lived API token for a hospital system (shown once). */
  async issueApiToken(by: Actor, userId: string, label: string, days = API_TOKEN_DAYS): Promise<string> {
    return (await this.issueApiTokenWithExpiry(by, userId, label, days)).token;
  }

  /** An API token valid for `days` (at most API_TOKEN_MAX_DAYS): the token (shown once) and when it expires. */
  async issueApiTokenWithExpiry(by: Actor, userId: string, label: string, days = API_TOKEN_DAYS): Promise<{ token: string; expiresAt: Date }> {
    if (!Number.isInteger(days) || days < 1 || days > API_TOKEN_MAX_DAYS) throw new InputError('days', `a whole number of days from 1 to ${API_TOKEN_MAX_DAYS}`);
    const token = `yb_${randomBytes(32).toString('base64url')}`;
    const expiresAt = new Date(Date.now() + days * 86_400_000);
    const user = await this.db.selectFrom('app_user').select('id').where('id', '=', userId).executeTakeFirst();
    if (!user) throw new NotFoundError('user', userId);
    await this.db.transaction().execute(async (tx) => {
      await tx.insertInto('api_token').values({ user_id: userId, token_sha256: sha256(token), label, kind: 'api', expires_at: expiresAt }).execute();
      await audit(tx, by, 'issue_token', 'app_user', userId, { label, expiresAt: expiresAt.toISOString() });
    });
    return { token, expiresAt };
  }

  /** Revoke every token of a user (a hospital system's key leaked, a person left): refused from the next request on. */
  async revokeUserTokens(by: Actor, userId: string): Promise<number> {
    return this.db.transaction().execute(async (tx) => {
      const r = await tx.updateTable('api_token').set({ revoked_at: new Date() }).where('user_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirst();
      const n = Number(r.numUpdatedRows);
      await audit(tx, by, 'revoke_tokens', 'app_user', userId, { tokens: n });
      return n;
    });
  }

  async revoke(by: Actor, token: string): Promise<void> {
    const h = sha256(token);
    await this.db.transaction().execute(async (tx) => {
      await tx.updateTable('api_token').set({ revoked_at: new Date() }).where('token_sha256', '=', h).execute();
      await audit(tx, by, 'revoke_token', 'api_token', null);
    });
  }

  /**
   * The actor behind a bearer token, or null. Read from the database on every request (one
   * look-up by the hash's unique index): a revoked or expired token, or a deactivated user,
   * is refused at once, whichever process revoked it.
   */
  async authenticate(token: string | undefined): Promise<Actor | null> {
    if (!token || token.length > 200) return null;
    const h = sha256(token);
    const now = Date.now();
    const row = await this.db
      .selectFrom('api_token as t')
      .innerJoin('app_user as u', 'u.id', 't.user_id')
      .select(['u.id', 'u.username', 'u.role', 'u.villages', 'u.hospital_code', 't.expires_at', 't.revoked_at', 'u.active'])
      .where('t.token_sha256', '=', h)
      .executeTakeFirst();
    if (!row || row.revoked_at || !row.active || (row.expires_at && new Date(row.expires_at).getTime() <= now)) return null;
    return { userId: row.id, username: row.username, role: row.role, villages: row.villages, hospitalCode: row.hospital_code };
  }
}

function toActor(u: { id: string; username: string; role: Role; villages: string[]; hospital_code: string | null }): Actor {
  return { userId: u.id, username: u.username, role: u.role, villages: u.villages, hospitalCode: u.hospital_code };
}
