/**
 * 1317 医药机构目录匹配信息查询 (issue #16 review): the hospital's own codes (medins_list_codg) matched
 * to the national codes (med_list_codg), derived from its live fee lines and the catalogue —
 * one row per pair, the latest name sent, the first day billed, the catalogue's list type, region
 * and end (or the code's form and the hospital's region), paged as 1312 and filtered by the
 * spec's inputs (table 45); every field of table 46; another hospital's lines and cancelled
 * lines are not there.
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

const quotes = QuoteService.load();
const HA = 'H50023000091';
const HB = 'H50023000092';
type Obj = Record<string, any>;

for (const backend of BACKENDS)
  describe(`1317 医药机构目录匹配信息查询 on ${backend}`, () => {
    let d: TestDatabase;
    let app: FastifyInstance;
    let a: FsiClient;
    let b: FsiClient;

    before(async () => {
      d = await freshDatabase(backend);
      await d.db.insertInto('admin_area').values([
        { code: '500230', name: '丰都县', level: 'county', parent_code: null, region: '500230' },
        { code: '500230100', name: '兴义镇', level: 'township', parent_code: '500230', region: '500230' },
        { code: VILLAGE, name: '兴义村', level: 'village', parent_code: '500230100', region: '500230' },
      ]).execute();
      await d.db.insertInto('hospital').values([
        { code: HA, name: '丰都县人民医院', level: 'secondary', region: '500230' },
        { code: HB, name: '丰都县中医院', level: 'secondary', region: '500230' },
      ]).execute();
      const auth = new AuthService(d.db);
      const ua = await auth.createUser(SYSTEM, { username: 'match-a', displayName: 'his', role: 'hospital', hospitalCode: HA });
      const ub = await auth.createUser(SYSTEM, { username: 'match-b', displayName: 'his', role: 'hospital', hospitalCode: HB });
      const dir = mkdtempSync(join(tmpdir(), 'yibao-match-'));
      writeFileSync(
        join(dir, 'c.csv'),
        ['med_list_codg,hilist_name,list_type,chrgitm_lv,begndate,enddate,insu_admdvs,memo', 'XA0100001,阿莫西林胶囊,101,01,2022-01-01,,500230,example: 西药', 'C0000001,一次性输液器,301,02,2022-01-01,2022-06-30,500000,example: 耗材（省级，已失效）'].join('\n'),
      );
      await importCatalogue(d.db, SYSTEM, { path: join(dir, 'c.csv') });
      rmSync(dir, { recursive: true, force: true });
      app = await buildServer(quotes, { database: d });
      const base = await listen(app);
      a = new FsiClient(base, await auth.issueApiToken(SYSTEM, ua, 'his'), HA, 'MA');
      b = new FsiClient(base, await auth.issueApiToken(SYSTEM, ub, 'his'), HB, 'MB');
      await a.signIn();
      await b.signIn();
      const p = await enrolledPerson(d.db);
      // visit 1: three pairs billed, one line (batch B2) cancelled afterwards
      const m1 = await a.registerOutpatient(p, 'MA-MZ1');
      await a.ok(
        a.envelope('2204', {
          feedetail: [
            { ...a.fee(p, m1, 1, 12), med_list_codg: 'XA0100001', medins_list_codg: 'HIS-AMX', medins_list_name: '阿莫西林胶囊（旧名）', fee_ocur_time: '2022-03-15 09:30:00' },
            { ...a.fee(p, m1, 2, 8), med_list_codg: 'C0000001', medins_list_codg: 'HIS-SYQ', fee_ocur_time: '2022-03-15 09:40:00' },
            { ...a.fee(p, m1, 3, 20), med_list_codg: 'T0000001', medins_list_codg: 'HIS-GC', medins_list_name: '甘草片', fee_ocur_time: '2022-03-15 09:50:00' },
          ],
        }),
      );
      await a.ok(a.envelope('2204', { feedetail: [{ ...a.fee(p, m1, 4, 5), chrg_bchno: 'B2', med_list_codg: 'XZZ000001', medins_list_codg: 'HIS-GONE' }] }));
      await a.ok(a.envelope('2205', { data: { mdtrt_id: m1, chrg_bchno: 'B2', psn_no: p.psnNo } }));
      // visit 2 (later): the same pair again, under a new name, on a later day
      const m2 = await a.registerOutpatient(p, 'MA-MZ2');
      await a.ok(a.envelope('2204', { feedetail: [{ ...a.fee(p, m2, 1, 12), med_list_codg: 'XA0100001', medins_list_codg: 'HIS-AMX', medins_list_name: '阿莫西林胶囊0.25g', fee_ocur_time: '2022-03-20 10:00:00' }] }));
      // another hospital's line: not hospital A's match
      const mb = await b.registerOutpatient(p, 'MB-MZ1');
      await b.ok(b.envelope('2204', { feedetail: [{ ...b.fee(p, mb, 1, 30), med_list_codg: 'XA0100001', medins_list_codg: 'ZY-AMX' }] }));
    });
    after(async () => {
      await app?.close();
      await d?.drop();
    });

    const q = (c: FsiClient, data: Obj) => c.ok(c.envelope('1317', { data: { updt_time: '2000-01-01 00:00:00', page_num: 1, page_size: 10, ...data } }));

    test('one row per pair the hospital billed, its fields from the lines and the catalogue, every field of table 46', async () => {
      const o = await q(a, {});
      assert.equal(o.recordCounts, 3);
      const by = new Map<string, Obj>(o.data.map((r: Obj) => [r.medins_list_codg, r]));
      assert.deepEqual([...by.keys()].sort(), ['HIS-AMX', 'HIS-GC', 'HIS-SYQ'], 'the cancelled line and the other hospital’s are not matches');
      const amx = by.get('HIS-AMX')!;
      assert.deepEqual(
        [amx.fixmedins_code, amx.med_list_codg, amx.medins_list_name, amx.list_type, amx.insu_admdvs, amx.begndate, amx.enddate, amx.vali_flag],
        [HA, 'XA0100001', '阿莫西林胶囊0.25g', '101', '500230', '2022-03-15', '', '1'],
      );
      const syq = by.get('HIS-SYQ')!;
      assert.deepEqual([syq.med_list_codg, syq.medins_list_name, syq.list_type, syq.insu_admdvs, syq.enddate, syq.vali_flag], ['C0000001', '', '301', '500000', '2022-06-30', '0']);
      const gc = by.get('HIS-GC')!;
      assert.deepEqual([gc.med_list_codg, gc.list_type, gc.insu_admdvs, gc.enddate], ['T0000001', '102', '500230', ''], 'a code the catalogue does not know: its form and the hospital’s region');
      for (const r of o.data as Obj[]) {
        for (const f of SPEC_OUTPUT_FIELDS['1317']['']) assert.ok(f in r, `1317 ${r.medins_list_codg}.${f}`);
        assert.match(r.updt_time, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
        assert.ok(r.crte_time <= r.updt_time);
      }
      assert.equal(new Set(o.data.map((r: Obj) => r.rid)).size, 3);
      // the other hospital sees its own pair only
      const ob = await q(b, {});
      assert.deepEqual(ob.data.map((r: Obj) => [r.medins_list_codg, r.med_list_codg, r.fixmedins_code]), [['ZY-AMX', 'XA0100001', HB]]);
    });

    test('paged as the other catalogue queries; the same pair keeps its rid', async () => {
      const p1 = await q(a, { page_size: 2 });
      const p2 = await q(a, { page_num: 2, page_size: 2 });
      const p3 = await q(a, { page_num: 3, page_size: 2 });
      assert.deepEqual([p1.data.length, p1.recordCounts, p1.pages, p1.isFirstPage, p1.isLastPage, p1.startRow, p1.endRow], [2, 3, 2, true, false, 1, 2]);
      assert.deepEqual([p2.data.length, p2.startRow, p2.endRow, p2.isLastPage], [1, 3, 3, true]);
      assert.deepEqual([p3.data.length, p3.recordCounts], [0, 3]);
      const all = [...p1.data, ...p2.data].map((r: Obj) => `${r.medins_list_codg}|${r.rid}`).sort();
      assert.deepEqual(all, (await q(a, {})).data.map((r: Obj) => `${r.medins_list_codg}|${r.rid}`).sort());
    });

    test('the filters of table 45', async () => {
      const codes = async (data: Obj) => (await q(a, data)).data.map((r: Obj) => r.medins_list_codg).sort();
      assert.deepEqual(await codes({ medins_list_codg: 'HIS-SYQ' }), ['HIS-SYQ']);
      assert.deepEqual(await codes({ medins_list_name: '0.25g' }), ['HIS-AMX']);
      assert.deepEqual(await codes({ med_list_codg: 'T0000001' }), ['HIS-GC']);
      assert.deepEqual(await codes({ list_type: '301' }), ['HIS-SYQ']);
      assert.deepEqual(await codes({ vali_flag: '1' }), ['HIS-AMX', 'HIS-GC']);
      assert.deepEqual(await codes({ vali_flag: '0' }), ['HIS-SYQ']);
      assert.deepEqual(await codes({ query_date: '2022-07-01' }), ['HIS-AMX', 'HIS-GC'], 'the consumable ended 2022-06-30');
      assert.deepEqual(await codes({ insu_admdvs: '500230' }), ['HIS-AMX', 'HIS-GC', 'HIS-SYQ'], 'the province’s row applies in the county');
      assert.deepEqual(await codes({ begndate: '2022-03-16' }), [], 'every pair was first billed on 2022-03-15');
      assert.deepEqual(await codes({ fixmedins_code: HA }), ['HIS-AMX', 'HIS-GC', 'HIS-SYQ']);
      assert.deepEqual(await codes({ updt_time: '2999-01-01 00:00:00' }), [], 'nothing billed since');
    });

    test('bad input: refused, the field named', async () => {
      const refused = async (data: Obj, field: RegExp) => {
        const r = await a.post(a.envelope('1317', { data }));
        assert.equal(r.infcode, -1);
        assert.match(r.err_msg, field);
      };
      await refused({ page_num: 1, page_size: 10 }, /data\.updt_time/);
      await refused({ updt_time: '2000-01-01', page_size: 10 }, /data\.page_num/);
      await refused({ updt_time: '2000-01-01', page_num: 1, page_size: 10, fixmedins_code: HB }, /data\.fixmedins_code/);
      await refused({ updt_time: '2000-01-01', page_num: 1, page_size: 10, insu_admdvs: '5002' }, /data\.insu_admdvs/);
      await refused({ updt_time: '2000-01-01', page_num: 1, page_size: 10, vali_flag: '2' }, /data\.vali_flag/);
    });
  });
