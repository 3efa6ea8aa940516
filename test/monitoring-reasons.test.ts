/**
 * The reasons of 断保 and 漏保 (防止“漏保”“断保”, issue #14 item 7) and the seven groups' blockers
 * (item 3), each shown by a person of the register made for it, on PGlite and on the PostgreSQL
 * server: died before the year or within it (死亡日期 imported with the persons), on the
 * employee-insurance list, a duplicate enrollment (the same ID number paid twice), refused by the
 * notice's rules with the refusal's code, not assessed, paid after the date, unpaid. A death after
 * the date is not yet a reason; the list over HTTP carries the date of death.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../src/http/server.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { recordPayment } from '../src/campaign/payments.ts';
import { importEmployeeList } from '../src/campaign/duplicates.ts';
import { assessYear } from '../src/campaign/assessment.ts';
import { importPersons } from '../src/registers/import-persons.ts';
import { makeIdNumber } from '../src/registers/id-number.ts';
import { dropOuts, type DropOutsAnswer } from '../src/monitoring/drop-outs.ts';
import { missingPersons } from '../src/monitoring/priority-groups.ts';
import { REFUSAL_CODES } from '../src/policy/vocabulary.ts';
import { AuthService } from '../src/access/auth.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { ConflictError } from '../src/errors.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { listen, logIn, request } from './support/http.ts';

const quotes = QuoteService.load();
const TOWN = '500230100';
const V1 = `${TOWN}001`;
const V2 = `${TOWN}002`;

/** The persons, each for one reason: who they are in the register and what happens to them. */
const PEOPLE = {
  // 断保 of 2023: all paid 2022
  paidBoth: { born: '1970-03-01', village: V1, house: '001' },
  diedBefore: { born: '1940-04-02', village: V1, house: '002' },
  diedWithin: { born: '1941-05-03', village: V1, house: '003' },
  employee2023: { born: '1980-06-04', village: V1, house: '004' },
  duplicate2023: { born: '1981-07-05', village: V1, house: '005' },
  newborn2022: { born: '2022-01-20', village: V1, house: '001', kind: '新生儿' }, // follows paidBoth in 2022; refused as a newborn in 2023
  unpaid2023: { born: '1982-08-06', village: V1, house: '006' },
  paidLate2023: { born: '1983-09-07', village: V1, house: '007' },
  notAssessed2023: { born: '1984-10-08', village: V2, house: '101' }, // V2 is not assessed for 2023
  // 漏保 of 2022: never paid
  neverDiedBefore: { born: '1939-01-09', village: V1, house: '008' },
  neverDiedWithin: { born: '1942-02-10', village: V1, house: '009' },
  neverRefused: { born: '2021-06-01', village: V1, house: '010', kind: '新生儿', status: 'dibao' }, // a newborn of 2021 is no newborn of 2022
  neverUnpaid: { born: '1985-11-11', village: V1, house: '011', status: 'dibao' },
  neverEmployee: { born: '1986-12-12', village: V1, house: '012' },
  duplicateLate2022: { born: '1987-01-13', village: V1, house: '013', status: 'destitute' }, // paid after the window, then a second payment
} as const;
type Who = keyof typeof PEOPLE;

for (const backend of BACKENDS)
  describe(`断保/漏保 reasons and the seven groups' blockers on ${backend}`, () => {
    let d: TestDatabase;
    let app: FastifyInstance;
    let base: string;
    let token: string;
    const dir = mkdtempSync(join(tmpdir(), 'yibao-reasons-'));
    const idOf = {} as Record<Who, string>;
    const personOf = {} as Record<Who, string>;
    let notAssessedNever = '';

    const enrollment = (who: Who, year: number) =>
      d.db.selectFrom('enrollment').select(['id', 'state', 'quote', 'refusal_code']).where('person_id', '=', personOf[who]).where('coverage_year', '=', year).executeTakeFirstOrThrow();
    /** a payment of what the person owes on that day, as a clerk records it */
    const pay = async (who: Who, year: number, paidOn: string, reference: string) => {
      const e = await enrollment(who, year);
      const q = quotes.contribution({ ...(e.quote as { request: Record<string, unknown> }).request, paidOn, trace: false });
      assert.ok(q.accepted, `${who} may pay on ${paidOn}: ${JSON.stringify(q.reason)}`);
      const assistanceOnly = q.individualDue === 0;
      return recordPayment(d.db, quotes, SYSTEM, { reference, channel: assistanceOnly ? 'medical_assistance' : 'online', enrollmentId: e.id, amountYuan: (assistanceOnly ? q.contributionAssistance : q.individualDue)!, paidOn });
    };
    const secondPayment = async (who: Who, year: number, paidOn: string, reference: string) => {
      await assert.rejects(pay(who, year, paidOn, reference), (e: unknown) => e instanceof ConflictError && e.code === 'DUPLICATE_ENROLLMENT');
    };
    const reasons = (a: DropOutsAnswer): Map<string, { code: string; message: string }> => new Map(a.persons.map((p) => [p.personId, p.reason]));

    before(async () => {
      d = await freshDatabase(backend);
      const db = d.db;
      await db.insertInto('admin_area').values([
        { code: '500230', name: '丰都县', level: 'county', parent_code: null, region: '500230' },
        { code: TOWN, name: '兴义镇', level: 'township', parent_code: '500230', region: '500230' },
        { code: V1, name: '长江村', level: 'village', parent_code: TOWN, region: '500230' },
        { code: V2, name: '杨柳村', level: 'village', parent_code: TOWN, region: '500230' },
      ]).execute();
      // the register, through the persons import
      const names = Object.keys(PEOPLE) as Who[];
      names.forEach((w, i) => (idOf[w] = makeIdNumber('500230', PEOPLE[w].born, 100 + i * 2)));
      const row = (w: Who, death = '') => [idOf[w], `居民${'甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未'[names.indexOf(w)]}`, 'kind' in PEOPLE[w] ? (PEOPLE[w] as { kind: string }).kind : '成年居民', PEOPLE[w].village, PEOPLE[w].house, death].join(',');
      const header = '身份证号,姓名,人员类别,村(居)代码,户号,死亡日期';
      const register = join(dir, 'persons.csv');
      writeFileSync(register, [header, ...names.map((w) => row(w))].join('\n'));
      const s = await importPersons(db, SYSTEM, { path: register });
      assert.equal(s.inserted, names.length, JSON.stringify(s.problems));
      for (const p of await db.selectFrom('person').select(['id', 'id_number']).execute()) personOf[names.find((w) => idOf[w] === p.id_number)!] = String(p.id);
      for (const w of names)
        if ('status' in PEOPLE[w])
          await db.insertInto('needy_status').values({ person_id: personOf[w], status: (PEOPLE[w] as { status: string }).status, source: 'civil_affairs', valid_from: '2021-01-01', valid_to: null, reference: '民发〔2021〕1号' }).execute();
      const employee = join(dir, 'employee.csv');
      writeFileSync(employee, `身份证号,年度\n${idOf.employee2023},2023\n${idOf.neverEmployee},2022\n`);
      await importEmployeeList(db, SYSTEM, employee, { fileName: 'employee.csv', format: 'csv' });

      assert.equal((await assessYear(db, quotes, { coverageYear: 2022, actor: SYSTEM })).bad, 0);
      for (const w of ['paidBoth', 'diedBefore', 'diedWithin', 'employee2023', 'duplicate2023', 'unpaid2023', 'paidLate2023', 'notAssessed2023'] as const) await pay(w, 2022, '2021-12-20', `R22-${w}`);
      assert.equal((await enrollment('newborn2022', 2022)).state, 'paid', 'the newborn follows its paid guardian');
      await pay('duplicateLate2022', 2022, '2022-03-10', 'R22-late');
      await secondPayment('duplicateLate2022', 2022, '2022-03-12', 'R22-late-again');

      assert.equal((await assessYear(db, quotes, { coverageYear: 2023, actor: SYSTEM, villages: [V1] })).bad, 0);
      await pay('paidBoth', 2023, '2022-12-10', 'R23-both');
      await pay('paidLate2023', 2023, '2023-05-02', 'R23-late');
      await pay('duplicate2023', 2023, '2023-04-01', 'R23-dup');
      await secondPayment('duplicate2023', 2023, '2023-04-03', 'R23-dup-again');

      // deaths reported later, by a persons file with 死亡日期
      const deaths = join(dir, 'deaths.csv');
      writeFileSync(deaths, [header, row('diedBefore', '2022-10-05'), row('diedWithin', '2023-03-01'), row('neverDiedBefore', '2021-08-01'), row('neverDiedWithin', '2022-05-01')].join('\n'));
      assert.equal((await importPersons(db, SYSTEM, { path: deaths })).updated, 4);
      // someone registered after the assessment
      const late = join(dir, 'late.csv');
      const lateId = makeIdNumber('500230', '1988-03-14', 998);
      writeFileSync(late, `${header}\n${lateId},后来者,成年居民,${V1},014,\n`);
      assert.equal((await importPersons(db, SYSTEM, { path: late })).inserted, 1);
      notAssessedNever = String((await db.selectFrom('person').select('id').where('id_number', '=', lateId).executeTakeFirstOrThrow()).id);

      const auth = new AuthService(db);
      await auth.createUser(SYSTEM, { username: 'admin', displayName: 'admin', password: 'admin-password', role: 'admin' });
      app = await buildServer(quotes, { database: d });
      base = await listen(app);
      token = await logIn(base, 'admin', 'admin-password');
    });
    after(async () => {
      await app?.close();
      await d?.drop();
    });

    test('断保 (enrolled 2022, not 2023): died before the year or within it, employee insurance, duplicate, refused, not assessed, paid after the date, unpaid', async () => {
      const a = await dropOuts(d.db, SYSTEM, { area: TOWN, year: 2023, asOf: '2023-03-31', kind: 'lapsed' });
      const r = reasons(a);
      const want: [Who, string, RegExp][] = [
        ['diedBefore', 'DIED', /^2022-10-05 死亡（2023年度开始前）$/],
        ['diedWithin', 'DIED', /^2023-03-01 死亡（2023年度内）$/],
        ['employee2023', 'EMPLOYEE_INSURANCE', /^在2023年度职工基本医疗保险参保名单中/],
        ['duplicate2023', 'DUPLICATE_ENROLLMENT', /重复参保/],
        ['newborn2022', 'REFUSED', new RegExp(`^NEWBORN_NOT_IN_COVERAGE_YEAR: ${REFUSAL_CODES.NEWBORN_NOT_IN_COVERAGE_YEAR}$`)],
        ['notAssessed2023', 'NOT_ASSESSED', /^2023年度尚未核定参保$/],
        ['paidLate2023', 'PAID_AFTER_DATE', /^2023-05-02 缴费（晚于统计日）$/],
        ['unpaid2023', 'UNPAID', /^未缴费（个人应缴 \d+\.\d\d 元）$/],
        ['duplicateLate2022', 'UNPAID', /^未缴费/], // paid 2022 late, not 2023
      ];
      for (const [who, code, message] of want) {
        const got = r.get(personOf[who]);
        assert.ok(got, `${who} is in 断保`);
        assert.equal(got.code, code, `${who}: ${got.message}`);
        assert.match(got.message, message, who);
      }
      assert.equal(r.has(personOf.paidBoth), false, 'paid both years: not a drop-out');
      assert.equal(a.persons.length, want.length);
      assert.deepEqual(a.byReason, { DIED: 2, EMPLOYEE_INSURANCE: 1, DUPLICATE_ENROLLMENT: 1, REFUSED: 1, NOT_ASSESSED: 1, PAID_AFTER_DATE: 1, UNPAID: 2 });
      assert.equal(a.persons.find((p) => p.personId === personOf.diedWithin)!.dateOfDeath, '2023-03-01');
      assert.equal(a.persons.find((p) => p.personId === personOf.unpaid2023)!.dateOfDeath, null);
      assert.ok(a.persons.every((p) => p.lastEnrolledYear === 2022));
      // a death after the date is not yet a reason: as of 2023-02-28 the one who died on 1 March was alive and unpaid
      const earlier = reasons(await dropOuts(d.db, SYSTEM, { area: TOWN, year: 2023, asOf: '2023-02-28', kind: 'lapsed' }));
      assert.equal(earlier.get(personOf.diedWithin)?.code, 'UNPAID');
      assert.equal(earlier.get(personOf.diedBefore)?.code, 'DIED');
    });

    test('漏保 (registered, never enrolled): died before the year or within it, refused with its code, employee insurance, duplicate, not assessed, unpaid', async () => {
      const a = await dropOuts(d.db, SYSTEM, { area: TOWN, year: 2022, asOf: '2022-02-28', kind: 'never_enrolled' });
      const r = reasons(a);
      const want: [string, string, RegExp][] = [
        [personOf.neverDiedBefore, 'DIED', /^2021-08-01 死亡（2022年度开始前）$/],
        [personOf.neverRefused, 'REFUSED', /^NEWBORN_NOT_IN_COVERAGE_YEAR: 新生儿出生日期不在待遇年度内$/],
        [personOf.neverEmployee, 'EMPLOYEE_INSURANCE', /^在2022年度职工基本医疗保险参保名单中/],
        [personOf.duplicateLate2022, 'DUPLICATE_ENROLLMENT', /重复参保/],
        [notAssessedNever, 'NOT_ASSESSED', /^2022年度尚未核定参保$/],
        [personOf.neverUnpaid, 'UNPAID', /^未缴费/],
        // died on 2022-05-01: alive on the date counted
        [personOf.neverDiedWithin, 'UNPAID', /^未缴费/],
      ];
      for (const [id, code, message] of want) {
        const got = r.get(id);
        assert.ok(got, `person ${id} is in 漏保`);
        assert.equal(got.code, code, got.message);
        assert.match(got.message, message);
      }
      assert.equal(a.persons.length, want.length, JSON.stringify(a.persons.map((p) => [p.personId, p.reason.code])));
      const later = reasons(await dropOuts(d.db, SYSTEM, { area: TOWN, year: 2022, asOf: '2022-12-31', kind: 'never_enrolled' }));
      assert.deepEqual(later.get(personOf.neverDiedWithin), { code: 'DIED', message: '2022-05-01 死亡（2022年度内）' });
      assert.equal(later.has(personOf.duplicateLate2022), false, 'paid by the end of the year: enrolled');
      // a death after the coverage year is not why the year was missed
      const next = reasons(await dropOuts(d.db, SYSTEM, { area: TOWN, year: 2021, asOf: '2022-12-31', kind: 'never_enrolled' }));
      assert.equal(next.get(personOf.neverDiedWithin)?.code, 'NOT_ASSESSED');
      assert.equal(next.get(personOf.neverDiedBefore)?.code, 'DIED');
    });

    test('over HTTP: the reason and the date of death in the list and its XLSX', async () => {
      const r = await request(base, 'GET', `/api/v1/monitoring/drop-outs?area=${TOWN}&year=2023&asOf=2023-03-31&kind=lapsed`, token);
      assert.equal(r.status, 200, r.text);
      const died = r.json.persons.find((p: { personId: string }) => p.personId === personOf.diedBefore);
      assert.deepEqual([died.dateOfDeath, died.reason.code], ['2022-10-05', 'DIED']);
      assert.equal(r.json.byReason.DIED, 2);
      assert.match(r.json.unknownReasons, /moves out of the county/);
      const x = await request(base, 'GET', `/api/v1/monitoring/drop-outs.xlsx?area=${TOWN}&year=2023&asOf=2023-03-31&kind=lapsed`, token);
      assert.equal(x.status, 200);
      assert.equal(x.buf.subarray(0, 2).toString(), 'PK');
    });

    test('the seven groups’ missing persons: refused with its reason, a duplicate enrollment, unpaid', async () => {
      const m = await missingPersons(d.db, quotes, SYSTEM, { area: TOWN, year: 2022, asOf: '2022-02-28' });
      const by = new Map(m.persons.map((p) => [p.personId, p]));
      const refused = by.get(personOf.neverRefused)!;
      assert.ok(refused, 'the refused newborn of the 低保 group is missing');
      assert.deepEqual(refused.blocker, { code: 'REFUSED', message: `NEWBORN_NOT_IN_COVERAGE_YEAR: ${REFUSAL_CODES.NEWBORN_NOT_IN_COVERAGE_YEAR}` });
      assert.equal(refused.state, 'refused');
      assert.deepEqual(refused.groups.map((g) => g.group), ['dibao']);
      const dup = by.get(personOf.duplicateLate2022)!;
      assert.ok(dup, 'paid after the window: missing');
      assert.equal(dup.blocker.code, 'DUPLICATE_ENROLLMENT');
      assert.match(dup.blocker.message, /^重复参保/);
      assert.equal(dup.paidOn, '2022-03-10');
      assert.deepEqual(dup.groups.map((g) => g.group), ['destitute']);
      assert.equal(by.get(personOf.neverUnpaid)?.blocker.code, 'UNPAID');
      assert.equal(m.persons.length, 3, JSON.stringify(m.persons.map((p) => [p.personId, p.blocker.code])));
      // the refusal is the assessment's, recorded with the enrollment
      assert.equal((await enrollment('neverRefused', 2022)).refusal_code, 'NEWBORN_NOT_IN_COVERAGE_YEAR');
    });
  });
