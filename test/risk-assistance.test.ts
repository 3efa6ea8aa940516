/**
 * 依申请救助 (issue #18 item 2) on both databases, as the service's database role: an approved
 * application pays 医疗救助 through the ledger within what the annual limit leaves after the
 * settlements (the cap and its citation in the answer) and the trial balance stays balanced; a
 * second approval pays nothing more; a refusal pays nothing; the referral list names who stays
 * above the threshold; over HTTP a clerk cannot decide and bad input is a 400 naming the field.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../src/http/server.ts';
import { AuthService } from '../src/access/auth.ts';
import { SYSTEM, type Actor } from '../src/access/roles.ts';
import { AssistanceApplications } from '../src/risk/assistance-applications.ts';
import { riskDb } from '../src/risk/tables.ts';
import { balances } from '../src/ledger/ledger.ts';
import { trialBalance } from '../src/ledger/ledger-report.ts';
import { applyRate } from '../src/money.ts';
import { assistanceClass } from '../src/rules/settlement/medical-assistance.ts';
import { personMask } from '../src/rules/status-mask.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { listen, request } from './support/http.ts';
import { VILLAGE_A, VILLAGE_B, quotes, town, type Town } from './support/risk-town.ts';

const MA: Actor = { userId: '5', username: 'jiuzhu', role: 'medical_assistance', villages: [], hospitalCode: null };
const CLERK_A: Actor = { userId: '7', username: 'clerk_a', role: 'clerk', villages: [VILLAGE_A], hospitalCode: null };
const cb = quotes.benefits(quotes.lib.packIdFor('500230', 2022)!);
const fenOf = (y: number) => Math.round(y * 100);

for (const backend of BACKENDS)
  describe(`assistance on application on ${backend}`, () => {
    let d: TestDatabase;
    let t: Town;
    let svc: AssistanceApplications;

    before(async () => {
      d = await freshDatabase(backend);
      t = await town(d);
      svc = new AssistanceApplications(d.db, quotes.lib);
    });
    after(async () => d?.drop());

    test('an approved application pays within the annual limit left; the books balance; a second approval pays nothing more', async () => {
      assert.ok(cb.assistance, 'the pack has medical-assistance rules');
      const p = await t.person({ statuses: ['dibao'] });
      await t.settle(p.id, { date: '2022-03-01', inScope: 60000 });
      const paidOnSettlements = (await d.db.selectFrom('settlement').select('medical_assistance_fen').where('person_id', '=', p.id).execute()).reduce((s, r) => s + Number(r.medical_assistance_fen), 0);
      assert.ok(paidOnSettlements > 0, 'the settlement paid some assistance already');
      const left = cb.assistance!.limit - paidOnSettlements;
      assert.ok(left > 0);
      const cls = assistanceClass(cb, personMask(['dibao']))!;
      // ask for so much that the class ratio alone would pay more than what is left
      const requestedFen = Math.ceil((left * cls.rate.den) / cls.rate.num) + 100_000;
      assert.ok(applyRate(requestedFen, cls.rate) > left);

      const a = await svc.apply(CLERK_A, { personId: p.id, coverageYear: 2022, reason: '住院自付费用负担重', requested: requestedFen / 100, documents: [{ name: '住院发票', reference: 'scan://invoice/1' }] });
      assert.equal(a.state, 'open');
      const more = await svc.attach(CLERK_A, a.id, [{ name: '低保证明' }]);
      assert.deepEqual(more.documents.map((x) => x.name), ['住院发票', '低保证明']);
      await assert.rejects(svc.decide(CLERK_A, a.id, { approve: true, reason: '符合条件' }), { name: 'ForbiddenError' });

      const before = new Map((await balances(d.db)).map((b) => [b.account, b.balanceFen]));
      const ok = await svc.decide(MA, a.id, { approve: true, reason: '材料齐全，符合低保对象救助条件' });
      assert.equal(ok.state, 'approved');
      assert.equal(fenOf(ok.approved!), left, 'capped at the annual limit less what the settlements paid');
      const dec = ok.decision as { capped: boolean; annualLimit: { left: number; citation: { rule: string } } };
      assert.equal(dec.capped, true);
      assert.equal(fenOf(dec.annualLimit.left), left);
      assert.equal(dec.annualLimit.citation.rule, 'benefits.medicalAssistance.annualLimit');
      assert.ok(ok.entryId);
      const afterB = new Map((await balances(d.db)).map((b) => [b.account, b.balanceFen]));
      const delta = (x: string) => (afterB.get(x) ?? 0) - (before.get(x) ?? 0);
      assert.equal(delta('medical_assistance_fund'), left);
      assert.equal(delta('payable_assistance_recipients'), -left);
      const tb = await trialBalance(d.db);
      assert.equal(tb.balanced, true);
      assert.deepEqual(tb.unbalancedEntries, []);

      const again = await svc.decide(MA, a.id, { approve: true, reason: '重复提交' });
      assert.equal(again.alreadyDecided, true);
      assert.equal(again.entryId, ok.entryId);
      const entries = await d.db.selectFrom('journal_entry').select('id').where('source', '=', 'assistance_application').where('source_id', '=', a.id).execute();
      assert.equal(entries.length, 1, 'paid once');
      await assert.rejects(svc.decide(MA, a.id, { approve: false, reason: '改为不予救助' }), /APPLICATION_DECIDED|already approved/);

      // the limit is used up: a second application for the same year pays nothing, and later settlements see it too
      const b = await svc.apply(MA, { personId: p.id, coverageYear: 2022, reason: '再次申请', requested: 1000 });
      const nothing = await svc.decide(MA, b.id, { approve: true, reason: '限额已用完' });
      assert.equal(nothing.approved, 0);
      assert.equal(nothing.entryId, null);
      const later = await t.settle(p.id, { date: '2022-05-01', inScope: 3000 });
      const s = await d.db.selectFrom('settlement').select('medical_assistance_fen').where('id', '=', later.settlementId).executeTakeFirstOrThrow();
      assert.equal(Number(s.medical_assistance_fen), 0, 'the shared annual limit is spent');
      const audited = await d.db.selectFrom('audit_log').select('action').where('entity', '=', 'assistance_application').where('entity_id', '=', a.id).orderBy('id').execute();
      assert.deepEqual(audited.map((x) => x.action), ['assistance.apply', 'assistance.documents', 'assistance.approved']);
    });

    test('a refusal pays nothing; whose burden stays above the threshold is referred; a clerk sees their villages only', async () => {
      const q = await t.person({ village: VILLAGE_B });
      await t.settle(q.id, { date: '2022-04-01', inScope: 80000 });
      const r = await svc.apply(MA, { personId: q.id, coverageYear: 2022, reason: '非救助对象，负担重', requested: 20000 });
      await assert.rejects(svc.get(CLERK_A, r.id), { name: 'NotFoundError' });
      await assert.rejects(svc.apply(CLERK_A, { personId: q.id, coverageYear: 2022, reason: 'x', requested: 1 }), { name: 'NotFoundError' });
      const no = await svc.decide(MA, r.id, { approve: false, reason: '不属于医疗救助对象，转介临时救助' });
      assert.equal(no.state, 'rejected');
      assert.equal(no.entryId, null);
      assert.ok(no.referrals.some((x) => x.code === 'temporary_assistance'));
      const list = await svc.referrals(MA, '500230', 2022);
      const mine = list.persons.find((x) => x.personId === q.id);
      assert.ok(mine, 'referred');
      assert.match(mine!.person.idNumber, /\*/);
      assert.equal(list.citation?.rule, 'risk.referral');
      const clerk = await svc.referrals(CLERK_A, '500230', 2022);
      assert.ok(clerk.persons.every((x) => x.person.villageCode === VILLAGE_A));
    });

    test('a warned person applies from the warning; two approvals at once pay once', async () => {
      const w = await t.person({ statuses: ['dibao'] });
      await t.settle(w.id, { date: '2022-06-01', inScope: 40000, ownPay: 12000 });
      const warning = await riskDb(d.db).selectFrom('risk_warning').select('id').where('person_id', '=', w.id).orderBy('id').executeTakeFirst();
      assert.ok(warning, 'the settlement wrote a high-burden warning');
      const other = await t.person({});
      await assert.rejects(svc.apply(MA, { personId: other.id, coverageYear: 2022, reason: 'r', requested: 100, warningId: warning!.id }), (e: Error & { field?: string }) => e.field === 'warningId');
      const a = await svc.apply(MA, { personId: w.id, coverageYear: 2022, reason: '预警后主动申请', requested: 2000, warningId: warning!.id });
      assert.equal(a.warningId, warning!.id);
      const both = await Promise.allSettled([svc.decide(MA, a.id, { approve: true, reason: '同意' }), svc.decide(MA, a.id, { approve: true, reason: '同意' })]);
      assert.ok(both.every((x) => x.status === 'fulfilled'), JSON.stringify(both));
      const entries = await d.db.selectFrom('journal_entry').select('id').where('source', '=', 'assistance_application').where('source_id', '=', a.id).execute();
      assert.equal(entries.length, 1, 'paid once');
      assert.equal((await trialBalance(d.db)).balanced, true);
    });

    test('property: settlements and applications together never pay more than the annual limit, and the books balance', async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: 90000 }), fc.array(fc.integer({ min: 1, max: 4_000_000 }), { minLength: 1, maxLength: 3 }), async (inScope, asks) => {
          const p = await t.person({ statuses: ['dibao'] });
          if (inScope > 0) await t.settle(p.id, { date: '2022-02-01', inScope });
          let paid = 0;
          for (const fen of asks) {
            const a = await svc.apply(MA, { personId: p.id, coverageYear: 2022, reason: '性质检验', requested: fen / 100 });
            const r = await svc.decide(MA, a.id, { approve: true, reason: '同意' });
            paid += fenOf(r.approved!);
          }
          const sums = await d.db
            .selectFrom('settlement')
            .select((eb) => eb.fn.coalesce(eb.fn.sum<string>('medical_assistance_fen'), eb.lit(0)).as('ma'))
            .where('person_id', '=', p.id)
            .executeTakeFirstOrThrow();
          const posted = await d.db
            .selectFrom('posting as x')
            .innerJoin('journal_entry as j', 'j.id', 'x.entry_id')
            .select((eb) => eb.fn.coalesce(eb.fn.sum<string>('x.amount_fen'), eb.lit(0)).as('n'))
            .where('j.source', '=', 'assistance_application')
            .where('x.account', '=', 'payable_assistance_recipients')
            .where('j.source_id', 'in', (await riskDb(d.db).selectFrom('assistance_application').select('id').where('person_id', '=', p.id).execute()).map((r) => r.id))
            .executeTakeFirstOrThrow();
          assert.equal(-Number(posted.n), paid, 'the ledger holds what the decisions paid');
          assert.ok(Number(sums.ma) + paid <= cb.assistance!.limit, `${Number(sums.ma)} + ${paid} within ${cb.assistance!.limit}`);
        }),
        { numRuns: 8 },
      );
      assert.equal((await trialBalance(d.db)).balanced, true);
    });

    test('bad input names the field', async () => {
      const p = await t.person({});
      await assert.rejects(svc.apply(MA, { personId: p.id, coverageYear: 2022, reason: '', requested: 1 }), (e: Error & { field?: string }) => e.field === 'reason');
      await assert.rejects(svc.apply(MA, { personId: p.id, coverageYear: 2022, reason: 'r', requested: '1.234' }), (e: Error & { field?: string }) => e.field === 'requested');
      await assert.rejects(svc.apply(MA, { personId: p.id, coverageYear: 2022, reason: 'r', requested: 1, documents: [{ name: '' }] }), (e: Error & { field?: string }) => e.field === 'documents.0.name');
      const n = await riskDb(d.db).selectFrom('assistance_application').select('id').where('person_id', '=', p.id).execute();
      assert.equal(n.length, 0, 'nothing written');
    });
  });

for (const backend of BACKENDS)
  describe(`assistance routes on ${backend}`, () => {
    let d: TestDatabase;
    let app: FastifyInstance;
    let base: string;
    let personId: string;
    const tok: Record<string, string> = {};

    before(async () => {
      d = await freshDatabase(backend);
      const t = await town(d);
      personId = (await t.person({ statuses: ['dibao'] })).id;
      await t.settle(personId, { date: '2022-03-01', inScope: 5000 });
      const auth = new AuthService(d.db);
      for (const u of [
        { username: 'clerk', role: 'clerk' as const, villages: [VILLAGE_A] },
        { username: 'jiuzhu', role: 'medical_assistance' as const },
      ]) {
        const id = await auth.createUser(SYSTEM, { ...u, displayName: u.username, password: `${u.username}-test-password` });
        tok[u.username] = await auth.issueApiToken(SYSTEM, id, 'assist');
      }
      app = await buildServer(quotes, { database: d });
      base = await listen(app);
    });
    after(async () => {
      await app?.close();
      await d?.drop();
    });

    test('a clerk applies but cannot decide; the medical-assistance role decides; bad input is a 400 naming the field', async () => {
      const a = await request(base, 'POST', '/api/v1/assistance/applications', tok.clerk, { personId, coverageYear: 2022, reason: '门诊慢特病负担重', requested: '1000.00', careType: 'inpatient', documents: [{ name: '发票' }] });
      assert.equal(a.status, 200, JSON.stringify(a.json));
      assert.equal((await request(base, 'POST', `/api/v1/assistance/applications/${a.json.id}/decision`, tok.clerk, { approve: true, reason: '同意' })).status, 403);
      const ok = await request(base, 'POST', `/api/v1/assistance/applications/${a.json.id}/decision`, tok.jiuzhu, { approve: true, reason: '同意' });
      assert.equal(ok.status, 200, JSON.stringify(ok.json));
      const cls = assistanceClass(cb, personMask(['dibao']))!;
      assert.equal(fenOf(ok.json.approved), applyRate(100000, cls.rate), 'the class ratio of the pack on the requested burden');
      assert.equal(ok.json.decision.capped, false);
      assert.equal(ok.json.decision.class.citation.rule, 'benefits.medicalAssistance.classes');
      const bad = await request(base, 'POST', '/api/v1/assistance/applications', tok.clerk, { personId, coverageYear: 2022, reason: 'x', requested: 'lots' });
      assert.equal(bad.status, 400);
      assert.match(JSON.stringify(bad.json), /requested/);
      const noYear = await request(base, 'POST', '/api/v1/assistance/applications', tok.clerk, { personId, reason: 'x', requested: 1 });
      assert.equal(noYear.status, 400);
      assert.match(JSON.stringify(noYear.json), /coverageYear/);
      const badDecision = await request(base, 'POST', `/api/v1/assistance/applications/${a.json.id}/decision`, tok.jiuzhu, { approve: 'yes', reason: '同意' });
      assert.equal(badDecision.status, 400);
      assert.match(JSON.stringify(badDecision.json), /approve/);
      const ref = await request(base, 'GET', '/api/v1/assistance/referrals?region=500230&year=2022', tok.clerk);
      assert.equal(ref.status, 200, JSON.stringify(ref.json));
    });
  });
