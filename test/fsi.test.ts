/**
 * The national platform's interface (POST /fsi/api/rsfComIfsService/callService) over real
 * HTTP on both databases: the envelope and its refusals (always infcode -1, never an HTTP
 * error), msgid idempotency, sign-in, 1101 with the spec's own example, a full outpatient day
 * and a full inpatient stay compared field by field with the settlement quote, reversal,
 * correction (2601), and SM3 signing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../src/http/server.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { AuthService } from '../src/access/auth.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { sm3Sign } from '../src/hospitals/fsi/sign.ts';
import { makeIdNumber } from '../src/registers/id-number.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { listen } from './support/http.ts';

const quotes = QuoteService.load();
const PATH = '/fsi/api/rsfComIfsService/callService';
const VILLAGE = '500230100001';
const HA = 'H43028100255'; // the spec example's fixmedins_code
const HB = 'H50023000002';
const PERIOD = { start: '2022-01-01', end: '2022-12-31' };

const idNumberOf = (seq: number): string => makeIdNumber('500230', '1980-05-01', seq);

for (const backend of BACKENDS)
  describe(`fsi interface on ${backend}`, () => {
    let d: TestDatabase;
    let app: FastifyInstance;
    let base: string;
    const tok: Record<string, string> = {};
    let seq = 0;
    let msg = 0;
    const signNo: Record<string, string> = {};

    async function person(opts: { statuses?: string[]; state?: 'paid' | 'assessed' | null; period?: { start: string; end: string }; idNumber?: string; name?: string } = {}) {
      seq += 1;
      const idNumber = opts.idNumber ?? idNumberOf(seq);
      const p = await d.db
        .insertInto('person')
        .values({ id_number: idNumber, name: opts.name ?? `测试${seq}号`, gender: 'female', birth_date: '1980-05-01', village_code: VILLAGE, kind: 'adult' })
        .returning('id')
        .executeTakeFirstOrThrow();
      const state = opts.state === undefined ? 'paid' : opts.state;
      const period = opts.period ?? PERIOD;
      if (state)
        await d.db
          .insertInto('enrollment')
          .values({ person_id: p.id, coverage_year: 2022, region: '500230', pack: '500230/2022', tier: 'tier1', state, standard_fen: 32000, quote: JSON.stringify({}), benefit_start: state === 'paid' ? period.start : null, benefit_end: state === 'paid' ? period.end : null })
          .execute();
      for (const s of opts.statuses ?? []) await d.db.insertInto('needy_status').values({ person_id: p.id, status: s, source: 'civil_affairs', valid_from: '2021-01-01', valid_to: null }).execute();
      return { psnNo: String(p.id), idNumber, statuses: opts.statuses ?? [], name: opts.name ?? `测试${seq}号` };
    }
    type Person = Awaited<ReturnType<typeof person>>;

    const envelope = (infno: string, input: unknown, hospital = HA, extra: Record<string, unknown> = {}) => {
      msg += 1;
      return {
        infno,
        msgid: `${hospital}${'20220315090000'}${String(msg).padStart(4, '0')}`,
        mdtrtarea_admvs: '500230',
        insuplc_admdvs: '500230',
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
        fixmedins_code: hospital,
        fixmedins_name: hospital === HA ? '醴陵远恒医院(有限合伙)' : '兴义镇卫生院',
        sign_no: signNo[hospital] ?? '',
        input,
        ...extra,
      };
    };
    const post = async (body: unknown, token: string | undefined = tok.hospA, raw?: string) => {
      const res = await fetch(`${base}${PATH}`, {
        method: 'POST',
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
        body: raw ?? JSON.stringify(body),
      });
      assert.equal(res.status, 200);
      return (await res.json()) as any;
    };
    const ok = async (body: unknown, token?: string) => {
      const r = await post(body, token);
      assert.equal(r.infcode, 0, `${(body as any).infno}: ${r.err_msg}`);
      assert.equal(r.err_msg, '');
      assert.match(r.inf_refmsgid, /^500230\d{14}/);
      assert.match(r.refmsg_time, /^\d{17}$/);
      assert.match(r.respond_time, /^\d{17}$/);
      return r.output;
    };
    const refused = async (body: unknown, pattern: RegExp, token?: string) => {
      const r = await post(body, token);
      assert.equal(r.infcode, -1, `expected a refusal of ${(body as any).infno}`);
      assert.match(r.err_msg, pattern);
      assert.doesNotMatch(r.err_msg, /at |Error:/);
      return r;
    };
    const signIn = async (hospital = HA, token = tok.hospA) => {
      const o = await ok(envelope('9001', { signIn: { opter_no: '0053', mac: '00-1A-2B-3C-4D-5E', ip: '10.0.0.8' } }, hospital), token);
      signNo[hospital] = o.signinoutb.sign_no;
      return o;
    };

    const fee = (p: Person, mdtrtId: string, sn: number, amount: number, lv = '01', extra: Record<string, unknown> = {}, outpatient = true) => ({
      feedetl_sn: String(sn),
      mdtrt_id: mdtrtId,
      psn_no: p.psnNo,
      ...(outpatient ? { chrg_bchno: 'B1', rx_circ_flag: '0', hosp_appr_flag: '1' } : { med_type: '2101' }),
      fee_ocur_time: '2022-03-15 09:30:00',
      med_list_codg: `XA01${sn}`,
      medins_list_codg: `M${sn}`,
      det_item_fee_sumamt: amount,
      cnt: 1,
      pric: amount,
      bilg_dept_codg: 'D01',
      bilg_dept_name: '内科',
      bilg_dr_codg: 'D0001',
      bilg_dr_name: '王医生',
      chrgitm_lv: lv,
      ...extra,
    });
    const setlIn = (p: Person, mdtrtId: string, sum: number, extra: Record<string, unknown> = {}) => ({
      data: { psn_no: p.psnNo, mdtrt_cert_type: '02', mdtrt_cert_no: p.idNumber, psn_cert_type: '01', certno: p.idNumber, psn_type: '1701', psn_name: p.name, med_type: '11', medfee_sumamt: sum, psn_setlway: '01', mdtrt_id: mdtrtId, chrg_bchno: 'B1', acct_used_flag: '0', insutype: '390', ...extra },
    });
    const registerOutpatient = async (p: Person, no: string, hospital = HA, token = tok.hospA) =>
      (
        await ok(
          envelope('2201', { data: { psn_no: p.psnNo, insutype: '390', begntime: '2022-03-15 09:00:00', mdtrt_cert_type: '02', mdtrt_cert_no: p.idNumber, psn_cert_type: '01', certno: p.idNumber, psn_type: '1701', psn_name: p.name, ipt_otp_no: no, dept_code: 'D01', dept_name: '内科', caty: 'A03' } }, hospital),
          token,
        )
      ).data.mdtrt_id as string;
    const info2203 = (p: Person, mdtrtId: string, medType = '11') => ({
      mdtrtinfo: { mdtrt_id: mdtrtId, psn_no: p.psnNo, med_type: medType, begntime: '2022-03-15 09:00:00', dise_codg: 'J00', dise_name: '急性鼻咽炎' },
      diseinfo: [{ diag_type: '1', diag_srt_no: 1, diag_code: 'J00', diag_name: '急性鼻咽炎', diag_dept: '内科', dise_dor_no: 'D0001', dise_dor_name: '王医生', diag_time: '2022-03-15 09:10:00', vali_flag: '1' }],
    });

    before(async () => {
      d = await freshDatabase(backend);
      await d.db
        .insertInto('admin_area')
        .values([
          { code: '500230', name: '丰都县', level: 'county', parent_code: null, region: '500230' },
          { code: '500230100', name: '兴义镇', level: 'township', parent_code: '500230', region: '500230' },
          { code: VILLAGE, name: '兴义村', level: 'village', parent_code: '500230100', region: '500230' },
        ])
        .execute();
      await d.db.insertInto('hospital').values([
        { code: HA, name: '醴陵远恒医院', level: 'secondary', region: '500230' },
        { code: HB, name: '兴义镇卫生院', level: 'primary', region: '500230' },
      ]).execute();
      const auth = new AuthService(d.db);
      const users = [
        { username: 'hospa', role: 'hospital' as const, hospitalCode: HA },
        { username: 'hospb', role: 'hospital' as const, hospitalCode: HB },
        { username: 'admin', role: 'admin' as const },
      ];
      for (const u of users) {
        const id = await auth.createUser(SYSTEM, { ...u, displayName: u.username, password: `${u.username}-test-password` }); // an admin needs a password
        tok[u.username === 'hospa' ? 'hospA' : u.username === 'hospb' ? 'hospB' : u.username] = await auth.issueApiToken(SYSTEM, id, 'his');
      }
      app = await buildServer(quotes, { database: d });
      base = await listen(app);
    });
    after(async () => {
      await app?.close();
      await d?.drop();
    });

    test('envelope refusals are infcode -1 with a Chinese message, never an HTTP error', async () => {
      const r = await post(null, tok.hospA, '{"infno": "9001", ');
      assert.equal(r.infcode, -1);
      assert.match(r.err_msg, /JSON/);
      await refused(envelope('9001', { signIn: { opter_no: '1', mac: 'm', ip: 'i' } }), /令牌/, 'not-a-token');
      await refused(envelope('9001', { signIn: { opter_no: '1', mac: 'm', ip: 'i' } }), /令牌/, '');
      await refused(envelope('9001', { signIn: { opter_no: '1', mac: 'm', ip: 'i' } }), /定点医疗机构/, tok.admin);
      await refused(envelope('9001', { signIn: { opter_no: '1', mac: 'm', ip: 'i' } }, HB), /与接口账号所属机构不符/, tok.hospA);
      const { msgid: _m, ...noMsgid } = envelope('9001', {});
      await refused(noMsgid, /msgid 不能为空/);
      await refused(envelope('9001', {}, HA, { inf_time: '2022/03/15' }), /inf_time 格式/);
      await refused(envelope('9001', {}, HA, { opter_type: '7' }), /opter_type/);
      await refused(envelope('9001', null), /input/);
      await refused(envelope('9001', '{bad json'), /input 不是合法/);
      await refused(envelope('1234', {}), /不支持的交易编号 1234/);
      await refused(envelope('9001', { signIn: { opter_no: '1', mac: 'm' } }), /signIn\.ip 不能为空/);
      const arr = await post([1, 2]);
      assert.equal(arr.infcode, -1);
    });

    test('9001 / 9002: nothing but sign-in before sign-in; a retried msgid returns the first answer and signs in once', async () => {
      const p = await person();
      await refused(envelope('1101', { data: { mdtrt_cert_type: '02', mdtrt_cert_no: p.idNumber, psn_cert_type: '01', certno: p.idNumber, psn_name: p.name } }, HB), /未签到/, tok.hospB);
      const e = envelope('9001', { signIn: { opter_no: '0053', mac: 'mac', ip: '10.0.0.9' } }, HB);
      const first = await post(e, tok.hospB);
      assert.equal(first.infcode, 0);
      const again = await post(e, tok.hospB);
      assert.deepEqual(again, first);
      const rows = await d.db.selectFrom('fsi_sign_in').selectAll().where('hospital_code', '=', HB).execute();
      assert.equal(rows.length, 1);
      assert.match(first.output.signinoutb.sign_time, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      const sn = first.output.signinoutb.sign_no as string;
      // the same msgid for another transaction is refused
      await refused({ ...e, infno: '9002', input: { signOut: { sign_no: sn, opter_no: '0053' } } }, /已被交易 9001 使用/, tok.hospB);
      signNo[HB] = sn;
      await ok(envelope('1101', { data: { mdtrt_cert_type: '02', mdtrt_cert_no: p.idNumber, psn_cert_type: '01', certno: '', psn_name: '' } }, HB), tok.hospB);
      await refused(envelope('9002', { signOut: { sign_no: 'nope', opter_no: '0053' } }, HB), /不存在或已签退/, tok.hospB);
      await ok(envelope('9002', { signOut: { sign_no: sn, opter_no: '0053' } }, HB), tok.hospB);
      await refused(envelope('1101', { data: { mdtrt_cert_type: '02', mdtrt_cert_no: p.idNumber, psn_cert_type: '01' } }, HB), /无效或已签退/, tok.hospB);
      delete signNo[HB];
      await refused(envelope('1101', { data: { mdtrt_cert_type: '02', mdtrt_cert_no: p.idNumber, psn_cert_type: '01' } }, HB), /未签到/, tok.hospB);
      // another hospital's sign_no does not count
      await signIn();
      await refused(envelope('1101', { data: { mdtrt_cert_type: '02', mdtrt_cert_no: p.idNumber, psn_cert_type: '01' } }, HB, { sign_no: signNo[HA] }), /无效或已签退/, tok.hospB);
    });

    test('1101: the spec’s example message; baseinfo, insuinfo (390, benefit status), idetinfo', async () => {
      await signIn();
      await person({ idNumber: '430281194909196023', name: '李秀英', statuses: ['dibao', 'severe_disability'] });
      const example = {
        infno: '1101', msgid: 'H4302810025520210927092003361', mdtrtarea_admvs: '430299', insuplc_admdvs: '430299', recer_sys_code: '99', dev_no: 'null', dev_safe_info: 'null', cainfo: 'null', signtype: 'SM2', infver: '1.0.0', opter_type: '1', opter: '0053', opter_name: '文双', inf_time: '2021-09-27 09:20:03', fixmedins_code: 'H43028100255', fixmedins_name: '醴陵远恒医院(有限合伙)', sign_no: 'null',
        input: { data: { mdtrt_cert_type: '02', mdtrt_cert_no: '430281194909196023', card_sn: 'NULL', begntime: '', psn_cert_type: '01', certno: '', psn_name: '' } },
      };
      const r = await post(example);
      assert.equal(r.infcode, 0, r.err_msg);
      assert.match(r.inf_refmsgid, /^430299/);
      const o = r.output;
      assert.equal(o.baseinfo.certno, '430281194909196023');
      assert.equal(o.baseinfo.psn_name, '李秀英');
      assert.equal(o.baseinfo.psn_cert_type, '01');
      assert.equal(o.baseinfo.gend, '2');
      assert.equal(o.insuinfo.length, 1);
      assert.equal(o.insuinfo[0].insutype, '390');
      assert.equal(o.insuinfo[0].insuplc_admdvs, '500230');
      assert.equal(o.insuinfo[0].psn_insu_date, '2022-01-01');
      assert.equal(JSON.parse(o.insuinfo[0].exp_content).coverage_year, 2022);
      assert.deepEqual(o.idetinfo.map((x: any) => x.psn_idet_type).sort(), ['2303', '230801']);
      assert.equal(o.idetinfo[0].begntime, '2021-01-01 00:00:00');
      // the retry of the example gives the same reply
      assert.deepEqual(await post(example), r);
      await refused(envelope('1101', { data: { mdtrt_cert_type: '02', mdtrt_cert_no: '110105194912310029', psn_cert_type: '01' } }), /未查询到/);
      await refused(envelope('1101', { data: { mdtrt_cert_type: '02', mdtrt_cert_no: '430281194909196023', psn_cert_type: '01', psn_name: '张三' } }), /姓名/);
      await refused(envelope('1101', { data: { mdtrt_cert_type: '09', mdtrt_cert_no: 'x', psn_cert_type: '01' } }), /mdtrt_cert_type/);
      await refused(envelope('1101', {}), /data/);
    });

    test('1101 look-ups are limited per hospital and audited: refused past the limit without spending the msgid; another hospital unaffected', async () => {
      const limited = await buildServer(quotes, { database: d, lookupLimit: { capacity: 3, perSecond: 1 / 3600 } });
      const mainBase = base;
      base = await listen(limited);
      try {
        await signIn(HB, tok.hospB);
        await signIn();
        const p = await person();
        const look = (hospital: string, msgid?: string) => envelope('1101', { data: { mdtrt_cert_type: '02', mdtrt_cert_no: p.idNumber, psn_cert_type: '01' } }, hospital, msgid ? { msgid } : {});
        const answered = [look(HB), look(HB), look(HB)];
        for (const e of answered) await ok(e, tok.hospB);
        const over = look(HB);
        const r = await refused(over, /过于频繁.*同一报文ID重试/, tok.hospB);
        assert.ok(r.err_msg.includes('秒后'));
        // an answered msgid sent again is its stored answer, not a new look-up
        assert.equal((await post(answered[0], tok.hospB)).infcode, 0);
        // the refused msgid was not spent: no stored reply under it
        assert.equal(await d.db.selectFrom('fsi_message').select('msgid').where('hospital_code', '=', HB).where('msgid', '=', (over as any).msgid).executeTakeFirst(), undefined);
        // another hospital has its own allowance
        await ok(look(HA));
        const trail = await d.db.selectFrom('audit_log').select(['action', 'actor']).where('action', 'in', ['fsi_1101', 'fsi_1101_limited']).where('actor', '=', 'hospb').execute();
        assert.ok(trail.filter((t) => t.action === 'fsi_1101').length >= 3, 'every answered look-up is audited');
        assert.equal(trail.filter((t) => t.action === 'fsi_1101_limited').length, 1, 'the refused look-up is audited');
      } finally {
        await limited.close();
        base = mainBase;
      }
    });

    test('a full outpatient day equals the settlement quote field by field; retry, double settlement, other hospital, reversal', async () => {
      await signIn();
      const p = await person({ statuses: ['dibao'] });
      const mdtrtId = await registerOutpatient(p, 'MZ0001');
      await ok(envelope('2203', info2203(p, mdtrtId)));
      const lines = [fee(p, mdtrtId, 1, 120.5, '01'), fee(p, mdtrtId, 2, 80, '02', { selfpay_prop: 0.1 }), fee(p, mdtrtId, 3, 30.25, '03')];
      const up = await ok(envelope('2204', { feedetail: lines }));
      assert.equal(up.result.length, 3);
      assert.deepEqual(up.result.map((x: any) => [x.feedetl_sn, x.chrgitm_lv, x.inscp_scp_amt, x.preselfpay_amt, x.fulamt_ownpay_amt]), [['1', '01', 120.5, 0, 0], ['2', '02', 72, 8, 0], ['3', '03', 0, 0, 30.25]]);
      const total = 230.75;
      const quote = quotes.settlement({
        region: '500230', coverageYear: 2022, tier: 'tier1', person: { statuses: ['dibao'], benefitPeriod: PERIOD },
        encounter: { type: 'general_outpatient', date: '2022-03-15', hospitalLevel: 'secondary', fees: [{ sn: '1', catalogClass: '甲', amount: 120.5 }, { sn: '2', catalogClass: '乙', amount: 80, selfPayRatio: '0.1' }, { sn: '3', catalogClass: '丙', amount: 30.25 }] },
      });
      const pre = await ok(envelope('2206', setlIn(p, mdtrtId, total)));
      for (const [k, v] of Object.entries(quote.setlinfo)) assert.equal(pre.setlinfo[k], v, `2206 setlinfo.${k}`);
      assert.equal(await d.db.selectFrom('settlement').select('id').execute().then((r) => r.length), 0, '2206 stores nothing');
      await refused(envelope('2207', setlIn(p, mdtrtId, 230.74)), /医疗费总额 230\.74 与已上传费用明细合计 230\.75 不符/);
      // another hospital sees nothing of it
      await signIn(HB, tok.hospB);
      await refused(envelope('2207', setlIn(p, mdtrtId, total), HB), /不存在或不属于本机构/, tok.hospB);
      await refused(envelope('2205', { data: { mdtrt_id: mdtrtId, chrg_bchno: '0000', psn_no: p.psnNo } }, HB), /不属于本机构/, tok.hospB);
      const e = envelope('2207', setlIn(p, mdtrtId, total));
      const first = await post(e);
      assert.equal(first.infcode, 0, first.err_msg);
      const s = first.output.setlinfo;
      for (const [k, v] of Object.entries(quote.setlinfo)) assert.equal(s[k], v, `2207 setlinfo.${k}`);
      assert.deepEqual(first.output.setldetail.map((x: any) => [x.fund_pay_type, x.fund_payamt]), quote.setldetail.map((x) => [x.fund_pay_type, x.fund_payamt]));
      assert.equal(s.insutype, '390');
      assert.equal(s.medins_setl_id, e.msgid);
      assert.equal(s.clr_type, '11');
      // amounts add up exactly (in fen)
      const fen = (v: number) => Math.round(v * 100);
      assert.equal(fen(s.medfee_sumamt), fen(s.fulamt_ownpay_amt) + fen(s.overlmt_selfpay) + fen(s.preselfpay_amt) + fen(s.inscp_scp_amt));
      assert.equal(fen(s.medfee_sumamt), fen(s.fund_pay_sumamt) + fen(s.psn_part_amt));
      assert.equal(fen(s.fund_pay_sumamt), fen(s.hifp_pay) + fen(s.hifmi_pay) + fen(s.maf_pay));
      assert.equal(fen(s.fund_pay_sumamt), first.output.setldetail.reduce((a: number, x: any) => a + fen(x.fund_payamt), 0));
      // the retry: the same answer, nothing twice
      assert.deepEqual(await post(e), first);
      assert.equal((await d.db.selectFrom('settlement').select('id').execute()).length, 1);
      // another message for the same visit and batch: the settlement already made, not a second one
      const dup = await ok(envelope('2207', setlIn(p, mdtrtId, total)));
      assert.equal(dup.setlinfo.setl_id, s.setl_id);
      assert.deepEqual(dup.setldetail, first.output.setldetail);
      assert.equal((await d.db.selectFrom('settlement').select('id').execute()).length, 1);
      // … and with another total: refused
      await refused(envelope('2207', setlIn(p, mdtrtId, 230.7)), /已结算/);
      await refused(envelope('2204', { feedetail: [fee(p, mdtrtId, 9, 5)] }), /已结算/);
      await refused(envelope('2205', { data: { mdtrt_id: mdtrtId, chrg_bchno: 'B1', psn_no: p.psnNo } }), /已参与结算/);
      await refused(envelope('2202', { data: { psn_no: p.psnNo, mdtrt_id: mdtrtId, ipt_otp_no: 'MZ0001' } }), /已结算/);
      await refused(envelope('2208', { data: { setl_id: s.setl_id, mdtrt_id: mdtrtId, psn_no: p.psnNo } }, HB), /不属于本机构/, tok.hospB);
      // reversal
      const rev = await ok(envelope('2208', { data: { setl_id: s.setl_id, mdtrt_id: mdtrtId, psn_no: p.psnNo } }));
      assert.equal(rev.setlinfo.hifp_pay, -s.hifp_pay);
      assert.equal(rev.setlinfo.pdn_cash_pay, -s.psn_cash_pay);
      await refused(envelope('2208', { data: { setl_id: s.setl_id, mdtrt_id: mdtrtId, psn_no: p.psnNo } }), /已撤销/);
      const acc = await d.db.selectFrom('accumulator').select('data').where('person_id', '=', p.psnNo).executeTakeFirstOrThrow();
      assert.equal((acc.data as any).generalOutpatientPaid ?? 0, 0);
      // fees free again: cancel one batch, settle again
      await ok(envelope('2205', { data: { mdtrt_id: mdtrtId, chrg_bchno: 'B1', psn_no: p.psnNo } }));
      await refused(envelope('2207', setlIn(p, mdtrtId, total)), /没有可结算的费用明细/);
      await ok(envelope('2204', { feedetail: [fee(p, mdtrtId, 11, 50)] }));
      const again = await ok(envelope('2207', setlIn(p, mdtrtId, 50)));
      assert.equal(again.setlinfo.medfee_sumamt, 50);
      await refused(envelope('2204', { feedetail: [fee(p, mdtrtId, 11, 50)] }), /已结算|已上传/);
      // a second visit the same day, with this year's accumulators: pre-settlement = settlement
      const m2 = await registerOutpatient(p, 'MZ0002');
      await ok(envelope('2204', { feedetail: [fee(p, m2, 1, 300, '01'), fee(p, m2, 2, 20, '02', { selfpay_prop: 0.15 })] }));
      await refused(envelope('2207', setlIn(p, m2, 320, { inscp_scp_amt: 320, fulamt_ownpay_amt: 0, overlmt_selfpay: 0, preselfpay_amt: 1 })), /preselfpay_amt 1 与费用明细分割结果 3 不符/);
      // 0 is what a client that does not compute the split sends: not an assertion (issue #16)
      const pre2 = await ok(envelope('2206', setlIn(p, m2, 320)));
      const s2 = await ok(envelope('2207', setlIn(p, m2, 320, { inscp_scp_amt: 317, fulamt_ownpay_amt: 0, overlmt_selfpay: 0, preselfpay_amt: 3 })));
      for (const k of Object.keys(quote.setlinfo)) assert.equal(s2.setlinfo[k], pre2.setlinfo[k], `second visit setlinfo.${k}`);
      assert.deepEqual(s2.setldetail, pre2.setldetail);
      // after sign-out a retried msgid still gets its first answer; a new message is refused
      await ok(envelope('9002', { signOut: { sign_no: signNo[HA], opter_no: '0053' } }));
      await refused(envelope('2206', setlIn(p, m2, 320)), /已签退/);
      const retry = await post(e);
      assert.deepEqual(retry, first);
    });

    test('outpatient refusals: benefit period, not enrolled, registration checks', async () => {
      await signIn();
      const late = await person({ period: { start: '2022-06-01', end: '2022-12-31' } });
      const m1 = await registerOutpatient(late, 'MZ0101');
      await ok(envelope('2204', { feedetail: [fee(late, m1, 1, 10)] }));
      await refused(envelope('2207', setlIn(late, m1, 10)), /不在待遇享受期（2022-06-01 至 2022-12-31）内/);
      await refused(envelope('2206', setlIn(late, m1, 10)), /不在待遇享受期/);
      const unpaid = await person({ state: 'assessed' });
      const m2 = await registerOutpatient(unpaid, 'MZ0102');
      await ok(envelope('2204', { feedetail: [fee(unpaid, m2, 1, 10)] }));
      await refused(envelope('2207', setlIn(unpaid, m2, 10)), /未参保缴费/);
      const p = await person();
      await refused(envelope('2201', { data: { psn_no: p.psnNo, insutype: '310', begntime: '2022-03-15 09:00:00' } }), /insutype 应为 390/);
      await refused(envelope('2201', { data: { psn_no: '999999', insutype: '390', begntime: '2022-03-15 09:00:00' } }), /人员编号 999999 不存在/);
      const m3 = await registerOutpatient(p, 'MZ0103');
      await refused(envelope('2201', { data: { psn_no: p.psnNo, insutype: '390', begntime: '2022-03-15 09:00:00', mdtrt_cert_type: '02', mdtrt_cert_no: p.idNumber, psn_cert_type: '01', certno: p.idNumber, psn_type: '1701', psn_name: p.name, ipt_otp_no: 'MZ0103', dept_code: 'D01', dept_name: '内科', caty: 'A03' } }), /已有就诊记录/);
      await refused(envelope('2203', info2203(p, m3, '2101')), /不是本地支持的门诊医疗类别/);
      await refused(envelope('2204', { feedetail: [{ ...fee(p, m3, 1, 10), feedetl_sn: 'X'.repeat(31) }] }), /feedetl_sn 长度/);
      await refused(envelope('2204', { feedetail: [fee(p, m3, 1, 10, '09')] }), /chrgitm_lv/);
      await refused(envelope('2204', { feedetail: [{ ...fee(p, m3, 1, 10), det_item_fee_sumamt: '10.0000001' }] }), /金额/);
      await refused(envelope('2204', { feedetail: [{ ...fee(p, m3, 1, 10), cnt: 2 }] }), /数量×单价/);
      await refused(envelope('2204', { feedetail: [fee(p, m3, 1, 10), fee(p, m3, 1, 10)] }), /重复/);
      await refused(envelope('2205', { data: { mdtrt_id: m3, chrg_bchno: '0000', psn_no: p.psnNo } }), /没有可撤销/);
      await refused(envelope('2202', { data: { psn_no: p.psnNo, mdtrt_id: m3, ipt_otp_no: 'WRONG' } }), /不符/);
      await ok(envelope('2202', { data: { psn_no: p.psnNo, mdtrt_id: m3, ipt_otp_no: 'MZ0103' } }));
      await refused(envelope('2204', { feedetail: [fee(p, m3, 1, 10)] }), /已撤销/);
      await refused(envelope('2207', setlIn(p, 'NOPE', 10)), /不存在/);
    });

    test('a full inpatient stay equals the settlement quote; discharge first; reversal; 2601 correction', async () => {
      await signIn();
      const p = await person({ statuses: ['destitute'] });
      const admit = (no: string) =>
        envelope('2401', {
          mdtrtinfo: { psn_no: p.psnNo, insutype: '390', begntime: '2022-04-01 08:00:00', mdtrt_cert_type: '02', mdtrt_cert_no: p.idNumber, cert_type: '01', certno: p.idNumber, med_type: '2101', ipt_no: no, atddr_no: 'D0001', chfpdr_name: '王医生', adm_diag_dscr: '肺炎', adm_dept_codg: 'D02', adm_dept_name: '呼吸科', adm_bed: '12', dscg_maindiag_code: 'J18.9', dscg_maindiag_name: '肺炎' },
          diseinfo: [],
        });
      const mdtrtId = (await ok(admit('ZY0001'))).result.mdtrt_id as string;
      await refused(admit('ZY0002'), /已在院/);
      const lines = [fee(p, mdtrtId, 1, 4200, '01', {}, false), fee(p, mdtrtId, 2, 1800, '02', { selfpay_prop: 0.2 }, false), fee(p, mdtrtId, 3, 350.6, '03', {}, false)];
      await ok(envelope('2301', { feedetail: lines }));
      await ok(envelope('2301', { feedetail: [fee(p, mdtrtId, 4, 99, '01', {}, false)] }));
      await ok(envelope('2302', { data: [{ feedetl_sn: '4', mdtrt_id: mdtrtId, psn_no: p.psnNo }] }));
      const total = 6350.6;
      const setl = { data: { psn_no: p.psnNo, mdtrt_cert_type: '02', mdtrt_cert_no: p.idNumber, psn_cert_type: '01', certno: p.idNumber, psn_type: '1701', psn_name: p.name, medfee_sumamt: total, psn_setlway: '01', mdtrt_id: mdtrtId, acct_used_flag: '0', insutype: '390', mid_setl_flag: '0', insuplc_admdvs: '500230', mdtrtarea_admvs: '500230' } };
      await ok(envelope('2303', setl)); // 试算 before discharge (issue #16)
      await refused(envelope('2304', setl), /尚未办理出院/);
      await refused(envelope('2402', { dscginfo: { mdtrt_id: mdtrtId, psn_no: p.psnNo, insutype: '390', endtime: '2022-03-01 08:00:00', dscg_dept_codg: 'D02', dscg_dept_name: '呼吸科', dscg_way: '1' } }), /早于入院/);
      await ok(envelope('2402', { dscginfo: { mdtrt_id: mdtrtId, psn_no: p.psnNo, insutype: '390', endtime: '2022-04-10 10:00:00', dscg_dept_codg: 'D02', dscg_dept_name: '呼吸科', dscg_way: '1' } }));
      await refused(envelope('2207', setlIn(p, mdtrtId, total)), /住院就诊，请使用住院交易/);
      const quote = quotes.settlement({
        region: '500230', coverageYear: 2022, tier: 'tier1', person: { statuses: ['destitute'], benefitPeriod: PERIOD },
        encounter: { type: 'inpatient', date: '2022-04-01', hospitalLevel: 'secondary', fees: [{ sn: '1', catalogClass: '甲', amount: 4200 }, { sn: '2', catalogClass: '乙', amount: 1800, selfPayRatio: '0.2' }, { sn: '3', catalogClass: '丙', amount: 350.6 }] },
      });
      const pre = await ok(envelope('2303', setl));
      for (const [k, v] of Object.entries(quote.setlinfo)) assert.equal(pre.setlinfo[k], v, `2303 setlinfo.${k}`);
      const e = envelope('2304', setl);
      const out = await ok(e);
      for (const [k, v] of Object.entries(quote.setlinfo)) assert.equal(out.setlinfo[k], v, `2304 setlinfo.${k}`);
      assert.deepEqual(out.setldetail.map((x: any) => [x.fund_pay_type, x.fund_payamt]), quote.setldetail.map((x) => [x.fund_pay_type, x.fund_payamt]));
      assert.ok(out.setlinfo.maf_pay > 0, 'a destitute person gets medical assistance');
      assert.equal(out.setlinfo.clr_type, '21');
      assert.equal((await ok(envelope('2304', setl))).setlinfo.setl_id, out.setlinfo.setl_id, 'another message for the stay: the same settlement');
      await refused(envelope('2304', { data: { ...setl.data, medfee_sumamt: 6350.5 } }), /已结算/);
      await refused(envelope('2302', { data: [{ feedetl_sn: '0000', mdtrt_id: mdtrtId, psn_no: p.psnNo }] }), /已参与结算/);
      await refused(envelope('2208', { data: { setl_id: out.setlinfo.setl_id, mdtrt_id: mdtrtId, psn_no: p.psnNo } }), /住院结算/);
      // 2601: correct the 2304 by its msgid — the settlement is reversed
      await refused(envelope('2601', { data: { psn_no: p.psnNo, omsgid: 'H00000000000000', oinfno: '2304' } }), /未被受理/);
      await refused(envelope('2601', { data: { psn_no: p.psnNo, omsgid: e.msgid, oinfno: '2207' } }), /交易编号是 2304/);
      await refused(envelope('2601', { data: { psn_no: p.psnNo, omsgid: e.msgid, oinfno: '2201' } }), /只能冲正/);
      await ok(envelope('2601', { data: { psn_no: p.psnNo, omsgid: e.msgid, oinfno: '2304' } }));
      await refused(envelope('2305', { data: { setl_id: out.setlinfo.setl_id, mdtrt_id: mdtrtId, psn_no: p.psnNo } }), /已撤销/);
      const live = await d.db.selectFrom('settlement').select('id').where('person_id', '=', p.psnNo).where('reversed_at', 'is', null).execute();
      assert.equal(live.length, 0);
      // settle again and reverse with 2305
      const out2 = await ok(envelope('2304', setl));
      const rev = await ok(envelope('2305', { data: { setl_id: out2.setlinfo.setl_id, mdtrt_id: mdtrtId, psn_no: p.psnNo } }));
      assert.equal(rev.setlinfo.fund_pay_sumamt, -out2.setlinfo.fund_pay_sumamt);
      // the ledger balances
      const sum = await d.db.selectFrom('posting').select((eb) => eb.fn.sum<string>('amount_fen').as('s')).executeTakeFirstOrThrow();
      assert.equal(Number(sum.s ?? 0), 0);
    });

    test('2601 corrects an admission; two settlements of one visit at once: one settlement, both answered with it', async () => {
      await signIn();
      const p = await person();
      const adm = envelope('2401', {
        mdtrtinfo: { psn_no: p.psnNo, insutype: '390', begntime: '2022-05-01 08:00:00', mdtrt_cert_type: '02', mdtrt_cert_no: p.idNumber, cert_type: '01', certno: p.idNumber, med_type: '2101', ipt_no: 'ZY0100', atddr_no: 'D1', chfpdr_name: '王', adm_diag_dscr: '肺炎', adm_dept_codg: 'D02', adm_dept_name: '呼吸科', adm_bed: '1', dscg_maindiag_code: 'J18.9', dscg_maindiag_name: '肺炎' },
      });
      const mdtrtId = (await ok(adm)).result.mdtrt_id as string;
      await ok(envelope('2301', { feedetail: [fee(p, mdtrtId, 1, 10, '01', {}, false)] }));
      await refused(envelope('2601', { data: { psn_no: p.psnNo, omsgid: adm.msgid, oinfno: '2401' } }), /未撤销的费用明细/);
      await ok(envelope('2302', { data: [{ feedetl_sn: '0000', mdtrt_id: mdtrtId, psn_no: p.psnNo }] }));
      await ok(envelope('2601', { data: { psn_no: p.psnNo, omsgid: adm.msgid, oinfno: '2401' } }));
      await refused(envelope('2301', { feedetail: [fee(p, mdtrtId, 2, 10, '01', {}, false)] }), /已撤销/);

      const q = await person();
      const m = await registerOutpatient(q, 'MZ0900');
      await ok(envelope('2204', { feedetail: [fee(q, m, 1, 66.6)] }));
      const both = await Promise.all([post(envelope('2207', setlIn(q, m, 66.6))), post(envelope('2207', setlIn(q, m, 66.6)))]);
      // both answered with the one settlement of the visit
      assert.deepEqual(both.map((r) => r.infcode), [0, 0], JSON.stringify(both.map((r) => r.err_msg)));
      assert.equal(both[0].output.setlinfo.setl_id, both[1].output.setlinfo.setl_id);
      const live = await d.db.selectFrom('settlement').select('id').where('person_id', '=', q.psnNo).where('reversed_at', 'is', null).execute();
      assert.equal(live.length, 1);
      const sum = await d.db.selectFrom('posting').select((eb) => eb.fn.sum<string>('amount_fen').as('s')).executeTakeFirstOrThrow();
      assert.equal(Number(sum.s ?? 0), 0);
    });

    test('SM3 signing per hospital: when on, a wrong or missing signature is refused', async () => {
      await d.db.insertInto('fsi_hospital').values({ hospital_code: HB, sign_required: true, sign_key: 'secret-key-of-hb' }).execute();
      const e = envelope('9001', { signIn: { opter_no: '0053', mac: 'mac', ip: 'ip' } }, HB, { signtype: 'SM3' });
      await refused(e, /签名/, tok.hospB);
      await refused({ ...e, msgid: `${e.msgid}X`.slice(0, 30), cainfo: sm3Sign(e, 'wrong-key') }, /cainfo/, tok.hospB);
      const e2 = envelope('9001', { signIn: { opter_no: '0053', mac: 'mac', ip: 'ip' } }, HB, { signtype: 'SM3' });
      const signed = { ...e2, cainfo: sm3Sign(e2, 'secret-key-of-hb') };
      const o = await ok(signed, tok.hospB);
      assert.ok(o.signinoutb.sign_no);
      await refused({ ...signed, opter: 'tampered' }, /cainfo/, tok.hospB);
      await refused({ ...e2, signtype: '', cainfo: sm3Sign(e2, 'secret-key-of-hb') }, /signtype 应为 SM3/, tok.hospB);
      // HA has signing off: unsigned messages pass
      await signIn();
    });
  });
