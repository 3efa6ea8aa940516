/**
 * The catalogue (医保目录, issue #16 item 5): import from CSV / XLSX with bad rows reported by
 * line and the same file again changing nothing; the admin route and the paged list; the
 * platform's catalogue transactions through the envelope (1312 paged, 1318 / 1319 / 1316, the
 * versioned 1301–1306); and fee lines classified by med_list_codg from the catalogue — a 乙
 * item with a self-pay share and a price above its cap splits into over-limit, pre self-pay and
 * in-scope amounts, and the settlement equals the quote for the same lines.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { crc32, inflateRawSync } from 'node:zlib';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../src/http/server.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { AuthService } from '../src/access/auth.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { importCatalogue, parseCatalogueRow } from '../src/hospitals/catalogue/import.ts';
import { feeLineOf } from '../src/hospitals/fsi/fees.ts';
import { classifyLines } from '../src/rules/settlement/costs.ts';
import { itemFor } from '../src/hospitals/catalogue/items.ts';
import { DEMO_CATALOGUE } from '../src/sim/seed-demo.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { listen } from './support/http.ts';
import { FsiClient, VILLAGE, enrolledPerson } from './support/fsi-client.ts';

const quotes = QuoteService.load();
const HA = 'H50023000077';
const PERIOD = { start: '2022-01-01', end: '2022-12-31' };
const HEAD = 'med_list_codg,hilist_name,list_type,chrgitm_lv,med_chrgitm_type,hilist_pric_uplmt_amt,selfpay_prop,begndate,enddate,insu_admdvs,memo';

const GOOD = [
  'XB2CAT0001,阿托伐他汀钙片,101,02,09,120.00,0.1,2022-01-01,,500230,example: 乙类限价',
  'XA2CAT0002,二甲双胍片,101,甲,,,,2022-01-01,,500000,example: 甲类',
  'CM2CAT0003,一次性输液器,医用耗材,01,08,3.50,,2022-01-01,,500230,',
  'F2CAT00004,普通门诊诊查费,201,01,02,10,,2022-01-01,2022-12-31,500230,',
  'XC2CAT0005,某保健品,101,丙类,09,,,2022-01-01,,000000,example: 丙类',
];
const BAD = [
  ',无编码,101,01,09,,,2022-01-01,,500230,', // line 7: no code
  'XB2CAT0006,错误等级,101,04,09,,,2022-01-01,,500230,', // line 8: class
  'XB2CAT0007,甲类带比例,101,01,09,,0.1,2022-01-01,,500230,', // line 9: share on a 甲 item
  'XB2CAT0008,错误限价,101,02,09,-5,,2022-01-01,,500230,', // line 10: negative cap
  'XB2CAT0009,错误日期,101,02,09,,,2022-02-30,,500230,', // line 11: date
  'XB2CAT0010,错误区划,101,02,09,,,2022-01-01,,5002,', // line 12: region
  'XB2CAT0001,重复行,101,02,09,,,2022-01-01,,500230,', // line 13: repeats line 2
];

test('a catalogue row’s cap is its yuan to the fen, its share the same as a percentage or a decimal; a line split by it adds up', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 99_999_999 }), fc.integer({ min: 0, max: 100 }), fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 2_000_000 }), (capFen, pct, cnt, pricFen) => {
      const capText = `${Math.trunc(capFen / 100)}.${String(capFen % 100).padStart(2, '0')}`;
      const cells = (prop: string) => ({ med_list_codg: 'XP1', name: '药', list_type: '101', chrgitm_lv: '02', price_cap: capText, selfpay_prop: prop, begndate: '2022-01-01', region: '500230' }) as Record<string, string>;
      const a = parseCatalogueRow((f) => cells(`${pct}%`)[f], 2);
      const b = parseCatalogueRow((f) => cells((pct / 100).toFixed(2))[f], 2);
      assert.equal(a.price_cap_fen, capFen);
      assert.equal(a.selfpay_prop, b.selfpay_prop);
      // the split of a line of this item: the parts add up to the line, over-limit is what the price exceeds the cap by
      const amount = cnt * pricFen;
      const line = feeLineOf('1', 'B', amount, cnt, pricFen / 100, capFen / 100, Number(a.selfpay_prop));
      const split = classifyLines([line]).lines[0];
      assert.equal(split.fullOwnPay + split.overLimitSelfPay + split.preSelfPay + split.inScope, amount);
      assert.equal(split.overLimitSelfPay, Math.max(0, pricFen - capFen) * cnt);
    }),
    { numRuns: 300, seed: 16_05 },
  );
});

for (const backend of BACKENDS)
  describe(`catalogue on ${backend}`, () => {
    let d: TestDatabase;
    let app: FastifyInstance;
    let base: string;
    let admin: string;
    let hosp: string;
    let dir: string;

    before(async () => {
      d = await freshDatabase(backend);
      dir = mkdtempSync(join(tmpdir(), 'yibao-catalogue-test-'));
      await d.db.insertInto('admin_area').values([
        { code: '500230', name: '丰都县', level: 'county', parent_code: null, region: '500230' },
        { code: '500230100', name: '兴义镇', level: 'township', parent_code: '500230', region: '500230' },
        { code: VILLAGE, name: '兴义村', level: 'village', parent_code: '500230100', region: '500230' },
      ]).execute();
      await d.db.insertInto('hospital').values({ code: HA, name: '丰都县人民医院', level: 'secondary', region: '500230' }).execute();
      const auth = new AuthService(d.db);
      const a = await auth.createUser(SYSTEM, { username: 'cat-admin', displayName: 'admin', role: 'admin', password: 'cat-admin-test-password' });
      admin = await auth.issueApiToken(SYSTEM, a, 'test');
      const h = await auth.createUser(SYSTEM, { username: 'cat-hosp', displayName: 'his', role: 'hospital', hospitalCode: HA });
      hosp = await auth.issueApiToken(SYSTEM, h, 'his');
      app = await buildServer(quotes, { database: d });
      base = await listen(app);
    });
    after(async () => {
      await app?.close();
      await d?.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    const upload = (body: string, token: string, type = 'text/csv') =>
      fetch(`${base}/api/v1/catalogue/imports?fileName=cat.csv`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': type }, body });

    test('import: good rows in, bad rows back by line and column, the same file again changes nothing, audited', async () => {
      const file = [HEAD, ...GOOD, ...BAD].join('\n');
      const r = await upload(file, admin);
      assert.equal(r.status, 200);
      const s = await r.json();
      assert.equal(s.rows, 12);
      assert.equal(s.inserted, 5);
      assert.equal(s.bad, 7);
      assert.deepEqual(
        s.problems.map((p: any) => [p.line, p.field]),
        [[7, 'med_list_codg'], [8, 'chrgitm_lv'], [9, 'selfpay_prop'], [10, 'hilist_pric_uplmt_amt'], [11, 'begndate'], [12, 'insu_admdvs'], [13, 'med_list_codg']],
      );
      assert.match(s.problems[6].reason, /与第 2 行重复/);
      const again = await (await upload(file, admin)).json();
      assert.deepEqual([again.inserted, again.updated, again.unchanged, again.bad], [0, 0, 5, 7]);
      // a changed row: updated once, with a new version
      const before = await itemFor(d.db, 'XA2CAT0002', '500230', '2022-06-01');
      const changed = await (await upload([HEAD, GOOD[1].replace('二甲双胍片', '盐酸二甲双胍片')].join('\n'), admin)).json();
      assert.deepEqual([changed.inserted, changed.updated, changed.unchanged], [0, 1, 0]);
      const after = await itemFor(d.db, 'XA2CAT0002', '500230', '2022-06-01');
      assert.equal(after?.name, '盐酸二甲双胍片');
      assert.ok(after!.ver > before!.ver);
      const audits = await d.db.selectFrom('audit_log').select(['actor', 'detail']).where('action', '=', 'catalogue_import').execute();
      assert.equal(audits.length, 3);
      assert.equal(audits[0].actor, 'cat-admin');
      // only an admin imports; a file without the needed columns is a 400 naming them, nothing written
      assert.equal((await upload(file, hosp)).status, 403);
      const missing = await upload('med_list_codg,hilist_name\nX1,某药\n', admin);
      assert.equal(missing.status, 400);
      assert.match((await missing.json()).message, /缺少列 list_type/);
      assert.equal((await d.db.selectFrom('catalogue_item').select('rid').execute()).length, 5);
    });

    test('the example catalogue imports whole, every row marked example; an XLSX with Chinese headings too', async () => {
      const s = await importCatalogue(d.db, SYSTEM, { path: DEMO_CATALOGUE });
      assert.equal(s.bad, 0, JSON.stringify(s.problems));
      assert.ok(s.inserted >= 30);
      const rows = await d.db.selectFrom('catalogue_item').select(['example']).where('rid', 'not in', ['']).where('med_list_codg', 'not like', '%2CAT%').execute();
      assert.ok(rows.every((r) => r.example));
      const wb = new ExcelJS.Workbook();
      const ws = wb.addWorksheet('目录');
      ws.addRow(['医疗目录编码', '医保目录名称', '目录类别', '收费项目等级', '医保目录定价上限金额', '自付比例', '开始日期', '参保机构医保区划']);
      ws.addRow(['XL2CATX001', '伊马替尼片', '西药中成药', '乙类', 80, '20%', '2022-01-01', '500230']);
      ws.addRow(['XL2CATX002', '坏行', '西药中成药', '乙类', 'abc', '', '2022-01-01', '500230']);
      const path = join(dir, 'cat.xlsx');
      await wb.xlsx.writeFile(path);
      const x = await importCatalogue(d.db, SYSTEM, { path });
      assert.deepEqual([x.inserted, x.bad, x.problems[0]?.line, x.problems[0]?.field], [1, 1, 3, '医保目录定价上限金额']);
      const item = await itemFor(d.db, 'XL2CATX001', '500230', '2022-05-05');
      assert.deepEqual([item?.chrgitmLv, item?.priceCapFen, Number(item?.selfpayProp), item?.medChrgitmType], ['02', 8000, 0.2, '09']);
    });

    test('GET /api/v1/catalogue pages the catalogue; the most specific region applies; out of its dates an item is unknown', async () => {
      const get = (q: string, token = hosp) => fetch(`${base}/api/v1/catalogue?${q}`, { headers: { authorization: `Bearer ${token}` } });
      const p1 = await (await get('page=1&pageSize=2&region=500230&listType=101')).json();
      const p2 = await (await get('page=2&pageSize=2&region=500230&listType=101')).json();
      assert.equal(p1.items.length, 2);
      assert.equal(p1.total, p2.total);
      assert.equal(new Set([...p1.items, ...p2.items].map((i: any) => `${i.medListCodg}|${i.region}`)).size, 4);
      const one = await (await get('code=XB2CAT0001')).json();
      assert.deepEqual([one.total, one.items[0].kind, one.items[0].className, one.items[0].priceCap, one.items[0].selfpayProp], [1, '药品', '乙类', '120.00', '0.1000']);
      assert.equal((await get('pageSize=9999')).status, 400);
      // the county's own row before the country's; F2CAT00004 ends 2022-12-31
      const county = join(dir, 'county.csv');
      writeFileSync(county, `${HEAD}\nXC2CAT0005,某保健品（县）,101,02,09,,,2022-01-01,,500230,\n`);
      assert.equal((await importCatalogue(d.db, SYSTEM, { path: county })).inserted, 1);
      assert.equal((await itemFor(d.db, 'XC2CAT0005', '500230', '2022-03-01'))?.chrgitmLv, '02');
      assert.equal((await itemFor(d.db, 'XC2CAT0005', '510100', '2022-03-01'))?.chrgitmLv, '03');
      assert.equal(await itemFor(d.db, 'F2CAT00004', '500230', '2023-01-01'), null);
    });

    test('1312 pages the catalogue through the envelope; 1318 / 1319 / 1316 / 1301 as the spec lists them', async () => {
      const c = new FsiClient(base, hosp, HA, 'CQ');
      await c.signIn();
      const total = Number((await d.db.selectFrom('catalogue_item').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
      const seen = new Set<string>();
      let pages = 0;
      for (let page = 1; ; page++) {
        const o = await c.ok(c.envelope('1312', { data: { updt_time: '2000-01-01 00:00:00', page_num: page, page_size: 7 } }));
        pages = o.pages;
        assert.equal(o.recordCounts, total);
        assert.equal(o.pageNum, page);
        assert.equal(o.size, o.data.length);
        for (const r of o.data) {
          for (const f of ['hilist_code', 'hilist_name', 'insu_admdvs', 'begndate', 'enddate', 'med_chrgitm_type', 'chrgitm_lv', 'lmt_used_flag', 'list_type', 'med_use_flag', 'matn_used_flag', 'hilist_use_type', 'lmt_cpnd_type', 'wubi', 'pinyin', 'memo', 'vali_flag', 'rid', 'updt_time', 'crter_id', 'crter_name', 'crte_time', 'crte_optins_no', 'opter_id', 'opter_name', 'opt_time', 'optins_no', 'poolarea_no'])
            assert.ok(f in r, `1312 data.${f}`);
          seen.add(`${r.hilist_code}|${r.insu_admdvs}|${r.begndate}`);
        }
        if (o.isLastPage) break;
      }
      assert.equal(pages, Math.ceil(total / 7));
      assert.equal(seen.size, total, 'every row once across the pages');
      // changed since a time in the future: nothing
      const none = await c.ok(c.envelope('1312', { data: { updt_time: '2099-01-01', page_num: 1, page_size: 10 } }));
      assert.deepEqual([none.recordCounts, none.data.length, none.pages], [0, 0, 0]);
      // bad paging: the field named
      const bad = await c.post(c.envelope('1312', { data: { updt_time: '2000-01-01', page_num: 0, page_size: 10 } }));
      assert.equal(bad.infcode, -1);
      assert.match(bad.err_msg, /page_num/);
      const noUpdt = await c.post(c.envelope('1318', { data: { page_num: 1, page_size: 10 } }));
      assert.match(noUpdt.err_msg, /updt_time 不能为空/);
      const lim = await c.ok(c.envelope('1318', { data: { updt_time: '2000-01-01', hilist_code: 'XB2CAT0001', page_num: 1, page_size: 10 } }));
      assert.deepEqual([lim.recordCounts, lim.data[0].hilist_pric_uplmt_amt, lim.data[0].insu_admdvs], [1, 120, '500230']);
      const sp = await c.ok(c.envelope('1319', { data: { updt_time: '2000-01-01', page_num: 1, page_size: 100 } }));
      assert.ok(sp.data.length > 0 && sp.data.every((r: any) => r.selfpay_prop > 0 && r.selfpay_prop_type === '10'));
      assert.ok(sp.data.some((r: any) => r.hilist_code === 'XB2CAT0001' && r.selfpay_prop === 0.1));
      const match = await c.ok(c.envelope('1316', { data: { updt_time: '2000-01-01', med_list_codg: 'CM2CAT0003', page_num: 1, page_size: 10 } }));
      assert.deepEqual([match.data[0].med_list_codg, match.data[0].hilist_code, match.data[0].list_type], ['CM2CAT0003', 'CM2CAT0003', '301']);
      // 1301 from v0000: every drug row the hospital's region sees; from the top version: none
      const drugs = Number((await d.db.selectFrom('catalogue_item').select((eb) => eb.fn.countAll<string>().as('n')).where('list_type', 'in', ['101', '105']).where('region', 'in', ['500230', '500200', '500000', '000000']).executeTakeFirstOrThrow()).n);
      const dl = await c.ok(c.envelope('1301', { data: { ver: 'v0000' } }));
      assert.equal(dl.data_cnt, drugs);
      assert.ok(dl.file_qury_no && dl.filename && /^\d{4}-\d{2}-\d{2}$/.test(dl.dld_end_time));
      const top = /_v(\d+)\.txt$/.exec(dl.filename)![1];
      assert.equal((await c.ok(c.envelope('1301', { data: { ver: `v${top}` } }))).data_cnt, 0);
      assert.match((await c.post(c.envelope('1306', { data: { ver: 'latest' } }))).err_msg, /data\.ver/);
      // 9102: the file itself, a TXT in a ZIP, one line a row in the spec's 97 columns
      const res = await fetch(`${base}/fsi/api/rsfComIfsService/callService`, {
        method: 'POST',
        headers: { authorization: `Bearer ${hosp}`, 'content-type': 'application/json' },
        body: JSON.stringify(c.envelope('9102', { fsDownloadIn: { file_qury_no: dl.file_qury_no, filename: dl.filename, fixmedins_code: 'plc' } })),
      });
      assert.equal(res.headers.get('content-type'), 'application/zip');
      const zip = Buffer.from(await res.arrayBuffer());
      assert.equal(zip.readUInt32LE(0), 0x04034b50);
      const nameLen = zip.readUInt16LE(26);
      assert.equal(zip.subarray(30, 30 + nameLen).toString('utf8'), dl.filename);
      const txt = inflateRawSync(zip.subarray(30 + nameLen, 30 + nameLen + zip.readUInt32LE(18))).toString('utf8');
      assert.equal(crc32(Buffer.from(txt, 'utf8')), zip.readUInt32LE(14));
      const fileRows = txt.replace(/\n$/, '').split('\n').map((l) => l.split('\t'));
      assert.equal(fileRows.length, drugs);
      assert.ok(fileRows.every((r) => r.length === 97));
      const atorva = fileRows.find((r) => r[0] === 'XB2CAT0001')!;
      assert.deepEqual([atorva[1], atorva[36], atorva[91]], ['阿托伐他汀钙片', '2022-01-01', '02']);
      // a file query number it did not give: refused in the envelope
      const forged = await c.post(c.envelope('9102', { fsDownloadIn: { file_qury_no: 'X1', filename: 'a.txt', fixmedins_code: 'plc' } }));
      assert.match(forged.err_msg, /file_qury_no X1 不是本系统生成的文件查询号/);
    });

    test('2204 classifies a line by med_list_codg: a 乙 item over its cap with a self-pay share settles as the quote', async () => {
      const c = new FsiClient(base, hosp, HA, 'CF');
      await c.signIn();
      const p = await enrolledPerson(d.db, ['dibao']);
      const m = await c.registerOutpatient(p, 'CAT-MZ-1');
      // 2 × 150.00 of XB2CAT0001 (乙, cap 120, share 10%): over the cap 60, pre self-pay 24, in scope 216;
      // the client's chrgitm_lv 01 and no cap are not taken for a code the catalogue knows
      const known = { ...c.fee(p, m, 1, 300), med_list_codg: 'XB2CAT0001', cnt: 2, pric: 150, chrgitm_lv: '01' };
      // a code the catalogue does not know: the client's 丙 stands
      const unknown = { ...c.fee(p, m, 2, 40), med_list_codg: 'XNOTINCAT9', chrgitm_lv: '03' };
      // a code known for 500000 (the province's row), the client's class left out
      const provincial = { ...c.fee(p, m, 3, 25.5), med_list_codg: 'XA2CAT0002', chrgitm_lv: null };
      const up = await c.ok(c.envelope('2204', { feedetail: [known, unknown, provincial] }));
      const [a, b, e] = up.result;
      assert.deepEqual(
        [a.chrgitm_lv, a.med_chrgitm_type, a.pric_uplmt_amt, a.selfpay_prop, a.fulamt_ownpay_amt, a.overlmt_amt, a.preselfpay_amt, a.inscp_scp_amt],
        ['02', '09', 120, 0.1, 0, 60, 24, 216],
      );
      assert.deepEqual([b.chrgitm_lv, b.fulamt_ownpay_amt, b.inscp_scp_amt], ['03', 40, 0]);
      assert.deepEqual([e.chrgitm_lv, e.inscp_scp_amt, e.med_chrgitm_type], ['01', 25.5, '09']);
      assert.match(a.memo, /乙类（医保目录 500230 2022-01-01 起，示例目录）/);
      const quote = quotes.settlement({
        region: '500230', coverageYear: 2022, tier: 'tier1', person: { statuses: ['dibao'], benefitPeriod: PERIOD },
        encounter: {
          type: 'general_outpatient', date: '2022-03-15', hospitalLevel: 'secondary',
          fees: [
            { sn: '1', catalogClass: '乙', amount: 300, quantity: 2, unitPrice: 150, priceLimit: 120, selfPayRatio: '0.1' },
            { sn: '2', catalogClass: '丙', amount: 40 },
            { sn: '3', catalogClass: '甲', amount: 25.5 },
          ],
        },
      });
      const s = await c.ok(c.settleOutpatient(p, m, 365.5));
      for (const [k, v] of Object.entries(quote.setlinfo)) assert.equal(s.setlinfo[k], v, `2207 setlinfo.${k}`);
      assert.equal(s.setlinfo.overlmt_selfpay, 60);
      assert.equal(s.setlinfo.preselfpay_amt, 24);
      assert.equal(s.setlinfo.fulamt_ownpay_amt, 40);
      const msg = await d.db.selectFrom('fsi_message').select('effect').where('infno', '=', '2204').where('hospital_code', '=', HA).orderBy('received_at', 'desc').executeTakeFirstOrThrow();
      assert.deepEqual((msg.effect as any).classified_by_catalogue, ['1', '3']);
    });
      test('yibao catalogue import: exit 1 with bad rows by line, 0 and nothing changed the second time once fixed, 2 for a file it cannot use (a separate process: server only)', { skip: backend !== 'server' }, () => {
      const bin = join(import.meta.dirname, '..', 'bin', 'yibao.js');
      const run = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { env: { ...process.env, DATABASE_URL: d.where }, encoding: 'utf8', timeout: 120_000 });
      const file = join(dir, 'cli.csv');
      writeFileSync(file, `${HEAD}\nXCLI000001,命令行导入药,101,02,09,12.5,10%,2022-01-01,,500230,\nXCLI000002,坏行,101,02,09,,,2022-13-01,,500230,\n`);
      const a = run(['catalogue', 'import', file]);
      assert.equal(a.status, 1, a.stderr);
      assert.match(a.stderr, /2 rows: 1 new, 0 changed, 0 unchanged, 1 bad/);
      assert.match(a.stderr, /line 3: begndate: 开始日期 2022-13-01/);
      writeFileSync(file, `${HEAD}\nXCLI000001,命令行导入药,101,02,09,12.5,10%,2022-01-01,,500230,\n`);
      const b = run(['catalogue', 'import', file]);
      assert.equal(b.status, 0, b.stderr);
      assert.match(b.stderr, /1 rows: 0 new, 0 changed, 1 unchanged, 0 bad/);
      writeFileSync(file, 'code,name\nX,Y\n');
      const c = run(['catalogue', 'import', file]);
      assert.equal(c.status, 2);
      assert.match(c.stderr, /^error: file: cli\.csv: 缺少列/);
      assert.equal(run(['catalogue', 'import', join(dir, 'nope.csv')]).status, 2);
    });
});
