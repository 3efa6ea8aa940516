/**
 * Issue #11 item 10: personal data. No full ID number in a log line (a request's URL, an
 * error's message and a database error's detail); `Cache-Control: no-store` and the security
 * headers on the API, FHIR and the platform's interface; links never built from the request's
 * Host header. On PGlite and on the PostgreSQL server.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../src/http/server.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { AuthService } from '../src/access/auth.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { makeIdNumber } from '../src/registers/id-number.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { FSI_PATH } from './support/fsi-client.ts';
import { listen, logIn, request } from './support/http.ts';

const ID = makeIdNumber('500230', '1980-05-01', 123);

/** A GET with a Host header of the caller's choosing (fetch may not set one). */
function getWithHost(base: string, path: string, host: string, token: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const u = new URL(base);
    const req = http.get({ host: u.hostname, port: u.port, path, headers: { host, authorization: `Bearer ${token}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
  });
}

for (const backend of BACKENDS)
  describe(`personal data on ${backend}`, () => {
    let d: TestDatabase;
    let app: FastifyInstance;
    let base: string;
    let admin: string;
    let personId: string;
    const lines: string[] = [];
    before(async () => {
      d = await freshDatabase(backend);
      const auth = new AuthService(d.db);
      await auth.createUser(SYSTEM, { username: 'admin', displayName: '管理员', password: 'privacy-admin-pw-1', role: 'admin' });
      app = await buildServer(QuoteService.load(), { database: d, console: false, logger: { level: 'info', stream: { write: (l: string) => void lines.push(l) } } });
      // a route that fails the way a database statement does: the key's value in message and detail
      app.get('/boom', { schema: { hide: true } }, async () => {
        throw Object.assign(new Error(`duplicate key value violates unique constraint "person_id_number_key" for ${ID}`), { code: 'XX000', detail: `Key (id_number)=(${ID}) already exists.`, where: `SQL statement "insert … values ('${ID}')"` });
      });
      base = await listen(app);
      admin = await logIn(base, 'admin', 'privacy-admin-pw-1');
      for (const [code, name] of [['500230', '丰都县'], ['500230100', '兴义镇'], ['500230100001', '一村']]) await request(base, 'POST', '/api/v1/areas', admin, { code, name, ...(code.length === 6 ? { region: '500230' } : {}) });
      const p = await request(base, 'POST', '/api/v1/persons', admin, { idNumber: ID, name: '张三', villageCode: '500230100001', kind: 'adult' });
      assert.equal(p.status, 201, p.text);
      personId = p.json.id;
    });
    after(async () => {
      await app?.close();
      await d?.drop();
    });

    test('no log line holds a full ID number: URLs, error messages, database details', async () => {
      assert.equal((await request(base, 'GET', `/api/v1/persons?idNumber=${ID}`, admin)).status, 200);
      assert.equal((await request(base, 'GET', '/boom')).status, 500);
      assert.equal((await request(base, 'POST', '/api/v1/persons', admin, { idNumber: ID, name: '张三', villageCode: '500230100001', kind: 'adult' })).status, 409);
      const all = lines.join('');
      assert.ok(all.includes('unexpected error'), 'the failure was logged');
      assert.ok(all.includes(`500230********${ID.slice(-4)}`), 'masked, the number is still recognisable');
      assert.ok(!all.includes(ID), lines.filter((l) => l.includes(ID)).join('\n'));
    });

    test('personal data is no-store with nosniff, no framing and an empty CSP', async () => {
      const fsi = await request(base, 'POST', FSI_PATH, undefined, { infno: '1101' });
      for (const [what, r] of [
        ['person', await request(base, 'GET', `/api/v1/persons/${personId}`, admin)],
        ['list', await request(base, 'GET', '/api/v1/persons?village=500230', admin)],
        ['log-in', await request(base, 'POST', '/api/v1/session', undefined, { username: 'admin', password: 'privacy-admin-pw-1' })],
        ['FHIR', await request(base, 'GET', `/fhir/r4/Patient/${personId}`, admin)],
        ['platform', fsi],
        ['refusal', await request(base, 'GET', `/api/v1/persons/${personId}`)],
      ] as const) {
        assert.equal(r.headers.get('cache-control'), 'no-store', what);
        assert.equal(r.headers.get('x-content-type-options'), 'nosniff', what);
        assert.equal(r.headers.get('x-frame-options'), 'DENY', what);
        assert.match(r.headers.get('content-security-policy') ?? '', /default-src 'none'/, what);
      }
    });

    test('a FHIR link does not echo the Host header', async () => {
      const body = await getWithHost(base, `/fhir/r4/Coverage?beneficiary=Patient/${personId}&year=2022`, 'evil.example:666', admin);
      const bundle = JSON.parse(body);
      assert.equal(bundle.resourceType, 'Bundle', body);
      assert.ok(!body.includes('evil.example'), body);
      assert.match(bundle.link[0].url, /^https:\/\/yibao\.example\.org\/fhir\/r4\/Coverage\?beneficiary=Patient/);
    });
  });
