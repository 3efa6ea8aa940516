/**
 * Cross-area recovery (issue #20 item 5) on loopback with a real nats-server: the insured area
 * (丰都县 500230) runs as a real child process and is killed (SIGKILL) while the treating area
 * (渝中区 500103) has settlements in flight; after it is started again on the same PostgreSQL
 * database, recovery (src/areas/recovery.ts, run on start and periodically by both areas) leaves
 * every settlement settled once in both areas or in neither — checked to the fen in both
 * databases and both ledgers. Then: a settlement left with no record by a killed process is
 * reversed by the cancel recovery sends; events redelivered in other orders give the same state.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../src/http/server.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { AreaService, type AreaServiceOptions } from '../src/areas/area-service.ts';
import { startNatsNodes, type NatsNodes } from '../src/areas/nats-nodes.ts';
import { withAreas } from '../src/areas/tables.ts';
import { awayHospital } from '../src/areas/insured.ts';
import { SettlementService } from '../src/settlement/settlement-service.ts';
import { SYSTEM } from '../src/access/roles.ts';
import type { EventKind } from '../src/areas/protocol.ts';
import { freshDatabase, type TestDatabase } from './support/databases.ts';
import { listen } from './support/http.ts';
import { startService, type ServiceProcess } from './support/service-process.ts';
import { HOSP, Hospital, INSURED, TREAT, fee, personId, seedHospital, seedInsured, settle2207 } from './support/areas.ts';

const quotes = QuoteService.load();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, f: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** The money of the cross-area settlements in the insured area's own records, by settlement id. */
async function insuredMoney(d: TestDatabase) {
  const live = await d.db
    .selectFrom('settlement as s')
    .innerJoin('encounter as e', 'e.id', 's.encounter_id')
    .select(['e.external_id', 's.basic_fund_fen', 's.critical_illness_fen', 's.medical_assistance_fen'])
    .where('s.reversed_at', 'is', null)
    .where('e.external_id', 'like', 'xa:%')
    .execute();
  const byId = new Map(live.map((r) => [r.external_id!.slice(3), Number(r.basic_fund_fen) + Number(r.critical_illness_fen) + Number(r.medical_assistance_fen)]));
  const payable = await d.db.selectFrom('posting').select((e) => e.fn.sum<string>('amount_fen').as('s')).where('account', '=', 'payable_hospitals').executeTakeFirstOrThrow();
  return { byId, payableFen: Number(payable.s ?? 0) };
}

async function inProcessArea(d: TestDatabase, area: string, nats: string, extra: Partial<AreaServiceOptions> = {}): Promise<{ svc: AreaService; app: FastifyInstance; base: string }> {
  let svc: AreaService | undefined;
  const app = await buildServer(quotes, { database: d, away: async (ctx) => ((svc = await AreaService.start({ area, servers: nats, timeoutMs: 1500, ...extra }, ctx.database, ctx.quotes, ctx.settlements)), svc.treating) });
  const base = await listen(app);
  return { svc: svc!, app, base };
}

describe('a process of the insured area killed mid-settlement (PostgreSQL, real child process)', () => {
  let dir: string;
  let nats: NatsNodes;
  let ad: TestDatabase;
  let bd: TestDatabase;
  let a: Awaited<ReturnType<typeof inProcessArea>>;
  let b: ServiceProcess | undefined;
  let his: Hospital;
  const N = 36;
  let people: string[] = [];
  const childEnv = () => ({ DATABASE_URL: bd.where, YIBAO_AREA: INSURED, YIBAO_NATS: nats.urls[0]!, YIBAO_AREA_RECOVERY_MS: '300', YIBAO_AREA_RECOVERY_GRACE_MS: '2500', YIBAO_DEMO: 'off' });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'yb-xa-rec-'));
    nats = await startNatsNodes({ nodes: 1, dir });
    ad = await freshDatabase('server');
    bd = await freshDatabase('server');
    people = await seedInsured(bd.db, N);
    a = await inProcessArea(ad, TREAT, nats.urls[0]!, { recoveryEveryMs: 300, recoveryGraceMs: 2500 });
    his = new Hospital(a.base, await seedHospital(ad.db));
    await his.signIn();
    b = await startService(childEnv());
  });
  after(async () => {
    await b?.stop();
    await a?.svc.close();
    await a?.app.close();
    await ad?.drop();
    await bd?.drop();
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('killed with settlements in flight: after restart and recovery each is settled once in both areas or in neither, to the fen', async (t) => {
    const envs = people.map((id, i) => his.envelope('2207', settle2207(id, `冉${i}`, `YZK${i}`, [fee(1, 100 + i), fee(2, 50.25, '02')])));
    const answers: any[] = new Array(N);
    let next = 0;
    const worker = async () => {
      while (next < N) {
        const i = next++;
        answers[i] = await his.post(envs[i]);
      }
    };
    const load = Promise.all(Array.from({ length: 6 }, worker));
    // kill the insured area once some are settled and others are on their way
    await until('the first settlements in the insured area', async () => (await bd.db.selectFrom('settlement').select('id').execute()).length >= 6);
    b!.child.kill('SIGKILL');
    await b!.exited;
    await load;
    // the indexes of the messages answered settled (not necessarily the first ones sent)
    const toldSettled = answers.flatMap((r, i) => (r.infcode === 0 ? [i] : []));
    assert.ok(toldSettled.length < N, 'some hospital requests were cut off by the kill');
    const pendingAfterKill = await withAreas(ad.db).selectFrom('area_claim').select('setl_id').where('state', '=', 'pending').execute();

    b = await startService(childEnv());
    await until('recovery in both areas', async () => {
      const pending = await withAreas(ad.db).selectFrom('area_claim').select('setl_id').where('state', '=', 'pending').execute();
      const open = await withAreas(bd.db).selectFrom('area_settlement').select('setl_id').where('state', '=', 'settled').execute();
      return pending.length === 0 && open.length === 0;
    });

    const claims = await withAreas(ad.db).selectFrom('area_claim').select(['setl_id', 'msgid', 'state', 'fund_fen']).execute();
    assert.equal(claims.length, N, 'one claim a message');
    const settled = claims.filter((c) => c.state === 'settled');
    const money = await insuredMoney(bd);
    // the same settlements live in both areas, with the same fund amount to the fen
    assert.deepEqual([...money.byId.keys()].sort(), settled.map((c) => c.setl_id).sort());
    for (const c of settled) assert.equal(money.byId.get(c.setl_id), Number(c.fund_fen), c.setl_id);
    const total = settled.reduce((s, c) => s + Number(c.fund_fen), 0);
    assert.equal(money.payableFen, -total, "the insured area's ledger owes exactly the live settlements");
    for (const c of claims) assert.ok(['settled', 'abandoned', 'refused'].includes(c.state), `${c.setl_id} ${c.state}`);
    const insuredRows = await withAreas(bd.db).selectFrom('area_settlement').select(['setl_id', 'state']).execute();
    for (const r of insuredRows) assert.equal(r.state === 'confirmed', settled.some((c) => c.setl_id === r.setl_id), `${r.setl_id} is ${r.state} in the insured area`);
    // what the hospital was told settled is settled
    for (const i of toldSettled) assert.ok(settled.some((c) => c.setl_id === answers[i].output.setlinfo.setl_id));
    // the same messages again: settled ones answer what was settled, the others stay unsettled; nothing moves
    for (const [i, env] of envs.entries()) {
      const again = await his.post(env);
      const claim = claims.find((c) => c.msgid === env.msgid)!;
      if (claim.state === 'settled') {
        assert.equal(again.infcode, 0, again.err_msg);
        assert.equal(Math.round(Number(again.output.setlinfo.fund_pay_sumamt) * 100), Number(claim.fund_fen), `message ${i}`);
      } else assert.equal(again.infcode, -1);
    }
    const after = await insuredMoney(bd);
    assert.equal(after.payableFen, money.payableFen);
    assert.equal(after.byId.size, money.byId.size);
    t.diagnostic(`told settled before the kill ${toldSettled.length}, pending after it ${pendingAfterKill.length}; after recovery settled ${settled.length}, abandoned ${claims.filter((c) => c.state === 'abandoned').length}, refused ${claims.filter((c) => c.state === 'refused').length}; insured-area fund ${-money.payableFen} fen`);
    assert.ok(pendingAfterKill.length > 0 || settled.length > toldSettled.length || claims.some((c) => c.state === 'abandoned'), 'the kill left something for recovery');
  });

  test('a settlement a killed process left with no record of it (settled, answer not kept) is reversed by the cancel recovery sends', async () => {
    // as the insured process would have left it: encounter and settlement made, area_settlement not yet written
    const setlId = 'XA500103ORPHAN00000001';
    const settlements = new SettlementService(bd, quotes);
    const hospital = awayHospital(TREAT, HOSP);
    const enc = await settlements.createEncounter(SYSTEM, { hospitalCode: hospital, idNumber: personId(0), coverageYear: 2022, type: 'general_outpatient', date: '2022-03-16', location: 'in_province', referred: false, costs: { total: 88, fullOwnPay: 0, overLimitSelfPay: 0, preSelfPay: 0, inScope: 88 }, externalId: `xa:${setlId}` });
    await settlements.settle(SYSTEM, enc.id, { trace: false });
    const before = await insuredMoney(bd);
    assert.ok(before.byId.has(setlId));
    // the treating area's claim, pending since before the crash
    await withAreas(ad.db)
      .insertInto('area_claim')
      .values({ setl_id: setlId, hospital_code: HOSP, msgid: 'ORPHAN-MSG-1', insured_area: INSURED, kind: 'outpatient', state: 'pending', request: JSON.stringify({}), created_at: new Date(Date.now() - 60_000).toISOString(), updated_at: new Date(Date.now() - 60_000).toISOString() })
      .execute();
    await until('the claim abandoned', async () => (await withAreas(ad.db).selectFrom('area_claim').select('state').where('setl_id', '=', setlId).executeTakeFirstOrThrow()).state === 'abandoned');
    await until('the orphan reversed', async () => !(await insuredMoney(bd)).byId.has(setlId));
    const afterIt = await insuredMoney(bd);
    assert.equal(afterIt.payableFen, before.payableFen + (before.byId.get(setlId) ?? 0));
    assert.equal((await withAreas(bd.db).selectFrom('area_settlement').select('state').where('setl_id', '=', setlId).executeTakeFirstOrThrow()).state, 'cancelled');
    const audit = await ad.db.selectFrom('audit_log').select(['actor', 'action']).where('entity_id', '=', setlId).execute();
    assert.deepEqual(audit, [{ actor: 'system:area-recovery', action: 'xa_abandon' }]);
  });
});

describe('a process of the treating area killed mid-settlement (PostgreSQL, real child process)', () => {
  test('killed while the insured area answers: on restart its recovery records what the insured area settled, gives up the rest there; to the fen', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'yb-xa-reca-'));
    const nats = await startNatsNodes({ nodes: 1, dir });
    const ad = await freshDatabase('server');
    const bd = await freshDatabase('server');
    const b = await inProcessArea(bd, INSURED, nats.urls[0]!, { recoveryEveryMs: 300, recoveryGraceMs: 2500 });
    const N = 30;
    const people = await seedInsured(bd.db, N);
    const token = await seedHospital(ad.db);
    const env = { DATABASE_URL: ad.where, YIBAO_AREA: TREAT, YIBAO_NATS: nats.urls[0]!, YIBAO_AREA_RECOVERY_MS: '300', YIBAO_AREA_RECOVERY_GRACE_MS: '2500', YIBAO_DEMO: 'off' };
    let a: ServiceProcess | undefined = await startService(env);
    try {
      let his = new Hospital(a.base, token);
      await his.signIn();
      const envs = people.map((id, i) => his.envelope('2207', settle2207(id, `冉${i}`, `YZA${i}`, [fee(1, 200 + i), fee(2, 40.5, '02')])));
      let next = 0;
      const load = Promise.all(
        Array.from({ length: 6 }, async () => {
          while (next < N) await his.post(envs[next++]).catch(() => undefined);
        }),
      );
      await until('the first settlements in the insured area', async () => (await bd.db.selectFrom('settlement').select('id').execute()).length >= 5);
      a.child.kill('SIGKILL');
      await a.exited;
      await load;
      const inB = (await insuredMoney(bd)).byId.size;
      a = await startService(env);
      await until('recovery in both areas', async () => {
        const pending = await withAreas(ad.db).selectFrom('area_claim').select('setl_id').where('state', '=', 'pending').execute();
        const open = await withAreas(bd.db).selectFrom('area_settlement').select('setl_id').where('state', '=', 'settled').execute();
        return pending.length === 0 && open.length === 0;
      });
      const claims = await withAreas(ad.db).selectFrom('area_claim').select(['setl_id', 'msgid', 'state', 'fund_fen']).execute();
      const settled = claims.filter((c) => c.state === 'settled');
      const money = await insuredMoney(bd);
      assert.deepEqual([...money.byId.keys()].sort(), settled.map((c) => c.setl_id).sort());
      for (const c of settled) assert.equal(money.byId.get(c.setl_id), Number(c.fund_fen), c.setl_id);
      assert.equal(money.payableFen, -settled.reduce((s, c) => s + Number(c.fund_fen), 0));
      const recorded = await ad.db.selectFrom('audit_log').select('entity_id').where('actor', '=', 'system:area-recovery').where('action', '=', 'xa_settle').execute();
      t.diagnostic(`claims ${claims.length}; settled in the insured area at the kill ${inB}; after recovery settled ${settled.length} (recorded by recovery ${recorded.length}), abandoned ${claims.filter((c) => c.state === 'abandoned').length}`);
      // the hospital retries every message it sent: what is settled answers the same, nothing more is settled
      his = new Hospital(a.base, token);
      await his.signIn();
      for (const e of envs.filter((x) => claims.some((c) => c.msgid === x.msgid))) {
        const again = await his.post({ ...e, sign_no: his.signNo });
        const claim = claims.find((c) => c.msgid === e.msgid)!;
        assert.equal(again.infcode === 0, claim.state === 'settled', `${claim.setl_id} ${claim.state}: ${again.err_msg}`);
      }
      assert.equal((await insuredMoney(bd)).payableFen, money.payableFen);
    } finally {
      await a?.stop();
      await b.svc.close();
      await b.app.close();
      await ad.drop();
      await bd.drop();
      await nats.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('events redelivered out of order (in-process areas, PGlite)', () => {
  test('confirm, cancel and filing events in three different orders, each twice: the same state and the same money each time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'yb-xa-ord-'));
    const nats = await startNatsNodes({ nodes: 1, dir });
    const ad = await freshDatabase('pglite');
    const bd = await freshDatabase('pglite');
    const a = await inProcessArea(ad, TREAT, nats.urls[0]!);
    const b = await inProcessArea(bd, INSURED, nats.urls[0]!);
    try {
      const people = await seedInsured(bd.db, 3);
      const results: string[] = [];
      for (const round of [0, 1, 2]) {
        const id = (k: string) => `XA500103ORD${round}${k}`.padEnd(22, '0');
        const req = (k: string, i: number) => ({ setlId: id(k), treatArea: TREAT, hospital: { code: HOSP, name: '重庆市渝中区人民医院', level: 'tertiary' as const }, kind: 'outpatient' as const, medType: '11', type: 'general_outpatient', setting: null, date: '2022-04-0' + (round + 1), idNumber: people[i]!, name: `冉${i}`, disease: null, costs: { total: 10000 + i * 100, fullOwnPay: 0, overLimitSelfPay: 0, preSelfPay: 0, inScope: 10000 + i * 100 } });
        // X settled and to be confirmed; Y settled and to be cancelled; Z cancelled before its request arrives
        assert.equal((await b.svc.insured.settle(req('X', 0))).ok, true);
        assert.equal((await b.svc.insured.settle(req('Y', 1))).ok, true);
        const events: [EventKind, unknown][] = [
          ['confirm', { setlId: id('X'), treatArea: TREAT }],
          ['cancel', { setlId: id('Y'), treatArea: TREAT, hospital: HOSP }],
          ['cancel', { setlId: id('Z'), treatArea: TREAT, hospital: HOSP }],
          ['filing', { filingId: `BAORDER${round}`, insuredArea: INSURED, treatArea: TREAT, idNumber: people[2]!, name: '冉2', kind: 'all', validFrom: '2022-01-01', validTo: null, reason: null, withdraws: null }],
        ];
        const orders = [
          [0, 1, 2, 3, 0, 1, 2, 3],
          [3, 2, 1, 0, 2, 0, 3, 1],
          [1, 3, 0, 2, 1, 2, 0, 3],
        ][round]!;
        // the handler as a redelivery would run it, and once more through the stream itself
        for (const k of orders) await b.svc.handle(events[k]![0], events[k]![1]);
        for (const [n, k] of orders.entries()) await a.svc.link.publish(INSURED, events[k]![0], `redeliver:${round}:${n}`, events[k]![1]);
        await sleep(300);
        const late = await b.svc.insured.settle(req('Z', 2));
        assert.equal(late.ok, false, 'a request arriving after its cancel is refused');
        const rows = await withAreas(bd.db).selectFrom('area_settlement').select(['setl_id', 'state']).where('setl_id', 'in', [id('X'), id('Y'), id('Z')]).orderBy('setl_id').execute();
        const money = await insuredMoney(bd);
        const filings = await withAreas(bd.db).selectFrom('area_filing').select('filing_id').where('filing_id', '=', `BAORDER${round}`).execute();
        results.push(JSON.stringify({ states: rows.map((r) => r.state), x: money.byId.has(id('X')), y: money.byId.has(id('Y')), z: money.byId.has(id('Z')), filings: filings.length }));
        assert.equal(money.payableFen, -[...money.byId.values()].reduce((s, f) => s + f, 0));
      }
      assert.equal(results[0], JSON.stringify({ states: ['confirmed', 'reversed', 'cancelled'], x: true, y: false, z: false, filings: 1 }));
      assert.equal(results[1], results[0]);
      assert.equal(results[2], results[0]);
    } finally {
      await a.svc.close();
      await b.svc.close();
      await a.app.close();
      await b.app.close();
      await ad.drop();
      await bd.drop();
      await nats.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
