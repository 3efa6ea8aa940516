/**
 * Issue #11 item 9: log-in. Failed log-ins audited; limited per account name and per address
 * (429 with Retry-After); an account locked after repeated failures; passwords checked for
 * length and against common ones; no admin without a password; API tokens that expire; a
 * revoked token refused at once, whichever process revoked it. On PGlite and the server.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../src/http/server.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { AuthService, LOCK_AFTER_FAILURES } from '../src/access/auth.ts';
import { passwordProblem } from '../src/access/passwords.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { TokenBuckets } from '../src/access/rate-limit.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { listen, logIn, request } from './support/http.ts';

const quotes = QuoteService.load();

test('the password policy: length, common passwords, not the user name', () => {
  assert.match(passwordProblem('short1') ?? '', /at least 10/);
  assert.match(passwordProblem('Password123') ?? '', /common/);
  assert.match(passwordProblem('woaini1314') ?? '', /common/);
  assert.match(passwordProblem('aaaaaaaaaaaa') ?? '', /common|few different/);
  assert.match(passwordProblem('zhangsan-2022', 'zhangsan-2022') ?? '', /user name/);
  assert.equal(passwordProblem('correct horse battery'), null);
});

test('a token bucket: capacity at once, then one per refill, on its own clock', () => {
  let now = 0;
  const b = new TokenBuckets({ capacity: 3, perSecond: 0.5, now: () => now });
  assert.deepEqual([b.take('a'), b.take('a'), b.take('a'), b.take('a')], [true, true, true, false]);
  assert.equal(b.waitFor('a'), 2);
  assert.equal(b.take('b'), true, 'another key has its own bucket');
  now += 2000;
  assert.equal(b.take('a'), true);
  assert.equal(b.take('a'), false);
  const small = new TokenBuckets({ capacity: 1, perSecond: 1, maxKeys: 2, now: () => now });
  for (const k of ['x', 'y', 'z']) small.take(k);
  assert.equal(small.take('x'), true, 'the oldest bucket was dropped when a third key came');
});

for (const backend of BACKENDS)
  describe(`log-in on ${backend}`, () => {
    let d: TestDatabase;
    let app: FastifyInstance;
    let base: string;
    let admin: string;
    before(async () => {
      d = await freshDatabase(backend);
      const auth = new AuthService(d.db);
      await d.db.insertInto('hospital').values({ code: 'H001', name: '丰都县人民医院', level: 'secondary', region: '500230' }).execute();
      await auth.createUser(SYSTEM, { username: 'admin', displayName: '管理员', password: 'login-admin-pw-1', role: 'admin' });
      await auth.createUser(SYSTEM, { username: 'officer', displayName: '经办', password: 'login-officer-pw-1', role: 'policy_officer' });
      await auth.createUser(SYSTEM, { username: 'locked1', displayName: '被锁', password: 'login-locked-pw-1', role: 'auditor' });
      app = await buildServer(quotes, { database: d, console: false });
      base = await listen(app);
      admin = await logIn(base, 'admin', 'login-admin-pw-1');
    });
    after(async () => {
      await app?.close();
      await d?.drop();
    });
    const call = (method: string, path: string, token?: string, body?: unknown) => request(base, method, path, token, body);
    const tryLogin = (username: string, password: string) => call('POST', '/api/v1/session', undefined, { username, password });

    test('a failed log-in is audited with the name tried and the address', async () => {
      assert.equal((await tryLogin('officer', 'not-the-password')).status, 401);
      assert.equal((await tryLogin('nobody-here', 'not-the-password')).status, 401);
      const log = await call('GET', '/api/v1/audit?action=login_failed', admin);
      assert.equal(log.status, 200);
      const mine = log.json.filter((r: { actor: string }) => ['officer', 'nobody-here'].includes(r.actor));
      assert.equal(mine.length, 2);
      for (const r of mine) {
        assert.equal(r.role, 'anonymous');
        assert.equal(r.detail.from, '127.0.0.1');
      }
      assert.deepEqual(mine.map((r: { detail: { reason: string } }) => r.detail.reason).sort(), ['unknown_user', 'wrong_password']);
      assert.equal((await tryLogin('officer', 'login-officer-pw-1')).status, 200, 'one failure does not lock');
    });

    test(`${LOCK_AFTER_FAILURES} failures in a row lock the account, even against the right password (429, Retry-After)`, async () => {
      for (let i = 0; i < LOCK_AFTER_FAILURES; i++) assert.equal((await tryLogin('locked1', `wrong-${i}-password`)).status, 401);
      const r = await tryLogin('locked1', 'login-locked-pw-1');
      assert.equal(r.status, 429, r.text);
      assert.ok(Number(r.headers.get('retry-after')) > 60, `retry-after ${r.headers.get('retry-after')}`);
      const row = await d.db.selectFrom('app_user').select(['failed_logins', 'locked_until']).where('username', '=', 'locked1').executeTakeFirstOrThrow();
      assert.equal(row.failed_logins, LOCK_AFTER_FAILURES);
      assert.ok(row.locked_until);
    });

    test('failures for one account name are limited (429 with Retry-After), other names go on', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++) statuses.push((await tryLogin('ghost-user', `guess-${i}-password`)).status);
      assert.deepEqual(statuses, [...Array(10).fill(401), 429]);
      const r = await tryLogin('ghost-user', 'guess-x-password');
      assert.ok(Number(r.headers.get('retry-after')) >= 1);
      assert.equal((await tryLogin('officer', 'login-officer-pw-1')).status, 200);
    });

    test('failures from one address are limited across account names', async () => {
      // a server of its own: this address's failures so far are the other server's
      const other = await buildServer(quotes, { database: d, console: false });
      const b2 = await listen(other);
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 21; i++) statuses.push((await request(b2, 'POST', '/api/v1/session', undefined, { username: `spray-${i}`, password: 'Spring2022!!' })).status);
        assert.deepEqual(statuses, [...Array(20).fill(401), 429]);
        const r = await request(b2, 'POST', '/api/v1/session', undefined, { username: 'officer', password: 'login-officer-pw-1' });
        assert.equal(r.status, 429, 'the address waits, whatever the name');
        assert.ok(Number(r.headers.get('retry-after')) >= 1);
      } finally {
        await other.close();
      }
    });

    test('passwords: too short, common or missing for an admin are refused naming the field', async () => {
      const user = (username: string, password: string | undefined, role = 'auditor') => call('POST', '/api/v1/users', admin, { username, displayName: 'x', role, ...(password === undefined ? {} : { password }) });
      for (const [name, pw, role] of [
        ['short-pw', 'abc12', 'auditor'],
        ['common-pw', 'password123', 'auditor'],
        ['common-pw2', 'Qwertyuiop', 'auditor'],
        ['no-pw-admin', undefined, 'admin'],
      ] as const) {
        const r = await user(name, pw, role);
        assert.equal(r.status, 400, `${name}: ${r.text}`);
        assert.equal(r.json.field, 'password');
      }
      assert.equal((await user('good-pw', 'a sentence of words', 'auditor')).status, 201);
    });

    test('API tokens expire; a revoked token is refused at once, whichever process revoked it', async () => {
      const h = await call('POST', '/api/v1/users', admin, { username: 'h001', displayName: '医院', role: 'hospital', hospitalCode: 'H001' });
      assert.equal(h.status, 201);
      assert.equal((await call('POST', `/api/v1/users/${h.json.id}/tokens`, admin, { label: 'his', days: 0 })).status, 400);
      assert.equal((await call('POST', `/api/v1/users/${h.json.id}/tokens`, admin, { label: 'his', days: 5000 })).status, 400);
      const t = await call('POST', `/api/v1/users/${h.json.id}/tokens`, admin, { label: 'his', days: 30 });
      assert.equal(t.status, 201);
      const days = (Date.parse(t.json.expiresAt) - Date.now()) / 86_400_000;
      assert.ok(days > 29.9 && days <= 30, `expires in ${days} days`);
      assert.equal((await call('GET', '/api/v1/me', t.json.token)).status, 200);
      // expired: refused
      await d.db.updateTable('api_token').set({ expires_at: new Date(Date.now() - 1000) }).where('user_id', '=', h.json.id).execute();
      assert.equal((await call('GET', '/api/v1/me', t.json.token)).status, 401);

      // revoked by another process (here: another AuthService on the same database), used just before
      const session = await logIn(base, 'officer', 'login-officer-pw-1');
      assert.equal((await call('GET', '/api/v1/me', session)).status, 200);
      await new AuthService(d.db).revoke(SYSTEM, session);
      assert.equal((await call('GET', '/api/v1/me', session)).status, 401);

      // an admin revokes all of a user's tokens
      const again = await call('POST', `/api/v1/users/${h.json.id}/tokens`, admin, { label: 'his2' });
      assert.equal((await call('GET', '/api/v1/me', again.json.token)).status, 200);
      const rv = await call('DELETE', `/api/v1/users/${h.json.id}/tokens`, admin);
      assert.equal(rv.status, 200);
      assert.equal(rv.json.revoked, 2, 'the expired token and the new one');
      assert.equal((await call('GET', '/api/v1/me', again.json.token)).status, 401);
    });
  });
