/**
 * 4101 医疗保障基金结算清单信息上传 through the platform's envelope, on both databases: an
 * inpatient stay admitted, discharged and settled (2401, 2301, 2402, 2304), then its settlement
 * list uploaded: the stay is grouped by CHS-DRG 1.1 (sex and age from the register, the
 * western main diagnosis first) and the grouping stored with it; a corrected list groups it
 * again; refusals are infcode −1 with the field named (no main diagnosis, an outpatient
 * settlement's list, another hospital's settlement), and a refused list stores nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../src/http/server.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { AuthService } from '../src/access/auth.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { listen } from './support/http.ts';
import { enrolledPerson, FsiClient, VILLAGE, type Person } from './support/fsi-client.ts';
import { group } from './support/drg.ts';

const quotes = QuoteService.load();
const HA = 'H50023002';
const HB = 'H50023001';

const setlinfo = (p: Person, mdtrtId: string, setlId: string, extra: Record<string, unknown> = {}) => ({
  psn_no: p.psnNo,
  mdtrt_id: mdtrtId,
  setl_id: setlId,
  medcasno: 'BA0001',
  ntly: 'CHN',
  prfs: '27',
  dscg_caty: 'A03',
  bill_code: 'PJ001',
  bill_no: '0000001',
  biz_sn: 'YW0001',
  setl_begn_date: '2022-04-01',
  setl_end_date: '2022-04-10',
  adm_time: '2022-04-01 08:00:00',
  dscg_time: '2022-04-10 10:00:00',
  dscg_way: '1',
  medins_fill_dept: '病案室',
  medins_fill_psn: '李填报',
  ...extra,
});
const dis = (code: string, main: boolean, type = '1') => ({ diag_type: type, diag_code: code, diag_name: code, adm_cond_type: '1', maindiag_flag: main ? '1' : '0' });

for (const backend of BACKENDS)
  describe(`4101 settlement list on ${backend}`, () => {
    let d: TestDatabase;
    let app: FastifyInstance;
    let a: FsiClient;
    let b: FsiClient;

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
      await d.db
        .insertInto('hospital')
        .values([
          { code: HA, name: '丰都县人民医院', level: 'secondary', region: '500230' },
          { code: HB, name: '兴义镇卫生院', level: 'primary', region: '500230' },
        ])
        .execute();
      const auth = new AuthService(d.db);
      const tokens: string[] = [];
      for (const [u, h] of [['list-a', HA], ['list-b', HB]] as const) {
        const id = await auth.createUser(SYSTEM, { username: u, displayName: u, role: 'hospital', hospitalCode: h });
        tokens.push(await auth.issueApiToken(SYSTEM, id, 'HIS'));
      }
      app = await buildServer(quotes, { database: d });
      const base = await listen(app);
      a = new FsiClient(base, tokens[0], HA, 'LA');
      b = new FsiClient(base, tokens[1], HB, 'LB');
      await a.signIn();
      await b.signIn();
    });
    after(async () => {
      await app?.close();
      await d?.drop();
    });

    async function settledStay(no: string): Promise<{ p: Person; m: string; setlId: string }> {
      const p = await enrolledPerson(d.db);
      const m = await a.inpatientStay(p, no, 3000);
      await a.ok(a.settleInpatient(p, m, 3000));
      const e = await d.db.selectFrom('encounter').select(['id', 'setl_id']).where('visit', '=', m).executeTakeFirstOrThrow();
      return { p, m, setlId: e.setl_id ?? `S${e.id}` };
    }

    test('the list groups the stay: the register’s sex and age, the western main diagnosis first', async () => {
      const { p, m, setlId } = await settledStay('ZY1001');
      const person = await d.db.selectFrom('person').select(['gender', 'birth_date']).where('id', '=', p.psnNo).executeTakeFirstOrThrow();
      const out = await a.ok(
        a.envelope('4101', {
          setlinfo: setlinfo(p, m, setlId),
          // the TCM diagnosis and the order of the rows do not matter: the flagged western one leads
          diseinfo: [dis('I10.x00x002', false), dis('BNG000', true, '2'), dis('G20.x03', true), dis('N39.000', false)],
          oprninfo: [],
        }),
      );
      const c = await d.db.selectFrom('drg_case').selectAll().where('settlement_id', '=', (await d.db.selectFrom('settlement').select('id').where('visit', '=', m).executeTakeFirstOrThrow()).id).executeTakeFirstOrThrow();
      assert.equal(out.setl_list_id, String(c.encounter_id));
      const record = c.record as Record<string, unknown>;
      assert.deepEqual(record.diagnoses, ['G20.x03', 'I10.x00x002', 'N39.000']);
      assert.equal(record.sex, person.gender === 'male' ? '1' : '2');
      assert.equal(record.losDays, 9);
      assert.equal(record.dept, 'A03');
      assert.equal(c.discharge_date, '2022-04-10');
      const expected = group(record as never);
      assert.equal(c.status, expected.status);
      assert.equal(c.drg, expected.drg);
      assert.equal(c.mdc, 'MDCB');
      assert.ok(Array.isArray((c.explanation as { steps: unknown[] }).steps));
      assert.equal(c.source.startsWith(`fsi:${HA}:`), true);

      // a corrected list (a procedure added, another main diagnosis) groups it again
      await a.ok(a.envelope('4101', { setlinfo: setlinfo(p, m, setlId), diseinfo: [dis('J18.900', true)] }));
      const again = await d.db.selectFrom('drg_case').select(['record', 'drg']).where('encounter_id', '=', c.encounter_id).executeTakeFirstOrThrow();
      assert.deepEqual((again.record as { diagnoses: string[] }).diagnoses, ['J18.900']);
      assert.equal(again.drg, group(again.record as never).drg);
      assert.equal((await d.db.selectFrom('audit_log').select('action').where('action', '=', 'drg_regroup').execute()).length, 1);
    });

    test('refusals are infcode −1 naming the field; nothing stored', async () => {
      const { p, m, setlId } = await settledStay('ZY1002');
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ setlinfo: setlinfo(p, m, setlId), diseinfo: [dis('G20.x03', false)] }, /缺少西医主诊断/],
        [{ setlinfo: setlinfo(p, m, setlId), diseinfo: [dis('G20.x03', true), dis('N39.000', true)] }, /两条西医主诊断/],
        [{ setlinfo: setlinfo(p, m, setlId, { bill_no: '' }), diseinfo: [dis('G20.x03', true)] }, /setlinfo\.bill_no 不能为空/],
        [{ setlinfo: setlinfo(p, m, setlId, { setl_begn_date: '2022-02-30' }), diseinfo: [dis('G20.x03', true)] }, /setl_begn_date 格式/],
        [{ setlinfo: setlinfo(p, m, setlId), diseinfo: [dis('G20.x03', true)], oprninfo: [{ oprn_oprt_type: '2', oprn_oprt_name: 'x', oprn_oprt_code: '00.0000', oper_dr_code: 'D1' }] }, /缺少主要手术及操作/],
        [{ setlinfo: setlinfo(p, m, 'S999999999'), diseinfo: [dis('G20.x03', true)] }, /不存在或不属于本机构/],
        [{ setlinfo: setlinfo({ ...p, psnNo: '1' }, m, setlId), diseinfo: [dis('G20.x03', true)] }, /人员编号与结算ID不符/],
        [{ diseinfo: [dis('G20.x03', true)] }, /setlinfo 缺失/],
      ];
      for (const [input, msg] of cases) {
        const r = await a.post(a.envelope('4101', input));
        assert.equal(r.infcode, -1, JSON.stringify(input));
        assert.match(r.err_msg, msg);
      }
      // another hospital may not upload the list of this one's settlement
      const other = await b.post(b.envelope('4101', { setlinfo: setlinfo(p, m, setlId), diseinfo: [dis('G20.x03', true)] }));
      assert.equal(other.infcode, -1);
      const e = await d.db.selectFrom('encounter').select('id').where('visit', '=', m).executeTakeFirstOrThrow();
      assert.equal(await d.db.selectFrom('drg_case').select('encounter_id').where('encounter_id', '=', e.id).executeTakeFirst(), undefined);
    });

    test('an outpatient settlement has no settlement list to group', async () => {
      const p = await enrolledPerson(d.db);
      const m = await a.outpatientVisit(p, 'MZ1001', 100);
      await a.ok(a.settleOutpatient(p, m, 100));
      const e = await d.db.selectFrom('encounter').select(['id', 'setl_id']).where('visit', '=', m).executeTakeFirstOrThrow();
      const r = await a.post(a.envelope('4101', { setlinfo: setlinfo(p, m, e.setl_id ?? `S${e.id}`), diseinfo: [dis('G20.x03', true)] }));
      assert.equal(r.infcode, -1);
      assert.match(r.err_msg, /门诊结算/);
    });
  });
