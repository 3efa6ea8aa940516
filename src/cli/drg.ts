/**
 * `yibao drg group`: CHS-DRG 1.1 grouping on the command line.
 *   yibao drg metrics --region 500230 --year 2022 [--json]   what the notices measure (DRG/DIP shares, per hospital)
 *   yibao drg group < records.jsonl > results.jsonl          JSON lines in, one result per line out
 *   yibao drg group --file stays.xlsx -o groups.xlsx --explain
 * Input: JSON lines (README §2 records) on standard input or --file *.jsonl, or a CSV / XLSX
 * sheet with Chinese headings (性别, 年龄, 年龄(天), 出生体重, 主要诊断, 其他诊断, 主要手术操作,
 * 其他手术操作, 住院天数, 离院方式, 科室; the identifiers too). Output by -o's extension: .jsonl
 * (default: standard output), .csv or .xlsx. A file is written to <path>.part and renamed when
 * complete. Bad rows are reported by line on standard error (and --errors, a CSV).
 * Exit codes: 0 every row grouped (whatever its status); 1 some rows were bad; 2 bad arguments.
 */
import { createReadStream, createWriteStream, existsSync, renameSync, rmSync, statSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { InputError } from '../errors.js';
import { loadDrgScheme, type CompiledDrgScheme } from '../policy/drg-compile.js';
import { groupDrg, groupDrgExplained, type DrgExplainedResult } from '../rules/drg/group.js';
import type { DrgRecord, DrgResult } from '../rules/drg/record.js';
import { DrgSheetColumns, parseDrgRecord } from '../rules/drg/record-input.js';
import { openSheetWriter, readSheetRows, type Cell, type SheetWriter } from '../sheets.js';

type Format = 'jsonl' | 'csv' | 'xlsx';

function formatOf(path: string, field: string): Format {
  const ext = extname(path).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  if (ext === '.csv') return 'csv';
  if (ext === '.xlsx') return 'xlsx';
  throw new InputError(field, `${path}: use a .jsonl (JSON lines), .csv or .xlsx file`);
}

/** One input row: its line, and its record or what is wrong with it. */
type Row = { line: number; record: DrgRecord; problem?: undefined } | { line: number; record?: undefined; problem: { field: string; message: string }; id?: string | null };

const problemOf = (e: unknown): { field: string; message: string } => {
  if (e instanceof InputError) return { field: e.field, message: e.message.slice(e.field.length + 2) };
  throw e;
};

async function* jsonLines(input: Readable): AsyncGenerator<Row> {
  let line = 0;
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    line++;
    const t = line === 1 ? text.replace(/^\uFEFF/, '') : text;
    if (t.trim() === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(t);
    } catch (e) {
      yield { line, problem: { field: '(json)', message: `not valid JSON: ${(e as Error).message}` } };
      continue;
    }
    try {
      yield { line, record: parseDrgRecord(v) };
    } catch (e) {
      yield { line, problem: problemOf(e) };
    }
  }
}

async function* sheetRows(path: string, format: 'csv' | 'xlsx', counter: { bytes: number }): AsyncGenerator<Row> {
  let cols: DrgSheetColumns | null = null;
  for await (const row of readSheetRows(path, { format, counter })) {
    if (!cols) {
      cols = DrgSheetColumns.fromHeader(row.cells);
      continue;
    }
    try {
      yield { line: row.line, record: cols.record(row.cells) };
    } catch (e) {
      yield { line: row.line, problem: problemOf(e), id: cols.id(row.cells) };
    }
  }
  if (!cols) throw new InputError('file', `${path} has no header row`);
}

/** Lines to a stream, in chunks, waiting when the stream asks to. */
class LineWriter {
  private buf: string[] = [];
  constructor(private readonly out: Writable) {}
  async write(line: string): Promise<void> {
    this.buf.push(line);
    if (this.buf.length >= 512) await this.flush();
  }
  async flush(): Promise<void> {
    if (!this.buf.length) return;
    const chunk = `${this.buf.join('\n')}\n`;
    this.buf = [];
    if (!this.out.write(chunk)) await once(this.out, 'drain');
  }
}

const SHEET_HEAD = ['行号', '病案号', '状态', '状态说明', 'MDC', 'MDC名称', 'ADRG', 'ADRG名称', 'DRG', 'DRG名称'];

interface Sink {
  result(line: number, r: DrgResult | DrgExplainedResult): Promise<void>;
  bad(line: number, id: string | null, field: string, message: string): Promise<void>;
  close(keep: boolean): Promise<void>;
}

async function jsonSink(path: string | null): Promise<Sink> {
  const file: WriteStream | null = path ? createWriteStream(`${path}.part`) : null;
  const w = new LineWriter(file ?? process.stdout);
  return {
    result: (_line, r) => w.write(JSON.stringify(r)),
    bad: async () => {},
    async close(keep) {
      await w.flush();
      if (!file || !path) return;
      file.end();
      await once(file, 'finish');
      if (keep) renameSync(`${path}.part`, path);
      else rmSync(`${path}.part`, { force: true });
    },
  };
}

async function sheetSink(s: CompiledDrgScheme, path: string, explain: boolean): Promise<Sink> {
  const w: SheetWriter = await openSheetWriter(path, 'DRG分组');
  await w.write([...SHEET_HEAD, ...(explain ? ['分组说明'] : []), '错误']);
  const label = (r: DrgResult): string => {
    if (r.status === 'success') return '入组';
    if (r.status === 'ungroupable') return '无法入组';
    return `信息校验不通过：${s.validation.find((v) => v.status === r.status)?.message ?? r.status}`;
  };
  return {
    async result(line, r) {
      const row: Cell[] = [line, r.id, r.status, label(r), r.mdc, r.mdc ? s.mdcs.find((m) => m.code === r.mdc)!.name : null, r.adrg, r.adrg ? s.adrgs.get(r.adrg)!.name : null, r.drg, r.drg ? s.drgs.get(r.drg)!.name : null];
      if (explain) row.push('explanation' in r ? r.explanation.steps.map((x) => x.explain).join('\n') : null);
      row.push(null);
      await w.write(row);
    },
    async bad(line, id, field, message) {
      await w.write([line, id, null, null, null, null, null, null, null, null, ...(explain ? [null] : []), `${field}: ${message}`]);
    },
    close: (keep) => w.close(keep),
  };
}

export interface DrgGroupSummary {
  rows: number;
  byStatus: Record<string, number>;
  bad: { line: number; field: string; message: string }[];
}

export function drgCommands(program: Command): void {
  const drg = program.command('drg').description('CHS-DRG 1.1: group inpatient records (MDC, ADRG, DRG), with the reason for each step');
  drg
    .command('group')
    .description('group records: JSON lines on standard input (or --file .jsonl/.csv/.xlsx), one result per line on standard output (or -o .jsonl/.csv/.xlsx)')
    .option('-f, --file <path>', 'read the records from a file: .jsonl (JSON lines), or .csv / .xlsx with a header row (性别, 年龄, 年龄(天), 出生体重, 主要诊断, 其他诊断, 主要手术操作, 其他手术操作, …)')
    .option('-o, --output <path>', 'write the results to a file: .jsonl, .csv or .xlsx (default: JSON lines on standard output)')
    .option('--explain', 'add the explanation of every step (validation, MDC, ADRG, MCC / CC split)')
    .option('--errors <path>', 'also list the bad rows in this CSV file (行号, 字段, 问题)')
    .option('--scheme <dir>', 'the scheme folder (default: the bundled policies/drg/chs-drg-1.1)')
    .option('--no-progress', 'no progress bar')
    .action(async (o: { file?: string; output?: string; explain?: boolean; errors?: string; scheme?: string; progress: boolean }) => {
      const inFormat: Format = o.file ? formatOf(o.file, '--file') : 'jsonl';
      const outFormat: Format = o.output ? formatOf(o.output, '--output') : 'jsonl';
      if (o.errors && extname(o.errors).toLowerCase() !== '.csv') throw new InputError('--errors', `${o.errors}: use a .csv file`);
      if (o.file && !existsSync(o.file)) throw new InputError('--file', `${o.file}: no such file`);
      if (!o.file && process.stdin.isTTY) throw new InputError('(stdin)', 'pipe JSON lines into standard input, or give --file');
      if (o.scheme && !existsSync(o.scheme)) throw new InputError('--scheme', `${o.scheme}: no such folder`);
      const s = loadDrgScheme(o.scheme);
      const counter = { bytes: 0 };
      let source: AsyncGenerator<Row>;
      if (!o.file) source = jsonLines(process.stdin);
      else if (inFormat === 'jsonl') {
        const stream = createReadStream(o.file);
        stream.on('data', (c) => (counter.bytes += c.length));
        source = jsonLines(stream);
      } else source = sheetRows(o.file, inFormat, counter);
      const total = o.file ? statSync(o.file).size : 0;
      const bar =
        o.progress && o.file
          ? new cliProgress.SingleBar({ format: 'grouping |{bar}| {percentage}% · {rows} records · {eta_formatted} left', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic)
          : null;
      const sink = outFormat === 'jsonl' ? await jsonSink(o.output ?? null) : await sheetSink(s, o.output!, !!o.explain);
      const summary: DrgGroupSummary = { rows: 0, byStatus: {}, bad: [] };
      let kept = false;
      bar?.start(Math.max(total, 1), 0, { rows: 0 });
      try {
        for await (const row of source) {
          summary.rows++;
          if (row.problem) {
            summary.bad.push({ line: row.line, ...row.problem });
            await sink.bad(row.line, row.id ?? null, row.problem.field, row.problem.message);
          } else {
            const r = o.explain ? groupDrgExplained(s, row.record) : groupDrg(s, row.record);
            summary.byStatus[r.status] = (summary.byStatus[r.status] ?? 0) + 1;
            await sink.result(row.line, r);
          }
          if (bar && summary.rows % 1000 === 0) bar.update(counter.bytes, { rows: summary.rows });
        }
        bar?.update(Math.max(total, 1), { rows: summary.rows });
        kept = true;
      } finally {
        bar?.stop();
        await sink.close(kept);
      }
      if (o.errors) {
        const w = await openSheetWriter(o.errors, 'bad rows', 'csv');
        await w.write(['行号', '字段', '问题']);
        for (const b of summary.bad) await w.write([b.line, b.field, b.message]);
        await w.close(true);
      }
      const n = summary.byStatus;
      const invalid = Object.entries(n).filter(([k]) => k.startsWith('invalid_'));
      console.error(
        `${summary.rows} records: ${n.success ?? 0} grouped, ${n.ungroupable ?? 0} ungroupable, ${invalid.reduce((a, [, v]) => a + v, 0)} invalid${invalid.length ? ` (${invalid.map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}, ${summary.bad.length} bad rows${o.output ? `. Results: ${o.output}` : ''}`,
      );
      if (summary.bad.length) {
        for (const b of summary.bad.slice(0, 20)) console.error(`  line ${b.line}: ${b.field}: ${b.message}`);
        if (summary.bad.length > 20) console.error(`  … ${summary.bad.length - 20} more${o.errors ? `, all in ${o.errors}` : ' (list them all with --errors <file.csv>)'}`);
        process.exitCode = 1;
      }
    });
  drg
    .command('metrics')
    .description('what the notices measure of payment by group for an area and year: DRG/DIP share of inpatient fund spending, of secondary-and-above public hospitals, each target with its quote; per hospital cases, CMI, 结余/超支, cost and days per weight')
    .requiredOption('--region <code>', 'the coordinating area (6-digit region code)')
    .requiredOption('--year <year>', 'the coverage year')
    .option('--json', 'print the figures as JSON')
    .action(async (o: { region: string; year: string; json?: boolean }) => {
      if (!/^\d{6}$/.test(o.region)) throw new InputError('--region', `${o.region} is not a 6-digit region code`);
      if (!/^\d{4}$/.test(o.year)) throw new InputError('--year', `${o.year} is not a coverage year`);
      const { openDatabase } = await import('../store/db.js');
      const { drgMetrics } = await import('../drg/metrics.js');
      const d = await openDatabase();
      try {
        const m = await drgMetrics(d.db, o.region, Number(o.year));
        if (o.json) {
          process.stdout.write(`${JSON.stringify(m, null, 2)}\n`);
          return;
        }
        const pct = (v: string | null) => (v === null ? '—' : `${(Number(v) * 100).toFixed(2)}%`);
        const out: string[] = [];
        out.push(`${o.region} ${o.year} 年度 DRG/DIP 付费${m.pack ? `（${m.pack}，${m.method}）` : '：本年度无按病组付费的医院'}`);
        out.push(`按病组付费基金支出占住院基金支出：${pct(m.fund.share.value)}（${m.fund.share.numerator} / ${m.fund.share.denominator} 元）`);
        out.push(`二级及以上公立医院按DRG/DIP付费：${m.hospitals.paidByGroup} / ${m.hospitals.publicSecondaryPlus}（${pct(m.hospitals.groupShare.value)}），其中DRG ${m.hospitals.paidByDrg}（${pct(m.hospitals.drgShare.value)}）${m.hospitals.ownershipUnknown.length ? `；所有制未登记：${m.hospitals.ownershipUnknown.join('、')}` : ''}`);
        for (const t of m.targets)
          out.push(`${t.binds ? '目标' : '外省目标（对照）'} ${t.cite}：${t.share === undefined ? '（无量化目标）' : pct(t.share)}${t.measure === 'area_share' ? '（统筹地区比例，仅作背景）' : t.met === null ? '' : t.met ? ' ✔ 已达到' : ' ✘ 未达到'} 「${t.quote}」`);
        out.push(['医院', '病例数', 'CMI', '每权重费用', '每权重住院日', '按病组支付', '按项目费用', '结余/超支'].join('\t'));
        for (const h of m.perHospital)
          out.push([`${h.name}（${h.code}）`, h.cases, h.cmi ?? '—', h.costPerWeight ?? '—', h.daysPerWeight ?? '—', h.paid?.payment ?? '—', h.paid?.cost ?? '—', h.paid ? `${h.paid.result} ${h.paid.balance}` : '—'].join('\t'));
        process.stdout.write(`${out.join('\n')}\n`);
      } finally {
        await d.close();
      }
    });
}
