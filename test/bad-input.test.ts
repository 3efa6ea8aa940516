/**
 * Issue #11 item 13: no 500 for bad input. NUL characters and lone surrogates in any field, an
 * unknown user for a token, ids and cursors past the bigint range, a crafted XLSX, a NUL in an
 * envelope's msgid or sign_no — each a 400 naming the field (the platform: infcode -1), on
 * PGlite and on the PostgreSQL server.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import JSZip from 'jszip';
import { buildServer } from '../src/http/server.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { AuthService } from '../src/access/auth.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { XLSX_MIME } from '../src/sheets.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { FSI_PATH } from './support/fsi-client.ts';
import { listen, logIn, request } from './support/http.ts';

const NUL = '\u0000';

/** Crafted workbooks: the parts ExcelJS trips over (broken XML, a column past XFD, a number format without its code). */
const CRAFTED: Record<string, Record<string, string>> = {
  'broken shared strings': { 'xl/sharedStrings.xml': '<sst><si><t>a</t><<</si></sst>', 'xl/worksheets/sheet1.xml': '<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>' },
  'a column past the last': { 'xl/worksheets/sheet1.xml': '<worksheet><sheetData><row r="abc"><c r="ZZZZZZZ1"><v>1</v></c></row></sheetData></worksheet>' },
  'a style without its format': { 'xl/styles.xml': '<styleSheet><numFmts count="1"><numFmt numFmtId="999"/></numFmts><cellXfs><xf numFmtId="999"/></cellXfs></styleSheet>', 'xl/worksheets/sheet1.xml': '<worksheet><sheetData><row r="1"><c r="A1" s="7"><v>1</v></c></row></sheetData></worksheet>' },
};
async function craftedXlsx(files: Record<string, string>): Promise<Buffer> {
  const z = new JSZip();
  for (const [name, text] of Object.entries(files)) z.file(name, text);
  return z.generateAsync({ type: 'nodebuffer' });
}

for (const backend of BACKENDS)
  describe(`bad input on ${backend}`, () => {
    let d: TestDatabase;
    let app: FastifyInstance;
    let base: string;
    let admin: string;
    let clerk: string;
    let hospital: string;
    before(async () => {
      d = await freshDatabase(backend);
      const auth = new AuthService(d.db);
      await d.db.insertInto('hospital').values({ code: 'H001', name: '丰都县人民医院', level: 'secondary', region: '500230' }).execute();
      await auth.createUser(SYSTEM, { username: 'admin', displayName: '管理员', password: 'bad-input-admin-1', role: 'admin' });
      await auth.createUser(SYSTEM, { username: 'clerk1', displayName: '村办', password: 'bad-input-clerk-1', role: 'clerk', villages: ['500230100'] });
      const h = await auth.createUser(SYSTEM, { username: 'h001', displayName: '医院', role: 'hospital', hospitalCode: 'H001' });
      hospital = await auth.issueApiToken(SYSTEM, h, 'his');
      app = await buildServer(QuoteService.load(), { database: d, console: false });
      base = await listen(app);
      admin = await logIn(base, 'admin', 'bad-input-admin-1');
      clerk = await logIn(base, 'clerk1', 'bad-input-clerk-1');
    });
    after(async () => {
      await app?.close();
      await d?.drop();
    });

    const refused = async (method: string, path: string, token: string | undefined, body: unknown, field: string | RegExp, headers?: Record<string, string>) => {
      const r = await request(base, method, path, token, body, headers);
      assert.equal(r.status, 400, `${method} ${path}: ${r.text}`);
      if (typeof field === 'string') assert.equal(r.json.field, field, r.text);
      else assert.match(r.json.field, field, r.text);
      assert.doesNotMatch(r.text, /at \w+ \(|node_modules|stack/);
      return r;
    };

    test('a NUL character in any string field is a 400 naming it', async () => {
      await refused('POST', '/api/v1/session', undefined, { username: `ad${NUL}min`, password: 'x' }, 'username');
      await refused('POST', '/api/v1/session', undefined, { username: 'admin', password: `pw${NUL}` }, 'password');
      await refused('POST', '/api/v1/payments', clerk, { reference: `R${NUL}1`, channel: 'online', idNumber: '50023019800501123X', coverageYear: 2022, amountYuan: 320, paidOn: '2022-01-05' }, 'reference');
      await refused('POST', '/api/v1/households', clerk, { villageCode: '500230100001', houseNo: `1${NUL}` }, 'houseNo');
      await refused('POST', '/api/v1/hospitals', admin, { code: 'H9', name: `医${NUL}院`, level: 'primary', region: '500230' }, 'name');
      await refused('POST', '/api/v1/encounters', hospital, { idNumber: '50023019800501123X', coverageYear: 2022, type: 'outpatient', date: '2022-03-01', externalId: `M${NUL}`, costs: { inScope: 10 } }, 'externalId');
      await refused('GET', `/api/v1/persons?name=${encodeURIComponent(`张${NUL}`)}`, clerk, undefined, 'name');
    });

    test('a lone surrogate in JSON is a 400 naming the field', async () => {
      await refused('POST', '/api/v1/session', undefined, '{"username":"\\ud800","password":"x"}', 'username', { 'content-type': 'application/json' });
      await refused('POST', '/api/v1/hospitals', admin, '{"code":"H9","name":"a\\udc00b","level":"primary","region":"500230"}', 'name', { 'content-type': 'application/json' });
    });

    test('a token for a user that does not exist is a 404; ids and cursors past bigint are 400s', async () => {
      const r = await request(base, 'POST', '/api/v1/users/999999/tokens', admin, { label: 'x' });
      assert.equal(r.status, 404, r.text);
      await refused('POST', '/api/v1/users/99999999999999999999/tokens', admin, { label: 'x' }, 'id');
      await refused('GET', '/api/v1/audit?after=99999999999999999999', admin, undefined, 'after');
      await refused('GET', '/api/v1/audit?before=1e300', admin, undefined, 'before');
      await refused('GET', '/api/v1/enrollments?after=99999999999999999999', admin, undefined, 'after');
      await refused('GET', '/api/v1/duplicates?after=99999999999999999999', admin, undefined, 'after');
      await refused('GET', '/api/v1/settlements?after=99999999999999999999', admin, undefined, 'after');
      await refused('GET', '/api/v1/persons?page=1e300', admin, undefined, 'page');
      await refused('GET', '/api/v1/persons/99999999999999999999', admin, undefined, 'id');
    });

    test('a crafted XLSX is a 400 with no internal error text', async () => {
      for (const [what, files] of Object.entries(CRAFTED)) {
        const body = await craftedXlsx(files);
        for (const path of ['/api/v1/imports/persons', '/api/v1/imports/payments', '/api/v1/imports/employee-insurance', '/api/v1/monitoring/imports/evouchers', '/api/v1/monitoring/imports/payment-files']) {
          const r = await request(base, 'POST', path, path.endsWith('persons') ? clerk : admin, body, { 'content-type': XLSX_MIME });
          assert.equal(r.status, 400, `${what} to ${path}: ${r.text}`);
          assert.doesNotMatch(r.text, /TypeError|undefined|Cannot read|at \w+ \(|disallowed|Out of bounds/i, r.text);
        }
      }
      const junk = await request(base, 'POST', '/api/v1/imports/persons', clerk, Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(3000, 7)]), { 'content-type': XLSX_MIME });
      assert.equal(junk.status, 400, junk.text);
      assert.doesNotMatch(junk.text, /TypeError|Cannot read|at \w+ \(|signature/i, junk.text);
    });

    test('a NUL in an envelope msgid or sign_no is infcode -1 naming the field', async () => {
      for (const [field, extra] of [
        ['msgid', { msgid: `H001${NUL}2022` }],
        ['sign_no', { sign_no: `S${NUL}` }],
        ['input.data.psn_no', { input: { data: { psn_no: `1${NUL}` } } }],
      ] as const) {
        const env: Record<string, unknown> = Object.assign({ infno: '1101', msgid: 'H00120220315090000000001', mdtrtarea_admvs: '500230', insuplc_admdvs: '500230', recer_sys_code: 'FSI_LOCAL', infver: 'V1.0', opter_type: '1', opter: '1', opter_name: 'a', inf_time: '2022-03-15 09:00:00', fixmedins_code: 'H001', fixmedins_name: '丰都县人民医院', sign_no: '', input: { data: { psn_no: '1' } } }, extra);
        const r = await request(base, 'POST', FSI_PATH, hospital, env);
        assert.equal(r.status, 200);
        assert.equal(r.json.infcode, -1, r.text);
        assert.ok(r.json.err_msg.includes(field), r.json.err_msg);
        assert.doesNotMatch(r.json.err_msg, /系统内部错误/);
      }
    });
  });
