/**
 * Issue #11 item 11: exports that open in Excel. Text cells of CSV exports beginning with = + -
 * @ (or a tab / CR) are neutralised; names with control, bidirectional-override or invisible
 * characters are refused at import (the row named with its field) and by the API.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { csvText, neutraliseCell, openSheetWriter } from '../src/sheets.ts';
import { personName } from '../src/registers/terms.ts';
import { buildServer } from '../src/http/server.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { AuthService } from '../src/access/auth.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { makeIdNumber } from '../src/registers/id-number.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { listen, logIn, request } from './support/http.ts';

test('a cell that a spreadsheet would read as a formula gets an apostrophe; numbers and plain text stay', () => {
  for (const s of ['=1+1', '=HYPERLINK("http://x","y")', '+86 123', '-cmd|calc', '@SUM(A1)', '\tx', '\rx']) assert.equal(neutraliseCell(s), `'${s}`, JSON.stringify(s));
  for (const s of ['-12.50', '+3', '12', '张三', '', '-', 'a=b', '2022-01-01']) assert.equal(neutraliseCell(s), s, JSON.stringify(s));
  assert.equal(csvText([['=1+1', -5, '-5.00', '张三']]), "'=1+1,-5,-5.00,张三\n");
});

test('a long CSV export waits for drains without piling listeners on the file stream', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'yibao-csv-'));
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  process.on('warning', onWarning);
  try {
    const w = await openSheetWriter(join(dir, 'long.csv'), 'rows');
    const wide = 'x'.repeat(400);
    for (let i = 0; i < 20_000; i += 1) await w.write([i, wide]); // ~8 MB: many waits for a drain
    await w.close();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(warnings.filter((x) => x.name === 'MaxListenersExceededWarning').map((x) => x.message), []);
    assert.equal(readFileSync(join(dir, 'long.csv'), 'utf8').trim().split('\n').length, 20_000);
  } finally {
    process.off('warning', onWarning);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the CSV writer behind the exports neutralises text cells', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'yibao-csv-'));
  try {
    const w = await openSheetWriter(join(dir, 'out.csv'), 'x');
    await w.write(['@SUM(A1:A9)', '=1+1', 12.5, '-12.50', '欧阳小明']);
    await w.close();
    assert.equal(readFileSync(join(dir, 'out.csv'), 'utf8'), "\uFEFF'@SUM(A1:A9),'=1+1,12.5,-12.50,欧阳小明\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a name with a bidirectional override, an isolate or an invisible character is refused naming the field', () => {
  for (const bad of ['张\u202E三', '\u2066李四\u2069', '王\u200B五', '赵\u00AD六', '钱\u2028七', '孙\uE000八'])
    assert.throws(() => personName(bad, '姓名'), (e: Error & { field?: string }) => e.field === '姓名' && /direction|invisible/.test(e.message), JSON.stringify(bad));
  assert.equal(personName('阿卜杜·热合曼'), '阿卜杜·热合曼');
});

for (const backend of BACKENDS)
  describe(`names at import on ${backend}`, () => {
    let d: TestDatabase;
    let app: FastifyInstance;
    let base: string;
    let admin: string;
    before(async () => {
      d = await freshDatabase(backend);
      await new AuthService(d.db).createUser(SYSTEM, { username: 'admin', displayName: '管理员', password: 'csv-admin-pw-1', role: 'admin' });
      app = await buildServer(QuoteService.load(), { database: d, console: false });
      base = await listen(app);
      admin = await logIn(base, 'admin', 'csv-admin-pw-1');
      for (const [code, name] of [['500230', '丰都县'], ['500230100', '兴义镇'], ['500230100001', '一村']]) await request(base, 'POST', '/api/v1/areas', admin, { code, name, ...(code.length === 6 ? { region: '500230' } : {}) });
    });
    after(async () => {
      await app?.close();
      await d?.drop();
    });

    test('the registers import refuses the row, naming the column; the good row goes in', async () => {
      const good = makeIdNumber('500230', '1980-05-01', 11);
      const bad = makeIdNumber('500230', '1981-05-01', 12);
      const csv = `身份证号,姓名,村(居)代码,人员类别\n${good},张三,500230100001,adult\n${bad},李\u202Egnp.exe,500230100001,adult\n`;
      const r = await request(base, 'POST', '/api/v1/imports/persons', admin, csv, { 'content-type': 'text/csv' });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.inserted, 1);
      assert.equal(r.json.bad, 1);
      assert.equal(r.json.problems[0].field, '姓名');
      assert.match(r.json.problems[0].reason, /direction/);
    });

    test('the API refuses such names too: a person, an area, a hospital, a user', async () => {
      const id = makeIdNumber('500230', '1982-05-01', 13);
      for (const [path, body, field] of [
        ['/api/v1/persons', { idNumber: id, name: '王\u202E五', villageCode: '500230100001', kind: 'adult' }, 'name'],
        ['/api/v1/areas', { code: '500230100002', name: '二\u2067村' }, 'name'],
        ['/api/v1/hospitals', { code: 'H9', name: '医院\u200F', level: 'primary', region: '500230' }, 'name'],
        ['/api/v1/users', { username: 'bidi-user', displayName: '\u202Dadmin', role: 'auditor', password: 'a sentence of words' }, 'displayName'],
      ] as const) {
        const r = await request(base, 'POST', path, admin, body);
        assert.equal(r.status, 400, `${path}: ${r.text}`);
        assert.equal(r.json.field, field, r.text);
      }
    });
  });
