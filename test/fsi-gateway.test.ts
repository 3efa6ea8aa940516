/**
 * The platform gateway's authentication and paths (issue #16 items 1 and 2), over real HTTP on
 * both databases: an admin issues a key pair to a hospital account (secret shown once, kept
 * encrypted, audited) and revokes it; clients sign with the spec's §4.5 headers (_api_*,
 * HmacSHA1) or the national gateway's (x-tif-*, SHA-256); stale timestamps, replayed nonces,
 * wrong signatures and revoked keys are refused in the envelope (infcode -1, HTTP 200); the
 * Bearer token still works; /callService/<infno> must agree with the body; anything else
 * under /fsi/ is an envelope error.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../src/http/server.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { AuthService } from '../src/access/auth.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { listen, request } from './support/http.ts';
import { FSI_PATH, FsiClient, VILLAGE, apiHeaders, enrolledPerson, tifHeaders } from './support/fsi-client.ts';

const quotes = QuoteService.load();
const HA = 'H50023000021';

for (const backend of BACKENDS)
  describe(`platform gateway authentication on ${backend}`, () => {
    let d: TestDatabase;
    let app: FastifyInstance;
    let base: string;
    let adminToken: string;
    let hospToken: string;
    let hospUser: string;

    before(async () => {
      d = await freshDatabase(backend);
      await d.db.insertInto('admin_area').values([
        { code: '500230', name: '丰都县', level: 'county', parent_code: null, region: '500230' },
        { code: '500230100', name: '兴义镇', level: 'township', parent_code: '500230', region: '500230' },
        { code: VILLAGE, name: '兴义村', level: 'village', parent_code: '500230100', region: '500230' },
      ]).execute();
      await d.db.insertInto('hospital').values({ code: HA, name: '丰都县人民医院', level: 'secondary', region: '500230' }).execute();
      const auth = new AuthService(d.db);
      hospUser = await auth.createUser(SYSTEM, { username: 'gw-hosp', displayName: 'his', role: 'hospital', hospitalCode: HA });
      hospToken = await auth.issueApiToken(SYSTEM, hospUser, 'HIS');
      await auth.createUser(SYSTEM, { username: 'gw-admin', displayName: 'admin', role: 'admin', password: 'gw-admin-password-1' });
      app = await buildServer(quotes, { database: d });
      base = await listen(app);
      adminToken = (await request(base, 'POST', '/api/v1/session', undefined, { username: 'gw-admin', password: 'gw-admin-password-1' })).json.token;
    });
    after(async () => {
      await app?.close();
      await d?.drop();
    });

    const issue = async () => {
      const r = await request(base, 'POST', `/api/v1/users/${hospUser}/fsi-gateway-keys`, adminToken, { label: 'HIS 网关' });
      assert.equal(r.status, 201, r.text);
      return r.json as { accessKey: string; secret: string; hospitalCode: string };
    };

    test('an admin issues a key pair (secret once, encrypted at rest, audited); a hospital cannot; listing shows no secret', async () => {
      const k = await issue();
      assert.match(k.accessKey, /^ak[0-9a-f]{24}$/);
      assert.equal(k.hospitalCode, HA);
      const row = await d.db.selectFrom('fsi_gateway_key').selectAll().where('access_key', '=', k.accessKey).executeTakeFirstOrThrow();
      assert.ok(!row.secret_enc.includes(k.secret), 'the secret is not stored in the clear');
      const list = await request(base, 'GET', `/api/v1/users/${hospUser}/fsi-gateway-keys`, adminToken);
      assert.equal(list.status, 200);
      assert.ok(!list.text.includes(k.secret));
      assert.ok(list.json.some((x: { accessKey: string }) => x.accessKey === k.accessKey));
      const audited = await d.db.selectFrom('audit_log').select(['action', 'detail']).where('action', '=', 'issue_gateway_key').execute();
      assert.ok(audited.some((a) => JSON.stringify(a.detail).includes(k.accessKey) && !JSON.stringify(a.detail).includes(k.secret)));
      assert.equal((await request(base, 'POST', `/api/v1/users/${hospUser}/fsi-gateway-keys`, hospToken, { label: 'x' })).status, 403);
    });

    test('§4.5 _api_* and x-tif-* clients run an outpatient visit through /callService/<infno>; the bearer token still works', async () => {
      const k = await issue();
      const p = await enrolledPerson(d.db);
      const api = new FsiClient(base, '', HA, 'GA');
      api.credential = (infno) => apiHeaders(k.accessKey, k.secret, infno);
      api.infnoInPath = true;
      await api.signIn();
      const m = await api.outpatientVisit(p, 'GW0001', 12.5);
      const out = await api.ok(api.settleOutpatient(p, m, 12.5));
      assert.equal(out.setlinfo.medfee_sumamt, 12.5);
      const tif = new FsiClient(base, '', HA, 'GT');
      tif.credential = () => tifHeaders(k.accessKey, k.secret);
      await tif.signIn();
      const info = await tif.ok(tif.envelope('1101', { data: { mdtrt_cert_type: '02', mdtrt_cert_no: p.idNumber, psn_cert_type: '01', certno: p.idNumber } }));
      assert.equal(info.baseinfo.psn_no, p.psnNo);
      const bearer = new FsiClient(base, hospToken, HA, 'GB');
      await bearer.signIn();
    });

    test('refusals in the envelope: wrong signature, stale timestamp, replayed nonce, missing header, unknown or revoked key, path and _api_name against infno', async () => {
      const k = await issue();
      const c = new FsiClient(base, '', HA, 'GR');
      const post = async (headers: Record<string, string>, body = c.envelope('9001', { signin: { opter_no: '1', mac: 'm', ip: 'i' } }), path = FSI_PATH) => {
        const res = await fetch(`${base}${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
        assert.equal(res.status, 200);
        const r = (await res.json()) as { infcode: number; err_msg: string };
        return r;
      };
      const refused = async (headers: Record<string, string>, pattern: RegExp, body?: Record<string, unknown>, path?: string) => {
        const r = await post(headers, body, path);
        assert.equal(r.infcode, -1);
        assert.match(r.err_msg, pattern);
      };
      await refused(apiHeaders(k.accessKey, 'wrong-secret', '9001'), /签名不一致/);
      await refused(apiHeaders(k.accessKey, k.secret, '9001', Date.now() - 31 * 60_000), /超时/);
      await refused(tifHeaders(k.accessKey, k.secret, Date.now() + 31 * 60_000), /超时/);
      await refused(tifHeaders(k.accessKey, 'wrong'), /签名不一致/);
      await refused(apiHeaders('ak000000000000000000000000', k.secret, '9001'), /非法用户/);
      const { _api_signature: _s, ...noSig } = apiHeaders(k.accessKey, k.secret, '9001');
      await refused(noSig, /缺少.*_api_signature/);
      await refused({ 'x-tif-nonce': 'abc' }, /缺少/);
      const once = tifHeaders(k.accessKey, k.secret);
      assert.equal((await post(once)).infcode, 0);
      await refused(once, /nonce 重复/);
      // §4.5 headers again (same millisecond, another message): accepted — they sign no body; the msgid guards the message
      const api = apiHeaders(k.accessKey, k.secret, '9001');
      assert.equal((await post(api)).infcode, 0);
      assert.equal((await post(api)).infcode, 0);
      await refused(apiHeaders(k.accessKey, k.secret, '9001'), /与报文 infno 9001 不符/, undefined, `${FSI_PATH}/2207`);
      await refused(apiHeaders(k.accessKey, k.secret, '2207'), /_api_name 2207 与报文 infno 9001 不符/);
      const del = await request(base, 'DELETE', `/api/v1/fsi-gateway-keys/${k.accessKey}`, adminToken);
      assert.equal(del.status, 204);
      await refused(apiHeaders(k.accessKey, k.secret, '9001'), /非法用户/);
      await refused({}, /身份认证失败/);
      await refused({ authorization: 'Bearer nope' }, /身份认证失败/);
      const audited = await d.db.selectFrom('audit_log').select('action').where('action', '=', 'revoke_gateway_key').execute();
      assert.equal(audited.length, 1);
    });

    test('other paths and methods under /fsi/ answer with an envelope error', async () => {
      for (const [method, path] of [['GET', FSI_PATH], ['POST', '/fsi/api/rsfComIfsService/other'], ['PUT', '/fsi/x'], ['GET', '/fsi/']] as const) {
        const r = await request(base, method, path, hospToken, method === 'GET' ? undefined : {});
        assert.equal(r.status, 200, `${method} ${path}`);
        assert.equal(r.json.infcode, -1);
        assert.match(r.json.err_msg, /不支持的服务地址/);
      }
      // a text/plain body is read as the envelope
      const c = new FsiClient(base, hospToken, HA, 'GP');
      const res = await fetch(`${base}${FSI_PATH}`, { method: 'POST', headers: { authorization: `Bearer ${hospToken}`, 'content-type': 'text/plain' }, body: JSON.stringify(c.envelope('9001', { signIn: { opter_no: '1', mac: 'm', ip: 'i' } })) });
      assert.equal(((await res.json()) as { infcode: number }).infcode, 0);
    });
  });
