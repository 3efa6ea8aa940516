/**
 * The console's read-only ledger views over HTTP, on PGlite and on the PostgreSQL server, over a
 * seeded small town: each fund's income less spending, summed over the months, is its balance
 * in the trial balance, to the fen; the months follow the business dates (payments in their
 * payment month, settlements in their encounter month); settlements by hospital and day add up
 * to the settlements listed, and to what the ledger owes each hospital; a hospital account sees
 * only its own days; bad filters are 400s naming the field. Also the console's additions to
 * existing routes: persons by name and household, enrollments by person, settlements by day,
 * the audit log filtered and newest first, and a notice's text.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { buildServer } from '../src/http/server.ts';
import { trialBalance } from '../src/ledger/ledger-report.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { seedDemo } from '../src/sim/seed-demo.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { listen, logIn, request } from './support/http.ts';

const quotes = QuoteService.load();
const FUNDS = ['basic_fund', 'critical_illness_fund', 'medical_assistance_fund'];

for (const backend of BACKENDS)
  describe(`ledger views for the console on ${backend}`, () => {
    let d: TestDatabase;
    let app: FastifyInstance;
    let base: string;
    const tok: Record<string, string> = {};

    before(async () => {
      d = await freshDatabase(backend);
      await seedDemo(d, quotes, { people: 120 });
      app = await buildServer(quotes, { database: d, console: false });
      base = await listen(app);
      for (const u of ['admin', 'policy', 'clerk', 'auditor', 'hospital']) tok[u] = await logIn(base, u, `demo-${u}-2022`);
    });
    after(async () => {
      await app?.close();
      await d?.drop();
    });

    test('per fund, the months add up to the trial balance, to the fen', async () => {
      const r = await request(base, 'GET', '/api/v1/ledger/fund-months', tok.policy);
      assert.equal(r.status, 200, r.text);
      const tb = await trialBalance(d.db);
      for (const f of FUNDS) {
        const lines = r.json.lines.filter((l: { account: string }) => l.account === f);
        const net = lines.reduce((s: number, l: { incomeFen: number; spendingFen: number }) => s + l.incomeFen - l.spendingFen, 0);
        const natural = Math.round(tb.accounts.find((a) => a.account === f)!.natural * 100);
        assert.equal(net, natural, f);
        for (const l of lines) {
          assert.ok(Number.isInteger(l.incomeFen) && l.incomeFen >= 0 && Number.isInteger(l.spendingFen) && l.spendingFen >= 0, JSON.stringify(l));
          assert.equal(l.income, l.incomeFen / 100);
        }
      }
      // one fund only, and a range of months
      const one = await request(base, 'GET', '/api/v1/ledger/fund-months?account=basic_fund&from=2022-01&to=2022-06', tok.auditor);
      assert.equal(one.status, 200);
      assert.ok(one.json.lines.length > 0);
      assert.ok(one.json.lines.every((l: { account: string; month: string }) => l.account === 'basic_fund' && l.month >= '2022-01' && l.month <= '2022-06'));
    });

    test('months are business dates: payments by payment date, settlements by encounter date', async () => {
      const r = await request(base, 'GET', '/api/v1/ledger/fund-months?account=basic_fund', tok.admin);
      const paid = await sql<{ month: string; fen: string }>`SELECT to_char(paid_on, 'YYYY-MM') AS month, sum(amount_fen) AS fen FROM payment WHERE channel <> 'medical_assistance' GROUP BY 1`.execute(d.db);
      for (const p of paid.rows) {
        const line = r.json.lines.find((l: { month: string; source: string }) => l.month === p.month && l.source === 'payment');
        assert.equal(line?.incomeFen, Number(p.fen), `payments of ${p.month}`);
      }
      const settled = await sql<{ month: string; fen: string }>`SELECT to_char(e.date, 'YYYY-MM') AS month, sum(s.basic_fund_fen) AS fen FROM settlement s JOIN encounter e ON e.id = s.encounter_id GROUP BY 1`.execute(d.db);
      assert.ok(settled.rows.length > 3);
      for (const s of settled.rows) {
        const line = r.json.lines.find((l: { month: string; source: string }) => l.month === s.month && l.source === 'settlement');
        assert.equal(line?.spendingFen ?? 0, Number(s.fen), `settlements of ${s.month}`);
      }
    });

    test('settlements by hospital and day add up to the settlements and to what each hospital is owed', async () => {
      const all: { hospitalCode: string; day: string; settlements: number; fundTotalFen: number; total: number }[] = [];
      for (let page = 1; ; page++) {
        const r = await request(base, 'GET', `/api/v1/ledger/hospital-days?page=${page}&pageSize=100`, tok.policy);
        assert.equal(r.status, 200, r.text);
        all.push(...r.json.days);
        if (page * 100 >= r.json.total) break;
      }
      const n = await d.db.selectFrom('settlement').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
      assert.equal(all.reduce((s, x) => s + x.settlements, 0), n.n);
      const tb = await trialBalance(d.db);
      for (const h of tb.payableByHospital)
        assert.equal(all.filter((x) => x.hospitalCode === h.hospitalCode).reduce((s, x) => s + x.fundTotalFen, 0), h.payableFen, h.hospitalCode);
      // newest day first
      for (let i = 1; i < all.length; i++) assert.ok(all[i - 1].day >= all[i].day);
      // one day of one hospital equals the settlements listed for it
      const day = all[0];
      const list = await request(base, 'GET', `/api/v1/settlements?hospital=${day.hospitalCode}&date=${day.day}&limit=1000`, tok.policy);
      assert.equal(list.status, 200, list.text);
      assert.equal(list.json.settlements.length, day.settlements);
      assert.ok(list.json.settlements.every((s: { encounterDate: string }) => s.encounterDate === day.day));
      assert.equal(Math.round(list.json.settlements.reduce((s: number, x: { total: number }) => s + x.total * 100, 0)), Math.round(day.total * 100));
    });

    test('a hospital sees its own days; others are refused; a clerk may not read them', async () => {
      const own = await request(base, 'GET', '/api/v1/ledger/hospital-days?pageSize=500', tok.hospital);
      assert.equal(own.status, 200);
      assert.ok(own.json.days.length > 0);
      assert.ok(own.json.days.every((x: { hospitalCode: string }) => x.hospitalCode === 'H50023002'));
      assert.equal((await request(base, 'GET', '/api/v1/ledger/hospital-days?hospital=H50023001', tok.hospital)).status, 403);
      assert.equal((await request(base, 'GET', '/api/v1/ledger/hospital-days', tok.clerk)).status, 403);
      assert.equal((await request(base, 'GET', '/api/v1/ledger/fund-months', tok.clerk)).status, 403);
      assert.equal((await request(base, 'GET', '/api/v1/ledger/fund-months', tok.hospital)).status, 403);
    });

    test('bad filters are 400s naming the field', async () => {
      for (const [path, field] of [
        ['/api/v1/ledger/fund-months?from=2022-13', 'from'],
        ['/api/v1/ledger/fund-months?account=payable_hospitals', 'account'],
        ['/api/v1/ledger/fund-months?month=2022-01', 'month'],
        ['/api/v1/ledger/hospital-days?pageSize=0', 'pageSize'],
        ['/api/v1/ledger/hospital-days?from=2022-1-1', 'from'],
        ['/api/v1/settlements?date=2022-02-30', 'date'],
        ['/api/v1/persons?householdId=x', 'householdId'],
        ['/api/v1/enrollments?person=abc', 'person'],
      ] as const) {
        const r = await request(base, 'GET', path, tok.admin);
        assert.equal(r.status, 400, path);
        assert.equal(r.json.field, field, path);
      }
    });

    test('persons by full name and by household; enrollments by person (a clerk in scope)', async () => {
      const p = await d.db.selectFrom('person').select(['id', 'name', 'household_id']).where('household_id', 'is not', null).orderBy('id').executeTakeFirstOrThrow();
      const byName = await request(base, 'GET', `/api/v1/persons?name=${encodeURIComponent(p.name)}`, tok.clerk);
      assert.equal(byName.status, 200);
      const same = await d.db.selectFrom('person').select(sql<number>`count(*)::int`.as('n')).where('name', '=', p.name).executeTakeFirstOrThrow();
      assert.equal(byName.json.total, same.n);
      assert.ok(byName.json.items.some((x: { id: string }) => String(x.id) === String(p.id)));
      const members = await request(base, 'GET', `/api/v1/persons?householdId=${p.household_id}`, tok.clerk);
      const n = await d.db.selectFrom('person').select(sql<number>`count(*)::int`.as('n')).where('household_id', '=', p.household_id).executeTakeFirstOrThrow();
      assert.equal(members.json.total, n.n);
      const enr = await request(base, 'GET', `/api/v1/enrollments?person=${p.id}`, tok.clerk);
      assert.equal(enr.status, 200);
      assert.ok(enr.json.items.length >= 1);
      assert.ok(enr.json.items.every((e: { personId: string }) => e.personId === String(p.id)));
    });

    test('the audit log: newest first, paged with before, filtered by actor and action', async () => {
      const first = await request(base, 'GET', '/api/v1/audit?newestFirst=true&limit=5', tok.auditor);
      assert.equal(first.status, 200);
      const ids = first.json.map((r: { id: string }) => Number(r.id));
      assert.deepEqual(ids, [...ids].sort((a, b) => b - a));
      const next = await request(base, 'GET', `/api/v1/audit?before=${ids[4]}&limit=5`, tok.auditor);
      assert.ok(next.json.every((r: { id: string }) => Number(r.id) < ids[4]));
      const logins = await request(base, 'GET', '/api/v1/audit?actor=clerk&action=login', tok.admin);
      assert.ok(logins.json.length >= 1);
      assert.ok(logins.json.every((r: { actor: string; action: string }) => r.actor === 'clerk' && r.action === 'login'));
      assert.equal((await request(base, 'GET', '/api/v1/audit', tok.clerk)).status, 403);
    });

    test("a notice's text, and a 404 for an unknown one", async () => {
      const docs = await request(base, 'GET', '/api/v1/documents');
      const number = docs.json[0].number as string;
      const r = await request(base, 'GET', `/api/v1/documents/${encodeURIComponent(number)}`);
      assert.equal(r.status, 200);
      assert.equal(r.json.number, number);
      assert.ok(r.json.text.length > 200);
      assert.equal((await request(base, 'GET', `/api/v1/documents/${encodeURIComponent('无此文〔2022〕1号')}`)).status, 404);
    });
  });
