/**
 * Replies complete as clients read them (issue #16 item 6): every output field of the spec's
 * tables is present in the reply of every transaction the service answers — an outpatient day,
 * an inpatient stay, the queries and the catalogue — through the endpoint. The fields are the
 * spec's own, extracted from its tables into test/support/fsi-output-fields.ts (by
 * test/support/extract-fsi-outputs.ts); a field the service does not know is still there,
 * empty or null.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../src/http/server.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { AuthService } from '../src/access/auth.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { importCatalogue } from '../src/hospitals/catalogue/import.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { listen } from './support/http.ts';
import { FsiClient, VILLAGE, enrolledPerson } from './support/fsi-client.ts';
import { SPEC_OUTPUT_FIELDS } from './support/fsi-output-fields.ts';
import { ANSWERED, extractOutputs } from './support/extract-fsi-outputs.ts';
import { existsSync, readFileSync } from 'node:fs';

const quotes = QuoteService.load();
const HA = 'H50023000088';
/** where the service puts the rows of a table the spec gives without a node (5204: output.output, the catalogue queries: output.data) */
const UNNAMED: Record<string, string> = { '5204': 'output', '1312': 'data', '1316': 'data', '1317': 'data', '1318': 'data', '1319': 'data' };

type Obj = Record<string, any>;

const SPEC = join(import.meta.dirname, '../../shared/specs/fsi-interface-v1.1.27.md');
test('the field table is the spec’s, as extracted from its tables', { skip: !existsSync(SPEC) && 'the spec is not beside the repository' }, () => {
  assert.deepEqual(extractOutputs(readFileSync(SPEC, 'utf8'), ANSWERED), SPEC_OUTPUT_FIELDS);
  // a few the spec is known to list
  assert.ok(SPEC_OUTPUT_FIELDS['2207'].setlinfo.includes('psn_cash_pay'));
  assert.ok(SPEC_OUTPUT_FIELDS['2305'].setlinfo.includes('invono'));
  assert.ok(SPEC_OUTPUT_FIELDS['1318'][''].includes('hilist_pric_uplmt_amt'));
});

for (const backend of BACKENDS)
  describe(`every output field of the spec on ${backend}`, () => {
    let d: TestDatabase;
    let app: FastifyInstance;
    let base: string;
    let c: FsiClient;
    const replies = new Map<string, Obj>();

    before(async () => {
      d = await freshDatabase(backend);
      await d.db.insertInto('admin_area').values([
        { code: '500230', name: '丰都县', level: 'county', parent_code: null, region: '500230' },
        { code: '500230100', name: '兴义镇', level: 'township', parent_code: '500230', region: '500230' },
        { code: VILLAGE, name: '兴义村', level: 'village', parent_code: '500230100', region: '500230' },
      ]).execute();
      await d.db.insertInto('hospital').values({ code: HA, name: '丰都县人民医院', level: 'secondary', region: '500230' }).execute();
      const auth = new AuthService(d.db);
      const h = await auth.createUser(SYSTEM, { username: 'fields-hosp', displayName: 'his', role: 'hospital', hospitalCode: HA });
      app = await buildServer(quotes, { database: d });
      base = await listen(app);
      c = new FsiClient(base, await auth.issueApiToken(SYSTEM, h, 'his'), HA, 'OF');
      const dir = mkdtempSync(join(tmpdir(), 'yibao-fields-'));
      writeFileSync(join(dir, 'c.csv'), 'med_list_codg,hilist_name,list_type,chrgitm_lv,hilist_pric_uplmt_amt,selfpay_prop,begndate,insu_admdvs\nXA0100001,某药,101,02,50,0.1,2022-01-01,500230\nF001,诊查费,201,01,,,2022-01-01,500230\n');
      await importCatalogue(d.db, SYSTEM, { path: join(dir, 'c.csv') });
      rmSync(dir, { recursive: true, force: true });
    });
    after(async () => {
      await app?.close();
      await d?.drop();
    });

    const ok = async (infno: string, input: Obj): Promise<Obj> => {
      const o = await c.ok(c.envelope(infno, input));
      replies.set(infno, o);
      return o;
    };

    test('an outpatient day, an inpatient stay, the queries and the catalogue: every field of every output table', async () => {
      await c.signIn();
      const p = await enrolledPerson(d.db, ['dibao']);
      await ok('1101', { data: { mdtrt_cert_type: '02', mdtrt_cert_no: p.idNumber, psn_cert_type: '01', certno: p.idNumber, psn_name: p.name } });
      await ok('2001', { data: { psn_no: p.psnNo, insutype: '390', fixmedins_code: HA, med_type: '11', begntime: '2022-03-15 09:00:00' } });
      const reg = await ok('2201', { data: { psn_no: p.psnNo, insutype: '390', begntime: '2022-03-15 09:00:00', mdtrt_cert_type: '02', mdtrt_cert_no: p.idNumber, ipt_otp_no: 'OF-MZ1', dept_code: 'D01', dept_name: '内科', caty: 'A03' } });
      const m = reg.data.mdtrt_id;
      await ok('2203', { mdtrtinfo: { mdtrt_id: m, psn_no: p.psnNo, med_type: '11', begntime: '2022-03-15 09:00:00', dise_codg: 'J00', dise_name: '急性鼻咽炎' }, diseinfo: [] });
      await ok('2204', { feedetail: [c.fee(p, m, 1, 60), { ...c.fee(p, m, 2, 20), med_list_codg: 'F001' }] });
      await ok('2206', { data: { psn_no: p.psnNo, mdtrt_cert_type: '02', mdtrt_cert_no: p.idNumber, med_type: '11', medfee_sumamt: 80, psn_setlway: '01', mdtrt_id: m, chrg_bchno: 'B1', acct_used_flag: '0', insutype: '390' } });
      const s = await ok('2207', c.settleOutpatient(p, m, 80).input as Obj);
      const setlId = s.setlinfo.setl_id;
      await ok('5203', { data: { psn_no: p.psnNo, setl_id: setlId, mdtrt_id: m } });
      await ok('5204', { data: { psn_no: p.psnNo, setl_id: setlId, mdtrt_id: m } });
      const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
      await ok('3201', { data: { insutype: '390', clr_type: '11', setl_optins: '500230', stmt_begndate: today, stmt_enddate: today, medfee_sumamt: 80, fund_pay_sumamt: s.setlinfo.fund_pay_sumamt, acct_pay: 0, fixmedins_setl_cnt: 1, fixmedins_refd_setl_flag: '0' } });
      await ok('3202', { data: { setl_optins: '500230', file_qury_no: 'F1', stmt_begndate: today, stmt_enddate: today, medfee_sumamt: 80, fund_pay_sumamt: s.setlinfo.fund_pay_sumamt, cash_payamt: s.setlinfo.psn_cash_pay, fixmedins_setl_cnt: 1, clr_type: '11', fixmedins_refd_setl_flag: '0' } });
      await ok('2208', { data: { setl_id: setlId, mdtrt_id: m, psn_no: p.psnNo } });
      await ok('2205', { data: { mdtrt_id: m, chrg_bchno: 'B1', psn_no: p.psnNo } });
      await ok('2202', { data: { psn_no: p.psnNo, mdtrt_id: m, ipt_otp_no: 'OF-MZ1' } });
      // a chronic-condition visit's fee lines (5205)
      const reg2 = await ok('2201', { data: { psn_no: p.psnNo, insutype: '390', begntime: '2022-03-16 09:00:00', mdtrt_cert_type: '02', mdtrt_cert_no: p.idNumber, ipt_otp_no: 'OF-MZ2', dept_code: 'D01', dept_name: '内科', caty: 'A03' } });
      await ok('2203', { mdtrtinfo: { mdtrt_id: reg2.data.mdtrt_id, psn_no: p.psnNo, med_type: '14', begntime: '2022-03-16 09:00:00', dise_codg: 'I10', dise_name: '高血压' }, diseinfo: [] });
      await ok('2204', { feedetail: [{ ...c.fee(p, reg2.data.mdtrt_id, 1, 30), fee_ocur_time: '2022-03-16 09:30:00' }] });
      await ok('5205', { data: { psn_no: p.psnNo, begntime: '2022-01-01 00:00:00', endtime: '2022-12-31 23:59:59' } });
      // an inpatient stay
      const adm = await ok('2401', { mdtrtinfo: { psn_no: p.psnNo, insutype: '390', begntime: '2022-04-01 08:00:00', mdtrt_cert_type: '02', mdtrt_cert_no: p.idNumber, med_type: '2101', ipt_no: 'OF-ZY1', atddr_no: 'D0001', chfpdr_name: '王医生', adm_diag_dscr: '肺炎', adm_dept_codg: 'D02', adm_dept_name: '呼吸科', adm_bed: '12', dscg_maindiag_code: 'J18.9', dscg_maindiag_name: '肺炎' }, diseinfo: [] });
      const im = adm.result.mdtrt_id;
      await ok('2403', { adminfo: { mdtrt_id: im, psn_no: p.psnNo, begntime: '2022-04-01 08:00:00', med_type: '2101', ipt_otp_no: 'OF-ZY1', adm_bed: '14' } });
      await ok('2301', { feedetail: [c.fee(p, im, 1, 2000, false), { ...c.fee(p, im, 2, 100, false), med_list_codg: 'XA0100001', cnt: 2, pric: 50 }] });
      await ok('2302', { data: [{ feedetl_sn: '1', mdtrt_id: im, psn_no: p.psnNo }] });
      await ok('2301', { feedetail: [c.fee(p, im, 3, 2000, false)] });
      await ok('2402', { dscginfo: { mdtrt_id: im, psn_no: p.psnNo, insutype: '390', endtime: '2022-04-10 10:00:00', dscg_dept_codg: 'D02', dscg_dept_name: '呼吸科', dscg_way: '1' } });
      const setl = { data: { psn_no: p.psnNo, mdtrt_id: im, medfee_sumamt: 2100, psn_setlway: '01', acct_used_flag: '0', insutype: '390', mid_setl_flag: '0' } };
      await ok('2303', setl);
      const fin = await ok('2304', setl);
      await ok('2305', { data: { psn_no: p.psnNo, mdtrt_id: im, setl_id: fin.setlinfo.setl_id } });
      await ok('2405', { data: { mdtrt_id: im, psn_no: p.psnNo } });
      await ok('2302', { data: [{ feedetl_sn: '0000', mdtrt_id: im, psn_no: p.psnNo }] });
      await ok('2404', { data: { mdtrt_id: im, psn_no: p.psnNo } });
      // dictionary and catalogue
      await ok('1901', { data: { type: 'med_type', parent_value: '', admdvs: '500230', date: '2022-03-15', vali_flag: '1' } });
      for (const infno of ['1301', '1302', '1305', '1306']) await ok(infno, { data: { ver: 'v0000' } });
      for (const infno of ['1312', '1316', '1317', '1318', '1319']) await ok(infno, { data: { updt_time: '2000-01-01 00:00:00', page_num: 1, page_size: 10 } });

      const missing: string[] = [];
      const notExercised: string[] = [];
      for (const infno of ANSWERED) {
        const spec = SPEC_OUTPUT_FIELDS[infno];
        const reply = replies.get(infno);
        assert.ok(reply, `${infno} was sent`);
        for (const [node, fields] of Object.entries(spec)) {
          if (!fields.length) continue;
          const key = node || UNNAMED[infno] || '';
          const v = key ? reply[key] : reply;
          if (v === undefined || v === null) {
            missing.push(`${infno} ${key}: the node`);
            continue;
          }
          const rows: Obj[] = Array.isArray(v) ? v : [v];
          if (!rows.length) notExercised.push(`${infno} ${key}`);
          for (const [i, r] of rows.entries()) for (const f of fields) if (!(f in r)) missing.push(`${infno} ${key}${Array.isArray(v) ? `[${i}]` : ''}.${f}`);
        }
      }
      assert.deepEqual([...new Set(missing)], [], 'output fields of the spec missing from the replies');
      assert.deepEqual(notExercised, [], 'output lists left empty (their fields not checked)');
    });
  });
