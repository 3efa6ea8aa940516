/**
 * The high-burden warnings over HTTP on both databases: warnings in two villages; the clerk of one
 * gets a non-empty list of only theirs and is refused the other's by the area parameter and by a
 * warning's id; the policy officer sees both. The batch scan of an area and year
 * (POST /api/v1/risk/burden-scans: risk.screen, audited) catches up the warning a settlement's
 * failed follow-up missed — that failure logged at warn with the ID number masked — and adds
 * nothing when run again.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../src/http/server.ts';
import { AuthService } from '../src/access/auth.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { SettlementService } from '../src/settlement/settlement-service.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { listen, request } from './support/http.ts';
import { ADMIN, HA, HB, VILLAGE_A, VILLAGE_B, quotes, town } from './support/risk-town.ts';

for (const backend of BACKENDS)
  describe(`high-burden warnings in scope, and the batch scan, on ${backend}`, () => {
    let d: TestDatabase;
    let app: FastifyInstance;
    let base: string;
    const tok: Record<string, string> = {};
    const logged: { obj: Record<string, unknown>; msg: string }[] = [];
    let missed = '';

    before(async () => {
      d = await freshDatabase(backend);
      const t = await town(d);
      for (const [village, hospital, date, ownPay] of [[VILLAGE_A, HA, '2022-03-01', 9500], [VILLAGE_A, HB, '2022-04-01', 9100], [VILLAGE_B, HB, '2022-05-01', 9800]] as const) {
        const p = await t.person({ village });
        await t.settle(p.id, { date, ownPay, hospital });
      }
      // a follow-up that fails (its message naming an ID number): the settlement stands, the failure is logged, the warning is missed
      const p = await t.person({ village: VILLAGE_B });
      missed = p.id;
      const failing = new SettlementService(d, quotes, {
        afterWrite: async () => {
          throw new Error(`could not assess person ${p.idNumber}`);
        },
        log: { warn: ((obj: Record<string, unknown>, msg: string) => logged.push({ obj, msg })) as never },
      });
      const enc = await failing.createEncounter(ADMIN, { personId: p.id, hospitalCode: HB, coverageYear: 2022, type: 'inpatient', date: '2022-06-01', costs: { total: 9900, fullOwnPay: 9900, overLimitSelfPay: 0, preSelfPay: 0, inScope: 0 } } as never);
      const s = await failing.settle(ADMIN, enc.id);
      assert.ok(s.settlementId, 'the settlement is written although its follow-up failed');
      assert.equal(logged.length, 1);
      assert.match(logged[0]!.msg, /follow-up/);
      assert.equal(String(logged[0]!.obj.err), `could not assess person ${p.idNumber.slice(0, 6)}********${p.idNumber.slice(-4)}`);
      assert.deepEqual(logged[0]!.obj.settlementIds, [s.settlementId]);
      const auth = new AuthService(d.db);
      for (const u of [
        { username: 'clerk_a', role: 'clerk' as const, villages: [VILLAGE_A] },
        { username: 'policy', role: 'policy_officer' as const },
      ]) {
        const id = await auth.createUser(SYSTEM, { ...u, displayName: u.username, password: `${u.username}-test-password` });
        tok[u.username] = await auth.issueApiToken(SYSTEM, id, 'risk');
      }
      app = await buildServer(quotes, { database: d });
      base = await listen(app);
    });
    after(async () => {
      await app?.close();
      await d?.drop();
    });

    test('a clerk gets a non-empty list of only their village; the other village is refused by area and by id; the officer sees both', async () => {
      const officer = await request(base, 'GET', '/api/v1/risk/warnings?year=2022&limit=500', tok.policy);
      assert.equal(officer.status, 200);
      assert.deepEqual(officer.json.villages.map((v: { villageCode: string }) => v.villageCode), [VILLAGE_A, VILLAGE_B]);
      assert.equal(officer.json.total, 6, 'three persons, each on the year and the rolling window');
      const mine = await request(base, 'GET', '/api/v1/risk/warnings?year=2022', tok.clerk_a);
      assert.equal(mine.status, 200);
      assert.equal(mine.json.total, 4);
      assert.deepEqual(mine.json.villages.map((v: { villageCode: string }) => v.villageCode), [VILLAGE_A]);
      assert.equal(mine.json.villages[0].warnings.length, 4);
      assert.ok(mine.json.villages[0].warnings.every((w: { villageCode: string; idNumber: string }) => w.villageCode === VILLAGE_A && /\*{8}/.test(w.idNumber)));
      const township = await request(base, 'GET', '/api/v1/risk/warnings?village=500230100', tok.clerk_a);
      assert.equal(township.status, 200, 'an area above their village: the list keeps to theirs');
      assert.equal(township.json.total, 4);
      assert.equal((await request(base, 'GET', `/api/v1/risk/warnings?village=${VILLAGE_B}`, tok.clerk_a)).status, 403);
      const otherId = officer.json.villages[1].warnings[0].id;
      const ownId = mine.json.villages[0].warnings[0].id;
      assert.equal((await request(base, 'GET', `/api/v1/risk/warnings/${otherId}`, tok.clerk_a)).status, 404, "another village's warning does not exist for the clerk");
      const own = await request(base, 'GET', `/api/v1/risk/warnings/${ownId}`, tok.clerk_a);
      assert.equal(own.status, 200);
      assert.ok(own.json.encounters.length >= 1);
      const seen = await request(base, 'GET', `/api/v1/risk/warnings/${otherId}`, tok.policy);
      assert.equal(seen.status, 200);
      assert.equal(seen.json.warning.villageCode, VILLAGE_B);
    });

    test('the batch scan: a reviewer only, audited; catches up the missed warning once; bad input is a 400 naming the field', async () => {
      const warned = async () => (await d.db.selectFrom('audit_log').select('id').where('action', '=', 'risk.burden_scan').execute()).length;
      assert.equal((await request(base, 'POST', '/api/v1/risk/burden-scans', tok.clerk_a, { area: VILLAGE_B, year: 2022 })).status, 403);
      assert.equal((await request(base, 'POST', '/api/v1/risk/burden-scans', undefined, { area: VILLAGE_B, year: 2022 })).status, 401);
      const r = await request(base, 'POST', '/api/v1/risk/burden-scans', tok.policy, { area: '500230', year: 2022 });
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.equal(r.json.persons, 4);
      assert.equal(r.json.added, 2);
      const rows = await d.db.selectFrom('audit_log').select(['actor', 'detail']).where('action', '=', 'risk.burden_scan').execute();
      assert.deepEqual(rows.map((x) => [x.actor, (x.detail as { added: number }).added]), [['policy', 2]]);
      const w = await request(base, 'GET', `/api/v1/risk/warnings?village=${VILLAGE_B}&year=2022`, tok.policy);
      const found = w.json.villages[0].warnings.filter((x: { personId: string }) => x.personId === missed);
      assert.deepEqual(found.map((x: { foundBy: string; burden: number }) => [x.foundBy, x.burden]), [['scan', 9900], ['scan', 9900]]);
      const again = await request(base, 'POST', '/api/v1/risk/burden-scans', tok.policy, { area: VILLAGE_B, year: 2022 });
      assert.equal(again.json.added, 0);
      assert.equal(await warned(), 2);
      for (const [body, field] of [
        [{ area: '5002', year: 2022 }, 'area'],
        [{ area: '500230', year: 'soon' }, 'year'],
        [{ area: '500230', year: 2022, extra: 1 }, 'extra'],
      ] as const) {
        const bad = await request(base, 'POST', '/api/v1/risk/burden-scans', tok.policy, body);
        assert.equal(bad.status, 400);
        assert.match(JSON.stringify(bad.json), new RegExp(field));
      }
      const unknown = await request(base, 'POST', '/api/v1/risk/burden-scans', tok.policy, { area: '999999', year: 2022 });
      assert.equal(unknown.status, 400);
      assert.match(JSON.stringify(unknown.json), /area/);
      assert.equal(await warned(), 2, 'a refused scan is not audited as a run');
    });
  });
