/**
 * The other catalogue downloads (issue #16): 1303 医疗机构制剂 and 1304 民族药品 from the
 * catalogue's list types 103 / 104; the reference lists 1307–1315 — 1307 / 1308 from the bundled
 * CHS-DRG 1.1 diagnoses and procedures, 1309 from the pack's chronic diseases, the rest from
 * example rows marked as examples — each file in the spec's columns through 9102; an imported
 * list row replacing a built-in one and raising the version; the same file again changes nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../src/http/server.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { AuthService } from '../src/access/auth.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { importCatalogue } from '../src/hospitals/catalogue/import.ts';
import { REFERENCE_LISTS, importReferenceList } from '../src/hospitals/catalogue/reference-lists.ts';
import { loadDrgScheme } from '../src/policy/drg-compile.ts';
import { freshDatabase, type TestDatabase } from './support/databases.ts';
import { listen, logIn } from './support/http.ts';
import { FsiClient, VILLAGE } from './support/fsi-client.ts';

const quotes = QuoteService.load();
const HA = 'H50023000078';
const ADMIN = { userId: '0', username: 'test-admin', role: 'admin' as const, villages: [], hospitalCode: null };

describe('the other catalogue downloads, on server', () => {
  let d: TestDatabase;
  let app: FastifyInstance;
  let base: string;
  let hosp: string;
  let dir: string;
  let c: FsiClient;

  before(async () => {
    d = await freshDatabase('server');
    dir = mkdtempSync(join(tmpdir(), 'yibao-lists-test-'));
    await d.db.insertInto('admin_area').values([
      { code: '500230', name: '丰都县', level: 'county', parent_code: null, region: '500230' },
      { code: '500230100', name: '兴义镇', level: 'township', parent_code: '500230', region: '500230' },
      { code: VILLAGE, name: '兴义村', level: 'village', parent_code: '500230100', region: '500230' },
    ]).execute();
    await d.db.insertInto('hospital').values({ code: HA, name: '丰都县人民医院', level: 'secondary', region: '500230' }).execute();
    const auth = new AuthService(d.db);
    const h = await auth.createUser(SYSTEM, { username: 'lists-hosp', displayName: 'his', role: 'hospital', hospitalCode: HA });
    hosp = await auth.issueApiToken(SYSTEM, h, 'his');
    const csv = join(dir, 'cat.csv');
    writeFileSync(
      csv,
      [
        'med_list_codg,hilist_name,list_type,chrgitm_lv,med_chrgitm_type,hilist_pric_uplmt_amt,selfpay_prop,begndate,enddate,insu_admdvs,memo',
        'ZZ1303A001,院内制剂止咳合剂,103,02,11,,,2022-01-01,,500230,example: 自制剂',
        'ZM1304A001,藏药示例丸,104,02,11,,,2022-01-01,,500000,example: 民族药',
        'ZM1304A002,蒙药示例散,104,03,11,,,2022-01-01,2022-06-30,500230,example: 已失效',
        'XA1301A001,示例西药片,101,01,11,,,2022-01-01,,500230,example: 西药',
      ].join('\n'),
    );
    await importCatalogue(d.db, ADMIN, { path: csv });
    app = await buildServer(quotes, { database: d });
    base = await listen(app);
    c = new FsiClient(base, hosp, HA, 'CL');
    await c.signIn();
  });
  after(async () => {
    await app?.close();
    await d?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** 9102's file of a download's answer: its lines split into cells */
  async function file(dl: { file_qury_no: string; filename: string }): Promise<string[][]> {
    const res = await fetch(`${base}/fsi/api/rsfComIfsService/callService`, {
      method: 'POST',
      headers: { authorization: `Bearer ${hosp}`, 'content-type': 'application/json' },
      body: JSON.stringify(c.envelope('9102', { fsDownloadIn: { file_qury_no: dl.file_qury_no, filename: dl.filename, fixmedins_code: 'plc' } })),
    });
    assert.equal(res.headers.get('content-type'), 'application/zip');
    const zip = Buffer.from(await res.arrayBuffer());
    const nameLen = zip.readUInt16LE(26);
    const txt = inflateRawSync(zip.subarray(30 + nameLen, 30 + nameLen + zip.readUInt32LE(18))).toString('utf8');
    return txt === '' ? [] : txt.replace(/\n$/, '').split('\n').map((l) => l.split('\t'));
  }

  test('1303 serves the 自制剂 rows in table 18’s 83 columns; 1304 pages the 民族药 with every field of table 20', async () => {
    const dl = await c.ok(c.envelope('1303', { data: { ver: 'v0000' } }));
    assert.equal(dl.data_cnt, 1);
    const rows = await file(dl);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].length, 83);
    assert.deepEqual([rows[0][0], rows[0][1], rows[0][64], rows[0][80]], ['ZZ1303A001', '院内制剂止咳合剂', '1', '500230']);
    // 1301 (西药中成药, list_type 101 / 105) carries neither the 自制剂 (1303's) nor the 民族药 (1304's)
    const drugs = (await file(await c.ok(c.envelope('1301', { data: { ver: 'v0000' } })))).map((r) => r[0]);
    assert.deepEqual(drugs, ['XA1301A001'], '1301 has the 101 row and no 103 / 104 rows');
    const q = await c.ok(c.envelope('1304', { data: { updt_time: '2000-01-01 00:00:00', page_num: 1, page_size: 10 } }));
    assert.equal(q.recordCounts, 2);
    assert.equal(Object.keys(q.data[0]).length, 54);
    for (const f of ['med_list_codg', 'drug_prodname', 'ethdrug_type', 'efcc_atd', 'vali_flag', 'rid', 'crte_time', 'updt_time', 'opt_time', 'optins_no', 'ver']) assert.ok(f in q.data[0], f);
    const valid = await c.ok(c.envelope('1304', { data: { updt_time: '2000-01-01', vali_flag: '1', page_num: 1, page_size: 10 } }));
    assert.deepEqual(valid.data.map((r: any) => r.med_list_codg), ['ZM1304A001']);
    const ended = await c.ok(c.envelope('1304', { data: { updt_time: '2000-01-01', vali_flag: '0', page_num: 1, page_size: 10 } }));
    assert.deepEqual(ended.data.map((r: any) => [r.med_list_codg, r.vali_flag]), [['ZM1304A002', '0']]);
    assert.match((await c.post(c.envelope('1304', { data: { page_num: 1, page_size: 10 } }))).err_msg, /updt_time/);
  });

  test('1307 / 1308 are the CHS-DRG diagnoses and procedures; 1309 the pack’s chronic diseases; 1310–1315 example rows marked; every file in its spec columns', async () => {
    const drg = loadDrgScheme();
    const counts: Record<string, number> = { '1307': drg.diagnosisNames.size, '1308': drg.procedureNames.size };
    for (const infno of Object.keys(REFERENCE_LISTS)) {
      const dl = await c.ok(c.envelope(infno, { data: { ver: 'v0' } }));
      assert.match(dl.filename, new RegExp(`^${infno}_v0_v1\\.txt$`));
      if (counts[infno]) assert.equal(dl.data_cnt, counts[infno], infno);
      assert.ok(dl.data_cnt > 0, `${infno} has rows`);
      const rows = await file(dl);
      assert.equal(rows.length, dl.data_cnt, infno);
      const list = REFERENCE_LISTS[infno];
      assert.ok(rows.every((r) => r.length === list.columns.length && r[list.at.code] !== '' && r[list.at.vali] === '1' && r[list.at.ver] === '1'), infno);
      if (infno !== '1307' && infno !== '1308') assert.ok(rows.every((r) => (list.at.memo >= 0 ? /^example/.test(r[list.at.memo]) : r[list.at.verName] === 'example')), `${infno} rows are examples`);
      // from the list's version: nothing new
      assert.equal((await c.ok(c.envelope(infno, { data: { ver: 'v1' } }))).data_cnt, 0);
    }
    const dx = (await file(await c.ok(c.envelope('1307', { data: { ver: 'v0' } })))).find((r) => r[10] === 'A00.000')!;
    assert.deepEqual([dx[6], dx[8], dx[11]], ['A00', 'A00.0', drg.diagnosisNames.get('A00.000')]);
    const chronic = await file(await c.ok(c.envelope('1309', { data: { ver: 'v0' } })));
    assert.ok(chronic.some((r) => r[0] === 'hypertension' && r[1] === '高血压' && r[3] === '500230'));
    assert.match((await c.post(c.envelope('1310', { data: {} }))).err_msg, /data\.ver/);
  });

  test('an imported list row replaces the built-in one and raises the version; bad rows come back by line; the same file again changes nothing', async () => {
    const csv = join(dir, '1314.csv');
    writeFileSync(csv, ['疾病分类代码,疾病分类名称,备注', 'EX0001,感冒（本地）,', 'NEW001,咳嗽,', ',无编码,', 'NEW001,重复,'].join('\n'));
    const s = await importReferenceList(d.db, ADMIN, { infno: '1314', path: csv });
    assert.deepEqual([s.rows, s.inserted, s.bad, s.problems.map((p) => p.line)], [4, 2, 2, [4, 5]]);
    const again = await importReferenceList(d.db, ADMIN, { infno: '1314', path: csv });
    assert.deepEqual([again.inserted, again.updated, again.unchanged], [0, 0, 2]);
    const all = await c.ok(c.envelope('1314', { data: { ver: 'v0' } }));
    const rows = await file(all);
    assert.equal(rows.filter((r) => r[5] === 'EX0001').length, 1);
    assert.equal(rows.find((r) => r[5] === 'EX0001')![6], '感冒（本地）');
    const top = Number(/_v(\d+)\.txt$/.exec(all.filename)![1]);
    assert.ok(top >= 2);
    const newer = await c.ok(c.envelope('1314', { data: { ver: 'v1' } }));
    assert.equal(newer.data_cnt, 2);
    const audits = await d.db.selectFrom('audit_log').select('detail').where('action', '=', 'reference_list_import').execute();
    assert.equal(audits.length, 2);
    await assert.rejects(importReferenceList(d.db, ADMIN, { infno: '1314', path: join(dir, '1314.csv'), fileName: 'x.csv' }).then(async () => {
      writeFileSync(csv, '名称\nx');
      return importReferenceList(d.db, ADMIN, { infno: '1314', path: csv });
    }), /疾病分类代码/);
  });

  test('over HTTP an admin imports a reference list (the body the file); a hospital is refused; a list that is not one is a 400 naming infno', async () => {
    const auth = new AuthService(d.db);
    await auth.createUser(SYSTEM, { username: 'lists-admin', displayName: '管理员', password: 'admin-password-1', role: 'admin' });
    const admin = await logIn(base, 'lists-admin', 'admin-password-1');
    const body = ['证候分类代码,证候分类名称', 'ZH0001,风寒证（本地）', ',缺编码'].join('\n');
    const post = (infno: string, token: string) => fetch(`${base}/api/v1/catalogue/reference-lists/${infno}/imports?fileName=1315.csv`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' }, body });
    const ok = await post('1315', admin);
    assert.equal(ok.status, 200, await ok.clone().text());
    const s = (await ok.json()) as { inserted: number; bad: number; problems: { line: number }[] };
    assert.deepEqual([s.inserted, s.bad, s.problems.map((p) => p.line)], [1, 1, [3]]);
    const again = (await (await post('1315', admin)).json()) as { inserted: number; unchanged: number };
    assert.deepEqual([again.inserted, again.unchanged], [0, 1]);
    const rows = await file(await c.ok(c.envelope('1315', { data: { ver: 'v0' } })));
    assert.ok(rows.some((r) => r.includes('ZH0001') && r.includes('风寒证（本地）')));
    assert.equal((await post('1315', hosp)).status, 403);
    const bad = await post('1399', admin);
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /infno/);
  });
});
