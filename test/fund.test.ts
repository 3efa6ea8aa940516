/**
 * Clearing with hospitals on both databases, on a small demo town settled by the real services:
 * a statement equals the sum of the hospital's live settlements; approval writes it once; a
 * payment sent twice pays once (Dr payable_hospitals / Cr fund_bank); a reversal after clearing
 * is carried into the next statement; 3201/3202 reconciliation agrees with our own totals and
 * names what differs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { seedDemo } from '../src/sim/seed-demo.ts';
import { SYSTEM, type Actor } from '../src/access/roles.ts';
import { approveStatement, payStatement, statement } from '../src/fund/clearing.ts';
import { reconcileDetails, reconcileTotals } from '../src/fund/reconcile.ts';
import { ageOutstanding, outstanding, recordReceipt } from '../src/fund/receipts.ts';
import { budgetReport, fundPosition, recordBudget } from '../src/fund/position.ts';
import { trialBalance } from '../src/ledger/ledger-report.ts';
import { reverseSettlement } from '../src/settlement/reversal.ts';
import { SettlementEngine } from '../src/settlement/compute.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';

const quotes = QuoteService.load();
const FINANCE: Actor = { userId: '0', username: 'finance-test', role: 'finance', villages: [], hospitalCode: null };

for (const backend of BACKENDS)
  describe(`clearing with hospitals on ${backend}`, () => {
    let d: TestDatabase;
    let hospital: string;
    before(async () => {
      d = await freshDatabase(backend);
      await seedDemo(d, quotes, { people: 300 });
      const top = await sql<{ h: string }>`SELECT hospital_code AS h FROM settlement GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`.execute(d.db);
      hospital = top.rows[0].h;
    });
    after(() => d?.drop());

    const live = async (to: string) =>
      (
        await sql<{ n: string; fund: string; total: string }>`
          SELECT count(*)::text AS n, coalesce(sum(s.basic_fund_fen + s.critical_illness_fen + s.medical_assistance_fen), 0)::text AS fund, coalesce(sum(s.total_fen), 0)::text AS total
            FROM settlement s JOIN encounter e ON e.id = s.encounter_id
           WHERE s.hospital_code = ${hospital} AND s.reversed_at IS NULL AND e.date <= ${to}::date`.execute(d.db)
      ).rows[0];

    test('the statement is the sum of the live settlements; approval, payment once, a reversal carried into the next month', async () => {
      const open = await statement(d.db, FINANCE, { hospital, month: '2022-03' });
      const sum = await live('2022-03-31');
      assert.equal(open.state, 'open');
      assert.equal(open.settlements, Number(sum.n));
      assert.ok(open.settlements > 0);
      assert.equal(open.fundTotalFen, Number(sum.fund));
      assert.equal(open.totalFen, Number(sum.total));
      assert.equal(open.lines.reduce((s, l) => s + l.fundFen, 0), open.fundTotalFen);
      assert.equal(open.byFund.basicFundFen + open.byFund.criticalIllnessFen + open.byFund.medicalAssistanceFen, open.fundTotalFen);
      assert.ok(open.lines.every((l) => l.clrType !== ''));

      const approved = await approveStatement(d.db, FINANCE, { hospital, month: '2022-03' });
      assert.equal(approved.state, 'approved');
      assert.equal(approved.fundTotalFen, open.fundTotalFen);
      await assert.rejects(approveStatement(d.db, FINANCE, { hospital, month: '2022-03' }), { code: 'STATEMENT_APPROVED' });
      await assert.rejects(payStatement(d.db, FINANCE, { hospital, month: '2022-04', reference: 'BANK-0', paidOn: '2022-05-10' }), { code: 'STATEMENT_NOT_APPROVED' });

      const payableBefore = -(await trialBalance(d.db)).accounts.find((a) => a.account === 'payable_hospitals')!.balance;
      const first = await payStatement(d.db, FINANCE, { hospital, month: '2022-03', reference: 'BANK-1', paidOn: '2022-04-10' });
      const again = await payStatement(d.db, FINANCE, { hospital, month: '2022-03', reference: 'BANK-1', paidOn: '2022-04-10' });
      assert.equal(first.replayed, false);
      assert.equal(again.replayed, true);
      assert.equal(first.state, 'paid');
      await assert.rejects(payStatement(d.db, FINANCE, { hospital, month: '2022-03', reference: 'BANK-2', paidOn: '2022-04-10' }), { code: 'STATEMENT_PAID' });
      await assert.rejects(payStatement(d.db, FINANCE, { hospital, month: '2022-03', reference: 'BANK-1', paidOn: '2022-04-11' }), { code: 'PAYMENT_REFERENCE_REUSED' });
      const entries = await sql<{ n: number }>`SELECT count(*)::int AS n FROM journal_entry WHERE source = 'clearing_payment'`.execute(d.db);
      assert.equal(entries.rows[0].n, 1, 'paid once');
      const tb = await trialBalance(d.db);
      assert.equal(tb.balanced, true);
      const payableAfter = -tb.accounts.find((a) => a.account === 'payable_hospitals')!.balance;
      assert.equal(Math.round((payableBefore - payableAfter) * 100), open.fundTotalFen);
      assert.equal(Math.round(-tb.accounts.find((a) => a.account === 'fund_bank')!.balance * 100), open.fundTotalFen);

      // a cleared settlement reversed afterwards: deducted in the next statement
      const cleared = await sql<{ id: string; fund: string }>`
        SELECT s.id::text AS id, (s.basic_fund_fen + s.critical_illness_fen + s.medical_assistance_fen)::text AS fund
          FROM clearing_item c JOIN settlement s ON s.id = c.settlement_id
         WHERE c.kind = 'settled' AND s.basic_fund_fen > 0 ORDER BY s.id DESC LIMIT 1`.execute(d.db);
      const target = cleared.rows[0];
      await reverseSettlement(d.db, new SettlementEngine(quotes), SYSTEM, target.id, { trace: false });
      const next = await statement(d.db, FINANCE, { hospital, month: '2022-04' });
      assert.equal(next.reversals, 1);
      const carried = next.items!.filter((i) => i.kind === 'reversed');
      assert.deepEqual(carried.map((i) => [i.settlementId, i.fundFen]), [[target.id, -Number(target.fund)]]);
      // what the two statements pay is what is live up to April's end
      const sumApr = await live('2022-04-30');
      assert.equal(open.fundTotalFen + next.fundTotalFen, Number(sumApr.fund));
      const apr = await approveStatement(d.db, FINANCE, { hospital, month: '2022-04' });
      assert.equal(apr.fundTotalFen, next.fundTotalFen);
      assert.equal(apr.lines.filter((l) => l.kind === 'reversed').reduce((s, l) => s + l.fundFen, 0), -Number(target.fund));
      const after = await statement(d.db, FINANCE, { hospital, month: '2022-05' });
      assert.equal(after.reversals, 0, 'a reversal is carried once');
      const audits = await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_log WHERE action IN ('approve_clearing_statement', 'pay_clearing_statement')`.execute(d.db);
      assert.equal(audits.rows[0].n, 3);
    });

    test('3201 totals and 3202 details: equal figures are 平, a fen off is 不平 naming the field', async () => {
      const range = { hospital, stmt_begndate: '2000-01-01', stmt_enddate: '2100-12-31' };
      const rows = (
        await sql<{ id: string; total: string; fund: string }>`
          SELECT id::text, total_fen::text AS total, (basic_fund_fen + critical_illness_fen + medical_assistance_fen)::text AS fund
            FROM settlement WHERE hospital_code = ${hospital} AND reversed_at IS NULL ORDER BY id`.execute(d.db)
      ).rows;
      const total = rows.reduce((s, r) => s + Number(r.total), 0);
      const fund = rows.reduce((s, r) => s + Number(r.fund), 0);
      const ok = await reconcileTotals(d.db, FINANCE, { ...range, medfee_sumamt: (total / 100).toFixed(2), fund_pay_sumamt: (fund / 100).toFixed(2), acct_pay: 0, fixmedins_setl_cnt: rows.length });
      assert.equal(ok.stmt_rslt, '0', ok.stmt_rslt_dscr);
      const off = await reconcileTotals(d.db, FINANCE, { ...range, medfee_sumamt: (total / 100).toFixed(2), fund_pay_sumamt: ((fund + 1) / 100).toFixed(2), acct_pay: 0, fixmedins_setl_cnt: rows.length });
      assert.equal(off.stmt_rslt, '1');
      assert.deepEqual(off.differences.map((x) => x.field), ['fund_pay_sumamt']);
      const detail = rows.map((r) => ({ setl_id: r.id, medfee_sumamt: (Number(r.total) / 100).toFixed(2), fund_pay_sumamt: (Number(r.fund) / 100).toFixed(2), acct_pay: 0 }));
      assert.equal((await reconcileDetails(d.db, FINANCE, { ...range, rows: detail })).stmt_rslt, '0');
      const missing = await reconcileDetails(d.db, FINANCE, { ...range, rows: detail.slice(1) });
      assert.equal(missing.stmt_rslt, '1');
      assert.deepEqual(missing.rows.filter((r) => r.stmt_rslt === '1').map((r) => [r.setl_id, r.memo]), [[rows[0].id, '机构未上传此结算']]);
      await assert.rejects(reconcileTotals(d.db, FINANCE, { ...range, medfee_sumamt: '1.234', fund_pay_sumamt: 0, acct_pay: 0, fixmedins_setl_cnt: 0 }), { name: 'InputError', field: 'medfee_sumamt' });
    });

    test('money received: partial subsidy receipts by level and year, outstanding and its age, the assistance appropriation received; once per reference, audited', async () => {
      const before = await outstanding(d.db, { year: 2022, asOf: '2022-12-31' });
      const tb0 = await trialBalance(d.db);
      const bal = (tb: typeof tb0, a: string) => Math.round(tb.accounts.find((x) => x.account === a)!.balance * 100);
      for (const l of before.lines.filter((x) => x.level !== 'medical_assistance')) assert.equal(l.outstandingFen, bal(tb0, `subsidy_receivable_${l.level}`), l.level);
      const central = before.lines.find((l) => l.level === 'central')!;
      assert.ok(central.accruedFen > 0 && central.receivedFen === 0);
      assert.equal(central.aging.days0to90 + central.aging.days91to180 + central.aging.days181to365 + central.aging.over365, central.outstandingFen);
      const half = Math.floor(central.accruedFen / 2);
      const r = { kind: 'fiscal_subsidy', level: 'central', reference: 'CZ-2022-001', coverageYear: 2022, amountYuan: (half / 100).toFixed(2), receivedOn: '2022-06-30' };
      const first = await recordReceipt(d.db, FINANCE, r);
      const again = await recordReceipt(d.db, FINANCE, r);
      assert.equal(first.replayed, false);
      assert.equal(again.replayed, true);
      await assert.rejects(recordReceipt(d.db, FINANCE, { ...r, amountYuan: '1.00' }), { code: 'RECEIPT_REFERENCE_REUSED' });
      await assert.rejects(recordReceipt(d.db, FINANCE, { ...r, reference: 'X', level: undefined }), { name: 'InputError', field: 'level' });
      const after = await outstanding(d.db, { year: 2022, asOf: '2022-12-31' });
      const c2 = after.lines.find((l) => l.level === 'central')!;
      assert.equal(c2.receivedFen, half);
      assert.equal(c2.outstandingFen, central.accruedFen - half);
      const tb1 = await trialBalance(d.db);
      assert.equal(bal(tb1, 'subsidy_receivable_central'), c2.outstandingFen);
      assert.equal(tb1.balanced, true);
      // the medical-assistance appropriation (recorded by the demo as a transfer) received in full
      const ma = after.lines.find((l) => l.level === 'medical_assistance')!;
      assert.ok(ma.accruedFen > 0);
      await recordReceipt(d.db, FINANCE, { kind: 'assistance_appropriation', reference: 'MZ-2022-001', coverageYear: 2022, amountYuan: (ma.accruedFen / 100).toFixed(2), receivedOn: '2022-12-01' });
      const final = await outstanding(d.db, { year: 2022, asOf: '2022-12-31' });
      assert.equal(final.lines.find((l) => l.level === 'medical_assistance')!.outstandingFen, 0);
      assert.equal(bal(await trialBalance(d.db), 'medical_assistance_appropriation_receivable'), 0);
      const receipts = await sql<{ n: number }>`SELECT count(*)::int AS n FROM journal_entry WHERE source = 'fund_receipt'`.execute(d.db);
      assert.equal(receipts.rows[0].n, 2);
      const audits = await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_log WHERE action = 'record_fund_receipt'`.execute(d.db);
      assert.equal(audits.rows[0].n, 2);
    });

    test('bottom lines and budget from the ledger: each fund’s last balance is its trial balance; the budget tracked against the year', async () => {
      const tb = await trialBalance(d.db);
      const pos = await fundPosition(d.db, quotes.lib, { region: '370000' });
      for (const account of ['basic_fund', 'critical_illness_fund', 'medical_assistance_fund']) {
        const mine = pos.positions.filter((p) => p.account === account);
        assert.ok(mine.length > 0, account);
        assert.equal(mine[mine.length - 1].balanceFen, Math.round(tb.accounts.find((a) => a.account === account)!.natural * 100), account);
      }
      assert.deepEqual(pos.bottomLines.find((b) => b.year === 2022), { year: 2022, minimumReserveMonths: 6, noCurrentDeficit: true, params: pos.bottomLines.find((b) => b.year === 2022)!.params });
      for (const a of pos.alerts) assert.equal(a.citation.cite, '鲁医保发〔2022〕24号 九');
      const none = await fundPosition(d.db, quotes.lib, { region: '500230' });
      assert.deepEqual(none.alerts, [], 'no bottom line in the Chongqing packs');
      await assert.rejects(fundPosition(d.db, quotes.lib, { region: '5002' }), { name: 'InputError', field: 'region' });
      await recordBudget(d.db, FINANCE, { year: 2022, account: 'basic_fund', incomeYuan: 100, spendingYuan: 200 });
      await recordBudget(d.db, FINANCE, { year: 2022, account: 'basic_fund', incomeYuan: '90000000', spendingYuan: '80000000.5' });
      const b = await budgetReport(d.db, quotes.lib, { region: '370000', year: 2022 });
      assert.equal(b.lines.length, 1);
      assert.equal(b.lines[0].spendingFen, 8_000_000_050, 'the latest version counts');
      assert.deepEqual(b.lines[0].warnings, []);
      const flows = pos.positions.filter((p) => p.account === 'basic_fund' && p.month.startsWith('2022-'));
      assert.equal(b.lines[0].actualSpendingFen, flows.reduce((s, p) => s + p.spendingFen, 0));
    });
  });

test('the age of what is outstanding: receipts cover the oldest months first', () => {
  const acc = [
    { month: '2022-03', fen: 300 },
    { month: '2021-12', fen: 1000 },
    { month: '2022-01', fen: 500 },
  ];
  assert.deepEqual(ageOutstanding(acc, 1200, '2022-06-30'), { aging: { days0to90: 0, days91to180: 600, days181to365: 0, over365: 0 }, oldestDays: 180 });
  assert.deepEqual(ageOutstanding(acc, 0, '2023-01-15').aging, { days0to90: 0, days91to180: 0, days181to365: 300, over365: 1500 });
  assert.deepEqual(ageOutstanding(acc, 1800, '2022-06-30'), { aging: { days0to90: 0, days91to180: 0, days181to365: 0, over365: 0 }, oldestDays: null });
});
