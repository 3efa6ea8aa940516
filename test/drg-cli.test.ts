/**
 * `yibao drg group` end to end (the real binary in a child process): JSON lines in and out,
 * --explain, CSV / XLSX with Chinese headings in and out, bad rows by line (exit 1), bad
 * arguments (exit 2), no stack trace, no half-written file.
 */
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { groupDrg } from '../src/rules/drg/group.js';
import { syntheticDrgRecords } from '../src/sim/drg-records.js';
import { scheme } from './support/drg.js';

const bin = join(import.meta.dirname, '..', 'bin', 'yibao.js');
const run = (args: string[], input?: string) => spawnSync(process.execPath, [bin, 'drg', 'group', '--no-progress', ...args], { input, encoding: 'utf8', timeout: 120_000 });
const dir = mkdtempSync(join(tmpdir(), 'yibao-drg-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const records = syntheticDrgRecords(scheme, 5, 300);
const jsonl = records.map((r) => JSON.stringify(r)).join('\n');

describe('yibao drg group', () => {
  test('JSON lines in, one result per line out, the same as the grouper', () => {
    const r = run([], jsonl);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, records.length);
    lines.forEach((l, i) => assert.deepEqual(l, groupDrg(scheme, records[i])));
    assert.match(r.stderr, /^300 records: \d+ grouped, \d+ ungroupable, \d+ invalid/);
  });
  test('--explain adds the explanation', () => {
    const r = run(['--explain'], JSON.stringify(records[0]));
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.ok(Array.isArray(out.explanation.steps) && out.explanation.steps.length >= 4);
    assert.equal(out.explanation.steps[0].step, 'validation');
  });
  test('bad lines are reported by line, the others grouped; exit 1, no stack trace', () => {
    const input = [JSON.stringify(records[0]), '', '{"sex":"1",', JSON.stringify({ ...records[1], ageYears: -3 }), JSON.stringify({ ...records[2], diagnosis: ['A'] }), JSON.stringify(records[3])].join('\n');
    const r = run([], input);
    assert.equal(r.status, 1);
    assert.equal(r.stdout.trimEnd().split('\n').length, 2);
    assert.match(r.stderr, /line 3: \(json\): not valid JSON/);
    assert.match(r.stderr, /line 4: ageYears: expected the age in years as a whole number/);
    assert.match(r.stderr, /line 5: diagnosis: is not a field of a DRG record/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
  test('bad arguments: exit 2 naming the option', () => {
    for (const [args, field] of [
      [['--file', join(dir, 'none.jsonl')], '--file'],
      [['--file', join(dir, 'x.txt')], '--file'],
      [['-o', join(dir, 'x.pdf')], '--output'],
      [['--errors', join(dir, 'e.xlsx')], '--errors'],
      [['--nonsense'], ''],
    ] as const) {
      const r = run([...args], '');
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      if (field) assert.match(r.stderr, new RegExp(`error: ${field}:`));
    }
  });
  test('CSV with Chinese headings in, XLSX out: codes split on ; 、 , ，, names beside codes, bad rows in place; exit 1', async () => {
    const csv = [
      '病案号,性别,年龄,年龄（天）,出生体重,主要诊断,其他诊断,主要手术操作,其他手术操作,住院天数,离院方式,科室',
      'A-1,1,73,,,G20.x03,"I10.x00x002; N39.000",,,8,1,神经内科',
      'B,女,0,10,1200,P07.200,,,,20,1,新生儿科',
      'C,2,七十,,,G20.x03,,,,3,1,内科',
      'D,男,45,,,P59.900,,,,3,1,内科',
      `E,${records[4].sex ?? ''},${records[4].ageYears ?? ''},${records[4].ageDays ?? ''},${records[4].birthWeightGrams ?? ''},${records[4].diagnoses[0] ?? ''},"${records[4].diagnoses.slice(1).join('、')}",${records[4].procedures?.[0] ?? ''},"${(records[4].procedures ?? []).slice(1).join('，')}",5,1,`,
    ].join('\r\n');
    writeFileSync(join(dir, 'in.csv'), csv);
    const out = join(dir, 'out.xlsx');
    const r = run(['--file', join(dir, 'in.csv'), '-o', out, '--errors', join(dir, 'bad.csv')]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /line 4: 年龄: 七十 is not a whole number/);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(out);
    const rows = wb.worksheets[0].getSheetValues().slice(1) as unknown[][];
    const head = rows[0].slice(1);
    assert.deepEqual(head, ['行号', '病案号', '状态', '状态说明', 'MDC', 'MDC名称', 'ADRG', 'ADRG名称', 'DRG', 'DRG名称', '错误']);
    const byId = new Map(rows.slice(1).map((x) => [x[2], x.slice(1)]));
    assert.deepEqual(byId.get('A-1')!.slice(0, 10), [2, 'A-1', 'success', '入组', 'MDCB', '神经系统疾病及功能障碍', 'BU2', '神经系统变性疾患', 'BU25', '神经系统变性疾患，不伴并发症或合并症']);
    assert.deepEqual(byId.get('B')!.slice(2, 9), ['success', '入组', 'MDCP', '新生儿及其他围产期新生儿疾病', 'PS1', '极度发育不全（出生体重<1500g）', 'PS15']);
    const c = byId.get('C')!;
    assert.deepEqual([c[0], c[1], c[2] ?? null, c[10]], [4, 'C', null, '年龄: 七十 is not a whole number']);
    assert.deepEqual(byId.get('D')!.slice(2, 4), ['ungroupable', '无法入组']);
    assert.equal(byId.get('E')![8] ?? null, groupDrg(scheme, { ...records[4], id: 'E' }).drg);
    assert.equal(readFileSync(join(dir, 'bad.csv'), 'utf8').replace(/^\uFEFF/, '').trim(), '行号,字段,问题\n4,年龄,七十 is not a whole number');
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.part')), []);
  });
  test('XLSX in with number cells and identifier headings, JSON lines file out', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('stays');
    ws.addRow(['id', 'sex', 'ageYears', 'ageDays', 'birthWeightGrams', 'diagnoses', 'procedures', 'losDays']);
    for (const r of records.slice(0, 40)) ws.addRow([r.id, r.sex ?? null, r.ageYears ?? null, r.ageDays ?? null, r.birthWeightGrams ?? null, r.diagnoses.join(';'), (r.procedures ?? []).join(','), r.losDays ?? null]);
    await wb.xlsx.writeFile(join(dir, 'in.xlsx'));
    const out = join(dir, 'out.jsonl');
    const r = run(['--file', join(dir, 'in.xlsx'), '-o', out]);
    assert.equal(r.status, 0, r.stderr);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 40);
    lines.forEach((l, i) => assert.deepEqual(l, groupDrg(scheme, { ...records[i], sex: records[i].sex || null })));
  });
  test('a sheet without the 主要诊断 column: exit 2, and no output file', () => {
    writeFileSync(join(dir, 'nohead.csv'), '性别,年龄\n1,30\n');
    const out = join(dir, 'nohead.xlsx');
    const r = run(['--file', join(dir, 'nohead.csv'), '-o', out]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /error: header: the first row must name the column 主要诊断/);
    assert.ok(!existsSync(out) && !existsSync(`${out}.part`));
  });
});
