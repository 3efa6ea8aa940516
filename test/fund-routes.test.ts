/**
 * The fund and the simulation over HTTP on both databases (#17 item 7): a sim run with a reform
 * that changes nothing gives zero differences; a hospital's statement equals the sum of its live
 * settlements, and all hospitals' statements of a month (paged) equal the single ones; a payment sent twice pays once; receipts recorded once and listed with what is
 * outstanding; a clerk gets 403; bad input is a 400 naming the field.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import { buildServer } from '../src/http/server.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { AuthService } from '../src/access/auth.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { seedDemo } from '../src/sim/seed-demo.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { listen, logIn, request } from './support/http.ts';

const quotes = QuoteService.load();
const NOOP = { name: 'no-op', baseline: '500230/2022', changes: [{ path: 'benefits.criticalIllness.deductible', value: 15412, from: '2022-01-01' }, { path: 'contribution.default.tier1', value: 320, from: '2022-05-01' }] };

for (const backend of BACKENDS)
  describe(`fund and simulation routes on ${backend}`, () => {
    let d: TestDatabase;
    let app: FastifyInstance;
    let url = '';
    const tok: Record<string, string> = {};
    let hospital = '';
    before(async () => {
      d = await freshDatabase(backend);
      await seedDemo(d, quotes, { people: 300 });
      const auth = new AuthService(d.db);
      await auth.createUser(SYSTEM, { username: 'fin', displayName: '财务', password: 'fin-password-1', role: 'finance' });
      await auth.createUser(SYSTEM, { username: 'clerk1', displayName: '村办', password: 'clerk-password-1', role: 'clerk', villages: ['500230100'] });
      app = await buildServer(quotes, { database: d });
      url = await listen(app);
      tok.fin = await logIn(url, 'fin', 'fin-password-1');
      tok.clerk = await logIn(url, 'clerk1', 'clerk-password-1');
      const top = await sql<{ code: string }>`SELECT hospital_code AS code FROM settlement WHERE reversed_at IS NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`.execute(d.db);
      hospital = top.rows[0].code;
    });
    after(async () => {
      await app?.close();
      await d?.drop();
    });

    test('a sim run with a reform that changes nothing gives zero differences; audited; too many persons is a 400', async () => {
      const r = await request(url, 'POST', '/api/v1/sim/runs', tok.fin, { region: '500230', year: 2022, persons: 1500, seed: 7, reform: NOOP });
      assert.equal(r.status, 200, r.text);
      const diffs = r.json.reform.differences as { what: string; differenceFen: number }[];
      assert.ok(diffs.length > 10);
      for (const x of diffs) assert.equal(x.differenceFen, 0, x.what);
      assert.equal(r.json.baseline.persons, 1500);
      assert.ok(r.json.baseline.encounters > 0);
      const shipped = await request(url, 'POST', '/api/v1/sim/runs', tok.fin, { region: '500230', year: 2022, persons: 1500, seed: 7, reform: 'chongqing-2022-2023' });
      assert.equal(shipped.status, 200, shipped.text);
      assert.ok(shipped.json.reform.differences.find((x: { what: string }) => x.what === 'income.contributions').differenceFen > 0);
      const logged = await d.db.selectFrom('audit_log').select(['actor', 'action']).where('action', '=', 'sim.run').execute();
      assert.equal(logged.length, 2);
      const big = await request(url, 'POST', '/api/v1/sim/runs', tok.fin, { region: '500230', year: 2022, persons: 200_001 });
      assert.equal(big.status, 400);
      assert.match(big.text, /persons/);
      const unknown = await request(url, 'POST', '/api/v1/sim/runs', tok.fin, { region: '500230', year: 2022, persons: 10, reform: 'no-such-reform' });
      assert.equal(unknown.status, 400);
      assert.match(unknown.text, /reform/);
      const badPath = await request(url, 'POST', '/api/v1/sim/runs', tok.fin, { region: '500230', year: 2022, persons: 10, reform: { ...NOOP, changes: [{ path: 'noSuchGroup.x', value: 1, from: '2022-01-01' }] } });
      assert.equal(badPath.status, 400, badPath.text);
      assert.match(badPath.text, /changes\.0\.path/);
    });

    test('a sim run of the registers reads the stored town', async () => {
      const r = await request(url, 'POST', '/api/v1/sim/runs', tok.fin, { region: '500230', year: 2022, source: 'registers' });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.source, 'registers');
      const settled = await sql<{ n: string }>`SELECT count(*)::text AS n FROM settlement WHERE reversed_at IS NULL`.execute(d.db);
      assert.equal(r.json.baseline.encounters, Number(settled.rows[0].n));
      // a generated population on rates fitted from the town's 2022 settlements
      const fit = await request(url, 'POST', '/api/v1/sim/runs', tok.fin, { region: '500230', year: 2022, persons: 300, ratesFrom: 2022 });
      assert.equal(fit.status, 200, fit.text);
      assert.equal(fit.json.source, 'generated');
      assert.equal(fit.json.ratesFrom.year, 2022);
      const live = await sql<{ n: string }>`SELECT count(*)::text AS n FROM settlement s JOIN encounter e ON e.id = s.encounter_id WHERE s.reversed_at IS NULL AND e.coverage_year = 2022`.execute(d.db);
      assert.equal(fit.json.ratesFrom.settlements, Number(live.rows[0].n));
      for (const [b, re] of [[{ ratesFrom: 2019 }, /ratesFrom.*no live settlement/], [{ ratesFrom: 2023 }, /ratesFrom.*after/], [{ ratesFrom: 2022, source: 'registers' }, /ratesFrom/]] as const) {
        const bad = await request(url, 'POST', '/api/v1/sim/runs', tok.fin, { region: '500230', year: 2022, persons: 10, ...b });
        assert.equal(bad.status, 400, bad.text);
        assert.match(bad.text, re);
      }
    });

    test('a statement equals the sum of the hospital’s live settlements; approved once; a payment sent twice pays once', async () => {
      const open = await request(url, 'GET', `/api/v1/fund/statements?hospital=${hospital}&month=2022-12`, tok.fin);
      assert.equal(open.status, 200, open.text);
      const live = await sql<{ n: string; fund: string; total: string }>`
        SELECT count(*)::text AS n, sum(s.basic_fund_fen + s.critical_illness_fen + s.medical_assistance_fen)::text AS fund, sum(s.total_fen)::text AS total
          FROM settlement s JOIN encounter e ON e.id = s.encounter_id
         WHERE s.hospital_code = ${hospital} AND s.reversed_at IS NULL AND e.date <= '2022-12-31'`.execute(d.db);
      assert.equal(open.json.state, 'open');
      assert.ok(Number(live.rows[0].n) > 0);
      assert.equal(open.json.settlements, Number(live.rows[0].n));
      assert.equal(open.json.fundTotalFen, Number(live.rows[0].fund));
      assert.equal(open.json.totalFen, Number(live.rows[0].total));
      const lines = open.json.lines as { fundFen: number }[];
      assert.equal(lines.reduce((s, l) => s + l.fundFen, 0), open.json.fundTotalFen);

      const ok = await request(url, 'POST', '/api/v1/fund/statements/approve', tok.fin, { hospital, month: '2022-12' });
      assert.equal(ok.status, 201, ok.text);
      assert.equal(ok.json.state, 'approved');
      assert.equal(ok.json.fundTotalFen, open.json.fundTotalFen);
      assert.equal((await request(url, 'POST', '/api/v1/fund/statements/approve', tok.fin, { hospital, month: '2022-12' })).status, 409);

      const pay = { hospital, month: '2022-12', reference: 'BANK-2023-0001', paidOn: '2023-01-10' };
      const first = await request(url, 'POST', '/api/v1/fund/payments', tok.fin, pay);
      assert.equal(first.status, 201, first.text);
      assert.equal(first.json.replayed, false);
      assert.equal(first.json.state, 'paid');
      const again = await request(url, 'POST', '/api/v1/fund/payments', tok.fin, pay);
      assert.equal(again.status, 200, again.text);
      assert.equal(again.json.replayed, true);
      const entries = await sql<{ n: string; fen: string }>`
        SELECT count(DISTINCT j.id)::text AS n, sum(p.amount_fen)::text AS fen FROM journal_entry j JOIN posting p ON p.entry_id = j.id
         WHERE j.source = 'clearing_payment' AND p.account = 'payable_hospitals'`.execute(d.db);
      assert.equal(Number(entries.rows[0].n), 1);
      assert.equal(Number(entries.rows[0].fen), open.json.fundTotalFen);
      const list = await request(url, 'GET', '/api/v1/fund/statements', tok.fin);
      assert.equal(list.status, 200, list.text);
      assert.deepEqual(list.json.statements.map((s: { hospitalCode: string; state: string }) => [s.hospitalCode, s.state]), [[hospital, 'paid']]);
    });

    test('all hospitals’ statements of a month: paged by hospital code, each equal to the single statement; bad paging is a 400', async () => {
      const hs = await sql<{ code: string }>`SELECT DISTINCT hospital_code AS code FROM settlement ORDER BY 1`.execute(d.db);
      const seen: string[] = [];
      for (let page = 1; ; page++) {
        const r = await request(url, 'GET', `/api/v1/fund/statements/month?month=2022-12&page=${page}&pageSize=2`, tok.fin);
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.total, hs.rows.length);
        if (!r.json.statements.length) break;
        for (const m of r.json.statements) {
          seen.push(m.hospitalCode);
          const one = (await request(url, 'GET', `/api/v1/fund/statements?hospital=${m.hospitalCode}&month=2022-12`, tok.fin)).json;
          assert.deepEqual([m.state, m.settlements, m.reversals, m.totalFen, m.fundTotalFen, m.byFund], [one.state, one.settlements, one.reversals, one.totalFen, one.fundTotalFen, one.byFund], m.hospitalCode);
          assert.equal(m.items, undefined, 'no settlement ids in the month’s table');
        }
      }
      assert.deepEqual(seen, hs.rows.map((r) => r.code));
      const bad = await request(url, 'GET', '/api/v1/fund/statements/month?month=2022-12&pageSize=1000', tok.fin);
      assert.equal(bad.status, 400);
      assert.match(bad.text, /pageSize/);
      assert.equal((await request(url, 'GET', '/api/v1/fund/statements/month?month=2022-12', tok.clerk)).status, 403);
    });

    test('receipts recorded once and listed with what is outstanding per level', async () => {
      const rec = { kind: 'fiscal_subsidy', level: 'central', reference: 'ZY-2022-01', coverageYear: 2022, amountYuan: '1000.00', receivedOn: '2022-06-30' };
      const a = await request(url, 'POST', '/api/v1/fund/receipts', tok.fin, rec);
      assert.equal(a.status, 201, a.text);
      const b = await request(url, 'POST', '/api/v1/fund/receipts', tok.fin, rec);
      assert.equal(b.status, 200, b.text);
      assert.equal(b.json.replayed, true);
      const list = await request(url, 'GET', '/api/v1/fund/receipts?year=2022&asOf=2022-12-31', tok.fin);
      assert.equal(list.status, 200, list.text);
      assert.equal(list.json.receipts.length, 1);
      const central = list.json.outstanding.lines.find((l: { level: string; coverageYear: number }) => l.level === 'central' && l.coverageYear === 2022);
      assert.equal(central.receivedFen, 100000);
      assert.equal(central.outstandingFen, central.accruedFen - 100000);
    });

    test('position, receipts and budget with ?format=xlsx: the workbook of what the JSON holds; a bad format is a 400 naming it', async () => {
      const read = async (buf: Buffer, name: string) => {
        const wb = new ExcelJS.Workbook();
        await wb.xlsx.load(buf as unknown as ArrayBuffer);
        const rows: ExcelJS.CellValue[][] = [];
        wb.getWorksheet(name)!.eachRow((r) => rows.push((r.values as ExcelJS.CellValue[]).slice(1)));
        return rows.slice(1);
      };
      const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
      const pos = await request(url, 'GET', '/api/v1/fund/position?region=370000&account=basic_fund', tok.fin);
      const px = await request(url, 'GET', '/api/v1/fund/position?region=370000&account=basic_fund&format=xlsx', tok.fin);
      assert.equal(px.status, 200, px.text);
      assert.equal(px.headers.get('content-type'), XLSX);
      assert.deepEqual((await read(px.buf, '基金运行')).map((r) => [r[1], r[7], r[8] === '' ? null : r[8]]), pos.json.positions.map((p: { month: string; balance: number; reserveMonths: number | null }) => [p.month, p.balance, p.reserveMonths]));
      const rx = await request(url, 'GET', '/api/v1/fund/receipts?year=2022&asOf=2022-12-31&format=xlsx', tok.fin);
      assert.equal(rx.status, 200, rx.text);
      const rec = await request(url, 'GET', '/api/v1/fund/receipts?year=2022&asOf=2022-12-31', tok.fin);
      assert.deepEqual((await read(rx.buf, '按级次')).map((r) => r[1]), rec.json.outstanding.byLevel.map((l: { outstanding: number }) => l.outstanding));
      const bx = await request(url, 'GET', '/api/v1/fund/budget?region=500230&year=2022&format=xlsx', tok.fin);
      assert.equal(bx.status, 200, bx.text);
      assert.equal(bx.headers.get('content-type'), XLSX);
      const bad = await request(url, 'GET', '/api/v1/fund/position?region=370000&format=csv', tok.fin);
      assert.equal(bad.status, 400);
      assert.match(bad.text, /format/);
      const month = await request(url, 'GET', '/api/v1/fund/position?region=370000&from=2022-13&format=xlsx', tok.fin);
      assert.equal(month.status, 400);
      assert.match(month.text, /from/);
      assert.equal((await request(url, 'GET', '/api/v1/fund/position?region=370000&format=xlsx', tok.clerk)).status, 403);
    });

    test('a clerk gets 403; bad input is a 400 naming the field', async () => {
      assert.equal((await request(url, 'GET', `/api/v1/fund/statements?hospital=${hospital}&month=2022-12`, tok.clerk)).status, 403);
      assert.equal((await request(url, 'POST', '/api/v1/fund/statements/approve', tok.clerk, { hospital, month: '2022-11' })).status, 403);
      assert.equal((await request(url, 'POST', '/api/v1/fund/payments', tok.clerk, { hospital, month: '2022-11', reference: 'X', paidOn: '2023-01-01' })).status, 403);
      assert.equal((await request(url, 'POST', '/api/v1/fund/receipts', tok.clerk, { level: 'central', reference: 'X', coverageYear: 2022, amountYuan: 1, receivedOn: '2022-01-01' })).status, 403);
      assert.equal((await request(url, 'POST', '/api/v1/sim/runs', tok.clerk, { region: '500230', year: 2022, persons: 10 })).status, 403);
      const month = await request(url, 'GET', `/api/v1/fund/statements?hospital=${hospital}&month=2022-13`, tok.fin);
      assert.equal(month.status, 400);
      assert.match(month.text, /month/);
      const ref = await request(url, 'POST', '/api/v1/fund/payments', tok.fin, { hospital, month: '2022-12', paidOn: '2023-01-10' });
      assert.equal(ref.status, 400);
      assert.match(ref.text, /reference/);
      const level = await request(url, 'POST', '/api/v1/fund/receipts', tok.fin, { reference: 'Y', coverageYear: 2022, amountYuan: 1, receivedOn: '2022-01-01' });
      assert.equal(level.status, 400);
      assert.match(level.text, /level/);
      const amount = await request(url, 'POST', '/api/v1/fund/receipts', tok.fin, { level: 'central', reference: 'Z', coverageYear: 2022, amountYuan: '1.234', receivedOn: '2022-01-01' });
      assert.equal(amount.status, 400);
      assert.match(amount.text, /amountYuan/);
      const year = await request(url, 'POST', '/api/v1/sim/runs', tok.fin, { region: '500230', year: 'x' });
      assert.equal(year.status, 400);
      assert.match(year.text, /year/);
      // nothing half-written by the refused requests
      const pays = await sql<{ n: string }>`SELECT count(*)::text AS n FROM clearing_payment`.execute(d.db);
      assert.equal(Number(pays.rows[0].n), 1);
    });
  });
