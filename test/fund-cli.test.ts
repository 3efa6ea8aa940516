/**
 * `yibao sim run` and `yibao fund statement|approve|pay|receipts` end to end (the real binary in
 * a child process, on an embedded database the demo town was loaded into): a reform that changes
 * nothing gives zero differences, XLSX out; a statement equals the sum of the live settlements; a
 * payment sent twice pays once; a receipt twice is one; bad options exit 2 naming the option, a
 * refused change exits 1, no stack trace.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { seedDemo } from '../src/sim/seed-demo.ts';
import { openDatabase } from '../src/store/db.ts';

const bin = join(import.meta.dirname, '..', 'bin', 'yibao.js');
const dir = mkdtempSync(join(tmpdir(), 'yibao-fund-cli-'));
const dataDir = join(dir, 'pglite');
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000, env: { ...process.env, YIBAO_DATA: dataDir, DATABASE_URL: '' } });
const HOSPITAL = 'H50023002';
let live = { n: 0, fund: 0 };

before(async () => {
  const d = await openDatabase({ url: '', dataDir });
  try {
    await seedDemo(d, QuoteService.load(), { people: 120 });
    const r = await sql<{ n: string; fund: string }>`
      SELECT count(*)::text AS n, coalesce(sum(s.basic_fund_fen + s.critical_illness_fen + s.medical_assistance_fen), 0)::text AS fund
        FROM settlement s JOIN encounter e ON e.id = s.encounter_id
       WHERE s.hospital_code = ${HOSPITAL} AND s.reversed_at IS NULL AND e.date <= '2022-12-31'`.execute(d.db);
    live = { n: Number(r.rows[0].n), fund: Number(r.rows[0].fund) };
  } finally {
    await d.close();
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('yibao sim run', () => {
  test('a reform file that changes nothing: zero differences; the shipped reform to XLSX', async () => {
    const noop = join(dir, 'noop.json');
    writeFileSync(noop, JSON.stringify({ name: 'no-op', baseline: '500230/2022', changes: [{ path: 'benefits.criticalIllness.deductible', value: 15412, from: '2022-01-01' }] }));
    const r = run('sim', 'run', '--persons', '800', '--seed', '5', '--reform', noop);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.baseline.persons, 800);
    assert.ok(out.reform.differences.length > 10);
    for (const x of out.reform.differences) assert.equal(x.differenceFen, 0, x.what);
    const xlsx = join(dir, 'sim.xlsx');
    const x = run('sim', 'run', '--persons', '800', '--reform', 'chongqing-2022-2023', '-o', xlsx);
    assert.equal(x.status, 0, x.stderr);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(xlsx);
    assert.deepEqual(wb.worksheets.map((w) => w.name), ['基线', '改革', '改革差异']);
  });
  test('the registers: every live settlement simulated', () => {
    const r = run('sim', 'run', '--registers', '--pack', '500230/2022');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.source, 'registers');
    assert.equal(out.baseline.persons, 120);
  });
  test('bad options exit 2 naming the option, no stack trace', () => {
    for (const [args, field] of [
      [['--persons', '0'], '--persons'],
      [['--pack', '500230/2031'], '--pack'],
      [['--reform', join(dir, 'none.yaml')], '--reform'],
      [['-o', join(dir, 'x.csv')], '--output'],
    ] as const) {
      const r = run('sim', 'run', ...args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^error: ${field}`));
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
  });
});

describe('yibao fund', () => {
  test('statement = live settlements; approve once; a payment sent twice pays once; a receipt twice is one', () => {
    const s = run('fund', 'statement', '--hospital', HOSPITAL, '--month', '2022-12');
    assert.equal(s.status, 0, s.stderr);
    const st = JSON.parse(s.stdout);
    assert.ok(live.n > 0);
    assert.equal(st.state, 'open');
    assert.equal(st.settlements, live.n);
    assert.equal(st.fundTotalFen, live.fund);
    assert.equal(run('fund', 'approve', '--hospital', HOSPITAL, '--month', '2022-12').status, 0);
    const again = run('fund', 'approve', '--hospital', HOSPITAL, '--month', '2022-12');
    assert.equal(again.status, 1);
    assert.match(again.stderr, /approved already/);
    const pay = ['fund', 'pay', '--hospital', HOSPITAL, '--month', '2022-12', '--reference', 'B-1', '--paid-on', '2023-01-10'];
    const p1 = run(...pay);
    const p2 = run(...pay);
    assert.equal(p1.status, 0, p1.stderr);
    assert.equal(p2.status, 0, p2.stderr);
    assert.equal(JSON.parse(p1.stdout).replayed, false);
    assert.equal(JSON.parse(p2.stdout).replayed, true);
    assert.equal(JSON.parse(p2.stdout).payment.amountFen, live.fund);
    const list = JSON.parse(run('fund', 'statement').stdout);
    assert.deepEqual(list.statements.map((x: { state: string }) => x.state), ['paid']);
    const rec = ['fund', 'receipts', 'record', '--level', 'central', '--reference', 'ZY-1', '--coverage-year', '2022', '--amount', '500.50', '--received-on', '2022-07-01'];
    assert.equal(JSON.parse(run(...rec).stdout).replayed, false);
    assert.equal(JSON.parse(run(...rec).stdout).replayed, true);
    const r = JSON.parse(run('fund', 'receipts', '--year', '2022', '--as-of', '2022-12-31').stdout);
    assert.equal(r.receipts.length, 1);
    assert.equal(r.outstanding.lines.find((l: { level: string }) => l.level === 'central').receivedFen, 50050);
  });
  test('bad options exit 2 naming the option; an unknown hospital exits 1', () => {
    for (const [args, field] of [
      [['statement', '--hospital', HOSPITAL, '--month', '2022-13'], '--month'],
      [['pay', '--hospital', HOSPITAL, '--month', '2022-12', '--reference', 'B-2', '--paid-on', '2023-1-1'], '--paid-on'],
      [['receipts', 'record', '--level', 'central', '--reference', 'ZY-2', '--coverage-year', '2022', '--amount', '1.234', '--received-on', '2022-07-01'], '--amount'],
      [['receipts', 'record', '--reference', 'ZY-3', '--coverage-year', '2022', '--amount', '1', '--received-on', '2022-07-01'], '--level'],
    ] as const) {
      const r = run('fund', ...args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^error: ${field}`));
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
    const none = run('fund', 'statement', '--hospital', 'NOPE', '--month', '2022-12');
    assert.equal(none.status, 1);
    assert.match(none.stderr, /no hospital NOPE/);
  });
  test('reconcile: the statement beside the hospital’s reports (none sent: every day uncovered), XLSX out; budget set and show, audited; bad options exit 2', async () => {
    const r = run('fund', 'reconcile', '--hospital', HOSPITAL, '--month', '2023-01');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.hospitalCode, HOSPITAL);
    assert.deepEqual(out.reported.reports, []);
    assert.equal(out.reported.uncoveredDays.length, 31);
    assert.deepEqual(out.differences, []);
    const xlsx = join(dir, 'reconcile.xlsx');
    assert.equal(run('fund', 'reconcile', '--hospital', HOSPITAL, '--month', '2023-01', '-o', xlsx).status, 0);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(xlsx);
    assert.equal(wb.worksheets[0].name, '对账');
    const set = run('fund', 'budget', 'set', '--year', '2022', '--account', 'basic_fund', '--income', '200000', '--spending', '180000.25', '--memo', '年度预算');
    assert.equal(set.status, 0, set.stderr);
    assert.equal(JSON.parse(set.stdout).spendingFen, 18_000_025);
    const show = run('fund', 'budget', 'show', '--region', '500230', '--year', '2022');
    assert.equal(show.status, 0, show.stderr);
    const b = JSON.parse(show.stdout);
    assert.equal(b.lines[0].spendingFen, 18_000_025);
    assert.equal(b.lines[0].months.at(-1).yearSpendingFen, b.lines[0].actualSpendingFen);
    for (const [args, field] of [
      [['reconcile', '--hospital', HOSPITAL, '--month', '2023-1'], '--month'],
      [['reconcile', '--hospital', HOSPITAL, '--month', '2023-01', '-o', join(dir, 'x.csv')], '--output'],
      [['budget', 'set', '--year', '2022', '--account', 'basic_fund', '--income', '1.234', '--spending', '1'], '--income'],
      [['budget', 'set', '--year', '22', '--account', 'basic_fund', '--income', '1', '--spending', '1'], '--year'],
      [['budget', 'set', '--year', '2022', '--account', 'nope', '--income', '1', '--spending', '1'], '--account'],
      [['budget', 'show', '--region', '5002', '--year', '2022'], '--region'],
    ] as const) {
      const x = run('fund', ...args);
      assert.equal(x.status, 2, `${args.join(' ')}: ${x.stderr}`);
      assert.match(x.stderr, new RegExp(`^error: ${field}`));
      assert.doesNotMatch(x.stderr, /\n\s+at /);
    }
    const d = await openDatabase({ url: '', dataDir });
    try {
      const logged = await d.db.selectFrom('audit_log').select('action').where('action', '=', 'record_fund_budget').execute();
      assert.equal(logged.length, 1);
    } finally {
      await d.close();
    }
  });
  test('transfers: the allocation to 大病保险 recorded once by reference, listed, audited; another under its reference exits 1; bad options exit 2', async () => {
    const rec = ['fund', 'transfers', 'record', '--kind', 'critical_illness_allocation', '--reference', 'DB-2022-1', '--coverage-year', '2022', '--amount', '1234.56', '--memo', '划转文件'];
    const t1 = run(...rec);
    const t2 = run(...rec);
    assert.equal(t1.status, 0, t1.stderr);
    assert.equal(t2.status, 0, t2.stderr);
    const [a, b] = [JSON.parse(t1.stdout), JSON.parse(t2.stdout)];
    assert.deepEqual([a.replayed, b.replayed, a.amountFen, a.debit, a.credit, b.entryId], [false, true, 123_456, 'basic_fund', 'critical_illness_fund', a.entryId]);
    const other = run('fund', 'transfers', 'record', '--kind', 'critical_illness_allocation', '--reference', 'DB-2022-1', '--coverage-year', '2022', '--amount', '1234.57');
    assert.equal(other.status, 1);
    assert.match(other.stderr, /DB-2022-1/);
    const list = run('fund', 'transfers', '--year', '2022', '--kind', 'critical_illness_allocation');
    assert.equal(list.status, 0, list.stderr);
    const mine = JSON.parse(list.stdout).transfers.filter((x: { reference: string }) => x.reference === 'DB-2022-1');
    assert.equal(mine.length, 1);
    for (const [args, field] of [
      [['record', '--kind', 'nope', '--reference', 'X', '--coverage-year', '2022', '--amount', '1'], '--kind'],
      [['record', '--kind', 'critical_illness_allocation', '--reference', 'X', '--coverage-year', '2022', '--amount', '0'], '--amount'],
      [['record', '--kind', 'critical_illness_allocation', '--reference', 'X', '--coverage-year', '22', '--amount', '1'], '--coverage-year'],
      [['list', '--kind', 'nope'], '--kind'],
    ] as const) {
      const x = run('fund', 'transfers', ...args);
      assert.equal(x.status, 2, `${args.join(' ')}: ${x.stderr}`);
      assert.match(x.stderr, new RegExp(`^error: ${field}`));
      assert.doesNotMatch(x.stderr, /\n\s+at /);
    }
    const d = await openDatabase({ url: '', dataDir });
    try {
      const logged = await d.db.selectFrom('audit_log').select(['actor']).where('action', '=', 'record_transfer').where('entity_id', '=', a.id).execute();
      assert.equal(logged.length, 1);
      assert.match(logged[0].actor, /^cli:/);
    } finally {
      await d.close();
    }
  });
  test('position, receipts and budget as XLSX hold what the JSON holds', async () => {
    const cell = (v: ExcelJS.CellValue) => (v === null || v === undefined ? '' : v);
    const sheet = async (file: string, name: string) => {
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.readFile(file);
      const ws = wb.getWorksheet(name);
      assert.ok(ws, `${file} has a sheet ${name}`);
      const rows: ExcelJS.CellValue[][] = [];
      ws.eachRow((r) => rows.push((r.values as ExcelJS.CellValue[]).slice(1).map(cell)));
      return rows;
    };
    const pos = JSON.parse(run('fund', 'position', '--region', '370000').stdout);
    const px = join(dir, 'position.xlsx');
    assert.equal(run('fund', 'position', '--region', '370000', '-o', px).status, 0);
    const prow = (await sheet(px, '基金运行')).slice(1);
    assert.equal(prow.length, pos.positions.length);
    assert.deepEqual(prow.map((r) => [r[1], r[7]]), pos.positions.map((p: { month: string; balance: number }) => [p.month, p.balance]));
    const alerts = (await sheet(px, '底线预警')).slice(1);
    assert.equal(alerts.length, pos.alerts.length);
    for (const a of alerts) assert.equal(a[4], '鲁医保发〔2022〕24号 九');
    const lines = (await sheet(px, '底线')).slice(1);
    assert.deepEqual(lines.map((r) => [r[3], r[4]]), pos.bottomLines.flatMap((b: { params: { key: string; cite: string }[] }) => b.params.map((q) => [q.key, q.cite])));
    assert.ok(lines.length >= 2, 'the two bottom lines of 鲁医保发〔2022〕24号 九');
    const rec = JSON.parse(run('fund', 'receipts', '--year', '2022', '--as-of', '2022-12-31').stdout);
    const rx = join(dir, 'receipts.xlsx');
    assert.equal(run('fund', 'receipts', '--year', '2022', '--as-of', '2022-12-31', '-o', rx).status, 0);
    assert.deepEqual((await sheet(rx, '到账')).slice(1).map((r) => [r[0], r[4]]), rec.receipts.map((x: { reference: string; amountYuan: number }) => [x.reference, x.amountYuan]));
    assert.deepEqual((await sheet(rx, '按级次')).slice(1).map((r) => r[1]), rec.outstanding.byLevel.map((l: { outstanding: number }) => l.outstanding));
    const bud = JSON.parse(run('fund', 'budget', 'show', '--region', '500230', '--year', '2022').stdout);
    const bx = join(dir, 'budget.xlsx');
    assert.equal(run('fund', 'budget', 'show', '--region', '500230', '--year', '2022', '-o', bx).status, 0);
    const brows = await sheet(bx, '预算执行');
    assert.deepEqual(brows.at(-1)!.slice(1, 5), [bud.lines.at(-1).income, bud.lines.at(-1).spending, bud.lines.at(-1).actualIncome, bud.lines.at(-1).actualSpending]);
    for (const args of [['position', '--region', '370000'], ['receipts'], ['budget', 'show', '--region', '500230', '--year', '2022']]) {
      const x = run('fund', ...args, '-o', join(dir, 'x.csv'));
      assert.equal(x.status, 2, args.join(' '));
      assert.match(x.stderr, /^error: --output: must end in \.xlsx or \.json/);
    }
  });
  test('sim project --from-sim: the base year from a simulated year written by sim run', () => {
    const simFile = join(dir, 'sim-year.json');
    assert.equal(run('sim', 'run', '--persons', '600', '--seed', '9', '-o', simFile).status, 0);
    const r = run('sim', 'project', '--from-sim', simFile, '--region', '370000', '--years', '3', '--opening-balance', '50000');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.years.length, 3);
    assert.equal(out.baseFrom.run, 'baseline');
    assert.equal(out.baseFrom.openingBalance, 50000);
    const both = run('sim', 'project', '--from-sim', simFile, '--base', simFile, '--region', '370000');
    assert.equal(both.status, 2);
    const reform = run('sim', 'project', '--from-sim', simFile, '--use', 'reform', '--region', '370000');
    assert.equal(reform.status, 2);
    assert.match(reform.stderr, /^error: --use/);
  });
});
