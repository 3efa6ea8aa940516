/**
 * The ordinary workflow for a person insured in another area (issue #20 items 3, review): a
 * hospital of the treating area (500103) runs the sequence a real HIS runs — 1101, 2201, 2204,
 * 2207 (outpatient) and 2401, 2301, 2402, 2304 (inpatient) — for a 丰都县 (500230) person, with
 * no chrgitm_lv in any fee line: the treating area's catalogue (就医地目录) classifies the lines
 * (a 丙 item the fund pays nothing for, a 乙 item with its self-pay share), the insured area
 * settles them by its own pack against its own accumulators, and the money agrees to the fen in
 * both areas, through settlement and reversal (2208 / 2305). On both databases, with a
 * nats-server started here.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { buildServer } from '../src/http/server.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { AuthService } from '../src/access/auth.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { AreaService } from '../src/areas/area-service.ts';
import { startNatsNodes, type NatsNodes } from '../src/areas/nats-nodes.ts';
import { withAreas } from '../src/areas/tables.ts';
import { makeIdNumber } from '../src/registers/id-number.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { listen } from './support/http.ts';

const quotes = QuoteService.load();
const PATH = '/fsi/api/rsfComIfsService/callService';
const A = '500103'; // treating area (渝中区)
const B = '500230'; // insured area (丰都县)
const VILLAGE = '500230100001';
const HOSP = 'H50010300002';
// the treating area's catalogue: a 甲 drug, a 乙 drug (10 % self-paid first), a 丙 item
const JIA = 'XWFJIA0001';
const YI = 'XWFYI00002';
const BING = 'CWFBING003';

interface Area {
  d: TestDatabase;
  svc: AreaService;
  app: FastifyInstance;
  base: string;
}

const fen = (v: unknown) => Math.round(Number(v) * 100);

for (const backend of BACKENDS)
  describe(`the ordinary cross-area workflow on ${backend}`, () => {
    let nodes: NatsNodes;
    let dir: string;
    let a: Area;
    let b: Area;
    let token = '';
    let signNo = '';
    let msg = 0;
    const people = [makeIdNumber('500230', '1975-02-11', 3), makeIdNumber('500230', '1982-07-19', 5), makeIdNumber('500230', '1990-10-01', 9)];
    const names = ['谭明远', '秦晓燕', '向德华'];
    const psnNos: string[] = [];

    async function area(code: string): Promise<Area> {
      const d = await freshDatabase(backend);
      let svc: AreaService | undefined;
      const app = await buildServer(quotes, {
        database: d,
        away: async (ctx) => {
          svc = await AreaService.start({ area: code, servers: nodes.urls[0]!, timeoutMs: 3000 }, ctx.database, ctx.quotes, ctx.settlements);
          return svc.treating;
        },
      });
      return { d, svc: svc!, app, base: await listen(app) };
    }

    const envelope = (infno: string, input: unknown, msgid?: string) => ({
      infno,
      msgid: msgid ?? `${HOSP}20220316090000${String(++msg).padStart(4, '0')}`,
      mdtrtarea_admvs: A,
      insuplc_admdvs: B,
      recer_sys_code: 'FSI_LOCAL',
      dev_no: '',
      dev_safe_info: '',
      cainfo: '',
      signtype: '',
      infver: 'V1.0',
      opter_type: '1',
      opter: '0061',
      opter_name: '周敏',
      inf_time: '2022-03-16 09:00:00',
      fixmedins_code: HOSP,
      fixmedins_name: '重庆医科大学附属第一医院',
      sign_no: signNo,
      input,
    });
    const post = async (body: unknown) => {
      const res = await fetch(`${a.base}${PATH}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal(res.status, 200);
      return (await res.json()) as any;
    };
    const ok = async (infno: string, input: unknown, msgid?: string) => {
      const r = await post(envelope(infno, input, msgid));
      assert.equal(r.infcode, 0, `${infno}: ${r.err_msg}`);
      return r;
    };
    /** a 2204 / 2301 line as a HIS sends it: no class, no cap, no self-pay share (the catalogue's) */
    const line = (mdtrtId: string, psnNo: string, sn: string, code: string, cnt: number, pric: number, extra: Record<string, unknown> = {}) => ({
      feedetl_sn: sn,
      mdtrt_id: mdtrtId,
      psn_no: psnNo,
      chrg_bchno: 'CB1',
      rx_circ_flag: '0',
      hosp_appr_flag: '1',
      fee_ocur_time: '2022-03-16 09:30:00',
      med_list_codg: code,
      medins_list_codg: `YY${sn}`,
      det_item_fee_sumamt: Math.round(cnt * pric * 100) / 100,
      cnt,
      pric,
      bilg_dept_codg: 'D02',
      bilg_dept_name: '心内科',
      bilg_dr_codg: 'D0031',
      bilg_dr_name: '李医生',
      ...extra,
    });

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'yb-natsw-'));
      nodes = await startNatsNodes({ nodes: 1, dir });
      a = await area(A);
      b = await area(B);
      await b.d.db
        .insertInto('admin_area')
        .values([
          { code: '500230', name: '丰都县', level: 'county', parent_code: null, region: '500230' },
          { code: '500230100', name: '兴义镇', level: 'township', parent_code: '500230', region: '500230' },
          { code: VILLAGE, name: '兴义村', level: 'village', parent_code: '500230100', region: '500230' },
        ])
        .execute();
      for (const [i, idNumber] of people.entries()) {
        const p = await b.d.db.insertInto('person').values({ id_number: idNumber, name: names[i]!, gender: i === 1 ? 'female' : 'male', birth_date: ['1975-02-11', '1982-07-19', '1990-10-01'][i]!, village_code: VILLAGE, kind: 'adult' }).returning('id').executeTakeFirstOrThrow();
        psnNos.push(String(p.id));
        await b.d.db
          .insertInto('enrollment')
          .values({ person_id: p.id, coverage_year: 2022, region: '500230', pack: '500230/2022', tier: 'tier1', state: 'paid', standard_fen: 32000, quote: JSON.stringify({}), benefit_start: '2022-01-01', benefit_end: '2022-12-31' })
          .execute();
      }
      await a.d.db.insertInto('hospital').values({ code: HOSP, name: '重庆医科大学附属第一医院', level: 'tertiary', region: A }).execute();
      const item = (code: string, name: string, lv: '01' | '02' | '03', type: string, selfpay: string | null) => ({
        med_list_codg: code,
        region: A,
        begndate: '2022-01-01',
        enddate: null,
        name,
        list_type: type === '08' ? '301' : '101',
        chrgitm_lv: lv,
        med_chrgitm_type: type,
        price_cap_fen: null,
        selfpay_prop: selfpay,
        memo: null,
        ver: sql<string>`nextval('catalogue_ver_seq')`,
        rid: `CLWF${code}`,
      });
      await a.d.db
        .insertInto('catalogue_item')
        .values([item(JIA, '阿司匹林肠溶片', '01', '09', null), item(YI, '阿托伐他汀钙片', '02', '09', '0.1'), item(BING, '进口心脏支架（自费）', '03', '08', null)])
        .execute();
      const auth = new AuthService(a.d.db);
      const id = await auth.createUser(SYSTEM, { username: 'cqmu1', role: 'hospital', hospitalCode: HOSP, displayName: 'cqmu1', password: 'cqmu1-test-password' });
      token = await auth.issueApiToken(SYSTEM, id, 'his');
      const s = await ok('9001', { signIn: { opter_no: '0061', mac: '00-1A-2B-3C-4D-5F', ip: '10.0.0.9' } });
      signNo = s.output.signinoutb.sign_no;
    });
    after(async () => {
      for (const x of [a, b]) {
        await x?.svc.close();
        await x?.app.close();
        await x?.d.drop();
      }
      await nodes?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test('outpatient: 1101 answered by the insured area, 2201 registers the visit here, 2204 lines classified by this area’s catalogue, 2207 settles them there as it would its own lines (丙 paid by nobody’s fund), 2208 reverses both sides', async () => {
      const info = await ok('1101', { data: { mdtrt_cert_type: '02', mdtrt_cert_no: people[0], psn_cert_type: '01', certno: people[0], psn_name: names[0] } });
      assert.equal(info.output.baseinfo.psn_no, psnNos[0]);
      assert.equal(info.output.insuinfo[0].insuplc_admdvs, B);
      assert.equal((await a.d.db.selectFrom('person').select('id').execute()).length, 0, 'the person is not in the treating area’s registers');
      const unknown = await post(envelope('1101', { data: { mdtrt_cert_type: '02', mdtrt_cert_no: makeIdNumber('500230', '1960-01-01', 1), psn_cert_type: '01', certno: makeIdNumber('500230', '1960-01-01', 1) } }));
      assert.equal(unknown.infcode, -1);
      assert.match(unknown.err_msg, /未查询到该人员的参保信息/);

      const psn = psnNos[0]!;
      const reg = await ok('2201', { data: { psn_no: psn, insutype: '390', begntime: '2022-03-16 09:00:00', mdtrt_cert_type: '02', mdtrt_cert_no: people[0], ipt_otp_no: 'MZ22031601', atddr_no: 'D0031', dr_name: '李医生', dept_code: 'D02', dept_name: '心内科', caty: 'A03' } });
      const mdtrtId = reg.output.data.mdtrt_id;
      assert.equal(reg.output.data.psn_no, psn);
      assert.deepEqual(JSON.parse(reg.output.data.exp_content), { cross_area: true, insuplc_admdvs: B, filing_id: '', filed: '0' });
      const visit = await a.d.db.selectFrom('fsi_mdtrt').select(['person_id', 'insuplc_admdvs', 'away_psn_no']).where('mdtrt_id', '=', mdtrtId).executeTakeFirstOrThrow();
      assert.deepEqual(visit, { person_id: null, insuplc_admdvs: B, away_psn_no: psn });

      // 2204 with no class: the catalogue's (a client's 甲 for the 丙 item is not taken)
      const up = await ok('2204', { feedetail: [line(mdtrtId, psn, '1', JIA, 2, 15.5), line(mdtrtId, psn, '2', YI, 3, 40), line(mdtrtId, psn, '3', BING, 1, 380, { chrgitm_lv: '01' })] });
      assert.deepEqual(
        up.output.result.map((r: any) => [r.feedetl_sn, r.chrgitm_lv, fen(r.preselfpay_amt), fen(r.fulamt_ownpay_amt)]),
        [
          ['1', '01', 0, 0],
          ['2', '02', 1200, 0],
          ['3', '03', 0, 38000],
        ],
      );
      const total = 3100 + 12000 + 38000;
      const setl = { data: { mdtrt_id: mdtrtId, psn_no: psn, chrg_bchno: 'CB1', med_type: '11', medfee_sumamt: total / 100, psn_setlway: '01', insutype: '390', acct_used_flag: '0', mdtrt_cert_type: '02', mdtrt_cert_no: people[0] } };
      const env = envelope('2207', setl);
      const r = await post(env);
      assert.equal(r.infcode, 0, r.err_msg);
      const s = r.output.setlinfo;
      assert.match(s.setl_id, /^XA500103/);
      assert.equal(fen(s.medfee_sumamt), total);
      assert.equal(fen(s.fulamt_ownpay_amt), 38000, '丙: wholly self-paid');
      assert.equal(fen(s.preselfpay_amt), 1200, '乙: 10 % self-paid first');
      assert.equal(fen(s.inscp_scp_amt), 3100 + 12000 - 1200);
      assert.equal(fen(s.fund_pay_sumamt) + fen(s.psn_cash_pay), total);
      // the insured area settled the classified lines as its encounter's own lines
      const enc = await b.d.db.selectFrom('encounter').select(['lines', 'full_own_pay_fen', 'pre_self_pay_fen', 'in_scope_fen']).where('external_id', '=', `xa:${s.setl_id}`).executeTakeFirstOrThrow();
      // (each line's split as the catalogue's class gives it: 丙 wholly self-paid, 乙 its 10 % first)
      assert.deepEqual(
        (enc.lines as any[]).map((l) => [l.sn, l.fullOwnPay, l.preSelfPay, l.inScope]),
        [
          ['1', 0, 0, 3100],
          ['2', 0, 1200, 10800],
          ['3', 38000, 0, 0],
        ],
      );
      assert.deepEqual([Number(enc.full_own_pay_fen), Number(enc.pre_self_pay_fen), Number(enc.in_scope_fen)], [38000, 1200, 13900]);
      // as the insured area settles the same split of its own for a person with the same
      // accumulators (a second person, fresh): the fund pays the same to the fen
      const same = await b.svc.insured.settle({
        setlId: 'XA500103SAMESPLIT00001',
        treatArea: A,
        hospital: { code: HOSP, name: '重庆医科大学附属第一医院', level: 'tertiary' },
        kind: 'outpatient',
        medType: '11',
        type: 'general_outpatient',
        setting: null,
        date: '2022-03-16',
        idNumber: people[1]!,
        name: names[1]!,
        disease: null,
        costs: { total, fullOwnPay: 38000, overLimitSelfPay: 0, preSelfPay: 1200, inScope: 13900 },
      });
      assert.ok(same.ok);
      assert.equal(fen(s.fund_pay_sumamt), same.fundFen);
      await b.svc.insured.reverse({ setlId: same.setlId, treatArea: A, reference: 'test' });
      // money in both areas to the fen
      const claim = await withAreas(a.d.db).selectFrom('area_claim').selectAll().where('setl_id', '=', s.setl_id).executeTakeFirstOrThrow();
      const bs = await withAreas(b.d.db).selectFrom('area_settlement').selectAll().where('setl_id', '=', s.setl_id).executeTakeFirstOrThrow();
      const bset = await b.d.db.selectFrom('settlement').selectAll().where('id', '=', bs.settlement_id!).executeTakeFirstOrThrow();
      assert.equal(Number(claim.fund_fen), fen(s.fund_pay_sumamt));
      assert.equal(Number(bs.fund_fen), Number(claim.fund_fen));
      assert.equal(Number(bset.basic_fund_fen) + Number(bset.critical_illness_fen) + Number(bset.medical_assistance_fen), Number(claim.fund_fen));
      assert.equal(Number(bset.cash_fen), fen(s.psn_cash_pay));
      assert.equal((await a.d.db.selectFrom('settlement').select('id').execute()).length, 0, 'nothing settled in the treating area’s own books');

      // the same message again: the same answer; a new message for the batch: nothing left to settle
      const again = await post(env);
      assert.equal(again.output.setlinfo.setl_id, s.setl_id);
      const other = await post(envelope('2207', setl));
      assert.equal(other.infcode, -1);
      assert.match(other.err_msg, /没有可结算的费用明细/);
      assert.equal((await b.d.db.selectFrom('settlement').select('id').where('reversed_at', 'is', null).execute()).length, 1, 'settled once');

      // a local settlement message for the visit cannot settle it in this area's books
      const local = await post({ ...envelope('2207', setl), insuplc_admdvs: A });
      assert.equal(local.infcode, -1);
      assert.match(local.err_msg, /参保地为 500230/);

      // the lines settled across areas are settled here too: not cancelled (2205), their batch takes no more lines (2204)
      const cancel = await post(envelope('2205', { data: { mdtrt_id: mdtrtId, psn_no: psn, chrg_bchno: 'CB1' } }));
      assert.equal(cancel.infcode, -1);
      assert.match(cancel.err_msg, /已参与结算，不能撤销/);
      const more = await post(envelope('2204', { feedetail: [line(mdtrtId, psn, '4', JIA, 1, 15.5)] }));
      assert.equal(more.infcode, -1);
      assert.match(more.err_msg, /已结算，不能再上传费用明细/);
      const refund = await post(envelope('2204', { feedetail: [line(mdtrtId, psn, '5', YI, -1, 40, { init_feedetl_sn: '2', chrg_bchno: 'CB2' })] }));
      assert.equal(refund.infcode, -1);
      assert.match(refund.err_msg, /已结算/);
      assert.equal((await a.d.db.selectFrom('fsi_fee').select('feedetl_sn').where('mdtrt_id', '=', mdtrtId).where('cancelled_at', 'is', null).execute()).length, 3);

      const rev = await ok('2208', { data: { setl_id: s.setl_id, mdtrt_id: mdtrtId, psn_no: psn } });
      assert.equal(fen(rev.output.setlinfo.fund_pay_sumamt), -Number(claim.fund_fen));
      assert.equal((await b.d.db.selectFrom('settlement').select('id').where('reversed_at', 'is', null).execute()).length, 0);
      // reversed: the lines may be settled again (a new message)
      const re = await ok('2207', setl);
      assert.notEqual(re.output.setlinfo.setl_id, s.setl_id);
      assert.equal(fen(re.output.setlinfo.fund_pay_sumamt), fen(s.fund_pay_sumamt));
    });

    test('a 丙 item alone, sent in the settlement message (feedetail) and declared 甲 by the client: the catalogue’s 丙, the fund pays nothing', async () => {
      const r = await ok('2207', {
        data: { mdtrt_id: 'FD0001', psn_no: psnNos[2], insutype: '390', mdtrt_cert_type: '02', mdtrt_cert_no: people[2], psn_cert_type: '01', certno: people[2], psn_name: names[2], psn_setlway: '01', med_type: '11', begntime: '2022-03-16 10:00:00', medfee_sumamt: 380, acct_used_flag: '0' },
        feedetail: [{ feedetl_sn: '1', det_item_fee_sumamt: 380, cnt: 1, pric: 380, chrgitm_lv: '01', med_list_codg: BING, fee_ocur_time: '2022-03-16 10:10:00' }],
      });
      const s = r.output.setlinfo;
      assert.equal(fen(s.fulamt_ownpay_amt), 38000);
      assert.equal(fen(s.fund_pay_sumamt), 0);
      assert.equal(fen(s.psn_cash_pay), 38000);
    });

    test('inpatient: 2401 admission, 2301 fee upload, 2402 discharge, 2304 settlement and 2305 reversal; money checked in both areas to the fen', async () => {
      const psn = psnNos[1]!;
      const accBefore = await b.d.db.selectFrom('accumulator').select('data').where('person_id', '=', psn).where('coverage_year', '=', 2022).executeTakeFirst();
      const adm = await ok('2401', {
        mdtrtinfo: { psn_no: psn, insutype: '390', mdtrt_cert_type: '02', mdtrt_cert_no: people[1], begntime: '2022-03-16 11:00:00', med_type: '2101', ipt_no: 'ZY22031601', adm_diag_dscr: '冠心病', adm_dept_codg: 'D02', adm_dept_name: '心内科', adm_bed: '12', dscg_maindiag_code: 'I25.1', dscg_maindiag_name: '动脉硬化性心脏病' },
        diseinfo: [],
      });
      const mdtrtId = adm.output.result.mdtrt_id;
      const twice = await post(envelope('2401', { mdtrtinfo: { psn_no: psn, insutype: '390', begntime: '2022-03-16 11:00:00', med_type: '2101', ipt_no: 'ZY22031602', adm_diag_dscr: '冠心病', adm_dept_codg: 'D02', adm_dept_name: '心内科', adm_bed: '13', dscg_maindiag_code: 'I25.1', dscg_maindiag_name: '动脉硬化性心脏病' } }));
      assert.equal(twice.infcode, -1);
      assert.match(twice.err_msg, /已在院/);
      const ip = (sn: string, code: string, cnt: number, pric: number) => ({ ...line(mdtrtId, psn, sn, code, cnt, pric, { med_type: '2101', fee_ocur_time: '2022-03-17 08:00:00' }), chrg_bchno: undefined, rx_circ_flag: undefined, hosp_appr_flag: undefined });
      await ok('2301', { feedetail: [ip('1', JIA, 10, 15.5), ip('2', YI, 20, 40), ip('3', BING, 1, 26800)] });
      const early = await post(envelope('2304', { data: { mdtrt_id: mdtrtId, psn_no: psn, mid_setl_flag: '0', medfee_sumamt: 27755, psn_setlway: '01', insutype: '390', acct_used_flag: '0' } }));
      assert.equal(early.infcode, -1);
      assert.match(early.err_msg, /尚未办理出院/);
      await ok('2402', { dscginfo: { mdtrt_id: mdtrtId, psn_no: psn, insutype: '390', endtime: '2022-03-20 10:00:00', dscg_dept_codg: 'D02', dscg_dept_name: '心内科', dscg_way: '1' } });
      const total = 15500 + 80000 + 2680000;
      const r = await ok('2304', { data: { mdtrt_id: mdtrtId, psn_no: psn, mid_setl_flag: '0', medfee_sumamt: total / 100, psn_setlway: '01', insutype: '390', acct_used_flag: '0' } });
      const s = r.output.setlinfo;
      assert.equal(fen(s.medfee_sumamt), total);
      assert.equal(fen(s.fulamt_ownpay_amt), 2680000);
      assert.equal(fen(s.preselfpay_amt), 8000);
      assert.equal(fen(s.fund_pay_sumamt) + fen(s.psn_cash_pay), total);
      assert.ok(fen(s.fund_pay_sumamt) > 0 && fen(s.fund_pay_sumamt) < 15500 + 80000 - 8000, 'the fund pays part of the in-scope costs only');
      const claim = await withAreas(a.d.db).selectFrom('area_claim').selectAll().where('setl_id', '=', s.setl_id).executeTakeFirstOrThrow();
      const bs = await withAreas(b.d.db).selectFrom('area_settlement').selectAll().where('setl_id', '=', s.setl_id).executeTakeFirstOrThrow();
      const bset = await b.d.db.selectFrom('settlement').selectAll().where('id', '=', bs.settlement_id!).executeTakeFirstOrThrow();
      const funds = Number(bset.basic_fund_fen) + Number(bset.critical_illness_fen) + Number(bset.medical_assistance_fen);
      assert.equal(claim.kind, 'inpatient');
      assert.equal(Number(claim.fund_fen), fen(s.fund_pay_sumamt));
      assert.equal(Number(bs.fund_fen), funds);
      assert.equal(funds, Number(claim.fund_fen));
      assert.equal(Number(bset.cash_fen), fen(s.psn_cash_pay));
      assert.equal(Number(bset.total_fen), total);
      const enc = await b.d.db.selectFrom('encounter').select(['type', 'hospital_code']).where('id', '=', bset.encounter_id).executeTakeFirstOrThrow();
      assert.deepEqual([enc.type, enc.hospital_code], ['inpatient', `${A}:${HOSP}`]);
      const accAfter = await b.d.db.selectFrom('accumulator').select('data').where('person_id', '=', psn).where('coverage_year', '=', 2022).executeTakeFirstOrThrow();
      assert.notDeepEqual(accAfter.data, accBefore?.data, 'the insured area’s accumulators moved');
      assert.equal((await a.d.db.selectFrom('accumulator').select('person_id').execute()).length, 0, 'none in the treating area');

      const rev = await ok('2305', { data: { setl_id: s.setl_id, mdtrt_id: mdtrtId, psn_no: psn } });
      assert.equal(fen(rev.output.setlinfo.fund_pay_sumamt), -funds);
      assert.equal((await withAreas(a.d.db).selectFrom('area_claim').select('state').where('setl_id', '=', s.setl_id).executeTakeFirstOrThrow()).state, 'reversed');
      assert.equal((await withAreas(b.d.db).selectFrom('area_settlement').select('state').where('setl_id', '=', s.setl_id).executeTakeFirstOrThrow()).state, 'reversed');
      const rows = await b.d.db.selectFrom('settlement').select(['basic_fund_fen', 'critical_illness_fen', 'medical_assistance_fen', 'reversed_at']).where('encounter_id', '=', bset.encounter_id).execute();
      assert.ok(rows.every((x) => x.reversed_at !== null), 'nothing live for the stay in the insured area');
      // the insured area's fund postings for the stay net to nothing
      const net = await sql<{ s: string | null }>`SELECT sum(p.amount_fen)::text AS s FROM posting p JOIN journal_entry j ON j.id = p.entry_id
                                                     WHERE p.account LIKE '%fund' AND j.source IN ('settlement', 'reversal') AND j.source_id IN (SELECT id FROM settlement WHERE encounter_id = ${bset.encounter_id})`.execute(b.d.db);
      assert.equal(Number(net.rows[0]?.s ?? 0), 0);
      const paid = await sql<{ s: string | null }>`SELECT sum(p.amount_fen)::text AS s FROM posting p JOIN journal_entry j ON j.id = p.entry_id
                                                     WHERE p.account LIKE '%fund' AND j.source = 'settlement' AND j.source_id = ${String(bset.id)}`.execute(b.d.db);
      assert.equal(Math.abs(Number(paid.rows[0]?.s ?? 0)), funds, 'the settlement posted the funds’ share to the fen');
    });
  });
