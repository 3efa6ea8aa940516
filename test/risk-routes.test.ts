/**
 * The screening over HTTP on both databases: a run (risk.screen), the hits filtered and paged
 * (a clerk: their villages only), one hit with its fee lines, the case moves (risk.cases.review)
 * with the recovery, and bad input answered 400 naming the field.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../src/http/server.ts';
import { AuthService } from '../src/access/auth.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { listen, request } from './support/http.ts';
import { HA, HB, VILLAGE_A, VILLAGE_B, quotes, town } from './support/risk-town.ts';

for (const backend of BACKENDS)
  describe(`risk screening routes on ${backend}`, () => {
    let d: TestDatabase;
    let app: FastifyInstance;
    let base: string;
    const tok: Record<string, string> = {};

    before(async () => {
      d = await freshDatabase(backend);
      const t = await town(d);
      for (const [village, hospital, date] of [[VILLAGE_A, HA, '2022-03-01'], [VILLAGE_B, HB, '2022-03-02'], [VILLAGE_A, HB, '2022-04-02']] as const) {
        const p = await t.person({ village, dateOfDeath: '2022-02-01' });
        await t.settle(p.id, { date, inScope: 1200, hospital });
      }
      const auth = new AuthService(d.db);
      for (const u of [
        { username: 'clerk', role: 'clerk' as const, villages: [VILLAGE_A] },
        { username: 'policy', role: 'policy_officer' as const },
        { username: 'auditor', role: 'auditor' as const },
      ]) {
        const id = await auth.createUser(SYSTEM, { ...u, displayName: u.username, password: `${u.username}-test-password` });
        tok[u.username] = await auth.issueApiToken(SYSTEM, id, 'risk');
      }
      app = await buildServer(quotes, { database: d });
      base = await listen(app);
    });
    after(async () => {
      await app.close();
      await d.drop();
    });

    test('a screening run needs risk.screen; it is audited and finds the settlements after death', async () => {
      assert.equal((await request(base, 'POST', '/api/v1/risk/screenings', tok.clerk, { region: '500230', year: 2022 })).status, 403);
      assert.equal((await request(base, 'POST', '/api/v1/risk/screenings', undefined, { region: '500230', year: 2022 })).status, 401);
      const r = await request(base, 'POST', '/api/v1/risk/screenings', tok.policy, { region: '500230', year: 2022 });
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.equal(r.json.rules.find((x: { code: string }) => x.code === 'FR02').found, 3);
      const a = await d.db.selectFrom('audit_log').select('action').where('action', '=', 'risk.screen').execute();
      assert.equal(a.length, 1);
    });

    test('hits: filtered and paged; a clerk sees only their villages; one hit with its settlements', async () => {
      const all = await request(base, 'GET', '/api/v1/risk/hits?region=500230&year=2022&rule=FR02&limit=2', tok.auditor);
      assert.equal(all.status, 200);
      assert.equal(all.json.cases.length, 2);
      assert.ok(all.json.next);
      const rest = await request(base, 'GET', `/api/v1/risk/hits?region=500230&year=2022&rule=FR02&limit=2&after=${all.json.next}`, tok.auditor);
      assert.equal(rest.json.cases.length, 1);
      assert.equal(rest.json.next, null);
      const byHospital = await request(base, 'GET', `/api/v1/risk/hits?region=500230&hospital=${HB}`, tok.auditor);
      assert.equal(byHospital.json.cases.length, 2);
      const byVillage = await request(base, 'GET', `/api/v1/risk/hits?region=500230&rule=FR02&village=${VILLAGE_B}`, tok.auditor);
      assert.equal(byVillage.status, 200);
      assert.deepEqual(byVillage.json.cases.map((c: { villageCode: string }) => c.villageCode), [VILLAGE_B]);
      assert.equal(byVillage.json.summary.find((x: { rule: string }) => x.rule === 'FR02').cases, 1);
      assert.equal((await request(base, 'GET', `/api/v1/risk/hits?region=500230&village=${VILLAGE_B}`, tok.clerk)).status, 403);
      assert.equal((await request(base, 'GET', '/api/v1/risk/hits?region=500230&village=12', tok.auditor)).status, 400);
      const mine = await request(base, 'GET', '/api/v1/risk/hits?region=500230', tok.clerk);
      assert.equal(mine.status, 200);
      assert.ok(mine.json.cases.length >= 2);
      assert.ok(mine.json.cases.every((c: { villageCode: string }) => c.villageCode === VILLAGE_A));
      const other = [...all.json.cases, ...rest.json.cases].find((c: { villageCode: string }) => c.villageCode === VILLAGE_B);
      assert.equal((await request(base, 'GET', `/api/v1/risk/hits/${other.id}?region=500230`, tok.clerk)).status, 404);
      const one = await request(base, 'GET', `/api/v1/risk/hits/${other.id}?region=500230`, tok.auditor);
      assert.equal(one.status, 200);
      assert.equal(one.json.ruleName, '死亡后结算');
      assert.equal(one.json.citation.cite, '兴义府发〔2022〕3号 六');
      assert.equal(one.json.settlements.length, 1);
      assert.ok(Array.isArray(one.json.feeLines));
    });

    test('moves: a reviewer only; confirming recovers; bad input is a 400 naming the field', async () => {
      const list = await request(base, 'GET', '/api/v1/risk/hits?region=500230&rule=FR02', tok.auditor);
      const id = list.json.cases[0].id;
      assert.equal((await request(base, 'POST', `/api/v1/risk/hits/${id}/moves`, tok.clerk, { region: '500230', to: 'reviewed' })).status, 403);
      assert.equal((await request(base, 'POST', `/api/v1/risk/hits/${id}/moves`, tok.auditor, { region: '500230', to: 'reviewed' })).status, 403);
      const skip = await request(base, 'POST', `/api/v1/risk/hits/${id}/moves`, tok.policy, { region: '500230', to: 'confirmed' });
      assert.equal(skip.status, 409);
      assert.equal((await request(base, 'POST', `/api/v1/risk/hits/${id}/moves`, tok.policy, { region: '500230', to: 'reviewed', note: '调阅病历' })).status, 200);
      const bad = await request(base, 'POST', `/api/v1/risk/hits/${id}/moves`, tok.policy, { region: '500230', to: 'confirmed', recover: '12.345' });
      assert.equal(bad.status, 400);
      assert.match(JSON.stringify(bad.json), /recover/);
      const ok = await request(base, 'POST', `/api/v1/risk/hits/${id}/moves`, tok.policy, { region: '500230', to: 'confirmed', recover: '100.00' });
      assert.equal(ok.status, 200, JSON.stringify(ok.json));
      assert.equal(ok.json.recovered, 100);
      assert.ok(ok.json.recoveryEntry);
      const q = await request(base, 'GET', '/api/v1/risk/hits?region=500230&rule=FR99', tok.auditor);
      assert.equal(q.status, 400);
      assert.match(JSON.stringify(q.json), /rule/);
      const y = await request(base, 'POST', '/api/v1/risk/screenings', tok.policy, { region: '500230', year: 'soon' });
      assert.equal(y.status, 400);
      assert.match(JSON.stringify(y.json), /year/);
    });
  });
