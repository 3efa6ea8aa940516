/**
 * The everyday workflows (issue #16 items 3, 4, 6), only through the endpoint, for three client
 * styles written from the spec's tables: the national baseline (§4.5 gateway headers, fields as
 * table 2 and the transaction tables give them), the Hunan edition (x-tif gateway headers,
 * /callService/<infno>, "null" strings in the envelope, camel-case node names as its clients
 * send them), and a loose client (text/plain, input as a JSON string, numbers as strings, null
 * for absent, ISO 8601 date-times, person fields left out where psn_no / mdtrt_id say who).
 * Each runs an outpatient day with two fee batches and a refund line, and an inpatient stay with
 * pre-settlement, mid-stay settlement, discharge settlement and reversal; each setlinfo equals
 * the settlement quote of the same encounter (the quote service directly, or 2206 / 2303).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../src/http/server.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { AuthService } from '../src/access/auth.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { gatewayKeys } from '../src/access/gateway-keys.ts';
import { issueEvoucherToken } from '../src/access/evoucher-tokens.ts';
import { dayText } from '../src/hospitals/fsi/fields.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { listen, logIn, request } from './support/http.ts';
import { FSI_PATH, VILLAGE, apiHeaders, enrolledPerson, tifHeaders, type Person } from './support/fsi-client.ts';

const quotes = QuoteService.load();
const HA = 'H50023000031';
const PERIOD = { start: '2022-01-01', end: '2022-12-31' };

type Obj = Record<string, any>;
interface Style {
  name: string;
  headers(infno: string): Record<string, string>;
  path(infno: string): string;
  /** the envelope and input as this client builds them */
  build(env: Obj, input: Obj): { body: string; contentType: string };
  /** a date-time as this client writes it */
  time(s: string): string;
  /** a number as this client writes it */
  num(n: number): number | string;
  /** person fields this client sends where psn_no / mdtrt_id already say who */
  person(p: Person): Obj;
  node(name: string): string;
}

const camel = (s: string) => s.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

for (const backend of BACKENDS)
  describe(`everyday platform workflows on ${backend}`, () => {
    let d: TestDatabase;
    let app: FastifyInstance;
    let base: string;
    let key: { accessKey: string; secret: string };

    before(async () => {
      d = await freshDatabase(backend);
      await d.db.insertInto('admin_area').values([
        { code: '500230', name: '丰都县', level: 'county', parent_code: null, region: '500230' },
        { code: '500230100', name: '兴义镇', level: 'township', parent_code: '500230', region: '500230' },
        { code: VILLAGE, name: '兴义村', level: 'village', parent_code: '500230100', region: '500230' },
      ]).execute();
      await d.db.insertInto('hospital').values({ code: HA, name: '丰都县人民医院', level: 'secondary', region: '500230' }).execute();
      const auth = new AuthService(d.db);
      const uid = await auth.createUser(SYSTEM, { username: 'wf-hosp', displayName: 'his', role: 'hospital', hospitalCode: HA });
      key = await gatewayKeys(d.db).issue(SYSTEM, uid, 'HIS');
      app = await buildServer(quotes, { database: d });
      base = await listen(app);
    });
    after(async () => {
      await app?.close();
      await d?.drop();
    });

    const styles: Style[] = [
      {
        name: 'national baseline',
        headers: (infno) => apiHeaders(key.accessKey, key.secret, infno),
        path: () => FSI_PATH,
        build: (env, input) => ({ body: JSON.stringify({ ...env, input }), contentType: 'application/json' }),
        time: (s) => s,
        num: (n) => n,
        person: (p) => ({ psn_cert_type: '01', certno: p.idNumber, psn_type: '1701', psn_name: p.name, mdtrt_cert_type: '02', mdtrt_cert_no: p.idNumber }),
        node: (n) => ({ sign_in: 'signIn', mdtrt_info: 'mdtrtinfo' })[n] ?? n,
      },
      {
        name: 'Hunan edition',
        headers: () => tifHeaders(key.accessKey, key.secret),
        path: (infno) => `${FSI_PATH}/${infno}`,
        build: (env, input) => ({ body: JSON.stringify({ ...env, dev_no: 'null', dev_safe_info: 'null', cainfo: 'null', signtype: 'SM2', insuplc_admdvs: '500230', input }), contentType: 'application/json;charset=utf-8' }),
        time: (s) => s,
        num: (n) => n,
        person: (p) => ({ psn_cert_type: '01', certno: p.idNumber, psn_type: '1701', psn_name: p.name, mdtrt_cert_type: '02', mdtrt_cert_no: p.idNumber, card_sn: 'NULL' }),
        node: (n) => camel(n),
      },
      {
        name: 'strings, nulls and ISO dates',
        headers: (infno) => apiHeaders(key.accessKey, key.secret, infno),
        path: () => FSI_PATH,
        build: (env, input) => ({ body: JSON.stringify({ ...env, sign_no: null, dev_no: null, inf_time: '2022-03-15T09:00:00+08:00', input: JSON.stringify(input) }), contentType: 'text/plain' }),
        time: (s) => `${s.replace(' ', 'T')}.000+08:00`,
        num: (n) => String(n),
        person: () => ({ psn_cert_type: null, certno: '', psn_name: 'null' }),
        node: (n) => ({ sign_in: 'SIGNIN', mdtrt_info: 'MdtrtInfo' })[n] ?? n,
      },
    ];

    for (const st of styles) {
      let n = 0;
      let signNo = '';
      const call = async (infno: string, input: Obj): Promise<Obj> => {
        n += 1;
        const env = { infno, msgid: `${HA}${st.name.length}${String(Date.now()).slice(-8)}${String(n).padStart(4, '0')}`.slice(0, 30), mdtrtarea_admvs: '500230', recer_sys_code: 'HIS', infver: '1.0.0', opter_type: '1', opter: '0053', opter_name: '文双', inf_time: '2022-03-15 09:00:00', fixmedins_code: HA, fixmedins_name: '丰都县人民医院', sign_no: signNo };
        const { body, contentType } = st.build(env, input);
        const res = await fetch(`${base}${st.path(infno)}`, { method: 'POST', headers: { ...st.headers(infno), 'content-type': contentType }, body });
        assert.equal(res.status, 200);
        return (await res.json()) as Obj;
      };
      const ok = async (infno: string, input: Obj) => {
        const r = await call(infno, input);
        assert.equal(r.infcode, 0, `${st.name} ${infno}: ${r.err_msg}`);
        return r.output as Obj;
      };
      const fee = (p: Person, m: string, sn: string, cnt: number, pric: number, extra: Obj, outpatient: boolean) => ({
        feedetl_sn: sn,
        mdtrt_id: m,
        psn_no: p.psnNo,
        ...(outpatient ? { rx_circ_flag: '0', hosp_appr_flag: '1' } : { med_type: '2101' }),
        fee_ocur_time: st.time('2022-03-15 09:30:00'),
        med_list_codg: `XA01${sn}`,
        medins_list_codg: `M${sn}`,
        det_item_fee_sumamt: st.num(Math.round(cnt * pric * 100) / 100),
        cnt: st.num(cnt),
        pric: st.num(pric),
        bilg_dept_codg: 'D01',
        bilg_dept_name: '内科',
        bilg_dr_codg: 'D0001',
        bilg_dr_name: '王医生',
        ...extra,
      });
      // every field of the quote's setlinfo (or of the pre-settlement's, but for its own message id, setl_id and time)
      const same = (got: Obj, want: Obj, what: string) => {
        for (const [k, v] of Object.entries(want)) if (!['medins_setl_id', 'setl_id', 'setl_time'].includes(k)) assert.equal(got[k], v, `${st.name} ${what} setlinfo.${k}`);
      };

      test(`${st.name}: an outpatient day — two fee batches, a refund line, two settlements, queries and reconciliation`, async () => {
        signNo = (await ok('9001', { [st.node('sign_in')]: { opter_no: '0053', mac: '00-1A', ip: '10.0.0.8' } })).signinoutb.sign_no;
        const p = await enrolledPerson(d.db);
        const m = (await ok('2201', { data: { psn_no: p.psnNo, insutype: '390', begntime: st.time('2022-03-15 09:00:00'), ipt_otp_no: `MZ${st.name.length}${n}`, dept_code: 'D01', dept_name: '内科', caty: 'A03', ...st.person(p) } })).data.mdtrt_id;
        await ok('2203', { [st.node('mdtrt_info')]: { mdtrt_id: m, psn_no: p.psnNo, med_type: '11', begntime: st.time('2022-03-15 09:00:00'), dise_codg: 'J00', dise_name: '急性鼻咽炎' }, diseinfo: [] });
        // batch B1: 2 × 50 甲, 30 乙 (10 % first), then one of the two refunded (cnt -1)
        const up = await ok('2204', { feedetail: [fee(p, m, '1', 2, 50, { chrg_bchno: 'B1', chrgitm_lv: '01' }, true), fee(p, m, '2', 1, 30, { chrg_bchno: 'B1', chrgitm_lv: '02', selfpay_prop: st.num(0.1) }, true)] });
        assert.equal(up.result[0].med_chrgitm_type, '09');
        await ok('2204', { feedetail: [fee(p, m, '3', -1, 50, { chrg_bchno: 'B1', init_feedetl_sn: '1' }, true)] });
        const r = await call('2204', { feedetail: [fee(p, m, '4', -2, 50, { chrg_bchno: 'B1', init_feedetl_sn: '1' }, true)] });
        assert.equal(r.infcode, -1);
        assert.match(r.err_msg, /超过原明细 1 可退数量 1/);
        const setl = (bch: string, sum: number) => ({ data: { psn_no: p.psnNo, mdtrt_id: m, chrg_bchno: bch, med_type: '11', medfee_sumamt: st.num(sum), psn_setlway: '01', acct_used_flag: '0', insutype: '390', fulamt_ownpay_amt: st.num(0), inscp_scp_amt: st.num(0), ...st.person(p) } });
        const s1 = await ok('2207', setl('B1', 80));
        const q1 = quotes.settlement({ region: '500230', coverageYear: 2022, tier: 'tier1', person: { statuses: [], benefitPeriod: PERIOD }, encounter: { type: 'general_outpatient', date: '2022-03-15', hospitalLevel: 'secondary', fees: [{ sn: '1', catalogClass: '甲', amount: 50 }, { sn: '2', catalogClass: '乙', amount: 30, selfPayRatio: '0.1' }] } });
        same(s1.setlinfo, q1.setlinfo, '2207 B1');
        // batch B2 on the same visit
        await ok('2204', { feedetail: [fee(p, m, '5', 1, 40, { chrg_bchno: 'B2', chrgitm_lv: '03' }, true), fee(p, m, '6', 1, 25.5, { chrg_bchno: 'B2' }, true)] });
        const pre = await ok('2206', setl('B2', 65.5));
        const s2 = await ok('2207', setl('B2', 65.5));
        same(s2.setlinfo, pre.setlinfo, '2207 B2 against 2206');
        // and against the quote service: B2 the second encounter of the person's year, after B1
        const y = quotes.settlementYear({
          region: '500230', coverageYear: 2022, tier: 'tier1', person: { statuses: [], benefitPeriod: PERIOD },
          encounters: [
            { type: 'general_outpatient', date: '2022-03-15', hospitalLevel: 'secondary', fees: [{ sn: '1', catalogClass: '甲', amount: 50 }, { sn: '2', catalogClass: '乙', amount: 30, selfPayRatio: '0.1' }] },
            { type: 'general_outpatient', date: '2022-03-15', hospitalLevel: 'secondary', fees: [{ sn: '5', catalogClass: '丙', amount: 40 }, { sn: '6', catalogClass: '甲', amount: 25.5 }] },
          ],
        });
        same(s1.setlinfo, y.settlements[0].setlinfo, '2207 B1 against the year quote');
        same(s2.setlinfo, y.settlements[1].setlinfo, '2207 B2 against the quote');
        assert.equal(s2.setlinfo.fulamt_ownpay_amt, 40, 'the 丙 line is paid in full by the person');
        assert.notEqual(s2.setlinfo.setl_id, s1.setlinfo.setl_id);
        assert.equal(typeof s2.setlinfo.psn_cash_pay, 'number');
        // 5203 / 5204 answer the settlement as it was made
        const info = await ok('5203', { data: { psn_no: p.psnNo, setl_id: s1.setlinfo.setl_id, mdtrt_id: m } });
        assert.equal(info.setlinfo.medfee_sumamt, 80);
        assert.equal(info.setlinfo.refd_setl_flag, '0');
        const lines = await ok('5204', { data: { psn_no: p.psnNo, setl_id: s1.setlinfo.setl_id, mdtrt_id: m } });
        assert.deepEqual(lines.output.map((x: Obj) => [x.feedetl_sn, x.det_item_fee_sumamt]), [['1', 50], ['2', 30]]);
        // 3201: the day's totals of this client's two settlements are what the service holds (other tests' settlements share the day: compare by the detail)
        const det = await ok('3202', { data: { setl_optins: '500230', file_qury_no: 'F1', stmt_begndate: new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10), stmt_enddate: new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10), medfee_sumamt: 0, fund_pay_sumamt: 0, cash_payamt: 0, fixmedins_setl_cnt: 0, clr_type: '11', fixmedins_refd_setl_flag: '0' } });
        const mine = det.detail.filter((x: Obj) => x.mdtrt_id === m);
        assert.deepEqual(mine.map((x: Obj) => x.medfee_sumamt).sort(), [65.5, 80]);
        const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
        const all = det.detail as Obj[];
        const totals = { medfee_sumamt: Math.round(all.reduce((t, x) => t + x.medfee_sumamt * 100, 0)) / 100, fund_pay_sumamt: Math.round(all.reduce((t, x) => t + x.fund_pay_sumamt * 100, 0)) / 100 };
        const even = await ok('3201', { data: { insutype: '390', clr_type: '11', setl_optins: '500230', stmt_begndate: today, stmt_enddate: today, ...totals, acct_pay: 0, fixmedins_setl_cnt: all.length, fixmedins_refd_setl_flag: '0' } });
        assert.equal(even.stmtinfo.stmt_rslt, '0', even.stmtinfo.stmt_rslt_dscr);
        const uneven = await ok('3201', { data: { insutype: '390', clr_type: '11', setl_optins: '500230', stmt_begndate: today, stmt_enddate: today, ...totals, acct_pay: 0, fixmedins_setl_cnt: all.length + 1, fixmedins_refd_setl_flag: '0' } });
        assert.equal(uneven.stmtinfo.stmt_rslt, '1');
        assert.match(uneven.stmtinfo.stmt_rslt_dscr, /结算笔数/);
      });

      test(`${st.name}: an inpatient stay — pre-settlement, mid-stay settlement, discharge settlement, reversal`, async () => {
        if (!signNo) signNo = (await ok('9001', { [st.node('sign_in')]: { opter_no: '0053', mac: '00-1A', ip: '10.0.0.8' } })).signinoutb.sign_no;
        const p = await enrolledPerson(d.db);
        const adm = await ok('2401', { [st.node('mdtrt_info')]: { psn_no: p.psnNo, insutype: '390', begntime: st.time('2022-04-01 08:00:00'), med_type: '2101', ipt_no: `ZY${st.name.length}${n}`, atddr_no: 'D0001', chfpdr_name: '王医生', adm_diag_dscr: '肺炎', adm_dept_codg: 'D02', adm_dept_name: '呼吸科', adm_bed: '12', dscg_maindiag_code: 'J18.9', dscg_maindiag_name: '肺炎', ...st.person(p) }, diseinfo: [] });
        const m = adm.result.mdtrt_id;
        await ok('2301', { feedetail: [fee(p, m, '1', 1, 3000, { chrgitm_lv: '01' }, false), fee(p, m, '2', 2, 250, { chrgitm_lv: '02', selfpay_prop: st.num(0.2) }, false)] });
        const setl = (sum: number, mid: string) => ({ data: { psn_no: p.psnNo, mdtrt_id: m, medfee_sumamt: st.num(sum), psn_setlway: '01', acct_used_flag: '0', insutype: '390', mid_setl_flag: mid, ...st.person(p) } });
        const pre = await ok('2303', setl(3500, '0')); // 试算 while in hospital
        const mid = await ok('2304', setl(3500, '1'));
        const q = quotes.settlement({ region: '500230', coverageYear: 2022, tier: 'tier1', person: { statuses: [], benefitPeriod: PERIOD }, encounter: { type: 'inpatient', date: '2022-04-01', hospitalLevel: 'secondary', fees: [{ sn: '1', catalogClass: '甲', amount: 3000 }, { sn: '2', catalogClass: '乙', amount: 500, selfPayRatio: '0.2' }] } });
        same(mid.setlinfo, q.setlinfo, '2304 mid-stay');
        same(pre.setlinfo, q.setlinfo, '2303');
        await ok('2301', { feedetail: [fee(p, m, '3', 1, 1200, { chrgitm_lv: '01' }, false)] });
        const early = await call('2304', setl(1200, '0'));
        assert.match(early.err_msg, /尚未办理出院/);
        await ok('2402', { dscginfo: { mdtrt_id: m, psn_no: p.psnNo, insutype: '390', endtime: st.time('2022-04-10 10:00:00'), dscg_dept_codg: 'D02', dscg_dept_name: '呼吸科', dscg_way: '1' } });
        const pre2 = await ok('2303', setl(1200, '0'));
        const fin = await ok('2304', setl(1200, '0'));
        same(fin.setlinfo, pre2.setlinfo, '2304 discharge against 2303');
        // and against the quote service: the stay's later part, the deductible the mid-stay part applied carried
        const y = quotes.settlementYear({
          region: '500230', coverageYear: 2022, tier: 'tier1', person: { statuses: [], benefitPeriod: PERIOD },
          encounters: [
            { type: 'inpatient', date: '2022-04-01', hospitalLevel: 'secondary', fees: [{ sn: '1', catalogClass: '甲', amount: 3000 }, { sn: '2', catalogClass: '乙', amount: 500, selfPayRatio: '0.2' }] },
            { type: 'inpatient', date: '2022-04-01', hospitalLevel: 'secondary', fees: [{ sn: '3', catalogClass: '甲', amount: 1200 }], stay: { deductibleApplied: q.setlinfo.act_pay_dedc, admissionCounted: true } },
          ],
        });
        same(mid.setlinfo, y.settlements[0].setlinfo, '2304 mid-stay against the year quote');
        same(fin.setlinfo, y.settlements[1].setlinfo, '2304 discharge against the quote');
        // one admission, one deductible (起付线按次): the discharge settlement after a mid-stay one charges what is left of it
        assert.ok(mid.setlinfo.act_pay_dedc > 0);
        assert.equal(mid.setlinfo.act_pay_dedc, q.setlinfo.act_pay_dedc);
        assert.equal(fin.setlinfo.act_pay_dedc, 0);
        const accRow = await d.db.selectFrom('accumulator').select('data').where('person_id', '=', p.psnNo).where('coverage_year', '=', 2022).executeTakeFirstOrThrow();
        assert.equal((accRow.data as Obj).inpatientAdmissions, 1, 'the stay is one admission');
        assert.notEqual(fin.setlinfo.setl_id, mid.setlinfo.setl_id);
        // the discharge cannot be undone while its settlement lives; reversal first
        assert.match((await call('2405', { data: { mdtrt_id: m, psn_no: p.psnNo } })).err_msg, /先撤销结算/);
        const rev = await ok('2305', { data: { psn_no: p.psnNo, mdtrt_id: m, setl_id: fin.setlinfo.setl_id } });
        assert.notEqual(rev.setlinfo.setl_id, fin.setlinfo.setl_id);
        assert.equal(rev.setlinfo.init_setl_id, fin.setlinfo.setl_id);
        assert.equal(rev.setlinfo.medfee_sumamt, -1200);
        assert.equal(rev.setlinfo.psn_cash_pay, fin.setlinfo.psn_cash_pay === 0 ? 0 : -fin.setlinfo.psn_cash_pay);
        assert.equal(rev.setlinfo.pdn_cash_pay, rev.setlinfo.psn_cash_pay);
        await ok('2405', { data: { mdtrt_id: m, psn_no: p.psnNo } });
        await ok('2403', { adminfo: { mdtrt_id: m, psn_no: p.psnNo, begntime: st.time('2022-04-01 08:00:00'), med_type: '2101', ipt_otp_no: `ZY${st.name.length}${n}`, adm_bed: '14' } });
        const trt = await ok('2001', { data: { psn_no: p.psnNo, insutype: '390', fixmedins_code: HA, med_type: '2101', begntime: st.time('2022-04-01 08:00:00') } });
        assert.ok(trt.trtinfo.every((x: Obj) => x.trt_enjymnt_flag === '1'));
      });
    }

    test('医保电子凭证 (mdtrt_cert_type 01): a token issued to an activated person identifies them at 1101, 2201 and 2207; expired, forged, others\' and unactivated refused', async () => {
      const st = styles[0];
      let k = 0;
      const env = (infno: string, input: Obj) => ({ infno, msgid: `${HA}E${Date.now()}${(k += 1)}`.slice(0, 30), mdtrtarea_admvs: '500230', recer_sys_code: 'HIS', infver: '1.0.0', opter_type: '1', opter: '1', opter_name: 'x', inf_time: '2022-03-15 09:00:00', fixmedins_code: HA, fixmedins_name: 'x', input });
      const post = async (infno: string, input: Obj) => (await fetch(`${base}${FSI_PATH}`, { method: 'POST', headers: { ...st.headers(infno), 'content-type': 'application/json' }, body: JSON.stringify(env(infno, input)) })).json() as Promise<Obj>;
      await post('9001', { signIn: { opter_no: '1', mac: 'm', ip: 'i' } });
      const p = await enrolledPerson(d.db);
      const other = await enrolledPerson(d.db);
      await d.db.insertInto('evoucher_activation').values([{ person_id: p.psnNo, activated_on: '2022-01-05', channel: 'wechat', recorded_by: 'test' }, { person_id: other.psnNo, activated_on: '2022-01-05', channel: 'alipay', recorded_by: 'test' }]).execute();
      const { token } = await issueEvoucherToken(d.db, SYSTEM, p.psnNo);
      const info = await post('1101', { data: { mdtrt_cert_type: '01', mdtrt_cert_no: token, psn_cert_type: '01' } });
      assert.equal(info.infcode, 0, info.err_msg);
      assert.equal(info.output.baseinfo.psn_no, p.psnNo);
      const reg = await post('2201', { data: { psn_no: p.psnNo, insutype: '390', begntime: '2022-03-15 09:00:00', mdtrt_cert_type: '01', mdtrt_cert_no: token, ipt_otp_no: 'EV001', dept_code: 'D01', dept_name: '内科', caty: 'A03' } });
      assert.equal(reg.infcode, 0, reg.err_msg);
      const m = reg.output.data.mdtrt_id;
      const fee = { feedetl_sn: '1', mdtrt_id: m, psn_no: p.psnNo, chrg_bchno: 'B1', rx_circ_flag: '0', hosp_appr_flag: '1', fee_ocur_time: '2022-03-15 09:30:00', med_list_codg: 'XA011', medins_list_codg: 'M1', det_item_fee_sumamt: 20, cnt: 1, pric: 20, bilg_dept_codg: 'D01', bilg_dept_name: '内科', bilg_dr_codg: 'D1', bilg_dr_name: '王' };
      assert.equal((await post('2204', { feedetail: [fee] })).infcode, 0);
      const setl = (t: string) => ({ data: { psn_no: p.psnNo, mdtrt_id: m, chrg_bchno: 'B1', med_type: '11', medfee_sumamt: 20, mdtrt_cert_type: '01', mdtrt_cert_no: t, insutype: '390' } });
      const { token: otherToken } = await issueEvoucherToken(d.db, SYSTEM, other.psnNo);
      assert.match((await post('2207', setl(otherToken))).err_msg, /电子凭证令牌与人员编号不符/);
      assert.match((await post('2207', setl(token.slice(0, -2) + 'xx'))).err_msg, /校验失败/);
      const { token: old } = await issueEvoucherToken(d.db, SYSTEM, p.psnNo, Date.now() - 3600_000);
      assert.match((await post('2207', setl(old))).err_msg, /已过期/);
      const s = await post('2207', setl(token));
      assert.equal(s.infcode, 0, s.err_msg);
      assert.equal(s.output.setlinfo.mdtrt_cert_type, '01');
      const never = await enrolledPerson(d.db);
      await assert.rejects(issueEvoucherToken(d.db, SYSTEM, never.psnNo), /not activated/);
      assert.ok((await d.db.selectFrom('audit_log').select('id').where('action', '=', 'issue_evoucher_token').execute()).length >= 3);
    });

    test('1901 answers the code tables; 2404 cancels an admission with nothing on it', async () => {
      const st = styles[0];
      const env = (infno: string, input: Obj) => ({ infno, msgid: `${HA}D${Date.now()}${infno}`.slice(0, 30), mdtrtarea_admvs: '500230', recer_sys_code: 'HIS', infver: '1.0.0', opter_type: '1', opter: '1', opter_name: 'x', inf_time: '2022-03-15 09:00:00', fixmedins_code: HA, fixmedins_name: 'x', input });
      const post = async (infno: string, input: Obj) => (await fetch(`${base}${FSI_PATH}`, { method: 'POST', headers: { ...st.headers(infno), 'content-type': 'application/json' }, body: JSON.stringify(env(infno, input)) })).json() as Promise<Obj>;
      const dict = await post('1901', { data: { type: 'med_type', parent_value: '', admdvs: '500230', date: '2022-03-15', vali_flag: '1' } });
      assert.equal(dict.infcode, 0, dict.err_msg);
      assert.ok(dict.output.list.some((x: Obj) => x.value === '2101' && x.label === '普通住院'));
      const p = await enrolledPerson(d.db);
      await post('9001', { signIn: { opter_no: '1', mac: 'm', ip: 'i' } });
      const adm = await post('2401', { mdtrtinfo: { psn_no: p.psnNo, insutype: '390', begntime: '2022-05-01 08:00:00', med_type: '2101', ipt_no: 'ZY-CANCEL', atddr_no: 'D1', chfpdr_name: '王', adm_diag_dscr: '肺炎', adm_dept_codg: 'D02', adm_dept_name: '呼吸科', adm_bed: '1', dscg_maindiag_code: 'J18.9', dscg_maindiag_name: '肺炎' } });
      assert.equal(adm.infcode, 0, adm.err_msg);
      const m = adm.output.result.mdtrt_id;
      const fee = { feedetl_sn: 'A-1', mdtrt_id: m, psn_no: p.psnNo, med_type: '2101', fee_ocur_time: '2022-05-01 09:00:00', med_list_codg: 'C01', medins_list_codg: 'M1', det_item_fee_sumamt: 10, cnt: 1, pric: 10, bilg_dept_codg: 'D', bilg_dept_name: 'D', bilg_dr_codg: 'D', bilg_dr_name: 'D' };
      assert.equal((await post('2301', { feedetail: [fee] })).output.result[0].med_chrgitm_type, '08');
      assert.match((await post('2404', { data: { mdtrt_id: m, psn_no: p.psnNo } })).err_msg, /未撤销的费用明细/);
      assert.equal((await post('2302', { data: [{ feedetl_sn: 'A-1', mdtrt_id: m, psn_no: p.psnNo }] })).infcode, 0);
      assert.equal((await post('2404', { data: { mdtrt_id: m, psn_no: p.psnNo } })).infcode, 0);
      assert.match((await post('2402', { dscginfo: { mdtrt_id: m, psn_no: p.psnNo, insutype: '390', endtime: '2022-05-03 08:00:00', dscg_dept_codg: 'D02', dscg_dept_name: 'x', dscg_way: '1' } })).err_msg, /已撤销/);
    });
    /** the national baseline client, for the tests below: post an envelope, or expect infcode 0 */
    const counter = (tag: string) => {
      let k = 0;
      const env = (infno: string, input: Obj) => ({ infno, msgid: `${HA}${tag}${Date.now().toString(36)}${(k += 1)}`.slice(0, 30), mdtrtarea_admvs: '500230', recer_sys_code: 'HIS', infver: '1.0.0', opter_type: '1', opter: '1', opter_name: 'x', inf_time: '2022-03-15 09:00:00', fixmedins_code: HA, fixmedins_name: 'x', input });
      const post = async (infno: string, input: Obj) => (await fetch(`${base}${FSI_PATH}`, { method: 'POST', headers: { ...styles[0].headers(infno), 'content-type': 'application/json' }, body: JSON.stringify(env(infno, input)) })).json() as Promise<Obj>;
      const ok = async (infno: string, input: Obj) => {
        const r = await post(infno, input);
        assert.equal(r.infcode, 0, `${infno}: ${r.err_msg}`);
        return r.output as Obj;
      };
      return { post, ok };
    };
    const line = (p: Person, m: string, sn: string, amount: number | string, extra: Obj = {}) => ({ feedetl_sn: sn, mdtrt_id: m, psn_no: p.psnNo, chrg_bchno: 'B1', rx_circ_flag: '0', hosp_appr_flag: '1', fee_ocur_time: '2022-03-15 09:30:00', med_list_codg: `XA01${sn}`, medins_list_codg: `M${sn}`, det_item_fee_sumamt: amount, cnt: 1, pric: amount, bilg_dept_codg: 'D01', bilg_dept_name: '内科', bilg_dr_codg: 'D1', bilg_dr_name: '王', ...extra });
    const register = (ok: (i: string, x: Obj) => Promise<Obj>, p: Person, no: string) => ok('2201', { data: { psn_no: p.psnNo, insutype: '390', begntime: '2022-03-15 09:00:00', ipt_otp_no: no, dept_code: 'D01', dept_name: '内科', caty: 'A03' } }).then((o) => o.data.mdtrt_id as string);

    test('2203A changes a visit’s diagnosis: the store and the settlement (5203) carry the new one; after settlement it is refused', async () => {
      const { post, ok } = counter('A');
      await ok('9001', { signIn: { opter_no: '1', mac: 'm', ip: 'i' } });
      const p = await enrolledPerson(d.db);
      const m = await register(ok, p, 'MZ-2203A');
      await ok('2203', { mdtrtinfo: { mdtrt_id: m, psn_no: p.psnNo, med_type: '11', begntime: '2022-03-15 09:00:00', dise_codg: 'J00', dise_name: '急性鼻咽炎' }, diseinfo: [] });
      const diag = { diag_type: '1', diag_code: 'J02.9', diag_name: '急性咽炎', diag_dept: '内科', dise_dor_no: 'D1', dise_dor_name: '王', diag_time: '2022-03-15 09:20:00', vali_flag: '1' };
      await ok('2203A', { mdtrtinfo: { mdtrt_id: m, psn_no: p.psnNo, med_type: '11', begntime: '2022-03-15 09:10:00', dise_codg: 'J02.9', dise_name: '急性咽炎' }, diseinfo: [diag] });
      const row = await d.db.selectFrom('fsi_mdtrt').select(['dise_codg', 'dise_name', 'begntime', 'info']).where('mdtrt_id', '=', m).executeTakeFirstOrThrow();
      assert.deepEqual([row.dise_codg, row.dise_name, row.begntime], ['J02.9', '急性咽炎', '2022-03-15 09:10:00']);
      assert.deepEqual(((row.info as Obj).diseinfo as Obj[]).map((x) => x.diag_code), ['J02.9']);
      await ok('2204', { feedetail: [line(p, m, '1', 30)] });
      const s = await ok('2207', { data: { psn_no: p.psnNo, mdtrt_id: m, chrg_bchno: 'B1', med_type: '11', medfee_sumamt: 30, psn_setlway: '01', acct_used_flag: '0', insutype: '390' } });
      const info = await ok('5203', { data: { psn_no: p.psnNo, setl_id: s.setlinfo.setl_id, mdtrt_id: m } });
      assert.deepEqual([info.setlinfo.dise_codg, info.setlinfo.dise_name], ['J02.9', '急性咽炎']);
      const late = await post('2203A', { mdtrtinfo: { mdtrt_id: m, psn_no: p.psnNo, med_type: '11', begntime: '2022-03-15 09:10:00', dise_codg: 'J06.9', dise_name: '上呼吸道感染' }, diseinfo: [] });
      assert.equal(late.infcode, -1);
      assert.match(late.err_msg, /已结算的就诊不能修改就诊信息/);
      assert.equal((await d.db.selectFrom('fsi_mdtrt').select('dise_codg').where('mdtrt_id', '=', m).executeTakeFirstOrThrow()).dise_codg, 'J02.9');
    });

    test('2403 changes the stay (admission time, number, bed, diagnosis): the store, 5203 and the settlement’s date carry the change', async () => {
      const { post, ok } = counter('C');
      await ok('9001', { signIn: { opter_no: '1', mac: 'm', ip: 'i' } });
      const p = await enrolledPerson(d.db);
      const adm = await ok('2401', { mdtrtinfo: { psn_no: p.psnNo, insutype: '390', begntime: '2022-06-01 08:00:00', med_type: '2101', ipt_no: 'ZY-2403', atddr_no: 'D1', chfpdr_name: '王', adm_diag_dscr: '肺炎', adm_dept_codg: 'D02', adm_dept_name: '呼吸科', adm_bed: '12', dscg_maindiag_code: 'J18.9', dscg_maindiag_name: '肺炎' }, diseinfo: [] });
      const m = adm.result.mdtrt_id;
      await ok('2403', { adminfo: { mdtrt_id: m, psn_no: p.psnNo, begntime: '2022-05-31 22:00:00', med_type: '2101', ipt_otp_no: 'ZY-2403B', adm_bed: '14', dise_codg: 'J15.9', dise_name: '细菌性肺炎' } });
      const row = await d.db.selectFrom('fsi_mdtrt').select(['begntime', 'ipt_otp_no', 'dise_codg', 'info']).where('mdtrt_id', '=', m).executeTakeFirstOrThrow();
      assert.deepEqual([row.begntime, row.ipt_otp_no, row.dise_codg, ((row.info as Obj).mdtrtinfo as Obj).adm_bed], ['2022-05-31 22:00:00', 'ZY-2403B', 'J15.9', '14']);
      // a medical type that is not an inpatient one: refused, the stay as it was
      const bad = await post('2403', { adminfo: { mdtrt_id: m, psn_no: p.psnNo, med_type: '11' } });
      assert.match(bad.err_msg, /adminfo\.med_type 11/);
      await ok('2301', { feedetail: [{ ...line(p, m, '1', 800), chrg_bchno: null, rx_circ_flag: null, hosp_appr_flag: null, med_type: '2101', fee_ocur_time: '2022-06-01 09:00:00' }] });
      await ok('2402', { dscginfo: { mdtrt_id: m, psn_no: p.psnNo, insutype: '390', endtime: '2022-06-05 10:00:00', dscg_dept_codg: 'D02', dscg_dept_name: '呼吸科', dscg_way: '1' } });
      const fin = await ok('2304', { data: { psn_no: p.psnNo, mdtrt_id: m, medfee_sumamt: 800, psn_setlway: '01', acct_used_flag: '0', insutype: '390', mid_setl_flag: '0' } });
      const info = await ok('5203', { data: { psn_no: p.psnNo, setl_id: fin.setlinfo.setl_id, mdtrt_id: m } });
      assert.deepEqual([info.setlinfo.begndate, info.setlinfo.dise_codg, info.setlinfo.dise_name], ['2022-05-31', 'J15.9', '细菌性肺炎']);
      const enc = await d.db.selectFrom('settlement as s').innerJoin('encounter as e', 'e.id', 's.encounter_id').select('e.date').where('s.visit', '=', m).where('s.reversed_at', 'is', null).executeTakeFirstOrThrow();
      assert.equal(dayText(enc.date), '2022-05-31', 'settled on the changed admission date');
      // settled at discharge: no more changes
      assert.match((await post('2403', { adminfo: { mdtrt_id: m, psn_no: p.psnNo, adm_bed: '15' } })).err_msg, /已出院结算，不能变更住院信息/);
    });

    test('2001 refuses benefit to a person without it: unpaid, not enrolled that year, outside the benefit period', async () => {
      const { ok } = counter('B');
      await ok('9001', { signIn: { opter_no: '1', mac: 'm', ip: 'i' } });
      const check = async (p: Person, begntime: string) => (await ok('2001', { data: { psn_no: p.psnNo, insutype: '390', fixmedins_code: HA, med_type: '11', begntime } })).trtinfo as Obj[];
      const paid = await enrolledPerson(d.db);
      assert.ok((await check(paid, '2022-03-15 09:00:00')).every((x) => x.trt_enjymnt_flag === '1' && x.trt_chk_rslt === ''));
      const noYear = await check(paid, '2023-03-15 09:00:00');
      assert.ok(noYear.length > 0 && noYear.every((x) => x.trt_enjymnt_flag === '0'));
      assert.match(noYear[0].trt_chk_rslt, /2023 年度未参保缴费/);
      const unpaid = await enrolledPerson(d.db);
      await d.db.updateTable('enrollment').set({ state: 'assessed' }).where('person_id', '=', unpaid.psnNo).execute();
      const u = await check(unpaid, '2022-03-15 09:00:00');
      assert.ok(u.every((x) => x.trt_enjymnt_flag === '0'));
      assert.match(u[0].trt_chk_rslt, /未参保缴费/);
      const late = await enrolledPerson(d.db);
      await d.db.updateTable('enrollment').set({ benefit_start: '2022-07-01' }).where('person_id', '=', late.psnNo).execute();
      const l = await check(late, '2022-03-15 09:00:00');
      assert.ok(l.every((x) => x.trt_enjymnt_flag === '0' && x.begndate === '2022-07-01'));
      assert.match(l[0].trt_chk_rslt, /不在待遇享受期（2022-07-01 至 2022-12-31）/);
    });

    test('a price with 6 decimals: taken as sent, the amount booked rounded to the fen; 7 decimals refused naming the field', async () => {
      const { post, ok } = counter('P');
      await ok('9001', { signIn: { opter_no: '1', mac: 'm', ip: 'i' } });
      const p = await enrolledPerson(d.db);
      const m = await register(ok, p, 'MZ-PRICE');
      // 3 × 12.345678 = 37.037034 → 37.04 yuan (3704 fen); 10.125 → 10.13 (half a fen up)
      const up = await ok('2204', { feedetail: [line(p, m, '1', 37.037034, { cnt: 3, pric: 12.345678 }), line(p, m, '2', '10.125', { cnt: 1, pric: '10.125' })] });
      assert.deepEqual(up.result.map((x: Obj) => [x.feedetl_sn, x.pric, x.det_item_fee_sumamt]), [['1', 12.345678, 37.04], ['2', 10.125, 10.13]]);
      const rows = await d.db.selectFrom('fsi_fee').select(['feedetl_sn', 'amount_fen']).where('mdtrt_id', '=', m).orderBy('feedetl_sn').execute();
      assert.deepEqual(rows.map((r) => [r.feedetl_sn, Number(r.amount_fen)]), [['1', 3704], ['2', 1013]]);
      const s = await ok('2207', { data: { psn_no: p.psnNo, mdtrt_id: m, chrg_bchno: 'B1', med_type: '11', medfee_sumamt: 47.17, psn_setlway: '01', acct_used_flag: '0', insutype: '390' } });
      assert.equal(s.setlinfo.medfee_sumamt, 47.17);
      const lines = await ok('5204', { data: { psn_no: p.psnNo, setl_id: s.setlinfo.setl_id, mdtrt_id: m } });
      assert.deepEqual(lines.output.map((x: Obj) => x.det_item_fee_sumamt), [37.04, 10.13]);
      const m2 = await register(ok, p, 'MZ-PRICE2');
      const seven = await post('2204', { feedetail: [line(p, m2, '1', 12.35, { pric: 12.3456789 })] });
      assert.equal(seven.infcode, -1);
      assert.match(seven.err_msg, /feedetail\[0\]\.pric 最多 6 位小数/);
      assert.equal((await d.db.selectFrom('fsi_fee').select('feedetl_sn').where('mdtrt_id', '=', m2).execute()).length, 0);
    });

    test('POST /api/v1/persons/:id/evoucher-token: an admin only; an unactivated person refused (400 naming personId); the token then works at 1101', async () => {
      const auth = new AuthService(d.db);
      await auth.createUser(SYSTEM, { username: 'wf-admin', displayName: '管理员', password: 'admin-password-1', role: 'admin' });
      await auth.createUser(SYSTEM, { username: 'wf-clerk', displayName: '经办', password: 'clerk-password-1', role: 'clerk', villages: [VILLAGE] });
      const admin = await logIn(base, 'wf-admin', 'admin-password-1');
      const clerk = await logIn(base, 'wf-clerk', 'clerk-password-1');
      const hosp = await auth.issueApiToken(SYSTEM, (await d.db.selectFrom('app_user').select('id').where('username', '=', 'wf-hosp').executeTakeFirstOrThrow()).id, 'his');
      const p = await enrolledPerson(d.db);
      const path = `/api/v1/persons/${p.psnNo}/evoucher-token`;
      const unactivated = await request(base, 'POST', path, admin);
      assert.equal(unactivated.status, 400, unactivated.text);
      assert.match(unactivated.text, /personId/);
      assert.equal((await request(base, 'POST', '/api/v1/persons/999999999/evoucher-token', admin)).status, 404);
      await d.db.insertInto('evoucher_activation').values({ person_id: p.psnNo, activated_on: '2022-01-05', channel: 'wechat', recorded_by: 'test' }).execute();
      for (const [who, token] of [['clerk', clerk], ['hospital', hosp], ['nobody', undefined]] as const) {
        const r = await request(base, 'POST', path, token);
        assert.ok(r.status === 403 || r.status === 401, `${who}: ${r.status}`);
        assert.equal(r.json?.token, undefined);
      }
      const r = await request(base, 'POST', path, admin);
      assert.equal(r.status, 201, r.text);
      assert.ok(Date.parse(r.json.expiresAt) > Date.now());
      const { ok } = counter('V');
      await ok('9001', { signIn: { opter_no: '1', mac: 'm', ip: 'i' } });
      const info = await ok('1101', { data: { mdtrt_cert_type: '01', mdtrt_cert_no: r.json.token, psn_cert_type: '01' } });
      assert.deepEqual([info.baseinfo.psn_no, info.baseinfo.certno], [p.psnNo, p.idNumber]);
      const audits = await d.db.selectFrom('audit_log').select(['actor', 'entity_id']).where('action', '=', 'issue_evoucher_token').where('entity_id', '=', p.psnNo).execute();
      assert.deepEqual(audits.map((a) => a.actor), ['wf-admin'], 'issued once, audited with the admin');
    });
  });
