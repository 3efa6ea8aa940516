/**
 * Transfers into the critical-illness and medical-assistance funds, over HTTP, on PGlite and on
 * the PostgreSQL server: each kind moves exactly its two accounts by exactly the amount and the
 * ledger still balances; idempotent by reference (a replay writes nothing, another transfer under
 * the reference is 409, concurrent duplicates write once); bad input is a 400 naming the field;
 * only an admin records, admin / policy officer / auditor read.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { InputError } from '../src/errors.ts';
import { buildServer } from '../src/http/server.ts';
import { AuthService } from '../src/access/auth.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { recordTransfer } from '../src/ledger/fund-transfers.ts';
import { post } from '../src/ledger/ledger.ts';
import { trialBalance } from '../src/ledger/ledger-report.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { listen, logIn, request } from './support/http.ts';

const quotes = QuoteService.load();

const USERS = [
  { username: 'admin', role: 'admin' },
  { username: 'officer', role: 'policy_officer' },
  { username: 'clerk', role: 'clerk', villages: ['500230100'] },
  { username: 'hospital', role: 'hospital', hospitalCode: 'H001' },
  { username: 'auditor', role: 'auditor' },
] as const;

for (const backend of BACKENDS)
  describe(`fund transfers on ${backend}`, () => {
    let d: TestDatabase;
    let app: FastifyInstance;
    let base: string;
    const tok: Record<string, string> = {};

    before(async () => {
      d = await freshDatabase(backend);
      await d.db.insertInto('hospital').values({ code: 'H001', name: '丰都县人民医院', level: 'secondary', region: '500230' }).execute();
      const auth = new AuthService(d.db);
      for (const u of USERS)
        await auth.createUser(SYSTEM, {
          username: u.username,
          displayName: u.username,
          password: `${u.username}-password`,
          role: u.role,
          villages: 'villages' in u ? [...u.villages] : undefined,
          hospitalCode: 'hospitalCode' in u ? u.hospitalCode : undefined,
        });
      // a ledger that has already moved: contributions in, the two funds drawn on
      await d.db.transaction().execute(async (tx) => {
        await post(tx, '个人缴费 2022 T1', 'payment', null, [
          { account: 'contributions_received', fen: 500_000 },
          { account: 'basic_fund', fen: -500_000 },
        ]);
        await post(tx, '医疗救助资助参保 2022 T1', 'assistance', null, [
          { account: 'medical_assistance_fund', fen: 35_000 },
          { account: 'basic_fund', fen: -35_000 },
        ]);
        await post(tx, '结算 (test)', 'settlement', null, [
          { account: 'basic_fund', fen: 120_000 },
          { account: 'critical_illness_fund', fen: 40_000 },
          { account: 'medical_assistance_fund', fen: 10_000 },
          { account: 'payable_hospitals', fen: -170_000 },
        ]);
      });
      app = await buildServer(quotes, { database: d });
      base = await listen(app);
      for (const u of USERS) tok[u.username] = await logIn(base, u.username, `${u.username}-password`);
    });
    after(async () => {
      await app?.close();
      await d?.drop();
    });

    const call = (method: string, path: string, token?: string, body?: unknown) => request(base, method, path, token, body);
    const transfer = (body: unknown, token = tok.admin) => call('POST', '/api/v1/ledger/transfers', token, body);

    /** account → [debit-positive balance, natural balance] in fen, from the trial balance */
    async function balancesFen(): Promise<Map<string, [number, number]>> {
      const tb = await trialBalance(d.db);
      assert.equal(tb.balanced, true);
      assert.equal(tb.sumFen, 0);
      assert.deepEqual(tb.unbalancedEntries, []);
      assert.equal(tb.totalDebit, tb.totalCredit);
      return new Map(tb.accounts.map((a) => [a.account, [Math.round(a.balance * 100), Math.round(a.natural * 100)]]));
    }
    /** what changed between two trial balances: account → [Δbalance, Δnatural] (fen), only accounts that moved */
    function moved(before: Map<string, [number, number]>, after: Map<string, [number, number]>): Record<string, [number, number]> {
      const out: Record<string, [number, number]> = {};
      for (const [k, [b, n]] of after) {
        const [b0, n0] = before.get(k) ?? [0, 0];
        if (b !== b0 || n !== n0) out[k] = [b - b0, n - n0];
      }
      return out;
    }
    async function counts(): Promise<Record<string, number>> {
      const n = async (t: 'fund_transfer' | 'journal_entry' | 'posting' | 'audit_log') => (await d.db.selectFrom(t).select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).n;
      return { fund_transfer: await n('fund_transfer'), journal_entry: await n('journal_entry'), posting: await n('posting'), audit_log: await n('audit_log') };
    }

    const CI = { kind: 'critical_illness_allocation', reference: 'CI-2022-001', coverageYear: 2022, amountYuan: '12345.67', memo: '县医保局大病保险资金划转（测试）' };
    const MA = { kind: 'medical_assistance_appropriation', reference: 'MA-2022-001', coverageYear: 2022, amountYuan: 8000 };

    test('the migration adds the receivable account, an asset', async () => {
      const a = await d.db.selectFrom('account').selectAll().where('code', '=', 'medical_assistance_appropriation_receivable').executeTakeFirstOrThrow();
      assert.deepEqual(a, { code: 'medical_assistance_appropriation_receivable', name: '应收医疗救助财政资金', kind: 'asset' });
    });

    test('a critical-illness allocation: Dr basic_fund / Cr critical_illness_fund by exactly the amount; the ledger balances', async () => {
      const before = await balancesFen();
      assert.equal(before.get('critical_illness_fund')![1], -40_000, 'a deficit before: paid out, nothing received');
      const r = await transfer(CI);
      assert.equal(r.status, 201, JSON.stringify(r.json));
      assert.equal(r.json.replayed, false);
      assert.equal(r.json.kind, 'critical_illness_allocation');
      assert.equal(r.json.reference, 'CI-2022-001');
      assert.equal(r.json.coverageYear, 2022);
      assert.equal(r.json.amountYuan, 12345.67);
      assert.equal(r.json.amountFen, 1_234_567);
      assert.equal(r.json.memo, CI.memo);
      assert.equal(r.json.debit, 'basic_fund');
      assert.equal(r.json.credit, 'critical_illness_fund');
      assert.equal(r.json.recordedBy, 'admin');
      const after = await balancesFen();
      assert.deepEqual(moved(before, after), { basic_fund: [1_234_567, -1_234_567], critical_illness_fund: [-1_234_567, 1_234_567] });
      assert.equal(after.get('critical_illness_fund')![1], 1_234_567 - 40_000);
      // its journal entry names it, and it the entry
      const e = await call('GET', '/api/v1/ledger/entries?source=fund_transfer', tok.auditor);
      assert.equal(e.status, 200);
      const entry = e.json.entries.find((x: { id: string }) => x.id === r.json.entryId);
      assert.ok(entry, 'the entry is in the journal');
      assert.equal(entry.sourceId, r.json.id);
      assert.match(entry.memo, /^大病保险资金划转 2022 CI-2022-001（县医保局大病保险资金划转（测试））$/);
      assert.deepEqual(
        entry.postings.map((p: { account: string; amountFen: number }) => [p.account, p.amountFen]),
        [
          ['basic_fund', 1_234_567],
          ['critical_illness_fund', -1_234_567],
        ],
      );
      const log = await d.db.selectFrom('audit_log').selectAll().where('action', '=', 'record_transfer').where('entity_id', '=', r.json.id).execute();
      assert.equal(log.length, 1);
      assert.equal(log[0].actor, 'admin');
      assert.equal((log[0].detail as { amountFen: number }).amountFen, 1_234_567);
    });

    test('a medical-assistance appropriation: Dr medical_assistance_appropriation_receivable / Cr medical_assistance_fund by exactly the amount', async () => {
      const before = await balancesFen();
      assert.equal(before.get('medical_assistance_fund')![1], -45_000, 'a deficit before');
      const r = await transfer(MA);
      assert.equal(r.status, 201, JSON.stringify(r.json));
      assert.equal(r.json.amountFen, 800_000);
      assert.equal(r.json.memo, null);
      assert.equal(r.json.debit, 'medical_assistance_appropriation_receivable');
      assert.equal(r.json.credit, 'medical_assistance_fund');
      const after = await balancesFen();
      assert.deepEqual(moved(before, after), { medical_assistance_appropriation_receivable: [800_000, 800_000], medical_assistance_fund: [-800_000, 800_000] });
      assert.equal(after.get('medical_assistance_fund')![1], 800_000 - 45_000);
      const e = await d.db.selectFrom('journal_entry').selectAll().where('id', '=', r.json.entryId).executeTakeFirstOrThrow();
      assert.equal(e.memo, '医疗救助财政资金拨入 2022 MA-2022-001');
      assert.equal(e.source, 'fund_transfer');
    });

    test('the same transfer again returns the first result and writes nothing', async () => {
      const first = (await call('GET', '/api/v1/ledger/transfers?kind=critical_illness_allocation', tok.admin)).json.transfers[0];
      const n0 = await counts();
      const tb0 = await balancesFen();
      for (const body of [CI, { ...CI, amountYuan: 12345.67 }, { ...CI, memo: 'another memo: not compared' }, { ...CI, reference: '  CI-2022-001 ' }]) {
        const r = await transfer(body);
        assert.equal(r.status, 200, JSON.stringify(r.json));
        assert.equal(r.json.replayed, true);
        const { replayed: _r, ...rest } = r.json;
        assert.deepEqual(rest, first, 'the first result, as recorded');
      }
      assert.deepEqual(await counts(), n0, 'no transfer, journal entry, posting or audit row written');
      assert.deepEqual(moved(tb0, await balancesFen()), {});
    });

    test('the same reference for another transfer is 409 TRANSFER_REFERENCE_REUSED and writes nothing', async () => {
      const n0 = await counts();
      for (const body of [{ ...CI, amountYuan: '12345.68' }, { ...CI, coverageYear: 2023 }, { ...CI, kind: 'medical_assistance_appropriation' }, { ...MA, amountYuan: 8000.01 }]) {
        const r = await transfer(body);
        assert.equal(r.status, 409, JSON.stringify(body));
        assert.equal(r.json.error, 'TRANSFER_REFERENCE_REUSED');
        assert.match(r.json.message, new RegExp(body.reference));
      }
      assert.deepEqual(await counts(), n0);
    });

    test('concurrent duplicates write once: one 201, the rest replays; under one reference with other amounts, one 201 and 409s', async () => {
      const n0 = await counts();
      const same = { kind: 'critical_illness_allocation', reference: 'CI-CONCURRENT', coverageYear: 2022, amountYuan: 100 };
      const rs = await Promise.all(Array.from({ length: 8 }, () => transfer(same)));
      assert.deepEqual(rs.map((r) => r.status).sort(), [200, 200, 200, 200, 200, 200, 200, 201], JSON.stringify(rs.map((r) => r.json)));
      assert.equal(new Set(rs.map((r) => r.json.id)).size, 1);
      assert.equal(new Set(rs.map((r) => r.json.entryId)).size, 1);
      const other = await Promise.all([1, 2, 3, 4, 5, 6].map((y) => transfer({ ...same, reference: 'MA-CONCURRENT', kind: 'medical_assistance_appropriation', amountYuan: y })));
      assert.deepEqual(other.map((r) => r.status).sort(), [201, 409, 409, 409, 409, 409], JSON.stringify(other.map((r) => r.json)));
      assert.ok(other.filter((r) => r.status === 409).every((r) => r.json.error === 'TRANSFER_REFERENCE_REUSED'));
      const n1 = await counts();
      assert.deepEqual(n1, { fund_transfer: n0.fund_transfer + 2, journal_entry: n0.journal_entry + 2, posting: n0.posting + 4, audit_log: n0.audit_log + 2 });
      await balancesFen();
    });

    test('bad input is a 400 naming the field, and writes nothing', async () => {
      const n0 = await counts();
      const cases: [unknown, string][] = [
        [{ ...MA, reference: 'BAD-1', amountYuan: 0 }, 'amountYuan'],
        [{ ...MA, reference: 'BAD-2', amountYuan: '0.00' }, 'amountYuan'],
        [{ ...MA, reference: 'BAD-3', amountYuan: -5 }, 'amountYuan'],
        [{ ...MA, reference: 'BAD-4', amountYuan: '-0.01' }, 'amountYuan'],
        [{ ...MA, reference: 'BAD-5', amountYuan: 1.234 }, 'amountYuan'],
        [{ ...MA, reference: 'BAD-6', amountYuan: '100.005' }, 'amountYuan'],
        [{ ...MA, reference: 'BAD-7', amountYuan: 'abc' }, 'amountYuan'],
        [{ ...MA, reference: 'BAD-8', amountYuan: true }, 'amountYuan'],
        [{ ...MA, reference: 'BAD-9', amountYuan: null }, 'amountYuan'],
        [{ ...MA, reference: 'BAD-10', amountYuan: 1e21 }, 'amountYuan'],
        [{ kind: 'medical_assistance_appropriation', reference: 'BAD-11', coverageYear: 2022 }, 'amountYuan'],
        [{ ...MA, reference: 'BAD-12', kind: 'bogus' }, 'kind'],
        [{ ...MA, reference: 'BAD-13', kind: undefined }, 'kind'],
        [{ kind: MA.kind, coverageYear: 2022, amountYuan: 1 }, 'reference'],
        [{ ...MA, reference: '' }, 'reference'],
        [{ ...MA, reference: '   ' }, 'reference'],
        [{ ...MA, reference: 'x'.repeat(101) }, 'reference'],
        [{ ...MA, reference: 42 }, 'reference'],
        [{ ...MA, reference: 'BAD-14', coverageYear: 1999 }, 'coverageYear'],
        [{ ...MA, reference: 'BAD-15', coverageYear: '2022' }, 'coverageYear'],
        [{ ...MA, reference: 'BAD-16', coverageYear: undefined }, 'coverageYear'],
        [{ ...MA, reference: 'BAD-17', memo: 7 }, 'memo'],
        [{ ...MA, reference: 'BAD-18', debit: 'basic_fund' }, 'debit'],
        [[MA], '(body)'],
      ];
      for (const [body, field] of cases) {
        const r = await transfer(body);
        assert.equal(r.status, 400, `${JSON.stringify(body)} → ${r.status} ${JSON.stringify(r.json)}`);
        assert.equal(r.json.error, 'invalid_input');
        assert.equal(r.json.field, field, JSON.stringify(body));
      }
      const raw = await fetch(`${base}/api/v1/ledger/transfers`, { method: 'POST', headers: { authorization: `Bearer ${tok.admin}`, 'content-type': 'application/json' }, body: '{"kind":' });
      assert.equal(raw.status, 400);
      assert.deepEqual(await counts(), n0);
      // the service itself throws an InputError naming the field
      await assert.rejects(recordTransfer(d.db, SYSTEM, { ...MA, reference: 'BAD-S', amountYuan: '1.001' }), (e: unknown) => e instanceof InputError && e.field === 'amountYuan');
      await assert.rejects(recordTransfer(d.db, SYSTEM, null), (e: unknown) => e instanceof InputError && e.field === '(body)');
    });

    test('only an admin records a transfer; no token is 401', async () => {
      const n0 = await counts();
      const body = { ...MA, reference: 'ROLE-1' };
      for (const who of ['officer', 'clerk', 'hospital', 'auditor']) {
        const r = await transfer(body, tok[who]);
        assert.equal(r.status, 403, who);
        assert.equal(r.json.error, 'forbidden');
      }
      assert.equal((await call('POST', '/api/v1/ledger/transfers', undefined, body)).status, 401);
      assert.equal((await call('POST', '/api/v1/ledger/transfers', 'garbage', body)).status, 401);
      // access is checked before the body: a bad body from a non-admin is still 403
      assert.equal((await transfer({ amountYuan: 0 }, tok.clerk)).status, 403);
      assert.equal((await call('POST', '/api/v1/ledger/transfers', undefined, { amountYuan: 0 })).status, 401);
      assert.deepEqual(await counts(), n0);
    });

    test('the list: admin, policy officer and auditor read it, filtered by year and kind, paged by id', async () => {
      for (const who of ['admin', 'officer', 'auditor']) {
        const r = await call('GET', '/api/v1/ledger/transfers', tok[who]);
        assert.equal(r.status, 200, who);
        assert.deepEqual(
          r.json.transfers.map((t: { reference: string }) => t.reference),
          ['CI-2022-001', 'MA-2022-001', 'CI-CONCURRENT', 'MA-CONCURRENT'],
        );
        assert.equal(r.json.next, null);
      }
      for (const who of ['clerk', 'hospital']) assert.equal((await call('GET', '/api/v1/ledger/transfers', tok[who])).status, 403, who);
      assert.equal((await call('GET', '/api/v1/ledger/transfers')).status, 401);
      const ci = await call('GET', '/api/v1/ledger/transfers?year=2022&kind=critical_illness_allocation', tok.auditor);
      assert.deepEqual(ci.json.transfers.map((t: { reference: string }) => t.reference), ['CI-2022-001', 'CI-CONCURRENT']);
      assert.ok(ci.json.transfers.every((t: { kind: string; coverageYear: number }) => t.kind === 'critical_illness_allocation' && t.coverageYear === 2022));
      assert.deepEqual((await call('GET', '/api/v1/ledger/transfers?year=2023', tok.auditor)).json.transfers, []);
      const seen: string[] = [];
      let after = '';
      for (;;) {
        const page = await call('GET', `/api/v1/ledger/transfers?limit=3${after ? `&after=${after}` : ''}`, tok.officer);
        assert.equal(page.status, 200);
        seen.push(...page.json.transfers.map((t: { id: string }) => t.id));
        if (!page.json.next) break;
        after = page.json.next;
      }
      assert.equal(seen.length, 4);
      assert.equal(new Set(seen).size, 4);
      assert.equal((await call('GET', '/api/v1/ledger/transfers?year=abc', tok.admin)).json.field, 'year');
      assert.equal((await call('GET', '/api/v1/ledger/transfers?kind=other', tok.admin)).json.field, 'kind');
      assert.equal((await call('GET', '/api/v1/ledger/transfers?limit=0', tok.admin)).json.field, 'limit');
      assert.equal((await call('GET', '/api/v1/ledger/transfers?nope=1', tok.admin)).json.field, 'nope');
    });

    test('transfers are append-only in the database itself, and their amount must be more than 0', async () => {
      // the service's role holds no UPDATE or DELETE on it; the owner meets the trigger (test/app-role.test.ts)
      await assert.rejects(d.db.updateTable('fund_transfer').set({ amount_fen: 1 }).execute(), /permission denied for table fund_transfer/);
      await assert.rejects(d.db.deleteFrom('fund_transfer').execute(), /permission denied for table fund_transfer/);
      const e = await d.db.selectFrom('journal_entry').select('id').orderBy('id').executeTakeFirstOrThrow();
      await assert.rejects(
        d.db.insertInto('fund_transfer').values({ reference: 'ZERO', kind: 'critical_illness_allocation', coverage_year: 2022, amount_fen: 0, memo: null, entry_id: e.id, recorded_by: 'x' }).execute(),
        /check constraint/,
      );
      await assert.rejects(
        d.db.insertInto('fund_transfer').values({ reference: 'KIND', kind: 'other' as never, coverage_year: 2022, amount_fen: 1, memo: null, entry_id: e.id, recorded_by: 'x' }).execute(),
        /check constraint/,
      );
    });

    test('the routes are in the OpenAPI document, with ledger.write an admin-only permission', async () => {
      const doc = (await fetch(`${base}/docs/json`).then((r) => r.json())) as { paths: Record<string, Record<string, { summary?: string; tags?: string[] }>> };
      const p = doc.paths['/api/v1/ledger/transfers'];
      assert.ok(p?.post?.summary?.includes('Idempotent by reference'));
      assert.ok(p?.get?.summary);
      assert.deepEqual(p.post.tags, ['ledger']);
    });
  });
