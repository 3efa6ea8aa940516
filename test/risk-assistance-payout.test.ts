/**
 * The payout of assistance approved on application (issue #18 item 2), on both databases, as the
 * service's database role: the approval credits payable_assistance_recipients; the medical-
 * assistance officer's payout debits it back to zero and credits fund_bank, the trial balance
 * balanced; the same payment again writes nothing; another payment of a paid application, a
 * reference used twice, a refused or unpaid application are conflicts; over HTTP a clerk may not
 * pay and bad input is a 400 naming the field; every payout audited.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../src/http/server.ts';
import { AuthService } from '../src/access/auth.ts';
import { SYSTEM, type Actor } from '../src/access/roles.ts';
import { AssistanceApplications } from '../src/risk/assistance-applications.ts';
import { balances } from '../src/ledger/ledger.ts';
import { trialBalance } from '../src/ledger/ledger-report.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { listen, request } from './support/http.ts';
import { VILLAGE_A, quotes, town, type Town } from './support/risk-town.ts';

const MA: Actor = { userId: '5', username: 'jiuzhu', role: 'medical_assistance', villages: [], hospitalCode: null };
const CLERK_A: Actor = { userId: '7', username: 'clerk_a', role: 'clerk', villages: [VILLAGE_A], hospitalCode: null };
const today = new Date().toISOString().slice(0, 10);

for (const backend of BACKENDS)
  describe(`the payout of assistance approved on application on ${backend}`, () => {
    let d: TestDatabase;
    let t: Town;
    let svc: AssistanceApplications;
    let app: FastifyInstance;
    let base: string;
    const tok: Record<string, string> = {};

    before(async () => {
      d = await freshDatabase(backend);
      t = await town(d);
      svc = new AssistanceApplications(d.db, quotes.lib);
      const auth = new AuthService(d.db);
      for (const u of [
        { username: 'clerk', role: 'clerk' as const, villages: [VILLAGE_A] },
        { username: 'jiuzhu', role: 'medical_assistance' as const },
      ]) {
        const id = await auth.createUser(SYSTEM, { ...u, displayName: u.username, password: `${u.username}-test-password` });
        tok[u.username] = await auth.issueApiToken(SYSTEM, id, 'payout');
      }
      app = await buildServer(quotes, { database: d });
      base = await listen(app);
    });
    after(async () => {
      await app?.close();
      await d?.drop();
    });

    const approved = async (requested: number) => {
      const p = await t.person({ statuses: ['dibao'] });
      await t.settle(p.id, { date: '2022-03-01', inScope: 3000 });
      const a = await svc.apply(CLERK_A, { personId: p.id, coverageYear: 2022, reason: '住院自付费用负担重', requested });
      const ok = await svc.decide(MA, a.id, { approve: true, reason: '符合条件' });
      assert.ok(ok.approved! > 0);
      return ok;
    };
    const balance = async (account: string) => (await balances(d.db)).find((b) => b.account === account)?.balanceFen ?? 0;

    test('the payout clears what is owed to the person from the fund’s bank account, once; the books balance', async () => {
      const ok = await approved(2000);
      const pay = Math.round(ok.approved! * 100);
      const owedBefore = await balance('payable_assistance_recipients');
      const bankBefore = await balance('fund_bank');
      assert.ok(owedBefore <= -pay, 'the approval credited the amount owed to the person');
      await assert.rejects(svc.payOut(CLERK_A, ok.id, { reference: 'YH-1', paidOn: today }), { name: 'ForbiddenError' });
      const paid = await svc.payOut(MA, ok.id, { reference: 'YH-1', paidOn: today });
      assert.equal(paid.replayed, false);
      assert.equal(paid.payout!.amountFen, pay);
      assert.equal(paid.payout!.reference, 'YH-1');
      assert.ok(paid.payout!.entryId);
      assert.equal((await balance('payable_assistance_recipients')) - owedBefore, pay, 'Dr payable_assistance_recipients');
      assert.equal((await balance('fund_bank')) - bankBefore, -pay, 'Cr fund_bank');
      const tb = await trialBalance(d.db);
      assert.equal(tb.balanced, true);
      assert.deepEqual(tb.unbalancedEntries, []);
      const again = await svc.payOut(MA, ok.id, { reference: 'YH-1', paidOn: today });
      assert.equal(again.replayed, true);
      assert.equal(again.payout!.entryId, paid.payout!.entryId);
      const entries = await d.db.selectFrom('journal_entry').select('id').where('source', '=', 'assistance_payout').where('source_id', '=', ok.id).execute();
      assert.equal(entries.length, 1, 'paid once');
      await assert.rejects(svc.payOut(MA, ok.id, { reference: 'YH-2', paidOn: today }), /APPLICATION_PAID|paid out already/);
      const audited = await d.db.selectFrom('audit_log').select(['action', 'actor']).where('entity', '=', 'assistance_application').where('entity_id', '=', ok.id).where('action', '=', 'assistance.payout').execute();
      assert.deepEqual(audited.map((x) => [x.action, x.actor]), [['assistance.payout', 'jiuzhu']]);
      // the application read back carries the payout
      assert.equal((await svc.get(MA, ok.id)).payout!.reference, 'YH-1');
    });

    test('a reference used for another application, a refused application, a paid-on date before the decision are refused', async () => {
      const ok = await approved(1500);
      await assert.rejects(svc.payOut(MA, ok.id, { reference: 'YH-1', paidOn: today }), /PAYMENT_REFERENCE_REUSED|was used for application/);
      await assert.rejects(svc.payOut(MA, ok.id, { reference: 'YH-3', paidOn: '2022-01-01' }), (e: Error) => e.name === 'InputError' && /paidOn/.test(JSON.stringify(e) + e.message));
      const p = await t.person({ statuses: ['dibao'] });
      const no = await svc.apply(CLERK_A, { personId: p.id, coverageYear: 2022, reason: '申请', requested: 100 });
      await assert.rejects(svc.payOut(MA, no.id, { reference: 'YH-4', paidOn: today }), /APPLICATION_NOT_APPROVED|only an approved/);
      await svc.decide(MA, no.id, { approve: false, reason: '不符合条件' });
      await assert.rejects(svc.payOut(MA, no.id, { reference: 'YH-4', paidOn: today }), /APPLICATION_NOT_APPROVED|only an approved/);
      assert.equal((await trialBalance(d.db)).balanced, true);
    });

    test('over HTTP: a clerk is refused; the officer pays; bad input is a 400 naming the field', async () => {
      const ok = await approved(1200);
      const path = `/api/v1/assistance/applications/${ok.id}/payout`;
      assert.equal((await request(base, 'POST', path, tok.clerk, { reference: 'YH-10', paidOn: today })).status, 403);
      for (const [body, field] of [
        [{ reference: 'YH-10', paidOn: '2022/12/01' }, 'paidOn'],
        [{ reference: '', paidOn: today }, 'reference'],
        [{ paidOn: today }, 'reference'],
      ] as const) {
        const bad = await request(base, 'POST', path, tok.jiuzhu, body);
        assert.equal(bad.status, 400);
        assert.match(JSON.stringify(bad.json), new RegExp(field));
      }
      const r = await request(base, 'POST', path, tok.jiuzhu, { reference: 'YH-10', paidOn: today });
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.equal(r.json.payout.amountFen, Math.round(ok.approved! * 100));
      const again = await request(base, 'POST', path, tok.jiuzhu, { reference: 'YH-11', paidOn: today });
      assert.equal(again.status, 409);
      assert.equal((await request(base, 'POST', '/api/v1/assistance/applications/999999/payout', tok.jiuzhu, { reference: 'YH-12', paidOn: today })).status, 404);
    });
  });
