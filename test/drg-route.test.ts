/**
 * POST /api/v1/drg/group over a real socket on both databases: one record and a batch give
 * what the grouper gives, explanations when asked, 400 naming the field (in a batch, the
 * record's index), and the role checked (no token 401, a clerk 403).
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
import { group, witness } from './support/drg.ts';

const A1 = { id: 'A-1', sex: '1', ageYears: 73, diagnoses: ['G20.x03', 'I10.x00x002', 'N39.000'], procedures: [] };

for (const backend of BACKENDS)
  describe(`POST /api/v1/drg/group on ${backend}`, () => {
    let d: TestDatabase;
    let app: FastifyInstance;
    let base: string;
    const tok: Record<string, string> = {};

    before(async () => {
      d = await freshDatabase(backend);
      await d.db.insertInto('hospital').values({ code: 'H50023000001', name: '丰都县人民医院', level: 'secondary', region: '500230' }).execute();
      const auth = new AuthService(d.db);
      for (const u of [
        { username: 'hosp', role: 'hospital' as const, hospitalCode: 'H50023000001' },
        { username: 'clerk', role: 'clerk' as const, villages: ['500230100'] },
        { username: 'policy', role: 'policy_officer' as const },
        { username: 'admin', role: 'admin' as const },
      ]) {
        const id = await auth.createUser(SYSTEM, { ...u, displayName: u.username, password: `${u.username}-test-password` });
        tok[u.username] = await auth.issueApiToken(SYSTEM, id, 'drg');
      }
      app = await buildServer(QuoteService.load(), { database: d });
      base = await listen(app);
    });
    after(async () => {
      await app.close();
      await d.drop();
    });

    test('one record: the README §3 result, as the grouper gives it', async () => {
      const r = await request(base, 'POST', '/api/v1/drg/group', tok.hosp, A1);
      assert.equal(r.status, 200);
      assert.deepEqual(r.json, { id: 'A-1', status: 'success', mdc: 'MDCB', adrg: 'BU2', drg: 'BU25' });
      const e = await request(base, 'POST', '/api/v1/drg/group?explain=true', tok.policy, A1);
      assert.equal(e.status, 200);
      assert.equal(e.json.drg, 'BU25');
      assert.ok(e.json.explanation.steps.some((s: { step: string; code: string }) => s.step === 'adrg' && s.code === 'BU2'));
    });

    test('a batch: results in order, with the explanation when the body asks', async () => {
      const w = witness('BR2', 'MCC');
      const records = [A1, w, { id: 'X', sex: null, ageYears: 40, diagnoses: ['G20.x03'] }];
      const r = await request(base, 'POST', '/api/v1/drg/group', tok.hosp, { records });
      assert.equal(r.status, 200);
      assert.equal(r.json.results.length, 3);
      assert.deepEqual(r.json.results[1], JSON.parse(JSON.stringify(group(w))));
      assert.equal(r.json.results[2].status, 'invalid_missing_sex');
      assert.equal(r.json.results[0].explanation, undefined);
      const e = await request(base, 'POST', '/api/v1/drg/group', tok.hosp, { records: [A1], explain: true });
      assert.ok(Array.isArray(e.json.results[0].explanation.steps));
    });

    test('bad input is a 400 naming the field; nothing is grouped', async () => {
      const cases: [unknown, string][] = [
        [{ ...A1, ageYears: -1 }, 'ageYears'],
        [{ ...A1, diagnoses: 'G20.x03' }, 'diagnoses'],
        [{ ...A1, colour: 'red' }, 'colour'],
        [{ records: [A1, { ...A1, diagnoses: [1] }] }, 'records.1.diagnoses.0'],
        [{ records: [] }, 'records'],
        [{ records: A1 }, 'records'],
        [{ records: [A1], explain: 'yes' }, 'explain'],
        [{ records: [A1], extra: 1 }, 'extra'],
        [[A1], '(body)'],
      ];
      for (const [body, field] of cases) {
        const r = await request(base, 'POST', '/api/v1/drg/group', tok.hosp, body);
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.equal(r.json.field, field, JSON.stringify(r.json));
      }
      const q = await request(base, 'POST', '/api/v1/drg/group?explain=maybe', tok.hosp, A1);
      assert.equal(q.status, 400);
      assert.equal(q.json.field, 'explain');
    });

    test('the role is checked: no token 401, a clerk 403', async () => {
      assert.equal((await request(base, 'POST', '/api/v1/drg/group', undefined, A1)).status, 401);
      assert.equal((await request(base, 'POST', '/api/v1/drg/group', tok.clerk, A1)).status, 403);
    });

    test('payment runs: admin only, 400 naming the field, nothing posted on a refusal', async () => {
      const path = '/api/v1/drg/prepayments';
      assert.equal((await request(base, 'POST', path, tok.policy, { region: '500230', year: 2022, month: 3 })).status, 403);
      assert.equal((await request(base, 'POST', path, tok.hosp, { region: '500230', year: 2022, month: 3 })).status, 403);
      for (const [body, field] of [
        [{ region: '500230', year: 2022, month: 13 }, 'month'],
        [{ region: '5002', year: 2022, month: 3 }, 'region'],
        [{ region: '999999', year: 2022, month: 3 }, 'region'],
        [{ region: '500230', year: 2022, month: 3, extra: true }, 'extra'],
        [{ region: '500230', year: 2022, month: 3 }, 'catalogue'], // no stay of the base year grouped yet
      ] as const) {
        const r = await request(base, 'POST', path, tok.admin, body);
        assert.equal(r.status, 400, JSON.stringify(r.json));
        assert.equal(r.json.field, field);
      }
      const c = await request(base, 'POST', '/api/v1/drg/clearings', tok.admin, { region: '500230', year: 2022, budgetYuan: 'lots' });
      assert.equal(c.status, 400);
      assert.equal(c.json.field, 'budgetYuan');
      assert.deepEqual((await request(base, 'GET', '/api/v1/drg/runs', tok.admin)).json, []);
      assert.equal((await request(base, 'GET', '/api/v1/drg/cases?year=x', tok.hosp)).json.field, 'year');
      assert.equal((await request(base, 'GET', '/api/v1/drg/cases?hospital=H1', tok.hosp)).status, 403);
    });
  });
