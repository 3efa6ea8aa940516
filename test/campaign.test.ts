/**
 * The enrollment campaign on PGlite and on the PostgreSQL server, over a real socket: a small
 * village of 丰都县 (500230) assessed for 2022, payments idempotent by reference, late payers,
 * the final deadline, newborns following a guardian, the employee-insurance list, the
 * collection list, the ledger, scopes and roles, and the audit log.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { buildServer } from '../src/http/server.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { AuthService } from '../src/access/auth.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { balances, unbalancedEntries } from '../src/ledger/ledger.ts';
import { makeIdNumber } from '../src/registers/id-number.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { listen, logIn, request } from './support/http.ts';
import { assessYear } from '../src/campaign/assessment.ts';

const quotes = QuoteService.load();

/** A valid resident ID number (GB 11643): region, birth date, sequence, check character. */
const idNumber = (region: string, birth: string, seq: number): string => makeIdNumber(region, birth, seq);

test('the test helper makes valid ID numbers', () => {
  // a published example of GB 11643: 11010519491231002X
  assert.equal(idNumber('110105', '1949-12-31', 2), '11010519491231002X');
});

const V1 = '500230100001';
const V2 = '500230100002';

interface P {
  key: string;
  name: string;
  birth: string;
  kind?: string;
  village?: string;
  house?: string;
  statuses?: { status: string; from: string; to?: string }[];
  gender?: 'male' | 'female';
}

const PEOPLE: P[] = [
  { key: 'dibao', name: '张低保', birth: '1980-05-01', statuses: [{ status: 'dibao', from: '2021-01-01' }], house: '001' },
  { key: 'plain', name: '李普通', birth: '1975-03-03', house: '002' },
  { key: 'late', name: '王迟缴', birth: '1990-01-01', house: '003' },
  { key: 'late2', name: '赵逾期', birth: '1985-07-07', statuses: [{ status: 'dibao', from: '2021-01-01' }], house: '004' },
  { key: 'after', name: '钱过期', birth: '1970-02-02', house: '005' },
  { key: 'guardian', name: '孙妈妈', birth: '1992-08-08', house: '006', gender: 'female' },
  { key: 'newborn', name: '孙宝宝', birth: '2022-03-01', kind: 'newborn', house: '006' },
  { key: 'employee', name: '周职工', birth: '1988-09-09', house: '007' },
  { key: 'destitute', name: '吴特困', birth: '1950-10-10', statuses: [{ status: 'destitute', from: '2020-01-01' }], house: '008' },
  { key: 'expired', name: '郑过期低保', birth: '1966-06-06', statuses: [{ status: 'dibao', from: '2019-01-01', to: '2021-06-30' }], house: '009' },
  { key: 'tier', name: '冯二档', birth: '1979-11-11', house: '010' },
  { key: 'v2', name: '陈二村', birth: '1983-04-04', village: V2, house: '101' },
  { key: 'oldborn', name: '褚旧新生', birth: '2021-06-01', kind: 'newborn', house: '011' },
];

for (const backend of BACKENDS)
  describe(`the enrollment campaign on ${backend}`, () => {
    let d: TestDatabase;
    let app: FastifyInstance;
    let base: string;
    const person = new Map<string, { id: string; idNumber: string; household: string }>();
    const tok: Record<string, string> = {};
    const enrollment = new Map<string, string>();

    before(async () => {
      d = await freshDatabase(backend);
      const db = d.db;
      await db
        .insertInto('admin_area')
        .values([
          { code: '500230', name: '丰都县', level: 'county', parent_code: null, region: '500230' },
          { code: '500230100', name: '兴义镇', level: 'township', parent_code: '500230', region: '500230' },
          { code: V1, name: '一村', level: 'village', parent_code: '500230100', region: '500230' },
          { code: V2, name: '二村', level: 'village', parent_code: '500230100', region: '500230' },
        ])
        .execute();
      let seq = 10;
      const households = new Map<string, string>();
      for (const p of PEOPLE) {
        const village = p.village ?? V1;
        const hk = `${village}/${p.house}`;
        if (!households.has(hk)) {
          const h = await db.insertInto('household').values({ village_code: village, house_no: p.house!, address: null }).returning('id').executeTakeFirstOrThrow();
          households.set(hk, String(h.id));
        }
        const gender = p.gender ?? (seq % 2 ? 'male' : 'female');
        const id = idNumber('500230', p.birth, gender === 'male' ? seq | 1 : seq & ~1);
        seq += 2;
        const row = await db
          .insertInto('person')
          .values({ id_number: id, name: p.name, gender, birth_date: p.birth, household_id: households.get(hk)!, village_code: village, kind: p.kind ?? 'adult', graduation_year: null })
          .returning('id')
          .executeTakeFirstOrThrow();
        person.set(p.key, { id: String(row.id), idNumber: id, household: households.get(hk)! });
        for (const s of p.statuses ?? [])
          await db.insertInto('needy_status').values({ person_id: String(row.id), status: s.status, source: 'civil_affairs', valid_from: s.from, valid_to: s.to ?? null, reference: null }).execute();
      }
      const auth = new AuthService(db);
      const users = [
        { username: 'admin', role: 'admin' },
        { username: 'officer', role: 'policy_officer' },
        { username: 'clerk1', role: 'clerk', villages: [V1] },
        { username: 'clerk2', role: 'clerk', villages: [V2] },
        { username: 'auditor', role: 'auditor' },
      ] as const;
      for (const u of users) await auth.createUser(SYSTEM, { username: u.username, displayName: u.username, password: `${u.username}-password`, role: u.role, villages: 'villages' in u ? [...u.villages] : undefined });
      app = await buildServer(quotes, { database: d });
      base = await listen(app);
      for (const u of users) tok[u.username] = await logIn(base, u.username, `${u.username}-password`);
    });
    after(async () => {
      await app?.close();
      await d?.drop();
    });

    const call = (method: string, path: string, token?: string, body?: unknown, headers?: Record<string, string>) => request(base, method, path, token, body, headers);
    const pay = (token: string, body: Record<string, unknown>) => call('POST', '/api/v1/payments', token, body);
    const row = (key: string) => d.db.selectFrom('enrollment').selectAll().where('person_id', '=', person.get(key)!.id).where('coverage_year', '=', 2022).executeTakeFirstOrThrow();

    test('only admin and policy officers run the assessment', async () => {
      assert.equal((await call('POST', '/api/v1/campaigns/2022/assess', tok.clerk1, {})).status, 403);
      assert.equal((await call('POST', '/api/v1/campaigns/2022/assess', tok.auditor, {})).status, 403);
      assert.equal((await call('POST', '/api/v1/campaigns/2022/assess')).status, 401);
      const bad = await call('POST', '/api/v1/campaigns/1999/assess', tok.officer, {});
      assert.equal(bad.status, 400);
      assert.equal(bad.json.field, 'year');
      assert.equal((await call('POST', '/api/v1/campaigns/2022/assess', tok.officer, { villages: ['x'] })).json.field, 'villages.0');
    });

    test('assessing the year gives every person the engine’s quote', async () => {
      const r = await call('POST', '/api/v1/campaigns/2022/assess', tok.officer, {});
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.equal(r.json.persons, PEOPLE.length);
      assert.equal(r.json.bad, 0, JSON.stringify(r.json.problems));
      assert.equal(r.json.refused, 1); // the newborn of 2021 is not a newborn of 2022
      assert.equal(r.json.assessed, PEOPLE.length - 1);
      assert.equal(r.json.inserted, PEOPLE.length);
      for (const e of await d.db.selectFrom('enrollment').selectAll().execute()) enrollment.set([...person].find(([, v]) => v.id === String(e.person_id))![0], String(e.id));

      const dibao = await row('dibao');
      assert.equal(dibao.state, 'assessed');
      assert.equal(dibao.tier, 'tier1');
      assert.equal(Number(dibao.due_fen), 3200); // 低保 tier1 2022: 320 − 288
      assert.equal(Number(dibao.assistance_fen), 28800);
      assert.equal(Number(dibao.subsidy_fen), 61000);
      assert.equal(dibao.benefit_start, '2022-01-01');
      assert.equal(Number((await row('expired')).due_fen), 32000, 'a status that ended before the coverage year does not count');
      assert.equal(Number((await row('destitute')).due_fen), 0);
      const old = await row('oldborn');
      assert.equal(old.state, 'refused');
      assert.equal(old.refusal_code, 'NEWBORN_NOT_IN_COVERAGE_YEAR');

      for (const p of PEOPLE) {
        const e = await row(p.key);
        const statuses = (p.statuses ?? []).filter((s) => s.from <= '2022-01-01' && (!s.to || s.to >= '2022-01-01')).map((s) => s.status);
        const answer = quotes.contribution({ region: '500230', coverageYear: 2022, tier: 'tier1', person: { birthDate: p.birth, kind: p.kind ?? 'adult', statuses }, trace: false });
        assert.equal(e.due_fen === null ? null : Number(e.due_fen) / 100, answer.individualDue, p.key);
        assert.equal(Number(e.standard_fen) / 100, answer.standardContribution, p.key);
        assert.equal(e.refusal_code, answer.reason?.code ?? null, p.key);
      }
    });

    test('the list is masked; a clerk sees only their villages', async () => {
      const all = await call('GET', '/api/v1/enrollments?year=2022', tok.auditor);
      assert.equal(all.status, 200);
      assert.equal(all.json.items.length, PEOPLE.length);
      for (const i of all.json.items) {
        assert.match(i.idNumber, /^500230\*{8}[\dX]{4}$/);
        assert.match(i.name, /\*/);
        assert.ok(!PEOPLE.some((p) => p.name === i.name));
      }
      const mine = await call('GET', '/api/v1/enrollments?year=2022', tok.clerk1);
      assert.equal(mine.json.items.length, PEOPLE.filter((p) => (p.village ?? V1) === V1).length);
      assert.ok(mine.json.items.every((i: { villageCode: string }) => i.villageCode === V1));
      assert.equal((await call('GET', `/api/v1/enrollments?village=${V2}`, tok.clerk1)).status, 403);
      const paged = await call('GET', '/api/v1/enrollments?year=2022&limit=5', tok.admin);
      assert.equal(paged.json.items.length, 5);
      const page2 = await call('GET', `/api/v1/enrollments?year=2022&limit=5&after=${paged.json.next}`, tok.admin);
      assert.ok(Number(page2.json.items[0].id) > Number(paged.json.next));
      assert.equal((await call('GET', '/api/v1/enrollments?state=nope', tok.admin)).json.field, 'state');
      const one = await call('GET', `/api/v1/enrollments/${enrollment.get('dibao')}`, tok.clerk1);
      assert.equal(one.status, 200);
      assert.equal(one.json.dueYuan, 32);
      assert.ok(one.json.quote.trace.length > 3, 'the trace of the quote');
      assert.ok(one.json.quote.trace.some((s: { cite?: string }) => s.cite?.includes('兴义府发')));
      assert.equal(one.json.quote.matchesRecord, true);
      assert.match(one.json.idNumber, /\*/);
      assert.equal((await call('GET', `/api/v1/enrollments/${enrollment.get('dibao')}`, tok.clerk2)).status, 403);
      assert.equal((await call('GET', '/api/v1/enrollments/999999', tok.admin)).status, 404);
    });

    test('a tier is chosen before payment and re-quotes the enrollment', async () => {
      const id = enrollment.get('tier')!;
      assert.equal((await call('PUT', `/api/v1/enrollments/${id}/tier`, tok.auditor, { tier: 'tier2' })).status, 403);
      assert.equal((await call('PUT', `/api/v1/enrollments/${id}/tier`, tok.clerk2, { tier: 'tier2' })).status, 403);
      assert.equal((await call('PUT', `/api/v1/enrollments/${id}/tier`, tok.clerk1, { tier: 'tier3' })).json.field, 'tier');
      const r = await call('PUT', `/api/v1/enrollments/${id}/tier`, tok.clerk1, { tier: 'tier2' });
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.equal(r.json.tier, 'tier2');
      assert.equal(r.json.dueYuan, 695);
      // a re-assessment keeps the chosen tier
      await call('POST', '/api/v1/campaigns/2022/assess', tok.officer, {});
      assert.equal(Number((await row('tier')).due_fen), 69500);
    });

    test('a payment is idempotent by reference: twice is one payment and one set of ledger entries', async () => {
      const body = { reference: 'WX20220110-0001', channel: 'online', enrollmentId: enrollment.get('dibao'), amountYuan: 32, paidOn: '2022-01-10' };
      assert.equal((await pay(tok.auditor, body)).status, 403, 'an auditor cannot pay');
      assert.equal((await pay(tok.officer, body)).status, 403, 'payments.write is for admin and clerks');
      assert.equal((await pay(tok.clerk2, body)).status, 403, 'clerk outside the village');
      const first = await pay(tok.clerk1, body);
      assert.equal(first.status, 201, JSON.stringify(first.json));
      assert.equal(first.json.replayed, false);
      assert.equal(first.json.enrollment.state, 'paid');
      assert.deepEqual(first.json.enrollment.benefitPeriod, { start: '2022-01-01', end: '2022-12-31' });
      const again = await pay(tok.clerk1, body);
      assert.equal(again.status, 200);
      assert.equal(again.json.replayed, true);
      assert.equal(again.json.paymentId, first.json.paymentId);
      assert.deepEqual({ ...again.json, replayed: false }, first.json);
      const payments = await d.db.selectFrom('payment').selectAll().where('reference', '=', body.reference).execute();
      assert.equal(payments.length, 1);
      const entries = await d.db.selectFrom('journal_entry').select(['source']).where((eb) => eb.or([eb.and([eb('source', 'in', ['payment', 'assistance']), eb('source_id', '=', first.json.paymentId)]), eb.and([eb('source', '=', 'subsidy'), eb('source_id', '=', enrollment.get('dibao')!)])])).execute();
      assert.deepEqual(entries.map((e) => e.source).sort(), ['assistance', 'payment', 'subsidy']);
      // the same reference with other content
      const reused = await pay(tok.clerk1, { ...body, amountYuan: 33 });
      assert.equal(reused.status, 409);
      assert.equal(reused.json.error, 'PAYMENT_REFERENCE_REUSED');
      // by ID number and year, the same payment is the same payment
      const byId = await pay(tok.clerk1, { reference: body.reference, channel: 'online', idNumber: person.get('dibao')!.idNumber, coverageYear: 2022, amountYuan: '32.00', paidOn: '2022-01-10' });
      assert.equal(byId.status, 200);
      assert.equal(byId.json.paymentId, first.json.paymentId);
      // the same payment sent twice at the same moment is still one payment
      const twice = { reference: 'ALIPAY-77', channel: 'online', enrollmentId: enrollment.get('expired'), amountYuan: 320, paidOn: '2022-01-11' };
      const both = await Promise.all([pay(tok.clerk1, twice), pay(tok.clerk1, twice)]);
      assert.deepEqual(both.map((r) => r.status).sort(), [200, 201], JSON.stringify(both.map((r) => r.json)));
      assert.equal(both[0].json.paymentId, both[1].json.paymentId);
      assert.equal((await d.db.selectFrom('journal_entry').selectAll().where('source', '=', 'payment').where('source_id', '=', both[0].json.paymentId).execute()).length, 1);
    });

    test('the same ID number paid twice for the year is flagged and refused', async () => {
      const r = await pay(tok.clerk1, { reference: 'CASH-0002', channel: 'offline', idNumber: person.get('dibao')!.idNumber, coverageYear: 2022, amountYuan: 32, paidOn: '2022-01-12' });
      assert.equal(r.status, 409);
      assert.equal(r.json.error, 'DUPLICATE_ENROLLMENT');
      assert.equal((await d.db.selectFrom('payment').selectAll().where('reference', '=', 'CASH-0002').execute()).length, 0);
      const flag = await d.db.selectFrom('duplicate_flag').selectAll().where('person_id', '=', person.get('dibao')!.id).executeTakeFirstOrThrow();
      assert.equal(flag.reason, 'same_id_twice');
      assert.equal(flag.coverage_year, 2022);
      assert.equal((await row('dibao')).state, 'paid');
    });

    test('bad input: the wrong amount is a 400 naming amountYuan and showing the amount due', async () => {
      const id = enrollment.get('plain');
      const r = await pay(tok.clerk1, { reference: 'R-PLAIN-1', channel: 'online', enrollmentId: id, amountYuan: 300, paidOn: '2022-02-01' });
      assert.equal(r.status, 400);
      assert.equal(r.json.field, 'amountYuan');
      assert.match(r.json.message, /320\.00/);
      assert.equal((await pay(tok.clerk1, { reference: 'R-PLAIN-1', channel: 'online', enrollmentId: id, amountYuan: 320.001, paidOn: '2022-02-01' })).json.field, 'amountYuan');
      assert.equal((await pay(tok.clerk1, { reference: 'R-PLAIN-1', channel: 'card', enrollmentId: id, amountYuan: 320, paidOn: '2022-02-01' })).json.field, 'channel');
      assert.equal((await pay(tok.clerk1, { reference: 'R-PLAIN-1', channel: 'online', enrollmentId: id, amountYuan: 320, paidOn: '2022-02-30' })).json.field, 'paidOn');
      assert.equal((await pay(tok.clerk1, { reference: 'R-PLAIN-1', channel: 'online', amountYuan: 320, paidOn: '2022-02-01' })).json.field, 'enrollmentId');
      assert.equal((await pay(tok.clerk1, { reference: 'R-PLAIN-1', channel: 'online', enrollmentId: id, amountYuan: 320, paidOn: '2099-01-01' })).json.field, 'paidOn');
      assert.equal((await pay(tok.clerk1, { reference: 'R-PLAIN-1', channel: 'online', enrollmentId: id, amountYuan: 320, paidOn: '2022-02-01', extra: 1 })).json.field, 'extra');
      assert.equal((await pay(tok.clerk1, { reference: 'R-PLAIN-1', channel: 'online', enrollmentId: '99999', amountYuan: 320, paidOn: '2022-02-01' })).status, 404);
      assert.equal((await d.db.selectFrom('payment').selectAll().where('reference', '=', 'R-PLAIN-1').execute()).length, 0);
      const ok = await pay(tok.admin, { reference: 'R-PLAIN-1', channel: 'tax_bureau', enrollmentId: id, amountYuan: 320, paidOn: '2022-02-01' });
      assert.equal(ok.status, 201);
    });

    test('after the final deadline: 409 AFTER_FINAL_DEADLINE and nothing written', async () => {
      const before = await row('after');
      const audits = await d.db.selectFrom('audit_log').select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow();
      const r = await pay(tok.clerk1, { reference: 'LATE-1001', channel: 'offline', enrollmentId: enrollment.get('after'), amountYuan: 320, paidOn: '2022-10-01' });
      assert.equal(r.status, 409);
      assert.equal(r.json.error, 'AFTER_FINAL_DEADLINE');
      assert.deepEqual(await row('after'), before);
      assert.equal((await d.db.selectFrom('payment').selectAll().where('reference', '=', 'LATE-1001').execute()).length, 0);
      assert.equal((await d.db.selectFrom('audit_log').select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow()).n, audits.n);
    });

    test('a late payer: the waiting period, and after 30 June the subsidy borne by the person', async () => {
      const r = await pay(tok.clerk1, { reference: 'LATE-2001', channel: 'offline', enrollmentId: enrollment.get('late'), amountYuan: 320, paidOn: '2022-04-01' });
      assert.equal(r.status, 201, JSON.stringify(r.json));
      assert.equal(r.json.enrollment.waitingDays, 90);
      // 满90日后, the payment day not counted (periods.counting): 04-02..06-30 are the 90 days
      assert.deepEqual(r.json.enrollment.benefitPeriod, { start: '2022-07-01', end: '2022-12-31' });
      const late2 = enrollment.get('late2')!;
      const wrong = await pay(tok.clerk1, { reference: 'LATE-2002', channel: 'offline', enrollmentId: late2, amountYuan: 32, paidOn: '2022-07-05' });
      assert.equal(wrong.status, 400);
      assert.match(wrong.json.message, /930\.00/);
      const r2 = await pay(tok.clerk1, { reference: 'LATE-2002', channel: 'offline', enrollmentId: late2, amountYuan: 930, paidOn: '2022-07-05' });
      assert.equal(r2.status, 201, JSON.stringify(r2.json));
      assert.equal(r2.json.enrollment.subsidyBorneByPersonYuan, 610);
      assert.equal(r2.json.enrollment.fiscalSubsidyYuan, null);
      assert.equal(r2.json.enrollment.assistanceYuan, 0);
      const subsidy = await d.db.selectFrom('journal_entry').selectAll().where('source', '=', 'subsidy').where('source_id', '=', late2).execute();
      assert.equal(subsidy.length, 0, 'no subsidy accrued for a late payer bearing it');
      const detail = await call('GET', `/api/v1/enrollments/${late2}`, tok.clerk1);
      assert.equal(detail.json.quote.request.paidOn, '2022-07-05');
      assert.equal(detail.json.quote.matchesRecord, true);
      assert.equal(detail.json.quote.individualDue, 930);
      assert.ok(detail.json.quote.trace.some((s: { step: string; value: unknown }) => s.step === 'fiscalSubsidyBorneByPerson' && s.value === 610));
    });

    test('the medical-assistance fund pays for a person it assists in full', async () => {
      const id = enrollment.get('destitute')!;
      const own = await pay(tok.clerk1, { reference: 'MA-1', channel: 'online', enrollmentId: id, amountYuan: 320, paidOn: '2022-01-05' });
      assert.equal(own.status, 400);
      assert.equal(own.json.field, 'channel');
      const r = await pay(tok.admin, { reference: 'MA-1', channel: 'medical_assistance', enrollmentId: id, amountYuan: 320, paidOn: '2022-01-05' });
      assert.equal(r.status, 201, JSON.stringify(r.json));
      const entries = await d.db.selectFrom('journal_entry').select('source').where('source_id', '=', r.json.paymentId).where('source', 'in', ['payment', 'assistance']).execute();
      assert.deepEqual(entries.map((e) => e.source), ['assistance']);
    });

    test('a newborn follows its guardian automatically', async () => {
      const nb = await row('newborn');
      assert.equal(nb.state, 'assessed');
      const r = await pay(tok.clerk1, { reference: 'G-1', channel: 'online', enrollmentId: enrollment.get('guardian'), amountYuan: 320, paidOn: '2022-02-20' });
      assert.equal(r.status, 201, JSON.stringify(r.json));
      assert.deepEqual(r.json.newbornsFollowing, [enrollment.get('newborn')]);
      const after = await row('newborn');
      assert.equal(after.state, 'paid');
      assert.equal(String(after.guardian_person_id), person.get('guardian')!.id);
      assert.equal(Number(after.paid_fen), 0);
      assert.equal(Number(after.due_fen), 0);
      assert.equal(after.benefit_start, '2022-03-01');
      assert.equal((await d.db.selectFrom('journal_entry').selectAll().where('source', '=', 'subsidy').where('source_id', '=', enrollment.get('newborn')!).execute()).length, 1);
      // a second newborn registered later follows at the next assessment
      const h = person.get('guardian')!.household;
      const id = idNumber('500230', '2022-05-10', 31);
      const p = await d.db.insertInto('person').values({ id_number: id, name: '孙二宝', gender: 'male', birth_date: '2022-05-10', household_id: h, village_code: V1, kind: 'newborn', graduation_year: null }).returning('id').executeTakeFirstOrThrow();
      const s = await assessYear(d.db, quotes, { coverageYear: 2022, villages: [V1] });
      assert.equal(s.followingGuardian, 1);
      const e2 = await d.db.selectFrom('enrollment').selectAll().where('person_id', '=', String(p.id)).executeTakeFirstOrThrow();
      assert.equal(e2.state, 'paid');
      assert.equal(String(e2.guardian_person_id), person.get('guardian')!.id);
      assert.equal(e2.benefit_start, '2022-05-10');
    });

    test('re-assessment never touches a paid enrollment', async () => {
      const paid = await d.db.selectFrom('enrollment').selectAll().where('state', '=', 'paid').orderBy('id').execute();
      const progress: number[] = [];
      const s = await assessYear(d.db, quotes, { coverageYear: 2022, batchSize: 4, onProgress: (n) => progress.push(n) });
      assert.equal(s.paidKept, paid.length);
      assert.equal(s.inserted + s.updated, 0);
      assert.deepEqual(await d.db.selectFrom('enrollment').selectAll().where('state', '=', 'paid').orderBy('id').execute(), paid);
      assert.equal(progress.at(-1), PEOPLE.length + 1);
    });

    test('the employee-insurance list flags and blocks a duplicate enrollment (CSV and XLSX)', async () => {
      const emp = person.get('employee')!;
      const csv = `身份证号,年度\n${emp.idNumber},2022\n500230198801010001,2022\n${person.get('v2')!.idNumber},2021\n`;
      assert.equal((await call('POST', '/api/v1/imports/employee-insurance', tok.clerk1, csv, { 'content-type': 'text/csv' })).status, 403);
      assert.equal((await call('POST', '/api/v1/imports/employee-insurance', tok.officer, 'a,b\n1,2\n', { 'content-type': 'text/csv' })).json.field, 'header');
      const r = await call('POST', '/api/v1/imports/employee-insurance?source=职工库2022', tok.officer, csv, { 'content-type': 'text/csv' });
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.equal(r.json.rows, 3);
      assert.equal(r.json.bad, 1);
      assert.equal(r.json.problems[0].line, 3);
      assert.equal(r.json.added, 2);
      assert.equal(r.json.flagged, 2);
      assert.equal(r.json.blocked, 1, 'the 2021 entry does not block 2022');
      const e = await row('employee');
      assert.equal(e.state, 'blocked');
      assert.match(e.block_reason!, /DUPLICATE_ENROLLMENT/);
      const p = await pay(tok.clerk1, { reference: 'EMP-1', channel: 'online', enrollmentId: String(e.id), amountYuan: 320, paidOn: '2022-01-20' });
      assert.equal(p.status, 409);
      assert.equal(p.json.error, 'DUPLICATE_ENROLLMENT');
      // blocked stays blocked through a re-assessment, and a person added to the list later is blocked by the assessment
      const wb = new ExcelJS.Workbook();
      const ws = wb.addWorksheet('名单');
      ws.addRow(['单位', '身份证号', '年度']);
      ws.addRow(['某公司', person.get('tier')!.idNumber, '2022']);
      const xlsx = Buffer.from(await wb.xlsx.writeBuffer());
      const rx = await call('POST', '/api/v1/imports/employee-insurance?fileName=list.xlsx', tok.admin, xlsx, { 'content-type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' });
      assert.equal(rx.status, 200, JSON.stringify(rx.json));
      assert.equal(rx.json.blocked, 1, JSON.stringify(rx.json));
      const again = await call('POST', '/api/v1/imports/employee-insurance?fileName=list.xlsx', tok.admin, xlsx, { 'content-type': 'application/octet-stream' });
      assert.equal(again.json.unchanged, 1);
      assert.equal(again.json.blocked, 0);
      await d.db.insertInto('employee_insurance').values({ id_number: person.get('after')!.idNumber, coverage_year: 2022, source: 'direct' }).execute();
      const s = await assessYear(d.db, quotes, { coverageYear: 2022 });
      assert.equal(s.blocked, 3);
      assert.equal((await row('after')).state, 'blocked');
      assert.equal((await row('employee')).state, 'blocked');
      const list = await call('GET', '/api/v1/duplicates?year=2022', tok.auditor);
      assert.equal(list.status, 200);
      assert.deepEqual(list.json.items.map((i: { reason: string }) => i.reason).sort(), ['employee_insurance', 'employee_insurance', 'employee_insurance', 'same_id_twice']);
      for (const i of list.json.items) assert.match(i.idNumber, /\*{8}/);
      const mine = await call('GET', '/api/v1/duplicates?year=2022', tok.clerk2);
      assert.equal(mine.json.items.length, 0, 'clerk2 sees only village 2 (whose flag is for 2021)');
      assert.equal((await call('GET', '/api/v1/duplicates?year=2021', tok.clerk2)).json.items.length, 1);
    });

    test('the collection list: full for officers, masked and scoped for clerks; every export audited', async () => {
      const assessed = await d.db.selectFrom('enrollment').select('id').where('state', '=', 'assessed').where('coverage_year', '=', 2022).execute();
      const r = await call('GET', '/api/v1/campaigns/2022/collection-list.csv', tok.officer);
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type')!, /text\/csv/);
      const text = r.buf.toString('utf8').replace(/^\uFEFF/, '');
      const lines = text.trim().split('\n');
      assert.match(lines[0], /^序号,参保登记号,身份证号,姓名/);
      assert.equal(lines.length - 1, assessed.length);
      assert.ok(lines.some((l) => l.includes(person.get('v2')!.idNumber) && l.includes('陈二村')), 'full ID numbers and names');
      assert.ok(text.includes('2022-02-28'));
      const clerk = await call('GET', '/api/v1/campaigns/2022/collection-list.csv', tok.clerk1);
      assert.equal(clerk.status, 200);
      const ctext = clerk.buf.toString('utf8');
      assert.ok(!ctext.includes(person.get('plain')!.idNumber) && !ctext.includes('李普通'));
      assert.ok(!ctext.includes('二村,500230100002'), 'only the clerk’s village');
      assert.equal((await call('GET', `/api/v1/campaigns/2022/collection-list.csv?village=${V2}`, tok.clerk1)).status, 403);
      assert.equal((await call('GET', '/api/v1/campaigns/2022/collection-list.csv')).status, 401);
      const x = await call('GET', '/api/v1/campaigns/2022/collection-list.xlsx', tok.admin);
      assert.equal(x.status, 200);
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load(x.buf as unknown as ArrayBuffer);
      const ws = wb.worksheets[0];
      assert.equal(ws.getRow(1).getCell(3).value, '身份证号');
      assert.equal(ws.actualRowCount - 1, assessed.length);
      const exports = await d.db.selectFrom('audit_log').selectAll().where('action', '=', 'export').where('entity', '=', 'collection_list').execute();
      assert.equal(exports.length, 3);
      assert.ok(exports.some((e) => e.actor === 'clerk1' && (e.detail as { fullIdNumbers: boolean }).fullIdNumbers === false));
    });

    test('the ledger balances: contributions received equal the payments; assistance and subsidy as posted', async () => {
      assert.deepEqual(await unbalancedEntries(d.db), []);
      const sum = await d.db.selectFrom('posting').select(sql<string>`coalesce(sum(amount_fen), 0)`.as('s')).executeTakeFirstOrThrow();
      assert.equal(Number(sum.s), 0);
      const b = new Map((await balances(d.db)).map((x) => [x.account, x.balanceFen]));
      const pays = await d.db.selectFrom('payment').select(['channel', 'amount_fen']).execute();
      const own = pays.filter((p) => p.channel !== 'medical_assistance').reduce((s, p) => s + Number(p.amount_fen), 0);
      assert.equal(b.get('contributions_received'), own);
      assert.equal(own, 3200 + 32000 + 32000 + 93000 + 32000 + 32000);
      const paid = await d.db.selectFrom('enrollment').selectAll().where('state', '=', 'paid').execute();
      assert.equal(b.get('medical_assistance_fund'), paid.reduce((s, e) => s + Number(e.assistance_fen ?? 0), 0));
      const subsidy = paid.reduce((s, e) => s + Number(e.subsidy_fen ?? 0), 0);
      assert.equal((b.get('subsidy_receivable_central') ?? 0) + (b.get('subsidy_receivable_local') ?? 0), subsidy);
      assert.equal(b.get('basic_fund'), -(own + b.get('medical_assistance_fund')! + subsidy));
    });

    test('every change is audited', async () => {
      const actions = new Set((await d.db.selectFrom('audit_log').select('action').execute()).map((a) => a.action));
      for (const a of ['assess', 'assess_year', 'set_tier', 'record_payment', 'follow_guardian', 'flag_duplicate', 'import', 'export']) assert.ok(actions.has(a), a);
      const pay = await d.db.selectFrom('audit_log').selectAll().where('action', '=', 'record_payment').execute();
      assert.equal(pay.length, (await d.db.selectFrom('payment').select('id').execute()).length);
      for (const a of await d.db.selectFrom('audit_log').select('detail').execute())
        for (const p of person.values()) assert.ok(!JSON.stringify(a.detail ?? {}).includes(p.idNumber), 'no ID number in the audit details');
    });

    test('the command line: assess, collection list, payments import (a separate process: server only)', { skip: backend !== 'server' }, () => {
      const bin = join(import.meta.dirname, '..', 'bin', 'yibao.js');
      const env = { ...process.env, DATABASE_URL: d.where };
      const run = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', timeout: 120_000 });
      const bad = run(['campaign', 'assess', '19']);
      assert.equal(bad.status, 2, bad.stderr);
      assert.match(bad.stderr, /^error: year:/);
      const a = run(['campaign', 'assess', '2022', '--no-progress', '--village', V2]);
      assert.equal(a.status, 0, a.stderr);
      assert.match(a.stderr, /^1 persons in .*0 new, 0 changed, 1 unchanged/);
      const dir = mkdtempSync(join(tmpdir(), 'yibao-campaign-'));
      const list = join(dir, 'list.csv');
      const l = run(['campaign', 'collection-list', '2022', '-o', list, '--village', V2]);
      assert.equal(l.status, 0, l.stderr);
      assert.ok(readFileSync(list, 'utf8').includes(person.get('v2')!.idNumber), 'the CLI writes the full list');
      const pays = join(dir, 'payments.csv');
      writeFileSync(pays, `流水号,渠道,身份证号,年度,金额,缴费日期\nTAX-9001,税务,${person.get('v2')!.idNumber},2022,320.00,2022-01-15\nTAX-9002,税务,${person.get('v2')!.idNumber},2022,abc,2022-01-15\n`);
      const p1 = run(['payments', 'import', pays]);
      assert.equal(p1.status, 1, p1.stderr);
      assert.match(p1.stderr, /2 payments: 1 recorded, 0 already recorded \(same reference\), 0 refused, 1 bad/);
      assert.match(p1.stderr, /line 3: amountYuan/);
      const p2 = run(['payments', 'import', pays]);
      assert.match(p2.stderr, /0 recorded, 1 already recorded/);
    });
  });
