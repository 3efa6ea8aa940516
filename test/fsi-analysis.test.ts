/**
 * 3101 明细审核事前分析服务 / 3102 事中分析服务 through the platform endpoint on both databases:
 * a 200-line encounter with one repeated line (FR04) and one item beyond its daily limit (FR05)
 * (rules of src/rules/risk/screen-lines.ts, shared with the office screening)
 * answers exactly those warnings in the spec's result format (rule, name, severity, lines, amount,
 * the notice); a near miss of each is silent; bad input is infcode -1 naming the field; another
 * hospital's encounter is refused.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../src/http/server.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { AuthService } from '../src/access/auth.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { gatewayKeys } from '../src/access/gateway-keys.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { listen } from './support/http.ts';
import { FSI_PATH, VILLAGE, apiHeaders } from './support/fsi-client.ts';

const quotes = QuoteService.load();
const HA = 'H50023000041';
type Obj = Record<string, any>;

/** One order line as table 118 gives it. */
function order(n: number, code: string, cnt: number, pric: number, at: string): Obj {
  return {
    rx_id: `RX${n}`, rxno: `P${n}`, long_drord_flag: '0', hilist_type: '101', chrg_type: '09', drord_bhvr: '0',
    hilist_code: code, hilist_name: `项目${code}`, hilist_lv: '01', hilist_pric: pric, hosplist_code: `M${code}`, hosplist_name: `院内${code}`,
    cnt, pric, sumamt: Math.round(cnt * pric * 100) / 100, ownpay_amt: 0, selfpay_amt: 0, spec: '1支', spec_unt: '支',
    drord_begn_date: at, drord_dept_codg: 'D01', drord_dept_name: '内科', drord_dr_codg: 'DR1', drord_dr_name: '张医生', drord_dr_profttl: '1', curr_drord_flag: '1',
  };
}

function message(orders: Obj[], medins = HA, extra: Obj = {}): Obj {
  return {
    data: {
      trig_scen: '1',
      ...extra,
      patient_dtos: [{
        patn_id: 'P001', patn_name: '王某', gend: '2', brdy: '1970-01-01', poolarea: '500230', curr_mdtrt_id: 'MD1',
        fsi_encounter_dtos: [{
          mdtrt_id: 'MD1', medins_id: medins, medins_name: '丰都县人民医院', medins_admdvs: '500230', medins_type: '1', medins_lv: '2',
          adm_date: '2022-03-10 08:00:00', dscg_date: '2022-03-15 10:00:00', dscg_main_dise_codg: 'I63.9', dscg_main_dise_name: '脑梗塞',
          fsi_diagnose_dtos: [{ dise_id: 'DI1', inout_dise_type: '1', maindise_flag: '1', dias_srt_no: '1', dise_codg: 'I63.9', dise_name: '脑梗塞', dise_date: '2022-03-10 08:00:00' }],
          dr_codg: 'DR1', adm_dept_codg: 'D01', adm_dept_name: '内科', dscg_dept_codg: 'D01', dscg_dept_name: '内科', med_mdtrt_type: '2', med_type: '21',
          fsi_order_dtos: orders, matn_stas: '0', medfee_sumamt: 0, ownpay_amt: 0, selfpay_amt: 0, setl_totlnum: 0, insutype: '390', reim_flag: '0', out_setl_flag: '0',
        }],
      }],
    },
  };
}

/** 200 distinct lines over five days (each item at most 6 a day), none of them a hit. */
function cleanLines(): Obj[] {
  const out: Obj[] = [];
  for (let i = 0; i < 200; i++) out.push(order(i + 1, `X${String(i % 40).padStart(4, '0')}`, 1 + (i % 3), 12.5, `2022-03-${String(10 + Math.floor(i / 40)).padStart(2, '0')} ${String(8 + (i % 10)).padStart(2, '0')}:00:00`));
  return out;
}

for (const backend of BACKENDS)
  describe(`3101 / 3102 counter-time screening on ${backend}`, () => {
    let d: TestDatabase;
    let app: FastifyInstance;
    let base: string;
    let key: { accessKey: string; secret: string };
    let n = 0;
    let signNo = '';

    const call = async (infno: string, input: Obj): Promise<Obj> => {
      n += 1;
      const env = { infno, msgid: `${HA}${String(Date.now()).slice(-8)}${String(n).padStart(6, '0')}`.slice(0, 30), mdtrtarea_admvs: '500230', recer_sys_code: 'HIS', infver: '1.0.0', opter_type: '1', opter: '0053', opter_name: '文双', inf_time: '2022-03-15 09:00:00', fixmedins_code: HA, fixmedins_name: '丰都县人民医院', sign_no: signNo };
      const res = await fetch(`${base}${FSI_PATH}`, { method: 'POST', headers: { ...apiHeaders(key.accessKey, key.secret, infno), 'content-type': 'application/json' }, body: JSON.stringify({ ...env, input }) });
      assert.equal(res.status, 200);
      return (await res.json()) as Obj;
    };

    before(async () => {
      d = await freshDatabase(backend);
      await d.db.insertInto('admin_area').values([
        { code: '500230', name: '丰都县', level: 'county', parent_code: null, region: '500230' },
        { code: '500230100', name: '兴义镇', level: 'township', parent_code: '500230', region: '500230' },
        { code: VILLAGE, name: '兴义村', level: 'village', parent_code: '500230100', region: '500230' },
      ]).execute();
      await d.db.insertInto('hospital').values({ code: HA, name: '丰都县人民医院', level: 'secondary', region: '500230' }).execute();
      const auth = new AuthService(d.db);
      const uid = await auth.createUser(SYSTEM, { username: 'an-hosp', displayName: 'his', role: 'hospital', hospitalCode: HA });
      key = await gatewayKeys(d.db).issue(SYSTEM, uid, 'HIS');
      app = await buildServer(quotes, { database: d });
      base = await listen(app);
      const r = await call('9001', { signIn: { opter_no: '0053', mac: '00-1A', ip: '10.0.0.8' } });
      assert.equal(r.infcode, 0, r.err_msg);
      signNo = r.output.signinoutb.sign_no;
    });
    after(async () => {
      await app?.close();
      await d?.drop();
    });

    test('a clean 200-line encounter answers no warning (3101 and 3102)', async () => {
      for (const infno of ['3101', '3102']) {
        const r = await call(infno, message(cleanLines()));
        assert.equal(r.infcode, 0, r.err_msg);
        assert.deepEqual(r.output.result, []);
      }
    });

    test('a repeated identical line (FR04) and a quantity beyond the daily limit (FR05) in 200 lines', async () => {
      const lines = cleanLines();
      // FR04: line 201 repeats line 1 exactly (same item, time, quantity, price)
      lines.push({ ...lines[0]!, rx_id: 'RX201', rxno: 'P201' });
      // FR05: item X9999 three times on 2022-03-12, 12 + 12 + 10 = 34 > 30 (example limit); 4 beyond at 2.00
      lines.push(order(202, 'X9999', 12, 2, '2022-03-12 08:00:00'), order(203, 'X9999', 12, 2, '2022-03-12 12:00:00'), order(204, 'X9999', 10, 2, '2022-03-12 18:00:00'));
      // near miss of FR05: X8888 30 in one day is the limit, not beyond
      lines.push(order(205, 'X8888', 20, 1, '2022-03-13 08:00:00'), order(206, 'X8888', 10, 1, '2022-03-13 09:00:00'));
      // near miss of FR04: the same item and time but another quantity
      lines.push({ ...lines[1]!, rx_id: 'RX207', cnt: 9, sumamt: 112.5 });
      const r = await call('3102', message(lines));
      assert.equal(r.infcode, 0, r.err_msg);
      const res = r.output.result as Obj[];
      assert.deepEqual(res.map((x) => x.rule_id).sort(), ['FR04', 'FR05']);
      const r4 = res.find((x) => x.rule_id === 'FR04')!;
      assert.equal(r4.rule_name, '重复收费');
      assert.equal(r4.sev_deg, '2');
      assert.equal(r4.patn_id, 'P001');
      assert.equal(r4.mdtrt_id, 'MD1');
      assert.equal(r4.vola_amt, 12.5);
      assert.equal(r4.vola_amt_stas, '1');
      assert.equal(r4.vola_bhvr_type, '2');
      assert.deepEqual(r4.judge_result_detail_dtos.map((x: Obj) => [x.rx_id, x.vola_item_type, x.vola_amt]), [['RX1', '2', 12.5], ['RX201', '2', 12.5]]);
      assert.match(r4.vola_cont, /RX1【.*】、RX201【/);
      assert.match(r4.vola_evid, /兴义府发〔2022〕3号 六/);
      assert.match(r4.vola_evid, /example:/);
      const r5 = res.find((x) => x.rule_id === 'FR05')!;
      assert.equal(r5.rule_name, '超日限量');
      assert.equal(r5.vola_amt, 8);
      assert.deepEqual(r5.judge_result_detail_dtos.map((x: Obj) => [x.rx_id, x.vola_amt]), [['RX202', 24], ['RX203', 24], ['RX204', 20]]);
      assert.match(r5.vola_cont, /quantity=34，maxPerDay=30/);
      for (const x of res) for (const k of ['jr_id', 'rule_id', 'rule_name', 'vola_cont', 'patn_id', 'judge_result_detail_dtos', 'vola_amt', 'vola_amt_stas', 'sev_deg', 'vola_bhvr_type']) assert.ok(x[k] !== undefined && x[k] !== null && x[k] !== '', `${k} present`);
      // the codes are the spec's (表451 vola_amt_stas, 表452 sev_deg, 表453 vola_bhvr_type, 表454 vola_item_type)
      for (const x of res) {
        assert.ok(['0', '1'].includes(x.vola_amt_stas), `vola_amt_stas ${x.vola_amt_stas}`);
        assert.ok(['1', '2', '3'].includes(x.sev_deg), `sev_deg ${x.sev_deg}`);
        assert.equal(x.vola_bhvr_type, '2', 'the counter rules are about fee items: 2 项目类');
        for (const d of x.judge_result_detail_dtos as Obj[]) assert.ok(['1', '2'].includes(d.vola_item_type as string), `vola_item_type ${String(d.vola_item_type)}`);
      }
      // rule_ids narrows the rules run
      const only = await call('3101', message(lines, HA, { rule_ids: ['FR05'] }));
      assert.equal(only.infcode, 0, only.err_msg);
      assert.deepEqual(only.output.result.map((x: Obj) => x.rule_id), ['FR05']);
    });

    test("vola_evid cites the notice of the patient's pooled area's pack: 丰都县 the town's notice, 山东 its own for dialysis, the national one otherwise", async () => {
      const dialysis = [1, 2, 3, 4].map((n) => order(300 + n, '003110000060000', 1, 400, `2022-03-1${4 + n} 08:00:00`));
      const repeated = [order(1, 'X0001', 2, 12.5, '2022-03-10 09:00:00'), { ...order(1, 'X0001', 2, 12.5, '2022-03-10 09:00:00'), rx_id: 'RX2', rxno: 'P2' }];
      const evid = async (poolarea: string, lines: Obj[], rule: string) => {
        const m = message(lines);
        ((m.data as Obj).patient_dtos as Obj[])[0]!.poolarea = poolarea;
        const r = await call('3101', m);
        assert.equal(r.infcode, 0, r.err_msg);
        return String((r.output.result as Obj[]).find((x) => x.rule_id === rule)!.vola_evid);
      };
      assert.match(await evid('500230', repeated, 'FR04'), /兴义府发〔2022〕3号 六/);
      assert.match(await evid('370000', dialysis, 'FR06'), /鲁医保发〔2022〕24号 八/);
      const national = await evid('370000', repeated, 'FR04');
      assert.match(national, /医保发〔2022〕20号 七/);
      assert.doesNotMatch(national, /兴义府发|鲁医保发/);
      assert.match(await evid('500230', dialysis, 'FR06'), /医保发〔2022〕20号 七/);
    });

    test('bad input names the field; another hospital\'s encounter is refused', async () => {
      const bad = cleanLines();
      bad[3] = { ...bad[3]!, cnt: 'abc' };
      const r1 = await call('3101', message(bad));
      assert.equal(r1.infcode, -1);
      assert.match(r1.err_msg, /fsi_order_dtos\[3\]\.cnt/);
      const r2 = await call('3101', message(cleanLines(), 'H50023099999'));
      assert.equal(r2.infcode, -1);
      assert.match(r2.err_msg, /medins_id/);
      const r3 = await call('3101', message(cleanLines(), HA, { rule_ids: ['FR99'] }));
      assert.equal(r3.infcode, -1);
      assert.match(r3.err_msg, /rule_ids/);
      const twice = cleanLines();
      twice.push({ ...twice[5]!, hilist_code: 'X7777' });
      const r5 = await call('3101', message(twice));
      assert.equal(r5.infcode, -1);
      assert.match(r5.err_msg, /fsi_order_dtos\[200\]\.rx_id RX6 重复/);
      const noLines = message([]);
      const r4 = await call('3102', noLines);
      assert.equal(r4.infcode, -1);
      assert.match(r4.err_msg, /fsi_order_dtos/);
    });
  });
