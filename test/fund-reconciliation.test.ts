/**
 * A hospital's month of clearing beside its own 3201/3202 reports (#17 item 1), and the area's
 * budget (#17 item 3), over HTTP on both databases. The hospital's reports go through the
 * platform's service (FsiService: sign-in 9001, then 3201 and 3202 as the HIS sends them); the
 * reconciliation reads them as stored. Totals equal to the statement give no difference; a
 * report sent again replaces the first (listed as superseded) and its one-fen difference is
 * named; 3202 rows missing, differing or unknown are each listed. A clerk gets 403; bad input a
 * 400 naming the field; the budget is audited and tracked month by month against the ledger.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { buildServer } from '../src/http/server.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { AuthService } from '../src/access/auth.ts';
import { SYSTEM, type Actor } from '../src/access/roles.ts';
import { FsiService } from '../src/hospitals/fsi/fsi-service.ts';
import { statement } from '../src/fund/clearing.ts';
import { clearingReconciliation } from '../src/fund/clearing-reconciliation.ts';
import { fundPosition } from '../src/fund/position.ts';
import { seedDemo } from '../src/sim/seed-demo.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { listen, logIn, request } from './support/http.ts';

const quotes = QuoteService.load();
const FINANCE: Actor = { userId: '0', username: 'finance-test', role: 'finance', villages: [], hospitalCode: null };
type Obj = Record<string, any>;

for (const backend of BACKENDS)
  describe(`clearing reconciled with 3201/3202, and the budget, on ${backend}`, () => {
    let d: TestDatabase;
    let app: FastifyInstance;
    let url = '';
    const tok: Record<string, string> = {};
    let hospital = '';
    let fsi: FsiService;
    let his: Actor;
    let signNo = '';
    let n = 0;
    // the settlements were made now: the month of today in Beijing holds them all by settlement time
    const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    const month = today.slice(0, 7);
    const call = async (infno: string, input: Obj): Promise<Obj> => {
      n += 1;
      const env = { infno, msgid: `${hospital}${String(Date.now()).slice(-8)}${String(n).padStart(4, '0')}`.slice(0, 30), mdtrtarea_admvs: '500230', recer_sys_code: 'HIS', infver: '1.0.0', opter_type: '1', opter: '0053', opter_name: '文双', inf_time: '2022-03-15 09:00:00', fixmedins_code: hospital, fixmedins_name: 'his', sign_no: signNo, input };
      const r = (await fsi.call(env, his)) as unknown as Obj;
      assert.equal(r.infcode, 0, `${infno}: ${r.err_msg}`);
      return { ...r, msgid: env.msgid };
    };

    before(async () => {
      d = await freshDatabase(backend);
      await seedDemo(d, quotes, { people: 200 });
      const auth = new AuthService(d.db);
      await auth.createUser(SYSTEM, { username: 'fin', displayName: '财务', password: 'fin-password-1', role: 'finance' });
      await auth.createUser(SYSTEM, { username: 'clerk1', displayName: '村办', password: 'clerk-password-1', role: 'clerk', villages: ['500230100'] });
      const top = await sql<{ code: string }>`SELECT hospital_code AS code FROM settlement WHERE reversed_at IS NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`.execute(d.db);
      hospital = top.rows[0].code;
      const uid = await auth.createUser(SYSTEM, { username: 'his1', displayName: 'HIS', role: 'hospital', hospitalCode: hospital });
      his = { userId: String(uid), username: 'his1', role: 'hospital', villages: [], hospitalCode: hospital };
      app = await buildServer(quotes, { database: d });
      fsi = new FsiService(d, quotes);
      url = await listen(app);
      tok.fin = await logIn(url, 'fin', 'fin-password-1');
      tok.clerk = await logIn(url, 'clerk1', 'clerk-password-1');
      signNo = (await call('9001', { signIn: { opter_no: '0053', mac: '00-1A', ip: '10.0.0.8' } })).output.signinoutb.sign_no;
    });
    after(async () => {
      await app?.close();
      await d?.drop();
    });

    test('no report yet: every day uncovered, nothing compared; a report equal to the statement balances', async () => {
      const none = await clearingReconciliation(d.db, FINANCE, { hospital, month });
      assert.equal(none.reported.reports.length, 0);
      assert.equal(none.reported.uncoveredDays.length, new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)), 0)).getUTCDate());
      assert.deepEqual(none.differences, []);
      assert.equal(none.balanced, false, 'nothing reported is not balanced');
      const s = await statement(d.db, FINANCE, { hospital, month });
      assert.ok(s.settlements > 0);
      assert.equal(none.statement.fundTotalFen, s.fundTotalFen);
      const first = await call('3201', { data: { insutype: '390', setl_optins: '500230', stmt_begndate: today, stmt_enddate: today, medfee_sumamt: (s.totalFen / 100).toFixed(2), fund_pay_sumamt: (s.fundTotalFen / 100).toFixed(2), acct_pay: 0, fixmedins_setl_cnt: String(s.settlements), fixmedins_refd_setl_flag: '0' } });
      const even = await clearingReconciliation(d.db, FINANCE, { hospital, month });
      assert.deepEqual(even.differences, [], JSON.stringify(even.differences));
      assert.equal(even.balanced, true);
      assert.deepEqual(even.reported.reports.map((r) => r.msgid), [first.msgid]);
      assert.equal(even.reported.fundFen, s.fundTotalFen);
      assert.equal(even.live.fundFen, s.fundTotalFen, 'every live settlement was settled today');
      assert.ok(!even.reported.uncoveredDays.includes(today));

      // sent again one fen higher: the latest counts, the first is superseded, the fen is named against both
      const again = await call('3201', { data: { insutype: '390', setl_optins: '500230', stmt_begndate: today, stmt_enddate: today, medfee_sumamt: (s.totalFen / 100).toFixed(2), fund_pay_sumamt: ((s.fundTotalFen + 1) / 100).toFixed(2), acct_pay: 0, fixmedins_setl_cnt: String(s.settlements), fixmedins_refd_setl_flag: '0' } });
      const off = await clearingReconciliation(d.db, FINANCE, { hospital, month });
      assert.deepEqual(off.reported.superseded.map((x) => [x.msgid, x.supersededBy]), [[first.msgid, again.msgid]]);
      assert.deepEqual(
        off.differences.map((x) => [x.field, x.against, x.difference]),
        [
          ['fund_pay_sumamt', 'statement', 0.01],
          ['fund_pay_sumamt', 'live', 0.01],
        ],
      );
      assert.equal(off.balanced, false);

      // over HTTP: the same answer for finance; 403 for a clerk; a bad month is a 400 naming it
      const r = await request(url, 'GET', `/api/v1/fund/reconciliation?hospital=${hospital}&month=${month}`, tok.fin);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json.differences, off.differences);
      assert.equal((await request(url, 'GET', `/api/v1/fund/reconciliation?hospital=${hospital}&month=${month}`, tok.clerk)).status, 403);
      const bad = await request(url, 'GET', `/api/v1/fund/reconciliation?hospital=${hospital}&month=2022-13`, tok.fin);
      assert.equal(bad.status, 400);
      assert.match(bad.text, /month/);
      assert.equal((await request(url, 'GET', `/api/v1/fund/reconciliation?hospital=NOPE&month=${month}`, tok.fin)).status, 404);
    });

    test('3202 rows against the statement: a missing row, a differing amount and an unknown settlement are each listed', async () => {
      const s = await statement(d.db, FINANCE, { hospital, month });
      const ids = s.items!.filter((i) => i.kind === 'settled').map((i) => i.settlementId);
      const { rows } = await sql<{ id: string; setl: string; total: string; fund: string }>`
        SELECT s.id::text AS id, coalesce(e.setl_id, 'S' || e.id::text) AS setl, s.total_fen::text AS total,
               (s.basic_fund_fen + s.critical_illness_fen + s.medical_assistance_fen)::text AS fund
          FROM settlement s JOIN encounter e ON e.id = s.encounter_id WHERE s.id IN (${sql.join(ids.map((i) => sql`${i}::bigint`))}) ORDER BY s.id`.execute(d.db);
      assert.ok(rows.length >= 3);
      const yuan = (f: string | number) => (Number(f) / 100).toFixed(2);
      const detail = rows.slice(1).map((r, i) => ({ setl_id: r.setl, medfee_sumamt: yuan(r.total), fund_pay_sumamt: i === 0 ? yuan(Number(r.fund) + 100) : yuan(r.fund), acct_pay: 0 }));
      detail.push({ setl_id: 'S999999999', medfee_sumamt: '10.00', fund_pay_sumamt: '5.00', acct_pay: 0 });
      await call('3202', { data: { setl_optins: '500230', stmt_begndate: today, stmt_enddate: today, medfee_sumamt: 0, fund_pay_sumamt: 0, cash_payamt: 0, fixmedins_setl_cnt: 0, fixmedins_refd_setl_flag: '0' }, detail });
      const r = await clearingReconciliation(d.db, FINANCE, { hospital, month });
      assert.ok(r.details);
      const by = (p: string) => r.details!.differences.filter((x) => x.problem === p).map((x) => x.setlId);
      assert.deepEqual(by('NOT_REPORTED'), [rows[0].setl]);
      assert.deepEqual(by('AMOUNT_DIFFERS'), [rows[1].setl]);
      assert.deepEqual(by('NOT_IN_STATEMENT'), ['S999999999']);
      assert.equal(r.details.matched, rows.length - 2);
      assert.match(r.details.differences.find((x) => x.problem === 'AMOUNT_DIFFERS')!.message, /金额不符/);
    });

    test('a 3201 whose period runs into another month (跨月): listed apart, compared on its own period, not in the month’s sums', async () => {
      const before = await clearingReconciliation(d.db, FINANCE, { hospital, month });
      const live = before.live;
      const prevDay = new Date(Date.parse(`${month}-01T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
      // the settlements were all made today: the period from the last day of the month before to today holds them
      const span = await call('3201', { data: { insutype: '390', setl_optins: '500230', stmt_begndate: prevDay, stmt_enddate: today, medfee_sumamt: (live.medfeeFen / 100).toFixed(2), fund_pay_sumamt: (live.fundFen / 100).toFixed(2), acct_pay: 0, fixmedins_setl_cnt: String(live.count), fixmedins_refd_setl_flag: '0' } });
      const r = await clearingReconciliation(d.db, FINANCE, { hospital, month });
      assert.deepEqual(r.reported.spanning.map((x) => x.msgid), [span.msgid]);
      assert.deepEqual(r.reported.spanning[0].differences, []);
      assert.equal(r.reported.spanning[0].live.fundFen, live.fundFen);
      assert.match(r.reported.spanning[0].note, /跨月/);
      assert.deepEqual(r.reported.reports.map((x) => x.msgid), before.reported.reports.map((x) => x.msgid), 'the month’s own reports are unchanged');
      assert.equal(r.reported.fundFen, before.reported.fundFen);
      assert.ok(r.reported.uncoveredDays.every((x) => x > today), 'the days up to today are covered by the spanning report');
      // one fen off on the spanning report: named on its own period; sent again it supersedes the first
      const off = await call('3201', { data: { insutype: '390', setl_optins: '500230', stmt_begndate: prevDay, stmt_enddate: today, medfee_sumamt: (live.medfeeFen / 100).toFixed(2), fund_pay_sumamt: ((live.fundFen + 1) / 100).toFixed(2), acct_pay: 0, fixmedins_setl_cnt: String(live.count), fixmedins_refd_setl_flag: '0' } });
      const r2 = await clearingReconciliation(d.db, FINANCE, { hospital, month });
      assert.deepEqual(r2.reported.spanning.map((x) => [x.msgid, x.supersedes]), [[off.msgid, [span.msgid]]]);
      assert.deepEqual(r2.reported.spanning[0].differences.map((x) => [x.field, x.against, x.difference]), [['fund_pay_sumamt', 'live', 0.01]]);
      assert.deepEqual(r2.differences, before.differences, 'the month’s comparison is not changed by it');
    });

    test('the budget: entered by finance (audited, latest version counts), tracked month by month; a clerk 403; bad input 400 naming the field', async () => {
      const year = 2022;
      const post = (tokn: string, body: unknown) => request(url, 'POST', '/api/v1/fund/budget', tokn, body);
      assert.equal((await post(tok.fin, { year, account: 'basic_fund', incomeYuan: '1000.00', spendingYuan: '900' })).status, 201);
      const second = await post(tok.fin, { year, account: 'basic_fund', incomeYuan: '120000.50', spendingYuan: '150000' });
      assert.equal(second.status, 201, second.text);
      assert.equal((await post(tok.clerk, { year, account: 'basic_fund', incomeYuan: 1, spendingYuan: 1 })).status, 403);
      const bad = await post(tok.fin, { year, account: 'basic_fund', incomeYuan: '1.234', spendingYuan: 1 });
      assert.equal(bad.status, 400);
      assert.match(bad.text, /incomeYuan/);
      assert.equal((await post(tok.fin, { year, account: 'nope', incomeYuan: 1, spendingYuan: 1 })).status, 400);
      const logged = await d.db.selectFrom('audit_log').select('action').where('action', '=', 'record_fund_budget').execute();
      assert.equal(logged.length, 2);
      const r = await request(url, 'GET', `/api/v1/fund/budget?region=500230&year=${year}`, tok.fin);
      assert.equal(r.status, 200, r.text);
      const line = r.json.lines.find((l: Obj) => l.account === 'basic_fund');
      assert.equal(line.incomeFen, 12_000_050, 'the latest version counts');
      assert.equal(line.recordedBy, 'fin');
      assert.deepEqual(line.warnings.map((w: Obj) => w.code).includes('BUDGET_SPENDING_ABOVE_INCOME'), true);
      const pos = await fundPosition(d.db, quotes.lib, { region: '500230', account: 'basic_fund', from: `${year}-01`, to: `${year}-12` });
      for (const m of line.months) {
        const p = pos.positions.find((x) => x.month === m.month)!;
        assert.equal(m.incomeFen, p.incomeFen, m.month);
        assert.equal(m.spendingFen, p.spendingFen, m.month);
        assert.equal(m.yearSpendingFen, p.yearSpendingFen, m.month);
      }
      assert.equal(line.months.at(-1).yearSpendingFen, line.actualSpendingFen);
      assert.equal((await request(url, 'GET', `/api/v1/fund/budget?region=500230&year=${year}`, tok.clerk)).status, 403);
      assert.equal((await request(url, 'GET', `/api/v1/fund/budget?region=5002&year=${year}`, tok.fin)).status, 400);
    });
  });
