/**
 * `yibao sim project`: JSON to stdout with the first year a bottom line is crossed (citing
 * 鲁医保发〔2022〕24号 九), an .xlsx with one row per year, exit 2 naming the option on bad input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';

const bin = new URL('../bin/yibao.js', import.meta.url).pathname;
const run = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });
const dir = mkdtempSync(join(tmpdir(), 'yibao-proj-'));
const baseFile = join(dir, 'base.json');
// a fund whose spending per person (6 bands) outgrows the contributions: a deficit comes within ten years
writeFileSync(
  baseFile,
  JSON.stringify({
    year: 2022,
    balance: '150000000',
    bands: [400, 250, 350, 800, 1500, 2300].map((s, i) => ({ persons: [60000, 40000, 90000, 120000, 60000, 50000][i], spendingPerPerson: s })),
    contributionPerPerson: 350,
    subsidyPerPerson: 610,
  }),
);

test('sim project: the years, the first crossing with its sentence, and the examples used', () => {
  const r = run(['sim', 'project', '--base', baseFile, '--region', '370000', '--years', '10']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.years.length, 10);
  assert.equal(out.years[0].year, 2023);
  for (const y of out.years) assert.equal(Math.round((y.income - y.spending) * 100), Math.round(y.surplus * 100));
  const deficit = out.firstCrossings.find((c: { code: string }) => c.code === 'CURRENT_YEAR_DEFICIT');
  assert.ok(deficit, 'a deficit within ten years');
  const firstNegative = out.years.find((y: { surplus: number }) => y.surplus < 0);
  assert.equal(deficit.year, firstNegative.year);
  assert.equal(deficit.cite, '鲁医保发〔2022〕24号 九');
  assert.ok(out.examplesUsed.length >= 3);
});

test('sim project -o f.xlsx: one row per year', async () => {
  const file = join(dir, 'p.xlsx');
  const r = run(['sim', 'project', '--base', baseFile, '--region', '370000', '--years', '5', '-o', file]);
  assert.equal(r.status, 0, r.stderr);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(file);
  const ws = wb.getWorksheet('基金测算')!;
  assert.equal(ws.getRow(1).getCell(1).value, '年度');
  assert.equal(ws.getRow(6).getCell(1).value, 2027);
});

test('sim project: bad input exits 2 naming the option or field', () => {
  const years = run(['sim', 'project', '--base', baseFile, '--region', '370000', '--years', 'ten']);
  assert.equal(years.status, 2);
  assert.match(years.stderr, /--years/);
  const region = run(['sim', 'project', '--base', baseFile, '--region', '37']);
  assert.equal(region.status, 2);
  assert.match(region.stderr, /--region/);
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ year: 2022, balance: '1.234', bands: [], contributionPerPerson: 350, subsidyPerPerson: 610 }));
  const field = run(['sim', 'project', '--base', bad, '--region', '370000']);
  assert.equal(field.status, 2);
  assert.match(field.stderr, /balance/);
  assert.doesNotMatch(field.stderr, /at .*\.ts:\d+/, 'no stack trace');
});

test('fund position: bad options exit 2 naming the option, before the database is opened', () => {
  const region = run(['fund', 'position', '--region', '37']);
  assert.equal(region.status, 2);
  assert.match(region.stderr, /--region/);
  const month = run(['fund', 'position', '--region', '370000', '--from', '2022-13']);
  assert.equal(month.status, 2);
  assert.match(month.stderr, /--from/);
});
