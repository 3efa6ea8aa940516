/**
 * The tax bureau's and banks' payment files over HTTP (POST /api/v1/monitoring/imports/payment-files,
 * issue #14 item 10), on PGlite and on the PostgreSQL server: a good file's payments recorded
 * and the village's progress moves by them; bad rows back by line with the column and the
 * masked ID number while the good ones are recorded; the same file again is replayed and
 * records nothing twice; a clerk's rows outside their area refused row by row; a bad header or
 * query is a 400 naming the field with nothing written; the right is payments.write; every
 * payment and the import audited; the OpenAPI document lists the route.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import ExcelJS from 'exceljs';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { buildServer } from '../src/http/server.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { makeIdNumber } from '../src/registers/id-number.ts';
import { maskIdNumber } from '../src/access/privacy.ts';
import { assessYear } from '../src/campaign/assessment.ts';
import { unbalancedEntries } from '../src/ledger/ledger.ts';
import { AuthService } from '../src/access/auth.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { XLSX_MIME } from '../src/sheets.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { listen, logIn, request } from './support/http.ts';

const quotes = QuoteService.load();
const ROUTE = '/api/v1/monitoring/imports/payment-files';
const T1 = '500230100';
const T2 = '500230101';
const VILLAGES = [
  { code: `${T1}001`, name: '长江村', township: T1 },
  { code: `${T1}002`, name: '杨柳村', township: T1 },
  { code: `${T2}001`, name: '花园村', township: T2 },
];
const PAID_ON = '2022-01-10';

interface Resident {
  id: string;
  idNumber: string;
  name: string;
  village: string;
  enrollmentId: string;
  /** due on PAID_ON, yuan with two decimals */
  due: string;
}

for (const backend of BACKENDS)
  describe(`payment files over HTTP on ${backend}`, { concurrency: false }, () => {
    let d: TestDatabase;
    let app: FastifyInstance;
    let base: string;
    const tok: Record<string, string> = {};
    const people: Resident[] = [];
    const of = (village: string): Resident[] => people.filter((p) => p.village === village);

    before(async () => {
      d = await freshDatabase(backend);
      const db = d.db;
      await db.insertInto('admin_area').values([
        { code: '500230', name: '丰都县', level: 'county', parent_code: null, region: '500230' },
        { code: T1, name: '兴义镇', level: 'township', parent_code: '500230', region: '500230' },
        { code: T2, name: '三合街道', level: 'township', parent_code: '500230', region: '500230' },
        ...VILLAGES.map((v) => ({ code: v.code, name: v.name, level: 'village' as const, parent_code: v.township, region: '500230' })),
      ]).execute();
      let seq = 0;
      for (const v of VILLAGES)
        for (let i = 0; i < 8; i++) {
          const born = `${1960 + i * 4}-0${1 + (i % 9)}-1${i % 10}`;
          const gender = seq % 2 ? 'male' : 'female';
          const idNumber = makeIdNumber('500230', born, (seq++ * 2 + (gender === 'male' ? 1 : 0)) % 1000);
          const name = `${'赵钱孙李'[i % 4]}${'一二三四五六七八'[i]}${v.name[0]}`;
          const h = await db.insertInto('household').values({ village_code: v.code, house_no: String(i).padStart(3, '0'), address: null }).returning('id').executeTakeFirstOrThrow();
          const p = await db.insertInto('person').values({ id_number: idNumber, name, gender, birth_date: born, household_id: h.id, village_code: v.code, kind: 'adult', graduation_year: null }).returning('id').executeTakeFirstOrThrow();
          people.push({ id: String(p.id), idNumber, name, village: v.code, enrollmentId: '', due: '' });
        }
      const s = await assessYear(db, quotes, { coverageYear: 2022, actor: SYSTEM });
      assert.equal(s.bad, 0, JSON.stringify(s.problems));
      for (const p of people) {
        const e = await db.selectFrom('enrollment').select(['id', 'state', 'quote']).where('person_id', '=', p.id).where('coverage_year', '=', 2022).executeTakeFirstOrThrow();
        assert.equal(e.state, 'assessed');
        const q = quotes.contribution({ ...(e.quote as { request: Record<string, unknown> }).request, paidOn: PAID_ON, trace: false });
        assert.ok(q.accepted && q.individualDue! > 0, 'each resident owes a contribution on the date');
        p.enrollmentId = String(e.id);
        p.due = q.individualDue!.toFixed(2);
      }
      const auth = new AuthService(db);
      const users = [
        { username: 'admin', role: 'admin' },
        { username: 'officer', role: 'policy_officer' },
        { username: 'auditor', role: 'auditor' },
        { username: 'clerk1', role: 'clerk', villages: [T1] },
      ] as const;
      for (const u of users) await auth.createUser(SYSTEM, { username: u.username, displayName: u.username, password: `${u.username}-password`, role: u.role, villages: 'villages' in u ? [...u.villages] : undefined });
      app = await buildServer(quotes, { database: d, console: false });
      base = await listen(app);
      for (const u of users) tok[u.username] = await logIn(base, u.username, `${u.username}-password`);
    });
    after(async () => {
      await app?.close();
      await d?.drop();
    });

    const post = (query: string, token: string | undefined, body: string | Uint8Array, type = 'text/csv') => request(base, 'POST', `${ROUTE}${query}`, token, body, { 'content-type': type });
    const count = async (table: 'payment' | 'journal_entry' | 'import_batch'): Promise<number> => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)}`.execute(d.db)).rows[0].n;
    const enrollment = (p: Resident) => d.db.selectFrom('enrollment').select(['state', 'paid_fen', 'paid_on']).where('id', '=', p.enrollmentId).executeTakeFirstOrThrow();
    const paidIn = async (area: string): Promise<{ total: number; byVillage: Map<string, number> }> => {
      const r = await request(base, 'GET', `/api/v1/monitoring/progress?area=${area}&year=2022&asOf=2022-01-31`, tok.admin);
      assert.equal(r.status, 200, r.text);
      return { total: r.json.totals.paid, byVillage: new Map(r.json.villages.map((v: { villageCode: string; paid: number }) => [v.villageCode, v.paid])) };
    };

    // the tax bureau's file of four payers of 兴义镇: no channel for three rows (the file's default), a bank for one
    const taxFileOf = ([a0, a1, a2, b0]: Resident[]) => [
      '电子税票号码,身份证号,姓名,缴费金额,入库日期,缴费渠道',
      `TAX-0001,${a0.idNumber},${a0.name},${a0.due},${PAID_ON},`,
      `TAX-0002,${a1.idNumber},${a1.name},${a1.due},${PAID_ON},`,
      `TAX-0003,${a2.idNumber},,${a2.due},2022/01/10,银行`,
      `TAX-0004,${b0.idNumber},${b0.name},${b0.due},${PAID_ON},`,
    ].join('\n');
    let a0: Resident, a1: Resident, a2: Resident, a3: Resident, a4: Resident, a5: Resident, b0: Resident, c0: Resident;
    let taxFile: string;
    before(() => {
      [a0, a1, a2, a3, a4, a5] = of(VILLAGES[0].code);
      [b0] = of(VILLAGES[1].code);
      [c0] = of(VILLAGES[2].code);
      taxFile = taxFileOf([a0, a1, a2, b0]);
    });

    test('a good file: every payment recorded on its date, the progress of its villages moves by them, audited', async () => {
      const before = await paidIn(T1);
      const lastAudit = (await sql<{ id: string | null }>`SELECT max(id)::text AS id FROM audit_log`.execute(d.db)).rows[0].id ?? '0';
      const r = await post('?channel=tax_bureau&year=2022&fileName=税务缴费明细.csv', tok.clerk1, taxFile);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.kind, 'payments');
      assert.equal(r.json.fileName, '税务缴费明细.csv');
      assert.deepEqual([r.json.rows, r.json.inserted, r.json.replayed, r.json.refused, r.json.bad], [4, 4, 0, 0, 0], JSON.stringify(r.json.problems));
      assert.deepEqual(r.json.problems, []);
      for (const p of [a0, a1, a2, b0]) {
        const e = await enrollment(p);
        assert.equal(e.state, 'paid');
        assert.equal(Number(e.paid_fen), Math.round(Number(p.due) * 100), 'paid what was due, in fen');
        assert.equal(e.paid_on, PAID_ON);
      }
      const channels = await d.db.selectFrom('payment').select(['reference', 'channel']).where('reference', 'like', 'TAX-%').orderBy('reference').execute();
      assert.deepEqual(channels.map((c) => c.channel), ['tax_bureau', 'tax_bureau', 'offline', 'tax_bureau'], 'the default channel for rows without one; 银行 is a bank’s (线下)');
      const now = await paidIn(T1);
      assert.equal(now.total, before.total + 4, 'the township’s progress moves by the file');
      assert.equal(now.byVillage.get(VILLAGES[0].code), before.byVillage.get(VILLAGES[0].code)! + 3);
      assert.equal(now.byVillage.get(VILLAGES[1].code), before.byVillage.get(VILLAGES[1].code)! + 1);
      assert.deepEqual(await unbalancedEntries(d.db), []);
      const audits = await d.db.selectFrom('audit_log').select(['actor', 'action', 'entity', 'entity_id', 'detail']).where(sql<boolean>`id > ${lastAudit}::bigint`).execute();
      const payments = audits.filter((x) => x.action === 'record_payment');
      assert.equal(payments.length, 4, 'one audit row per payment');
      assert.ok(payments.every((x) => x.actor === 'clerk1' && (x.detail as { importBatchId: string }).importBatchId === r.json.batchId));
      assert.ok(audits.some((x) => x.action === 'import' && x.entity === 'import_batch' && x.entity_id === r.json.batchId), 'the import itself is audited');
    });

    // an XLSX file of the admin: two good rows around bad ones
    let bankXlsx: Uint8Array;

    test('bad rows come back by line with the column and the masked ID number; the good rows are recorded', async () => {
      const wb = new ExcelJS.Workbook();
      const ws = wb.addWorksheet('缴费明细');
      ws.addRow(['交易流水号', '身份证号', '缴费金额(元)', '交易日期', '缴费渠道', '参保年度']);
      ws.addRow(['BANK-01', a3.idNumber, a3.due, PAID_ON, '银行代收', '2022']); // line 2: good
      ws.addRow(['BANK-02', a4.idNumber, '1.00', PAID_ON, '银行代收', '2022']); // 3: not the amount due (refused by the rules)
      ws.addRow(['BANK-03', `${a5.idNumber.slice(0, 17)}${a5.idNumber.endsWith('1') ? '2' : '1'}`, a5.due, PAID_ON, '银行代收', '2022']); // 4: a wrong check character
      ws.addRow(['BANK-04', a5.idNumber, a5.due, '2022-02-30', '银行代收', '2022']); // 5: not a date
      ws.addRow(['BANK-05', c0.idNumber, c0.due, PAID_ON, '银行代收', '2022']); // 6: good (三合街道: the admin may)
      ws.addRow(['BANK-01', a3.idNumber, a3.due, PAID_ON, '银行代收', '2022']); // 7: repeats line 2
      ws.addRow(['BANK-06', a5.idNumber, a5.due, PAID_ON, '', '2022']); // 8: no channel, and the file has no default
      bankXlsx = new Uint8Array(await wb.xlsx.writeBuffer());
      const paymentsBefore = await count('payment');
      const r = await post('?fileName=bank.xlsx', tok.admin, bankXlsx, XLSX_MIME);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual([r.json.rows, r.json.inserted, r.json.replayed, r.json.refused, r.json.bad], [7, 2, 0, 1, 5]);
      const problems = r.json.problems as { line: number; field: string; reason: string; idNumber: string }[];
      assert.deepEqual(problems.map((p) => [p.line, p.field]), [[3, '缴费金额(元)'], [4, '身份证号'], [5, '交易日期'], [7, '交易流水号'], [8, '缴费渠道']], 'each by line, under the column as the file names it');
      assert.match(problems[0].reason, /is not the amount due: \d+\.\d{2} yuan/);
      assert.match(problems[1].reason, /check character/);
      assert.match(problems[2].reason, /not a date/);
      assert.match(problems[3].reason, /repeats line 2/);
      assert.match(problems[4].reason, /give the channel, or a default channel/);
      assert.equal(problems[0].idNumber, maskIdNumber(a4.idNumber), 'the ID number masked');
      for (const p of problems) assert.ok(!people.some((x) => p.idNumber.includes(x.idNumber)), 'never an ID number in full');
      assert.equal((await enrollment(a3)).state, 'paid');
      assert.equal((await enrollment(c0)).state, 'paid');
      assert.equal((await enrollment(a4)).state, 'assessed');
      assert.equal((await enrollment(a5)).state, 'assessed');
      assert.equal(await count('payment'), paymentsBefore + 2);
      assert.deepEqual(await unbalancedEntries(d.db), []);
    });

    test('the same file again: replayed by reference, nothing recorded twice', async () => {
      const [payments, entries, progressBefore] = [await count('payment'), await count('journal_entry'), await paidIn('500230')];
      const r = await post('?channel=tax_bureau&year=2022', tok.clerk1, taxFile);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual([r.json.rows, r.json.inserted, r.json.replayed, r.json.refused, r.json.bad], [4, 0, 4, 0, 0]);
      const x = await post('', tok.admin, bankXlsx, XLSX_MIME);
      assert.equal(x.status, 200, x.text);
      assert.deepEqual([x.json.inserted, x.json.replayed, x.json.bad], [0, 2, 5]);
      assert.deepEqual(x.json.problems.map((p: { line: number }) => p.line), [3, 4, 5, 7, 8], 'the same bad rows, by the same lines');
      assert.equal(await count('payment'), payments);
      assert.equal(await count('journal_entry'), entries, 'no ledger entry twice');
      assert.equal((await paidIn('500230')).total, progressBefore.total);
      // the same reference for another payment is refused, not replayed
      const other = await post('?channel=tax_bureau', tok.clerk1, `流水号,身份证号,缴费金额,缴费日期\nTAX-0001,${a4.idNumber},${a4.due},${PAID_ON}\n`);
      assert.equal(other.status, 200, other.text);
      assert.deepEqual([other.json.inserted, other.json.refused], [0, 1]);
      assert.match(other.json.problems[0].reason, /PAYMENT_REFERENCE_REUSED/);
      assert.equal((await enrollment(a4)).state, 'assessed');
    });

    test('a clerk’s rows of persons outside their area are refused row by row; their own are recorded', async () => {
      const [, c1] = of(VILLAGES[2].code);
      const r = await post('?channel=offline', tok.clerk1, `流水号,身份证号,缴费金额,缴费日期\nOWN-1,${a4.idNumber},${a4.due},${PAID_ON}\nOUT-1,${c1.idNumber},${c1.due},${PAID_ON}\n`);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual([r.json.inserted, r.json.refused, r.json.bad], [1, 1, 1]);
      assert.equal(r.json.problems[0].line, 3);
      assert.equal(r.json.problems[0].field, '身份证号');
      assert.match(r.json.problems[0].reason, new RegExp(`registered in village ${VILLAGES[2].code}, outside clerk1's area`));
      assert.equal(r.json.problems[0].idNumber, maskIdNumber(c1.idNumber));
      assert.equal((await enrollment(a4)).state, 'paid');
      assert.equal((await enrollment(c1)).state, 'assessed', 'nothing written for the other township’s person');
    });

    test('refused as a whole, nothing written: a bad header, a bad query, an empty body (400 naming the field); without the right (401, 403)', async () => {
      const [a6] = of(VILLAGES[0].code).slice(6);
      const good = `流水号,身份证号,缴费金额,缴费日期\nWHOLE-1,${a6.idNumber},${a6.due},${PAID_ON}\n`;
      const counts = async () => [await count('payment'), await count('import_batch'), await count('journal_entry')];
      const before = await counts();
      const noRef = await post('?channel=tax_bureau', tok.admin, `身份证号,缴费金额,缴费日期\n${a6.idNumber},${a6.due},${PAID_ON}\n`);
      assert.equal(noRef.status, 400, noRef.text);
      assert.equal(noRef.json.field, 'header');
      assert.match(noRef.json.message, /no reference column \(accepted headings: .*流水号/);
      const noDate = await post('?channel=tax_bureau', tok.admin, `流水号,身份证号,缴费金额\nX-1,${a6.idNumber},${a6.due}\n`);
      assert.equal(noDate.status, 400);
      assert.equal(noDate.json.field, 'header');
      for (const [query, field] of [
        ['?channel=cash', 'channel'],
        ['?year=20x2', 'year'],
        ['?year=1999', 'year'],
        ['?fileName=', 'fileName'],
        ['?batch=5', 'batch'],
      ] as const) {
        const r = await post(query, tok.admin, good);
        assert.equal(r.status, 400, `${query}: ${r.text}`);
        assert.equal(r.json.field, field, query);
      }
      const empty = await post('', tok.admin, '');
      assert.equal(empty.status, 400);
      assert.equal(empty.json.field, '(body)');
      const notXlsx = await post('', tok.admin, 'not a workbook', XLSX_MIME);
      assert.equal(notXlsx.status, 400);
      assert.equal((await post('', undefined, good)).status, 401);
      assert.equal((await post('', tok.auditor, good)).status, 403);
      assert.equal((await post('', tok.officer, good)).status, 403, 'a policy officer may not record payments');
      assert.deepEqual(await counts(), before);
      assert.equal((await enrollment(a6)).state, 'assessed');
    });

    test('the OpenAPI document lists the route with its query and its answer', async () => {
      const doc = (await request(base, 'GET', '/docs/json')).json;
      const op = doc.paths[ROUTE]?.post;
      assert.ok(op, 'the route is in the document');
      assert.deepEqual(op.parameters.map((p: { name: string }) => p.name).sort(), ['channel', 'fileName', 'year']);
      const answer = JSON.stringify(op.responses['200']);
      for (const k of ['replayed', 'refused', 'newbornsFollowing', 'problems', 'batchId']) assert.ok(answer.includes(k), k);
    });
  });
