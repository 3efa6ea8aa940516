/**
 * One visit, one settlement, whatever the hospital sends (issue #11 items 1 and 3), over real
 * HTTP on both databases: several 2207 / 2304 with different msgids for one visit at once
 * settle it once and are all answered with that settlement; a settlement reversed through the
 * REST route is reversed for the platform too; a reversal cascade re-settles another hospital's
 * settlement under that hospital's own name, and the platform's setl_id still reaches it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../src/http/server.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { AuthService } from '../src/access/auth.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { listen, request } from './support/http.ts';
import { FsiClient, enrolledPerson, VILLAGE } from './support/fsi-client.ts';

const quotes = QuoteService.load();
const HA = 'H50023000011';
const HB = 'H50023000012';

for (const backend of BACKENDS)
  describe(`one settlement per visit on ${backend}`, () => {
    let d: TestDatabase;
    let app: FastifyInstance;
    let a: FsiClient;
    let b: FsiClient;
    let adminToken: string;

    before(async () => {
      d = await freshDatabase(backend);
      await d.db.insertInto('admin_area').values([
        { code: '500230', name: '丰都县', level: 'county', parent_code: null, region: '500230' },
        { code: '500230100', name: '兴义镇', level: 'township', parent_code: '500230', region: '500230' },
        { code: VILLAGE, name: '兴义村', level: 'village', parent_code: '500230100', region: '500230' },
      ]).execute();
      await d.db.insertInto('hospital').values([
        { code: HA, name: '丰都县人民医院', level: 'secondary', region: '500230' },
        { code: HB, name: '兴义镇卫生院', level: 'primary', region: '500230' },
      ]).execute();
      const auth = new AuthService(d.db);
      const tokens: string[] = [];
      for (const [u, h] of [['once-a', HA], ['once-b', HB]] as const) {
        const id = await auth.createUser(SYSTEM, { username: u, displayName: u, role: 'hospital', hospitalCode: h });
        tokens.push(await auth.issueApiToken(SYSTEM, id, 'HIS'));
      }
      await auth.createUser(SYSTEM, { username: 'once-admin', displayName: 'admin', role: 'admin', password: 'once-admin-password-1' });
      app = await buildServer(quotes, { database: d });
      const base = await listen(app);
      adminToken = (await request(base, 'POST', '/api/v1/session', undefined, { username: 'once-admin', password: 'once-admin-password-1' })).json.token;
      a = new FsiClient(base, tokens[0], HA, 'A');
      b = new FsiClient(base, tokens[1], HB, 'B');
      await a.signIn();
      await b.signIn();
    });
    after(async () => {
      await app?.close();
      await d?.drop();
    });

    const liveOf = async (personId: string) => d.db.selectFrom('settlement').selectAll().where('person_id', '=', personId).where('reversed_at', 'is', null).execute();
    const ledgerSum = async () => Number((await d.db.selectFrom('posting').select((eb) => eb.fn.sum<string>('amount_fen').as('s')).executeTakeFirstOrThrow()).s ?? 0);

    test('six visits of one person settled at once: each once, the accumulator row moved on six times (misses settled as settle() does)', async () => {
      const p = await enrolledPerson(d.db);
      const visits = [];
      for (let i = 0; i < 6; i++) visits.push(await a.outpatientVisit(p, `MZ-ONCE-P${i}`, 40 + i));
      const replies = await Promise.all(visits.map((m, i) => a.post(a.settleOutpatient(p, m, 40 + i))));
      assert.deepEqual(replies.map((r) => r.infcode), Array(6).fill(0), JSON.stringify(replies.map((r) => r.err_msg)));
      const live = await liveOf(p.psnNo);
      assert.equal(live.length, 6);
      assert.equal(new Set(live.map((s) => String(s.encounter_id))).size, 6);
      assert.equal(new Set(replies.map((r) => r.output.setlinfo.setl_id)).size, 6);
      const acc = await d.db.selectFrom('accumulator').select('version').where('person_id', '=', p.psnNo).executeTakeFirstOrThrow();
      assert.equal(acc.version, 6);
    });

    test('eight 2207 with different msgids for one visit at once: one settlement, every answer is it', async () => {
      const p = await enrolledPerson(d.db);
      const m = await a.outpatientVisit(p, 'MZ-ONCE-1', 25);
      const replies = await Promise.all(Array.from({ length: 8 }, () => a.post(a.settleOutpatient(p, m, 25))));
      assert.deepEqual(replies.map((r) => r.infcode), Array(8).fill(0), JSON.stringify(replies.map((r) => r.err_msg)));
      assert.equal(new Set(replies.map((r) => r.output.setlinfo.setl_id)).size, 1);
      assert.equal(new Set(replies.map((r) => r.output.setlinfo.hifp_pay)).size, 1);
      const live = await liveOf(p.psnNo);
      assert.equal(live.length, 1);
      // nothing was settled and undone: one settlement row in all, no reversal in the ledger
      assert.equal((await d.db.selectFrom('settlement').select('id').where('person_id', '=', p.psnNo).execute()).length, 1);
      const acc = await d.db.selectFrom('accumulator').select('data').where('person_id', '=', p.psnNo).executeTakeFirstOrThrow();
      assert.equal((acc.data as any).generalOutpatientPaid, Number(live[0].basic_fund_fen));
      assert.equal(await ledgerSum(), 0);
    });

    test('six 2304 with different msgids for one stay at once: one settlement', async () => {
      const p = await enrolledPerson(d.db, ['dibao']);
      const m = await a.inpatientStay(p, 'ZY-ONCE-1', 5000);
      const replies = await Promise.all(Array.from({ length: 6 }, () => a.post(a.settleInpatient(p, m, 5000))));
      assert.deepEqual(replies.map((r) => r.infcode), Array(6).fill(0), JSON.stringify(replies.map((r) => r.err_msg)));
      assert.equal(new Set(replies.map((r) => r.output.setlinfo.setl_id)).size, 1);
      assert.equal((await d.db.selectFrom('settlement').select('id').where('person_id', '=', p.psnNo).execute()).length, 1);
      assert.equal(await ledgerSum(), 0);
    });

    test('a platform settlement reversed through the REST route is reversed for the platform; the visit can be settled again', async () => {
      const p = await enrolledPerson(d.db);
      const m = await a.outpatientVisit(p, 'MZ-ONCE-2', 40);
      const s = (await a.ok(a.settleOutpatient(p, m, 40))).setlinfo;
      const [live] = await liveOf(p.psnNo);
      const rest = await request(a.base, 'POST', `/api/v1/settlements/${live.id}/reverse`, adminToken, {});
      assert.equal(rest.status, 200, rest.text);
      const again = await a.post(a.envelope('2208', { data: { setl_id: s.setl_id, mdtrt_id: m, psn_no: p.psnNo } }));
      assert.equal(again.infcode, -1);
      assert.match(again.err_msg, /已撤销/);
      // the fees are free again: the visit settles anew, under a new setl_id
      const s2 = (await a.ok(a.settleOutpatient(p, m, 40))).setlinfo;
      assert.notEqual(s2.setl_id, s.setl_id);
      assert.equal((await liveOf(p.psnNo)).length, 1);
      // and a 2207 with a new msgid for it now finds s2
      assert.equal((await a.ok(a.settleOutpatient(p, m, 40))).setlinfo.setl_id, s2.setl_id);
      assert.equal(await ledgerSum(), 0);
    });

    test('a reversal cascade re-settles another hospital’s settlement under its own name; the platform’s setl_id follows it', async () => {
      const p = await enrolledPerson(d.db);
      const ma = await a.outpatientVisit(p, 'MZ-ONCE-3', 60);
      const sa = (await a.ok(a.settleOutpatient(p, ma, 60))).setlinfo;
      const mb = await b.outpatientVisit(p, 'MZ-ONCE-4', 80);
      const sb = (await b.ok(b.settleOutpatient(p, mb, 80))).setlinfo;
      const before = await liveOf(p.psnNo);
      assert.equal(before.length, 2);
      const original = before.find((s) => s.hospital_code === HB)!;
      // hospital A reverses its own settlement: B's later one is reversed and settled again
      await a.ok(a.envelope('2208', { data: { setl_id: sa.setl_id, mdtrt_id: ma, psn_no: p.psnNo } }));
      const after = await liveOf(p.psnNo);
      assert.equal(after.length, 1);
      assert.equal(after[0].hospital_code, HB);
      assert.equal(after[0].settled_by, original.settled_by, 'the re-settlement keeps the name of the one it replaces');
      assert.notEqual(String(after[0].id), String(original.id));
      // B's setl_id still reaches its (re-)settlement: B reverses it, and nothing of the person is live
      const rev = await b.ok(b.envelope('2208', { data: { setl_id: sb.setl_id, mdtrt_id: mb, psn_no: p.psnNo } }));
      assert.equal(rev.setlinfo.init_setl_id, sb.setl_id); // the reversal answers with a setl_id of its own (issue #16), naming the reversed one
      assert.equal((await liveOf(p.psnNo)).length, 0);
      const acc = await d.db.selectFrom('accumulator').select('data').where('person_id', '=', p.psnNo).executeTakeFirstOrThrow();
      assert.equal((acc.data as any).generalOutpatientPaid ?? 0, 0);
      assert.equal(await ledgerSum(), 0);
    });
  });
