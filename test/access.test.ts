/** Log-in, tokens, roles on every route, the audit log — on PGlite and on the PostgreSQL server. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../src/http/server.ts';
import type { RouteAccess } from '../src/http/access.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { AuthService } from '../src/access/auth.ts';
import { hashPassword, verifyPassword } from '../src/access/passwords.ts';
import { permissionsOf, SYSTEM } from '../src/access/roles.ts';
import { maskIdNumber, maskIdsInText, maskName } from '../src/access/privacy.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { listen, logIn, request } from './support/http.ts';

const quotes = QuoteService.load();

test('passwords are scrypt hashes that verify only the right password', async () => {
  const h = await hashPassword('correct horse battery');
  assert.match(h, /^scrypt\$32768\$8\$1\$/);
  assert.equal(await verifyPassword('correct horse battery', h), true);
  assert.equal(await verifyPassword('wrong', h), false);
});

test('masking of ID numbers and names', () => {
  assert.equal(maskIdNumber('500230198005011234'), '500230********1234');
  assert.equal(maskName('张三'), '张*');
  assert.equal(maskName('欧阳小明'), '欧**明');
  assert.equal(maskIdsInText('/api/v1/persons?id=50023019800501123X&x=1'), '/api/v1/persons?id=500230********123X&x=1');
});

for (const backend of BACKENDS)
  describe(`access on ${backend}`, () => {
    let d: TestDatabase;
    let app: FastifyInstance;
    let base: string;
    before(async () => {
      d = await freshDatabase(backend);
      const auth = new AuthService(d.db);
      await d.db.insertInto('hospital').values({ code: 'H001', name: '丰都县人民医院', level: 'secondary', region: '500230' }).execute();
      await auth.createUser(SYSTEM, { username: 'admin', displayName: '管理员', password: 'admin-password-1', role: 'admin' });
      await auth.createUser(SYSTEM, { username: 'auditor', displayName: '审计', password: 'auditor-password-1', role: 'auditor' });
      await auth.createUser(SYSTEM, { username: 'clerk1', displayName: '村办', password: 'clerk-password-1', role: 'clerk', villages: ['500230100'] });
      app = await buildServer(quotes, { database: d });
      base = await listen(app);
    });
    after(async () => {
      await app?.close();
      await d?.drop();
    });
    const call = (method: string, path: string, token?: string, body?: unknown) => request(base, method, path, token, body);
    const login = (username: string, password: string) => logIn(base, username, password);

    test('every /api route declares a permission or public access', () => {
      const routes = (app as unknown as { routeAccess: RouteAccess[] }).routeAccess.filter((r) => r.url.startsWith('/api/'));
      assert.ok(routes.length > 5);
      for (const r of routes) assert.ok(r.public || r.permission, `${r.method} ${r.url}`);
      const publicOnes = routes.filter((r) => r.public).map((r) => `${r.method} ${r.url}`);
      for (const p of publicOnes) assert.match(p, /quotes|packs|pack-diff|documents|regions|POST \/api\/v1\/session$/, `unexpected public route ${p}`);
    });

    test('log-in: wrong password is 401; a token works; log-out revokes it', async () => {
      assert.equal((await call('POST', '/api/v1/session', undefined, { username: 'admin', password: 'nope' })).status, 401);
      assert.equal((await call('POST', '/api/v1/session', undefined, { username: 'admin' })).status, 400);
      const t = await login('admin', 'admin-password-1');
      const me = await call('GET', '/api/v1/me', t);
      assert.equal(me.status, 200);
      assert.equal(me.json.role, 'admin');
      // the permissions come with the user (the console's menu reads them; no copy of the table in the browser)
      assert.deepEqual(me.json.permissions, permissionsOf('admin'));
      const logged = await call('POST', '/api/v1/session', undefined, { username: 'clerk1', password: 'clerk-password-1' });
      assert.deepEqual(logged.json.user.permissions, permissionsOf('clerk'));
      assert.ok(logged.json.user.permissions.includes('campaign.read') && !logged.json.user.permissions.includes('ledger.read'));
      assert.ok(permissionsOf('finance').includes('ledger.read'), 'finance reads the ledger (the 基金 page)');
      assert.equal((await call('GET', '/api/v1/me')).status, 401);
      assert.equal((await call('GET', '/api/v1/me', 'garbage')).status, 401);
      assert.equal((await call('DELETE', '/api/v1/session', t)).status, 200);
      assert.equal((await call('GET', '/api/v1/me', t)).status, 401);
    });

    test('roles: only an admin creates users; an auditor reads the audit log but cannot write', async () => {
      const clerk = await login('clerk1', 'clerk-password-1');
      const auditor = await login('auditor', 'auditor-password-1');
      const admin = await login('admin', 'admin-password-1');
      const u = { username: 'h001', displayName: '医院接口', role: 'hospital', hospitalCode: 'H001' };
      assert.equal((await call('POST', '/api/v1/users', clerk, u)).status, 403);
      assert.equal((await call('POST', '/api/v1/users', auditor, u)).status, 403);
      const created = await call('POST', '/api/v1/users', admin, u);
      assert.equal(created.status, 201);
      const tok = await call('POST', `/api/v1/users/${created.json.id}/tokens`, admin, { label: 'HIS' });
      assert.equal(tok.status, 201);
      const me = await call('GET', '/api/v1/me', tok.json.token);
      assert.equal(me.json.role, 'hospital');
      assert.equal(me.json.hospitalCode, 'H001');
      assert.equal((await call('GET', '/api/v1/audit', clerk)).status, 403);
      const log = await call('GET', '/api/v1/audit?limit=1000', auditor);
      assert.equal(log.status, 200);
      assert.ok(log.json.some((e: { action: string; entity: string }) => e.action === 'create' && e.entity === 'app_user'));
      assert.ok(log.json.some((e: { action: string }) => e.action === 'issue_token'));
      assert.equal((await call('POST', '/api/v1/users', admin, { ...u, username: 'xclerk', role: 'clerk' })).json.field, 'villages');
    });

    test('the audit log is append-only in the database itself', async () => {
      // the service's role holds no UPDATE or DELETE on it; the owner meets the trigger (test/app-role.test.ts)
      await assert.rejects(d.db.updateTable('audit_log').set({ actor: 'forged' }).execute(), /permission denied for table audit_log/);
      await assert.rejects(d.db.deleteFrom('audit_log').execute(), /permission denied for table audit_log/);
    });
  });

for (const backend of BACKENDS)
  describe(`hospital signing settings on ${backend}`, () => {
    let d: TestDatabase;
    let app: FastifyInstance;
    let base: string;
    before(async () => {
      d = await freshDatabase(backend);
      const auth = new AuthService(d.db);
      await d.db.insertInto('hospital').values({ code: 'H001', name: '丰都县人民医院', level: 'secondary', region: '500230' }).execute();
      await auth.createUser(SYSTEM, { username: 'admin', displayName: '管理员', password: 'admin-password-1', role: 'admin' });
      await auth.createUser(SYSTEM, { username: 'auditor', displayName: '审计', password: 'auditor-password-1', role: 'auditor' });
      app = await buildServer(quotes, { database: d });
      base = await listen(app);
    });
    after(async () => {
      await app?.close();
      await d?.drop();
    });
    const call = (method: string, path: string, token?: string, body?: unknown) => request(base, method, path, token, body);
    test('only an admin switches SM3 signing on; the key is shown once and audited', async () => {
      const admin = await logIn(base, 'admin', 'admin-password-1');
      const auditor = await logIn(base, 'auditor', 'auditor-password-1');
      assert.equal((await call('PUT', '/api/v1/hospitals/H001/fsi-signing', auditor, { signRequired: true, rotateKey: true })).status, 403);
      assert.equal((await call('PUT', '/api/v1/hospitals/NOPE/fsi-signing', admin, { signRequired: true })).status, 404);
      const r = await call('PUT', '/api/v1/hospitals/H001/fsi-signing', admin, { signRequired: true, rotateKey: true });
      assert.equal(r.status, 200);
      assert.equal(r.json.signRequired, true);
      assert.ok(r.json.key.length >= 30);
      const again = await call('PUT', '/api/v1/hospitals/H001/fsi-signing', admin, { signRequired: false });
      assert.equal(again.json.hasKey, true);
      assert.equal(again.json.key, undefined, 'the key is not shown again');
      const row = await d.db.selectFrom('fsi_hospital').selectAll().where('hospital_code', '=', 'H001').executeTakeFirstOrThrow();
      assert.equal(row.sign_key, r.json.key);
      const log = await d.db.selectFrom('audit_log').selectAll().where('action', '=', 'fsi_signing').execute();
      assert.equal(log.length, 2);
      assert.ok(!JSON.stringify(log).includes(r.json.key), 'the key is not in the audit log');
    });
  });
