/**
 * Cross-area settlement (issue #20) on loopback: two areas, each its own database, linked by a
 * real nats-server with JetStream started here on a free port. A hospital of the treating area
 * (500103) sends 2207 for a 丰都县 (500230) person; the insured area settles it by its own pack
 * against its own accumulators and the hospital gets the answer in the same envelope. Reversal
 * (2208) goes back the same way; the insured area down gives a clear envelope error and nothing
 * written in the treating area; the same message again after it returns settles once.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../src/http/server.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { AuthService } from '../src/access/auth.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { AreaService } from '../src/areas/area-service.ts';
import { startNatsNodes, type NatsNodes } from '../src/areas/nats-nodes.ts';
import { SettlementService } from '../src/settlement/settlement-service.ts';
import { withAreas } from '../src/areas/tables.ts';
import { makeIdNumber } from '../src/registers/id-number.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { listen } from './support/http.ts';

const quotes = QuoteService.load();
const PATH = '/fsi/api/rsfComIfsService/callService';
const A = '500103'; // treating area (渝中区)
const B = '500230'; // insured area (丰都县)
const VILLAGE = '500230100001';
const HOSP = 'H50010300001';

/** One nats-server with JetStream on a free loopback port (src/areas/nats-nodes.ts). */
async function startNats(): Promise<{ url: string; nodes: NatsNodes; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'yb-nats-'));
  const nodes = await startNatsNodes({ nodes: 1, dir });
  return { url: nodes.urls[0]!, nodes, dir };
}

interface Area {
  d: TestDatabase;
  svc: AreaService;
  app: FastifyInstance;
  base: string;
}

for (const backend of BACKENDS)
  describe(`cross-area settlement on ${backend}`, () => {
    let nats: Awaited<ReturnType<typeof startNats>>;
    let a: Area;
    let b: Area;
    let token = '';
    let signNo = '';
    let msg = 0;

    async function area(code: string): Promise<Area> {
      const d = await freshDatabase(backend);
      let svc: AreaService | undefined;
      const app = await buildServer(quotes, {
        database: d,
        away: async (ctx) => {
          svc = await AreaService.start({ area: code, servers: nats.url, timeoutMs: 1500 }, ctx.database, ctx.quotes, ctx.settlements);
          return svc.treating;
        },
      });
      const base = await listen(app);
      return { d, svc: svc!, app, base };
    }

    const envelope = (infno: string, input: unknown, msgid?: string) => {
      msg += 1;
      return {
        infno,
        msgid: msgid ?? `${HOSP}20220315090000${String(msg).padStart(4, '0')}`,
        mdtrtarea_admvs: A,
        insuplc_admdvs: B,
        recer_sys_code: 'FSI_LOCAL',
        dev_no: '',
        dev_safe_info: '',
        cainfo: '',
        signtype: '',
        infver: 'V1.0',
        opter_type: '1',
        opter: '0053',
        opter_name: '文双',
        inf_time: '2022-03-15 09:00:00',
        fixmedins_code: HOSP,
        fixmedins_name: '重庆市渝中区人民医院',
        sign_no: signNo,
        input,
      };
    };
    const post = async (body: unknown) => {
      const res = await fetch(`${a.base}${PATH}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal(res.status, 200);
      return (await res.json()) as any;
    };
    const idNumber = makeIdNumber('500230', '1980-05-01', 7);
    const fee = (sn: number, yuan: number, lv = '01') => ({ feedetl_sn: String(sn), mdtrt_id: 'M1', det_item_fee_sumamt: yuan, cnt: 1, pric: yuan, chrgitm_lv: lv, med_list_codg: `X${sn}`, fee_ocur_time: '2022-03-15 09:30:00' });
    const settle2207 = (mdtrtId: string, fees: ReturnType<typeof fee>[], medType = '11', begntime = '2022-03-15 09:00:00') => ({
      data: { mid_setl_flag: '0', mdtrt_id: mdtrtId, psn_no: 'B', insutype: '390', mdtrt_cert_type: '02', mdtrt_cert_no: idNumber, psn_cert_type: '01', certno: idNumber, psn_name: '冉小红', psn_setlway: '01', med_type: medType, begntime, medfee_sumamt: Math.round(fees.reduce((s, f) => s + f.det_item_fee_sumamt * 100, 0)) / 100, acct_used_flag: '0' },
      feedetail: fees,
    });

    before(async () => {
      nats = await startNats();
      a = await area(A);
      b = await area(B);
      // the insured area: 丰都县's person, paid for 2022
      await b.d.db
        .insertInto('admin_area')
        .values([
          { code: '500230', name: '丰都县', level: 'county', parent_code: null, region: '500230' },
          { code: '500230100', name: '兴义镇', level: 'township', parent_code: '500230', region: '500230' },
          { code: VILLAGE, name: '兴义村', level: 'village', parent_code: '500230100', region: '500230' },
        ])
        .execute();
      const p = await b.d.db.insertInto('person').values({ id_number: idNumber, name: '冉小红', gender: 'female', birth_date: '1980-05-01', village_code: VILLAGE, kind: 'adult' }).returning('id').executeTakeFirstOrThrow();
      await b.d.db
        .insertInto('enrollment')
        .values([
          { person_id: p.id, coverage_year: 2022, region: '500230', pack: '500230/2022', tier: 'tier1', state: 'paid', standard_fen: 32000, quote: JSON.stringify({}), benefit_start: '2022-01-01', benefit_end: '2022-12-31' },
          { person_id: p.id, coverage_year: 2023, region: '500230', pack: '500230/2023', tier: 'tier1', state: 'paid', standard_fen: 35000, quote: JSON.stringify({}), benefit_start: '2023-01-01', benefit_end: '2023-12-31' },
        ])
        .execute();
      // the treating area: its hospital and its interface account
      await a.d.db.insertInto('hospital').values({ code: HOSP, name: '重庆市渝中区人民医院', level: 'tertiary', region: A }).execute();
      const auth = new AuthService(a.d.db);
      const id = await auth.createUser(SYSTEM, { username: 'yuzhong', role: 'hospital', hospitalCode: HOSP, displayName: 'yuzhong', password: 'yuzhong-test-password' });
      token = await auth.issueApiToken(SYSTEM, id, 'his');
      const s = await post(envelope('9001', { signIn: { opter_no: '0053', mac: '00-1A-2B-3C-4D-5E', ip: '10.0.0.8' } }));
      assert.equal(s.infcode, 0, s.err_msg);
      signNo = s.output.signinoutb.sign_no;
    });
    after(async () => {
      for (const x of [a, b]) {
        await x?.svc.close();
        await x?.app.close();
        await x?.d.drop();
      }
      await nats?.nodes.stop();
      if (nats) rmSync(nats.dir, { recursive: true, force: true });
    });

    test('2207 in the treating area is settled by the insured area, answered in the same envelope; 2208 reverses both sides', async () => {
      const r = await post(envelope('2207', settle2207('YZ0001', [fee(1, 120.5), fee(2, 80, '02'), fee(3, 30, '03')])));
      assert.equal(r.infcode, 0, r.err_msg);
      const info = r.output.setlinfo;
      assert.match(info.setl_id, /^XA500103/);
      assert.equal(info.insuplc_admdvs, B);
      assert.equal(Number(info.medfee_sumamt), 230.5);
      assert.equal(Math.round(Number(info.fund_pay_sumamt) * 100) + Math.round(Number(info.psn_cash_pay) * 100), 23050);
      assert.ok(Number(info.fund_pay_sumamt) > 0, 'the insured area pays something');
      const basis = JSON.parse(info.exp_content).basis;
      assert.equal(basis.location, 'in_province');
      // the insured area holds the settlement and the accumulators; the treating area only the claim
      const bs = await withAreas(b.d.db).selectFrom('area_settlement').selectAll().where('setl_id', '=', info.setl_id).executeTakeFirstOrThrow();
      const fundFen = Number(bs.fund_fen);
      assert.equal(fundFen, Math.round(Number(info.fund_pay_sumamt) * 100));
      assert.equal((await b.d.db.selectFrom('settlement').select('id').execute()).length, 1);
      assert.equal((await b.d.db.selectFrom('accumulator').select('person_id').execute()).length > 0, true);
      assert.equal((await a.d.db.selectFrom('settlement').select('id').execute()).length, 0);
      assert.equal((await a.d.db.selectFrom('accumulator').select('person_id').execute()).length, 0);
      const claim = await withAreas(a.d.db).selectFrom('area_claim').selectAll().where('setl_id', '=', info.setl_id).executeTakeFirstOrThrow();
      assert.equal(claim.state, 'settled');
      assert.equal(Number(claim.fund_fen), fundFen);
      // the confirm event reaches the insured area through its stream
      for (let i = 0; i < 50 && (await withAreas(b.d.db).selectFrom('area_settlement').select('state').where('setl_id', '=', info.setl_id).executeTakeFirstOrThrow()).state !== 'confirmed'; i++) await new Promise((res) => setTimeout(res, 100));
      assert.equal((await withAreas(b.d.db).selectFrom('area_settlement').select('state').where('setl_id', '=', info.setl_id).executeTakeFirstOrThrow()).state, 'confirmed');

      const rev = await post(envelope('2208', { data: { setl_id: info.setl_id, mdtrt_id: 'YZ0001', psn_no: info.psn_no } }));
      assert.equal(rev.infcode, 0, rev.err_msg);
      assert.equal(Math.round(Number(rev.output.setlinfo.fund_pay_sumamt) * 100), -fundFen);
      assert.equal((await withAreas(a.d.db).selectFrom('area_claim').select('state').where('setl_id', '=', info.setl_id).executeTakeFirstOrThrow()).state, 'reversed');
      assert.equal((await withAreas(b.d.db).selectFrom('area_settlement').select('state').where('setl_id', '=', info.setl_id).executeTakeFirstOrThrow()).state, 'reversed');
      const live = await b.d.db.selectFrom('settlement').select('id').where('reversed_at', 'is', null).execute();
      assert.equal(live.length, 0);
    });

    test('the insured area down: a clear envelope error, nothing recorded as settled in the treating area; the same message after it returns settles once', async () => {
      await b.app.close(); // closes B's link too (the away desk's service)
      await b.svc.close();
      const env = envelope('2207', settle2207('YZ0002', [fee(1, 50)]));
      const r = await post(env);
      assert.equal(r.infcode, -1);
      assert.match(r.err_msg, /参保地 500230 医保系统暂时无法访问，交易未完成、未记账/);
      assert.doesNotMatch(r.err_msg, /Error|at /);
      const claims = await withAreas(a.d.db).selectFrom('area_claim').select(['state']).where('msgid', '=', env.msgid).execute();
      assert.ok(claims.every((c) => c.state === 'pending'), 'nothing settled in A');
      assert.equal((await a.d.db.selectFrom('audit_log').select('id').where('action', '=', 'xa_settle').execute()).length, 1, 'only the first test settled');
      // B returns on the same database
      const bd = b.d;
      let svc: AreaService | undefined;
      const app = await buildServer(quotes, { database: bd, away: async (ctx) => ((svc = await AreaService.start({ area: B, servers: nats.url, timeoutMs: 1500 }, ctx.database, ctx.quotes, ctx.settlements)), svc.treating) });
      b = { d: bd, svc: svc!, app, base: '' };
      // the hospital retries with the same message id (a first settlement in the restarted area may
      // outlast the 1.5 s timeout on a loaded machine: that retry is answered what was stored)
      let again = await post(env);
      for (let i = 0; i < 3 && again.infcode !== 0 && /暂时无法访问/.test(again.err_msg); i++) again = await post(env);
      assert.equal(again.infcode, 0, again.err_msg);
      const twice = await post(env);
      assert.equal(twice.infcode, 0, twice.err_msg);
      assert.equal(twice.output.setlinfo.setl_id, again.output.setlinfo.setl_id);
      assert.equal((await bd.db.selectFrom('settlement').select('id').where('reversed_at', 'is', null).execute()).length, 1, 'settled once');
    });
  
    test('filing: sent through the treating area’s stream, counted as filed by the insured area; tertiary inpatient care within Chongqing is filing-exempt by the pack (2304)', async () => {
      // 2022 outpatient without a filing: not referred
      const before = await post(envelope('2207', settle2207('YZ0003', [fee(1, 40)])));
      assert.equal(before.infcode, 0, before.err_msg);
      const b0 = JSON.parse(before.output.setlinfo.exp_content).basis;
      assert.equal(b0.referred, false);
      assert.match(b0.why, /未办理异地就医备案/);
      const f = await b.svc.file({ idNumber, name: '冉小红', treatArea: A, kind: 'outpatient', validFrom: '2022-03-01', validTo: '2022-12-31', reason: '异地长期居住' });
      // the treating area receives the filing through its stream (explicit ack, by filing id)
      let seen = null;
      for (let i = 0; i < 50 && !seen; i++) {
        seen = await withAreas(a.d.db).selectFrom('area_filing').select('filing_id').where('filing_id', '=', f.filingId).executeTakeFirst();
        if (!seen) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(seen, 'the filing reached the treating area');
      await b.svc.file({ idNumber, name: '冉小红', treatArea: A, kind: 'outpatient', validFrom: '2022-03-01', validTo: '2022-12-31', reason: '异地长期居住' });
      assert.equal((await withAreas(a.d.db).selectFrom('area_filing').select('filing_id').execute()).length, 1, 'the same filing twice is kept once');
      const filed = await post(envelope('2207', settle2207('YZ0004', [fee(1, 40)])));
      assert.equal(filed.infcode, 0, filed.err_msg);
      const b1 = JSON.parse(filed.output.setlinfo.exp_content).basis;
      assert.equal(b1.referred, true);
      assert.match(b1.why, new RegExp(f.filingId));

      // 2023 inpatient at a tertiary hospital in Chongqing: exempt by 渝医保发〔2022〕25号 七
      const ip = await post(envelope('2304', settle2207('YZ0005', [fee(1, 3000), fee(2, 1200, '02')], '2101', '2023-05-10 08:00:00')));
      assert.equal(ip.infcode, 0, ip.err_msg);
      const b2 = JSON.parse(ip.output.setlinfo.exp_content).basis;
      assert.equal(b2.referred, true);
      assert.equal(b2.cite, '渝医保发〔2022〕25号 七');
      assert.match(b2.why, /免备案/);
      // the insured area's own settlement and accumulators for 2023; none in the treating area
      const enc = await b.d.db.selectFrom('encounter').select(['type', 'coverage_year', 'referred', 'hospital_code']).where('external_id', '=', `xa:${ip.output.setlinfo.setl_id}`).executeTakeFirstOrThrow();
      assert.deepEqual([enc.type, enc.coverage_year, enc.referred, enc.hospital_code], ['inpatient', 2023, true, `${A}:${HOSP}`]);
      assert.equal((await a.d.db.selectFrom('encounter').select('id').execute()).length, 0);
    });

    test('out of order: a cancel that arrives before the settle request leaves the insured area refusing it, settling nothing', async () => {
      const setlId = 'XA500103ORDERTEST00001';
      await a.svc.link.publish(B, 'cancel', `cancel:${setlId}`, { setlId, treatArea: A });
      await a.svc.link.publish(B, 'cancel', `cancel:${setlId}`, { setlId, treatArea: A }); // a redelivery / retried publish
      let row = null;
      for (let i = 0; i < 50 && !row; i++) {
        row = await withAreas(b.d.db).selectFrom('area_settlement').select('state').where('setl_id', '=', setlId).executeTakeFirst();
        if (!row) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(row?.state, 'cancelled');
      const n = (await b.d.db.selectFrom('settlement').select('id').execute()).length;
      const ans = await b.svc.insured.settle({ setlId, treatArea: A, hospital: { code: HOSP, name: 'x', level: 'tertiary' }, kind: 'outpatient', medType: '11', type: 'general_outpatient', setting: null, date: '2022-03-15', idNumber, name: '冉小红', disease: null, costs: { total: 1000, fullOwnPay: 0, overLimitSelfPay: 0, preSelfPay: 0, inScope: 1000 } });
      assert.equal(ans.ok, false);
      assert.equal((await b.d.db.selectFrom('settlement').select('id').execute()).length, n, 'nothing settled');
    });
  
    test('monthly clearing: both statements agree to the fen and post once in both ledgers', async () => {
      const claims = await withAreas(a.d.db).selectFrom('area_claim').select(['fund_fen', 'setl_time']).where('state', '=', 'settled').execute();
      assert.ok(claims.length >= 3);
      const month = new Date(new Date(claims[0]!.setl_time!).getTime() + 8 * 3600_000).toISOString().slice(0, 7);
      const expected = claims.reduce((s, c) => s + Number(c.fund_fen), 0);
      const r = await a.svc.clear(B, month);
      assert.equal(r.statement.totalFen, expected);
      assert.equal(r.statement.count, claims.length);
      assert.ok(r.entryId && r.theirEntryId);
      const sumOf = async (d: TestDatabase, entry: string, account: string) =>
        Number((await d.db.selectFrom('posting').select((e) => e.fn.sum<string>('amount_fen').as('s')).where('entry_id', '=', entry).where('account', '=', account).executeTakeFirstOrThrow()).s);
      assert.equal(await sumOf(a.d, r.entryId!, 'receivable_areas'), expected);
      assert.equal(await sumOf(b.d, r.theirEntryId!, 'payable_areas'), -expected);
      // the insured area's own settlements owe the same to the away hospital (payable_hospitals) as the statement clears
      const again = await a.svc.clear(B, month);
      assert.equal(again.entryId, r.entryId);
      assert.equal(again.theirEntryId, r.theirEntryId);
      assert.equal((await a.d.db.selectFrom('journal_entry').select('id').where('source', '=', 'area_clearing').execute()).length, 1);
      assert.equal((await b.d.db.selectFrom('journal_entry').select('id').where('source', '=', 'area_clearing').execute()).length, 1);
    });
  });

/** Three nats-server nodes with JetStream in one cluster on loopback (src/areas/nats-nodes.ts). */
async function startCluster(): Promise<{ urls: string[]; procs: NatsNodes['procs']; dirs: string[]; nodes: NatsNodes }> {
  const dir = mkdtempSync(join(tmpdir(), 'yb-natsc-'));
  const nodes = await startNatsNodes({ nodes: 3, dir });
  return { urls: nodes.urls, procs: nodes.procs, dirs: [dir], nodes };
}

describe('cross-area link on a 3-node JetStream cluster, a node killed during load', () => {
  test('filings (events, some published twice) while a node is killed: nothing lost, nothing duplicated; the consumer reopens after the node loss', async () => {
    const cl = await startCluster();
    const da = await freshDatabase('pglite');
    const db = await freshDatabase('pglite');
    let sa: AreaService | undefined;
    let sb: AreaService | undefined;
    try {
      const settlements = (d: TestDatabase) => new SettlementService(d, quotes);
      // the stream with 3 replicas needs the cluster's meta leader: retry opening while it is elected
      for (let i = 0; i < 60 && !(sa && sb); i++) {
        try {
          sa ??= await AreaService.start({ area: A, servers: cl.urls.join(','), replicas: 3, timeoutMs: 2000 }, da, quotes, settlements(da));
          sb ??= await AreaService.start({ area: B, servers: [...cl.urls].reverse().join(','), replicas: 3, timeoutMs: 2000 }, db, quotes, settlements(db));
        } catch {
          await new Promise((r) => setTimeout(r, 500));
        }
      }
      assert.ok(sa && sb, 'both areas joined the cluster');
      const N = 120;
      const ids: string[] = [];
      for (let i = 0; i < N; i++) {
        if (i === N / 3) cl.procs[0]!.kill('SIGKILL'); // a JetStream node dies under load
        const f = await sb.file({ idNumber: makeIdNumber('500230', '1970-01-01', i + 1), name: `人员${i}`, treatArea: A, kind: 'all', validFrom: '2022-01-01' });
        ids.push(f.filingId);
        if (i % 10 === 0) await sb.link.publish(A, 'filing', f.filingId, f); // a retried publish of the same id
      }
      let n = 0;
      // a message handed to a pull the node's death cut off is delivered again after the
      // consumer's ack wait (30 s, src/areas/link.ts): wait past it before calling it lost
      for (let i = 0; i < 500; i++) {
        n = (await withAreas(da.db).selectFrom('area_filing').select((e) => e.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n as unknown as number;
        if (Number(n) >= N) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(Number(n), N, 'every filing arrived once');
      const stored = await withAreas(da.db).selectFrom('area_filing').select('filing_id').execute();
      assert.deepEqual(new Set(stored.map((s) => s.filing_id)), new Set(ids));
      // the cluster may still be electing a meta leader after the node's death: the manager's
      // first request (its account info) is retried until the cluster answers
      let info: Awaited<ReturnType<Awaited<ReturnType<typeof sa.link.nc.jetstreamManager>>['streams']['info']>> | undefined;
      for (let i = 0; !info; i++) {
        try {
          const jsm = await sa.link.nc.jetstreamManager({ timeout: 5000 });
          info = await jsm.streams.info(`YB_AREA_${A}`);
        } catch (e) {
          if (i >= 20) throw e;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
      assert.equal(info.state.messages, N, 'the stream kept each message id once');
    } finally {
      await sa?.close();
      await sb?.close();
      await cl.nodes.stop();
      await da.drop();
      await db.drop();
      for (const d of cl.dirs) rmSync(d, { recursive: true, force: true });
    }
  });
  test('settlements (2207 through the treating desk) while a node is killed: every one settled once, confirmed through the streams, the money the same to the fen in both areas', async () => {
    const cl = await startCluster();
    const da = await freshDatabase('pglite');
    const db = await freshDatabase('pglite');
    let sa: AreaService | undefined;
    let sb: AreaService | undefined;
    try {
      const settlements = (d: TestDatabase) => new SettlementService(d, quotes);
      for (let i = 0; i < 60 && !(sa && sb); i++) {
        try {
          sa ??= await AreaService.start({ area: A, servers: cl.urls.join(','), replicas: 3, timeoutMs: 3000 }, da, quotes, settlements(da));
          sb ??= await AreaService.start({ area: B, servers: [...cl.urls].reverse().join(','), replicas: 3, timeoutMs: 3000 }, db, quotes, settlements(db));
        } catch {
          await new Promise((r) => setTimeout(r, 500));
        }
      }
      assert.ok(sa && sb, 'both areas joined the cluster');
      await db.db
        .insertInto('admin_area')
        .values([
          { code: '500230', name: '丰都县', level: 'county', parent_code: null, region: '500230' },
          { code: '500230100', name: '兴义镇', level: 'township', parent_code: '500230', region: '500230' },
          { code: VILLAGE, name: '兴义村', level: 'village', parent_code: '500230100', region: '500230' },
        ])
        .execute();
      const P = 4;
      const persons = Array.from({ length: P }, (_, i) => makeIdNumber('500230', '1966-03-01', i + 11));
      for (const [i, idNumber] of persons.entries()) {
        const p = await db.db.insertInto('person').values({ id_number: idNumber, name: `参保人${i}`, gender: 'male', birth_date: '1966-03-01', village_code: VILLAGE, kind: 'adult' }).returning('id').executeTakeFirstOrThrow();
        await db.db
          .insertInto('enrollment')
          .values({ person_id: p.id, coverage_year: 2022, region: '500230', pack: '500230/2022', tier: 'tier1', state: 'paid', standard_fen: 32000, quote: JSON.stringify({}), benefit_start: '2022-01-01', benefit_end: '2022-12-31' })
          .execute();
      }
      await da.db.insertInto('hospital').values({ code: HOSP, name: '重庆市渝中区人民医院', level: 'tertiary', region: A }).execute();
      const hospital = { code: HOSP, name: '重庆市渝中区人民医院', level: 'tertiary' };
      const N = 36;
      const answers: { setlId: string; fund: number }[] = [];
      let retried = 0;
      for (let i = 0; i < N; i++) {
        if (i === N / 3) cl.procs[1]!.kill('SIGKILL'); // a JetStream node dies among the settlements
        const yuan = 60 + i;
        const env = {
          infno: '2207',
          msgid: `${HOSP}20220316100000${String(i).padStart(4, '0')}`,
          mdtrtarea_admvs: A,
          insuplc_admdvs: B,
          fixmedins_code: HOSP,
          input: {
            data: { mdtrt_id: `JK${i}`, psn_no: '', insutype: '390', mdtrt_cert_type: '02', mdtrt_cert_no: persons[i % P], psn_cert_type: '01', certno: persons[i % P], psn_name: `参保人${i % P}`, psn_setlway: '01', med_type: '11', begntime: '2022-03-16 10:00:00', medfee_sumamt: yuan, acct_used_flag: '0' },
            feedetail: [{ feedetl_sn: '1', det_item_fee_sumamt: yuan, cnt: 1, pric: yuan, med_list_codg: `XJK${i}`, fee_ocur_time: '2022-03-16 10:10:00' }],
          },
        } as never;
        // the hospital retries the same message while the cluster re-forms (at most a minute)
        let r: Awaited<ReturnType<AreaService["treating"]["call"]>> = await sa.treating.call(env, SYSTEM, new Date(), hospital);
        for (let k = 0; k < 30 && r.infcode !== 0; k++) {
          assert.match(String(r.err_msg), /暂时无法访问|稍后以同一报文ID重试/, String(r.err_msg));
          retried++;
          await new Promise((res) => setTimeout(res, 1000));
          r = await sa.treating.call(env, SYSTEM, new Date(), hospital);
        }
        assert.equal(r.infcode, 0, String(r.err_msg));
        const info = (r.output as { setlinfo: { setl_id: string; fund_pay_sumamt: number } }).setlinfo;
        answers.push({ setlId: info.setl_id, fund: Math.round(Number(info.fund_pay_sumamt) * 100) });
      }
      assert.equal(new Set(answers.map((x) => x.setlId)).size, N);
      // each settled once in the insured area, recorded once in the treating area
      const live = await db.db.selectFrom('settlement').select(['basic_fund_fen', 'critical_illness_fen', 'medical_assistance_fen']).where('reversed_at', 'is', null).execute();
      assert.equal(live.length, N, `settled once each (${retried} retries)`);
      const claims = await withAreas(da.db).selectFrom('area_claim').select(['setl_id', 'state', 'fund_fen']).execute();
      assert.equal(claims.length, N);
      assert.ok(claims.every((c) => c.state === 'settled'));
      const hospitalSum = answers.reduce((t, x) => t + x.fund, 0);
      const claimSum = claims.reduce((t, c) => t + Number(c.fund_fen), 0);
      const liveSum = live.reduce((t, s) => t + Number(s.basic_fund_fen) + Number(s.critical_illness_fen) + Number(s.medical_assistance_fen), 0);
      assert.equal(claimSum, hospitalSum);
      assert.equal(liveSum, hospitalSum);
      // the confirmations travel through the insured area's stream: each arrives (a message a
      // pull the node's death cut off comes again after the ack wait, 30 s)
      let confirmed = 0;
      for (let i = 0; i < 600 && confirmed < N; i++) {
        confirmed = (await withAreas(db.db).selectFrom('area_settlement').select('setl_id').where('state', '=', 'confirmed').execute()).length;
        if (confirmed < N) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(confirmed, N, 'every settlement confirmed in the insured area');
      const kept = await withAreas(db.db).selectFrom('area_settlement').select('fund_fen').execute();
      assert.equal(kept.length, N);
      assert.equal(kept.reduce((t, k) => t + Number(k.fund_fen), 0), hospitalSum);
    } finally {
      await sa?.close();
      await sb?.close();
      await cl.nodes.stop();
      await da.drop();
      await db.drop();
      for (const d of cl.dirs) rmSync(d, { recursive: true, force: true });
    }
  });
});
