/**
 * Screening cases (issue #18 item 4): open → reviewed → confirmed | dismissed, each move audited
 * and role-checked; a confirmed case recovers the fund's money through the ledger and the trial
 * balance stays balanced; a clerk sees only the hits about their villages' residents. Runs as
 * the service's database role (no owner pools).
 */
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import assert from 'node:assert/strict';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { ADMIN, HA, HB, VILLAGE_A, VILLAGE_B, quotes, town, type Town } from './support/risk-town.ts';
import { runScreening } from '../src/risk/screening.ts';
import { CaseService } from '../src/risk/cases.ts';
import { balances } from '../src/ledger/ledger.ts';
import { trialBalance } from '../src/ledger/ledger-report.ts';
import type { Actor } from '../src/access/roles.ts';
import { approveStatement, statement } from '../src/fund/clearing.ts';

const CLERK_A: Actor = { userId: '7', username: 'clerk_a', role: 'clerk', villages: [VILLAGE_A], hospitalCode: null };
const OFFICER: Actor = { userId: '8', username: 'officer', role: 'policy_officer', villages: [], hospitalCode: null };
const HOSPITAL: Actor = { userId: '9', username: 'h', role: 'hospital', villages: [], hospitalCode: HA };
const FINANCE: Actor = { userId: '10', username: 'finance', role: 'finance', villages: [], hospitalCode: null };

for (const backend of BACKENDS)
  describe(`screening cases on ${backend}`, () => {
    let d: TestDatabase;
    let t: Town;
    let cases: CaseService;
    const hit: Record<string, string> = {};

    before(async () => {
      d = await freshDatabase(backend);
      t = await town(d);
      cases = new CaseService(d.db, quotes.lib, '500230');
      // two residents settled after their registered deaths (FR02), one in each village; one alive
      const a = await t.person({ village: VILLAGE_A, dateOfDeath: '2022-02-01' });
      await t.settle(a.id, { date: '2022-03-01', inScope: 2000, hospital: HA });
      const b = await t.person({ village: VILLAGE_B, dateOfDeath: '2022-02-01' });
      await t.settle(b.id, { date: '2022-03-02', inScope: 1500, hospital: HB });
      const alive = await t.person({ village: VILLAGE_A });
      await t.settle(alive.id, { date: '2022-03-03', inScope: 1500, hospital: HA });
      const run = await runScreening(d.db, quotes.lib, { year: 2022, region: '500230', codes: ['FR02'] });
      assert.deepEqual(run.rules.map((r) => [r.code, r.found]), [['FR02', 2]]);
      const all = await cases.list(ADMIN, { year: 2022 });
      for (const c of all.cases) hit[c.villageCode!] = c.id;
    });
    after(async () => d?.drop());

    test('a clerk sees only the hits about their villages; a hospital account none', async () => {
      const mine = await cases.list(CLERK_A, { year: 2022 });
      assert.deepEqual(mine.cases.map((c) => c.villageCode), [VILLAGE_A]);
      assert.deepEqual(mine.summary.map((s) => s.cases), [1], 'the summary is scoped too');
      await assert.rejects(cases.get(CLERK_A, hit[VILLAGE_B]!), { name: 'NotFoundError' });
      const own = await cases.get(CLERK_A, hit[VILLAGE_A]!);
      assert.equal(own.ruleName, '死亡后结算');
      assert.match(own.settlements[0]!.person.idNumber, /\*/, 'the ID number is masked');
      await assert.rejects(cases.list(HOSPITAL), { name: 'ForbiddenError' });
    });

    test('only a reviewer moves a case, and only along open → reviewed → confirmed | dismissed', async () => {
      await assert.rejects(cases.move(CLERK_A, hit[VILLAGE_A]!, 'reviewed'), { name: 'ForbiddenError' });
      await assert.rejects(cases.move(OFFICER, hit[VILLAGE_A]!, 'confirmed'), /CASE_STATE|can move to reviewed/);
      await assert.rejects(cases.move(OFFICER, hit[VILLAGE_A]!, 'bogus' as never), { name: 'InputError' });
      const r = await cases.move(OFFICER, hit[VILLAGE_B]!, 'reviewed', { note: '已核实死亡证明' });
      assert.equal(r.state, 'reviewed');
      const x = await cases.move(OFFICER, hit[VILLAGE_B]!, 'dismissed', { note: '死亡日期登记有误' });
      assert.equal(x.state, 'dismissed');
      assert.equal(x.recoveryEntry, null);
      await assert.rejects(cases.move(OFFICER, hit[VILLAGE_B]!, 'reviewed'), /closed|CASE_STATE/);
      const v = await cases.get(ADMIN, hit[VILLAGE_B]!);
      assert.deepEqual(v.events.map((e) => [e.from, e.to, e.actor]), [['open', 'reviewed', 'officer'], ['reviewed', 'dismissed', 'officer']]);
      const audited = await d.db.selectFrom('audit_log').select(['action', 'actor']).where('entity', '=', 'risk_case').where('entity_id', '=', hit[VILLAGE_B]!).orderBy('id').execute();
      assert.deepEqual(audited.map((a) => a.action), ['risk.case.reviewed', 'risk.case.dismissed']);
    });

    test('confirming recovers what the funds paid through the ledger; the trial balance stays balanced', async () => {
      const before = new Map((await balances(d.db)).map((b) => [b.account, b.balanceFen]));
      const open = await cases.get(ADMIN, hit[VILLAGE_A]!);
      const amountFen = Math.round(Number(open.amount) * 100);
      assert.ok(amountFen > 0);
      await assert.rejects(cases.move(OFFICER, hit[VILLAGE_A]!, 'reviewed').then(() => cases.move(OFFICER, hit[VILLAGE_A]!, 'confirmed', { recoverYuan: 999999 })), { name: 'InputError' });
      const c = await cases.move(OFFICER, hit[VILLAGE_A]!, 'confirmed');
      assert.equal(c.state, 'confirmed');
      assert.equal(c.recovered, open.amount);
      assert.ok(c.recoveryEntry);
      const afterB = new Map((await balances(d.db)).map((b) => [b.account, b.balanceFen]));
      const delta = (a: string) => (afterB.get(a) ?? 0) - (before.get(a) ?? 0);
      assert.equal(delta('payable_hospitals'), amountFen, 'what the hospitals are owed falls by the recovery');
      assert.equal(delta('basic_fund') + delta('critical_illness_fund') + delta('medical_assistance_fund'), -amountFen, 'the funds get it back');
      const tb = await trialBalance(d.db);
      assert.equal(tb.balanced, true);
      assert.deepEqual(tb.unbalancedEntries, []);
      const entry = await d.db.selectFrom('journal_entry').selectAll().where('id', '=', c.recoveryEntry!).executeTakeFirstOrThrow();
      assert.equal(entry.source, 'recovery');
      assert.equal(entry.hospital_code, HA, 'the recovery names the hospital that owes it back');
    });

    test("the recovery nets in the hospital's payable and its next clearing statement deducts it, once", async () => {
      const c = await cases.get(ADMIN, hit[VILLAGE_A]!);
      assert.equal(c.state, 'confirmed');
      const fen = Math.round(Number(c.recovered) * 100);
      // what HA is owed: its settlements' payable less the recovery (the other hospital untouched)
      const { rows } = await sql<{ hospital_code: string; fund: string }>`SELECT hospital_code, sum(basic_fund_fen + critical_illness_fen + medical_assistance_fen)::text AS fund FROM settlement WHERE reversed_at IS NULL GROUP BY hospital_code`.execute(d.db);
      const fundOf = (h: string) => Number(rows.find((r) => r.hospital_code === h)?.fund ?? 0);
      const tb = await trialBalance(d.db);
      assert.equal(tb.balanced, true);
      assert.equal(tb.payableByHospital.find((h) => h.hospitalCode === HA)?.payableFen, fundOf(HA) - fen);
      assert.equal(tb.payableByHospital.find((h) => h.hospitalCode === HB)?.payableFen, fundOf(HB));
      assert.equal(tb.payableOther, 0, 'nothing on payable_hospitals is left unattributed');
      // HA's statement: its settlements less the recovery, on a line of its own
      const open = await statement(d.db, FINANCE, { hospital: HA, month: '2022-03' });
      assert.equal(open.recoveries, 1);
      assert.deepEqual(open.recoveryItems?.map((r) => [r.entryId, r.caseId, r.fundFen]), [[c.recoveryEntry, c.id, -fen]]);
      const line = open.lines.find((l) => l.kind === 'recovered')!;
      assert.equal(line.fundFen, -fen);
      assert.equal(line.basicFundFen + line.criticalIllnessFen + line.medicalAssistanceFen, -fen);
      assert.equal(open.fundTotalFen, fundOf(HA) - fen);
      const approved = await approveStatement(d.db, FINANCE, { hospital: HA, month: '2022-03' });
      assert.equal(approved.fundTotalFen, fundOf(HA) - fen);
      assert.equal(approved.recoveries, 1);
      // deducted once: the next month's statement has nothing more to deduct
      const next = await statement(d.db, FINANCE, { hospital: HA, month: '2022-04' });
      assert.equal(next.recoveries, 0);
      assert.equal(next.fundTotalFen, 0);
      // the other hospital's statement never sees HA's recovery
      assert.equal((await statement(d.db, FINANCE, { hospital: HB, month: '2022-03' })).recoveries, 0);
      assert.equal((await trialBalance(d.db)).balanced, true);
    });
  });
