/**
 * 9101 文件上传 for 3202 对明细账 (issue #16): a hospital uploads its settlement rows as the spec has
 * them (a ZIP of a tab-separated TXT, the bytes as a JSON byte array or base64), 3202 names the
 * file by the file_qury_no 9101 gave and is answered row by row; the same msgid again gives the
 * same file_qury_no and stores nothing twice; another hospital cannot use the file; a file that
 * is not a ZIP, or too large, is refused naming the field.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../src/http/server.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { AuthService } from '../src/access/auth.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { zipFiles, unzipFiles } from '../src/hospitals/fsi/zip.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { listen } from './support/http.ts';
import { FsiClient, VILLAGE, enrolledPerson } from './support/fsi-client.ts';

const quotes = QuoteService.load();
const HA = 'H50023000091';
const HB = 'H50023000092';

test('a ZIP written here reads back (stored by name, deflated, UTF-8 names)', () => {
  const files = [{ name: '明细.txt', data: Buffer.from('a\tb\n'.repeat(1000)) }, { name: 'b.txt', data: Buffer.alloc(0) }];
  assert.deepEqual(unzipFiles(zipFiles(files)), files);
  assert.equal(unzipFiles(Buffer.from('plain text')), null);
});

for (const backend of BACKENDS)
  describe(`9101 and 3202 on ${backend}`, () => {
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
        { code: HB, name: '兴义镇卫生院', level: 'primary', region: '500230' },
      ]).execute();
      const auth = new AuthService(d.db);
      const ua = await auth.createUser(SYSTEM, { username: 'files-a', displayName: 'a', role: 'hospital', hospitalCode: HA });
      const ub = await auth.createUser(SYSTEM, { username: 'files-b', displayName: 'b', role: 'hospital', hospitalCode: HB });
      app = await buildServer(quotes, { database: d });
      const base = await listen(app);
      a = new FsiClient(base, await auth.issueApiToken(SYSTEM, ua, 'his'), HA, 'FA');
      b = new FsiClient(base, await auth.issueApiToken(SYSTEM, ub, 'his'), HB, 'FB');
    });
    after(async () => {
      await app?.close();
      await d?.drop();
    });

    test('upload the detail file, reconcile by it, retry, other hospital, bad files', async () => {
      await a.signIn();
      await b.signIn();
      const p = await enrolledPerson(d.db);
      const m = await a.outpatientVisit(p, 'FILES-1', 50);
      const s = (await a.ok(a.settleOutpatient(p, m, 50))).setlinfo;
      const txt = [
        [s.setl_id, m, p.psnNo, '50.00', String(s.fund_pay_sumamt), '0', '0'].join('\t'),
        ['NOSUCHSETL1', '', '', '10.00', '5.00', '0', '0'].join('\t'),
      ].join('\n');
      const zip = zipFiles([{ name: 'detail.txt', data: Buffer.from(txt, 'utf8') }]);
      // a Java client's signed bytes
      const signed = [...zip].map((x) => (x > 127 ? x - 256 : x));
      const env = a.envelope('9101', { fsUploadIn: { in: signed, filename: 'detail.zip', fixmedins_code: HA } });
      const up = await a.ok(env);
      assert.match(up.file_qury_no, /^UP[0-9A-F]{28}$/);
      assert.deepEqual([up.filename, up.fixmedins_code], ['detail.zip', HA]);
      assert.deepEqual(await a.ok(env), up, 'the same msgid: the same answer');
      assert.equal((await d.db.selectFrom('fsi_file').select('file_qury_no').execute()).length, 1);
      const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
      const rec = (c: FsiClient, no: string) =>
        c.envelope('3202', { data: { setl_optins: '500230', file_qury_no: no, stmt_begndate: today, stmt_enddate: today, medfee_sumamt: 60, fund_pay_sumamt: 0, cash_payamt: 0, fixmedins_setl_cnt: 2, clr_type: '11', fixmedins_refd_setl_flag: '0' } });
      const r = await a.ok(rec(a, up.file_qury_no));
      const bySetl = new Map(r.detail.map((x: any) => [x.setl_id, x]));
      assert.equal((bySetl.get(s.setl_id) as any).stmt_rslt, '0');
      assert.equal((bySetl.get('NOSUCHSETL1') as any).memo, '医保无此结算');
      assert.equal(r.stmtinfo.stmt_rslt, '1');
      // 9102: 3202's result file, the rows of its answer (table 151), to this hospital only
      const dl = (c: FsiClient) =>
        fetch(`${c.base}/fsi/api/rsfComIfsService/callService`, { method: 'POST', headers: { authorization: `Bearer ${c.token}`, 'content-type': 'application/json' }, body: JSON.stringify(c.envelope('9102', { fsDownloadIn: { file_qury_no: r.fileinfo.file_qury_no, filename: r.fileinfo.filename, fixmedins_code: 'plc' } })) });
      const res = await dl(a);
      assert.equal(res.headers.get('content-type'), 'application/zip');
      const [file] = unzipFiles(Buffer.from(await res.arrayBuffer()))!;
      const lines = file.data.toString('utf8').replace(/\n$/, '').split('\n').map((l) => l.split('\t'));
      assert.equal(lines.length, r.detail.length);
      assert.ok(lines.every((l) => l.length === 10));
      assert.ok(lines.some((l) => l[2] === 'NOSUCHSETL1' && l[6] === '医保无此结算'));
      assert.match((await (await dl(b)).json()).err_msg, /不是本机构对明细账【3202】的结果文件/);
      // base64 is taken too; a wrong amount in the file is a difference
      const wrong = zipFiles([{ name: 'detail.txt', data: Buffer.from([s.setl_id, m, p.psnNo, '49.00', String(s.fund_pay_sumamt), '0', '0'].join('\t')) }]);
      const up2 = await a.ok(a.envelope('9101', { fsUploadIn: { in: wrong.toString('base64'), filename: 'detail2.zip', fixmedins_code: HA } }));
      const r2 = await a.ok(rec(a, up2.file_qury_no));
      assert.equal(r2.detail[0].stmt_rslt, '1');
      assert.match(r2.detail[0].memo, /机构 49/);
      // another hospital: the file is not its own (taken as not sent: no rows of its own)
      const rb = await b.ok(rec(b, up.file_qury_no));
      assert.ok(rb.detail.every((x: any) => x.setl_id !== 'NOSUCHSETL1'));
      // bad files
      assert.match((await a.post(a.envelope('9101', { fsUploadIn: { in: [80, 75, 3, 4, 1, 2], filename: 'x.zip', fixmedins_code: HA } }))).err_msg, /fsuploadin\.in 不是可读的 ZIP/);
      assert.match((await a.post(a.envelope('9101', { fsUploadIn: { in: [1, 999], filename: 'x.zip', fixmedins_code: HA } }))).err_msg, /fsuploadin\.in 应为字节数组/);
      assert.match((await a.post(a.envelope('9101', { fsUploadIn: { in: 'AAAA', filename: 'x.zip', fixmedins_code: HB } }))).err_msg, /fixmedins_code/);
      assert.match((await a.post(a.envelope('9101', { fsUploadIn: { filename: 'x.zip', fixmedins_code: HA } }))).err_msg, /fsuploadin\.in 不能为空/);
      assert.equal((await d.db.selectFrom('fsi_file').select('file_qury_no').execute()).length, 2);
    });
  });
