/**
 * Money fits its type (issue #11 item 4): amounts beyond what a real bill, payment or transfer
 * can be are refused naming the field (HTTP 400, the platform's infcode -1), so nothing past
 * the exact range of integer fen is ever stored; and the trial balance is decided on sums taken
 * in the database's numeric, so balances beyond 2^53 fen (which a double rounds) cannot make an
 * unbalanced ledger look balanced.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { buildServer } from '../src/http/server.ts';
import { AuthService } from '../src/access/auth.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { trialBalance } from '../src/ledger/ledger-report.ts';
import { MAX_YUAN } from '../src/money.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { listen, logIn, request } from './support/http.ts';
import { FsiClient, enrolledPerson, VILLAGE } from './support/fsi-client.ts';

const quotes = QuoteService.load();
const H = 'H50023000031';

for (const backend of BACKENDS)
  describe(`money limits on ${backend}`, () => {
    let d: TestDatabase;
    let app: FastifyInstance;
    let base: string;
    let admin: string;
    let his: FsiClient;

    before(async () => {
      d = await freshDatabase(backend);
      await d.db.insertInto('admin_area').values([
        { code: '500230', name: '丰都县', level: 'county', parent_code: null, region: '500230' },
        { code: '500230100', name: '兴义镇', level: 'township', parent_code: '500230', region: '500230' },
        { code: VILLAGE, name: '兴义村', level: 'village', parent_code: '500230100', region: '500230' },
      ]).execute();
      await d.db.insertInto('hospital').values({ code: H, name: '丰都县人民医院', level: 'secondary', region: '500230' }).execute();
      const auth = new AuthService(d.db);
      await auth.createUser(SYSTEM, { username: 'limits-admin', displayName: 'admin', role: 'admin', password: 'limits-admin-password' });
      const hid = await auth.createUser(SYSTEM, { username: 'limits-his', displayName: 'HIS', role: 'hospital', hospitalCode: H });
      const token = await auth.issueApiToken(SYSTEM, hid, 'HIS');
      app = await buildServer(quotes, { database: d });
      base = await listen(app);
      admin = await logIn(base, 'limits-admin', 'limits-admin-password');
      his = new FsiClient(base, token, H, 'L');
      await his.signIn();
    });
    after(async () => {
      await app?.close();
      await d?.drop();
    });

    const encounter = (amount: number) => ({ type: 'inpatient', date: '2022-03-01', hospitalLevel: 'secondary', fees: [{ catalogClass: '甲', amount }] });

    test('a settlement quote beyond a real bill is a 400 naming the field; at the limit it is answered', async () => {
      const req = (amount: number) => ({ region: '500230', coverageYear: 2022, tier: 'tier1', person: { statuses: [] }, encounter: encounter(amount) });
      const over = await request(base, 'POST', '/api/v1/quotes/settlement', undefined, req(MAX_YUAN.bill + 0.01));
      assert.equal(over.status, 400);
      assert.equal(over.json.field, 'encounter.fees.0.amount');
      const huge = await request(base, 'POST', '/api/v1/quotes/settlement', undefined, req(2 ** 60));
      assert.equal(huge.status, 400);
      // lines each within the limit whose sum is not
      const many = await request(base, 'POST', '/api/v1/quotes/settlement', undefined, {
        ...req(1),
        encounter: { ...encounter(1), fees: Array.from({ length: 3 }, () => ({ catalogClass: '甲', amount: MAX_YUAN.bill })) },
      });
      assert.equal(many.status, 400);
      assert.equal(many.json.field, 'encounter.fees');
      assert.equal((await request(base, 'POST', '/api/v1/quotes/settlement', undefined, req(MAX_YUAN.bill))).status, 200);
    });

    test('an encounter, a payment and a fund transfer beyond their limits are 400 naming the field; nothing is written', async () => {
      const p = await enrolledPerson(d.db);
      const before = Number((await d.db.selectFrom('journal_entry').select((e) => e.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
      const enc = await request(base, 'POST', '/api/v1/encounters', admin, { hospitalCode: H, idNumber: p.idNumber, coverageYear: 2022, type: 'inpatient', date: '2022-03-01', fees: [{ catalogClass: '甲', amount: 1e17 }] });
      assert.equal(enc.status, 400);
      assert.equal(enc.json.field, 'fees.0.amount');
      const pay = await request(base, 'POST', '/api/v1/payments', admin, { reference: 'LIM-1', channel: 'online', idNumber: p.idNumber, coverageYear: 2022, amountYuan: '90071992547409.93', paidOn: '2022-01-10' });
      assert.equal(pay.status, 400);
      assert.equal(pay.json.field, 'amountYuan');
      const tr = await request(base, 'POST', '/api/v1/ledger/transfers', admin, { kind: 'critical_illness_allocation', reference: 'LIM-T', coverageYear: 2022, amountYuan: MAX_YUAN.transfer + 1 });
      assert.equal(tr.status, 400);
      assert.equal(tr.json.field, 'amountYuan');
      const after = Number((await d.db.selectFrom('journal_entry').select((e) => e.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
      assert.equal(after, before);
    });

    test('the platform refuses a fee amount beyond the limit naming the field (infcode -1)', async () => {
      const p = await enrolledPerson(d.db);
      const m = await his.registerOutpatient(p, 'MZ-LIM-1');
      for (const amount of [9007199254740993, '90071992547409.93', 1e21]) {
        const r = await his.post(his.envelope('2204', { feedetail: [{ ...his.fee(p, m, 1, 1), det_item_fee_sumamt: amount, pric: amount }] }));
        assert.equal(r.infcode, -1);
        assert.match(r.err_msg, /det_item_fee_sumamt/);
      }
      assert.equal((await d.db.selectFrom('fsi_fee').select('feedetl_sn').where('mdtrt_id', '=', m).execute()).length, 0);
    });

    if (backend === 'server')
      test('the trial balance is decided on exact sums: balances past 2^53 fen, balanced or off by 2 fen', async () => {
        // as the tables' owner (the service's own role may not switch the balance check off)
        const owner = new pg.Client({ connectionString: d.where });
        await owner.connect();
        try {
          const X = 2n ** 54n; // doubles near it are 4 fen apart: X + 2 rounds to X
          await owner.query('BEGIN');
          const e1 = (await owner.query("INSERT INTO journal_entry (memo, source) VALUES ('test: large', 'test') RETURNING id")).rows[0].id;
          await owner.query('INSERT INTO posting (entry_id, account, amount_fen) VALUES ($1, $2, $3), ($1, $4, $5)', [e1, 'contributions_received', String(X + 2n), 'basic_fund', String(-(X + 2n))]);
          await owner.query('COMMIT');
          const ok = await trialBalance(d.db);
          assert.equal(ok.balanced, true);
          assert.equal(ok.sumFenExact, '0');
          // an entry off by 2 fen, forced in past the balance trigger: a double would sum the balances to 0
          await owner.query('ALTER TABLE posting DISABLE TRIGGER posting_balanced');
          const e2 = (await owner.query("INSERT INTO journal_entry (memo, source) VALUES ('test: off by 2 fen', 'test') RETURNING id")).rows[0].id;
          await owner.query('INSERT INTO posting (entry_id, account, amount_fen) VALUES ($1, $2, $3), ($1, $4, $5)', [e2, 'payable_hospitals', String(X + 2n), 'basic_fund', String(-X)]);
          await owner.query('ALTER TABLE posting ENABLE TRIGGER posting_balanced');
          assert.equal(Number(String(X + 2n)) + Number(String(-X)), 0, 'a double cannot see the 2 fen');
          const off = await trialBalance(d.db);
          assert.equal(off.balanced, false);
          assert.equal(off.sumFenExact, '2');
        } finally {
          await owner.end();
        }
      });
  });
