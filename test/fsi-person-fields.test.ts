/**
 * Person fields sent beside psn_no (issue #16 item 3, the review): psn_cert_type, certno,
 * psn_name and psn_type are optional where psn_no names the person, and when sent they must be
 * the register's — psn_type one of table 383's codes for the person's kind (1701 城乡居民 / 151
 * 居民 for every resident, 15 / 16 the adults, 1401 新生儿, 1402 / 1403 / 1405 the students and
 * children, 1404 大学生). A mismatch is refused with infcode -1 naming the field, and nothing is
 * written (no visit, no settlement).
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
import { FsiClient, VILLAGE, enrolledPerson, type Person } from './support/fsi-client.ts';

const quotes = QuoteService.load();
const HA = 'H50023000093';
type Obj = Record<string, any>;

for (const backend of BACKENDS)
  describe(`person fields checked against the register on ${backend}`, () => {
    let d: TestDatabase;
    let app: FastifyInstance;
    let c: FsiClient;
    let p: Person;
    let other: Person;

    before(async () => {
      d = await freshDatabase(backend);
      await d.db.insertInto('admin_area').values([
        { code: '500230', name: '丰都县', level: 'county', parent_code: null, region: '500230' },
        { code: '500230100', name: '兴义镇', level: 'township', parent_code: '500230', region: '500230' },
        { code: VILLAGE, name: '兴义村', level: 'village', parent_code: '500230100', region: '500230' },
      ]).execute();
      await d.db.insertInto('hospital').values({ code: HA, name: '丰都县人民医院', level: 'secondary', region: '500230' }).execute();
      const auth = new AuthService(d.db);
      const u = await auth.createUser(SYSTEM, { username: 'psn-hosp', displayName: 'his', role: 'hospital', hospitalCode: HA });
      app = await buildServer(quotes, { database: d });
      c = new FsiClient(await listen(app), await auth.issueApiToken(SYSTEM, u, 'his'), HA, 'PF');
      await c.signIn();
      p = await enrolledPerson(d.db);
      other = await enrolledPerson(d.db);
    });
    after(async () => {
      await app?.close();
      await d?.drop();
    });

    const visits = async (who: Person) => (await d.db.selectFrom('fsi_mdtrt').select('mdtrt_id').where('person_id', '=', who.psnNo).execute()).length;
    const register = (who: Person, no: string, fields: Obj) =>
      c.post(c.envelope('2201', { data: { psn_no: who.psnNo, insutype: '390', begntime: '2022-03-15 09:00:00', ipt_otp_no: no, dept_code: 'D01', dept_name: '内科', caty: 'A03', ...fields } }));
    const refused = (r: Obj, field: RegExp) => {
      assert.equal(r.infcode, -1, JSON.stringify(r));
      assert.match(r.err_msg, field);
    };

    test('2201: another person’s certno, a wrong psn_name, an employee’s psn_type — each refused naming the field, no visit written', async () => {
      const before = await visits(p);
      refused(await register(p, 'PF-1', { certno: other.idNumber }), /^data\.certno /);
      refused(await register(p, 'PF-2', { psn_name: other.name }), /^data\.psn_name /);
      refused(await register(p, 'PF-3', { psn_type: '11' }), /^data\.psn_type 人员类别 11 /);
      refused(await register(p, 'PF-4', { psn_type: '12' }), /^data\.psn_type .*1701/);
      // a student's code for an adult
      refused(await register(p, 'PF-5', { psn_type: '1403' }), /^data\.psn_type /);
      assert.equal(await visits(p), before, 'no visit written for a refused registration');
      // the register's own: the fields as 1101 gives them, and an adult resident's sub-type
      for (const [no, fields] of [['PF-6', { certno: p.idNumber.toLowerCase(), psn_name: p.name, psn_type: '1701', psn_cert_type: '01' }], ['PF-7', { psn_type: '15' }], ['PF-8', { psn_type: '151' }]] as const) {
        const r = await register(p, no, fields);
        assert.equal(r.infcode, 0, `${no}: ${r.err_msg}`);
      }
      assert.equal(await visits(p), before + 3);
    });

    test('a student’s psn_type is 1403 (中小学生), not 15 居民（成年）; the person’s kind is the register’s', async () => {
      const s = await enrolledPerson(d.db);
      await d.db.updateTable('person').set({ kind: 'student_child' }).where('id', '=', s.psnNo).execute();
      assert.equal((await register(s, 'PF-S1', { psn_type: '1403' })).infcode, 0);
      refused(await register(s, 'PF-S2', { psn_type: '15' }), /^data\.psn_type 人员类别 15 .*学生、儿童/);
    });

    test('2401 (mdtrtinfo) and 2207 (data): the same checks at admission and settlement; the settlement made once, after the refusals', async () => {
      const adm = await c.post(
        c.envelope('2401', {
          mdtrtinfo: { psn_no: p.psnNo, insutype: '390', begntime: '2022-04-01 08:00:00', med_type: '2101', ipt_no: 'PF-ZY1', atddr_no: 'D0001', chfpdr_name: '王医生', adm_diag_dscr: '肺炎', adm_dept_codg: 'D02', adm_dept_name: '呼吸科', adm_bed: '12', dscg_maindiag_code: 'J18.9', dscg_maindiag_name: '肺炎', psn_type: '12' },
          diseinfo: [],
        }),
      );
      refused(adm, /^mdtrtinfo\.psn_type /);
      const m = await c.outpatientVisit(p, 'PF-MZ9', 40);
      const settle = (fields: Obj) => {
        const env = c.settleOutpatient(p, m, 40) as Obj;
        return c.post({ ...env, input: { data: { ...env.input.data, ...fields } } });
      };
      refused(await settle({ certno: other.idNumber }), /^data\.certno /);
      refused(await settle({ psn_name: `${p.name}X` }), /^data\.psn_name /);
      refused(await settle({ psn_type: '1105' }), /^data\.psn_type 人员类别 1105 /);
      const settlements = () => d.db.selectFrom('settlement').select('id').where('visit', '=', m).execute();
      assert.equal((await settlements()).length, 0, 'a refused settlement writes nothing');
      const ok = await settle({ psn_type: '16' });
      assert.equal(ok.infcode, 0, ok.err_msg);
      assert.equal((await settlements()).length, 1);
    });

    test('1101: a psn_name that is not the certificate’s refused naming the field', async () => {
      const r = await c.post(c.envelope('1101', { data: { mdtrt_cert_type: '02', mdtrt_cert_no: p.idNumber, psn_cert_type: '01', certno: p.idNumber, psn_name: other.name } }));
      refused(r, /^data\.psn_name /);
    });
  });
