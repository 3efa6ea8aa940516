/**
 * Batch assessment: a CSV or XLSX of persons in, each person's quote out as CSV or XLSX.
 * Streams both ways (constant memory), reports bad rows by line without stopping the good
 * ones, and reports progress by bytes read.
 */
import { createReadStream, createWriteStream, renameSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { extname } from 'node:path';
import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify';
import ExcelJS from 'exceljs';
import { InputError } from '../errors.js';
import type { ContributionAnswer } from './contribution-request.js';
import type { QuoteService } from './quote-service.js';
import { OUTPUT_COLUMNS, columnOfField, isIdColumn, mapHeader, maskId, rowToRequest, type InputColumn } from './assess-columns.js';

export type SheetFormat = 'csv' | 'xlsx';

export interface AssessOptions {
  input: string;
  output: string;
  /** where bad rows are listed (CSV); default: output + ".errors.csv" */
  errors?: string;
  onProgress?: (bytesRead: number, totalBytes: number, rows: number) => void;
}

export interface RowProblem {
  line: number;
  field: string;
  message: string;
}

export interface AssessSummary {
  rows: number;
  assessed: number;
  refused: number;
  bad: number;
  problems: RowProblem[];
  output: string;
  errors: string | null;
}

export function formatOf(path: string, field: string): SheetFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.xlsx') return 'xlsx';
  throw new InputError(field, `${path}: use a .csv or .xlsx file`);
}

interface SheetRow {
  line: number;
  cells: string[];
}

/** Cell values of exceljs as the text a clerk sees (dates as YYYY-MM-DD). */
function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  if (typeof v === 'object') {
    const o = v as { text?: unknown; richText?: { text: string }[]; result?: unknown; hyperlink?: string };
    if (o.richText) return o.richText.map((r) => r.text).join('');
    if (o.result !== undefined) return cellText(o.result);
    if (o.text !== undefined) return cellText(o.text);
    return '';
  }
  return String(v);
}

async function* readRows(path: string, counter: { bytes: number }): AsyncGenerator<SheetRow> {
  const stream = createReadStream(path);
  stream.on('data', (chunk) => (counter.bytes += chunk.length));
  if (formatOf(path, 'input') === 'csv') {
    const parser = stream.pipe(parse({ bom: true, relax_column_count: true, skip_empty_lines: true, info: true, trim: true }));
    for await (const r of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) yield { line: r.info.lines, cells: r.record };
    return;
  }
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(stream, { sharedStrings: 'cache', styles: 'cache', hyperlinks: 'ignore', worksheets: 'emit' });
  for await (const sheet of reader) {
    for await (const row of sheet as AsyncIterable<ExcelJS.Row>) {
      const values = row.values as unknown[];
      const cells: string[] = [];
      for (let i = 1; i < values.length; i++) cells.push(cellText(values[i]).trim());
      if (cells.every((c) => c === '')) continue;
      yield { line: row.number, cells };
    }
    break; // the first sheet holds the persons
  }
}

interface SheetWriter {
  write(row: (string | number | boolean)[]): Promise<void>;
  close(): Promise<void>;
}

async function openWriter(target: string, sheetName: string): Promise<SheetWriter> {
  const path = `${target}.part`;
  if (formatOf(target, 'output') === 'csv') {
    const out = createWriteStream(path);
    const csv = stringify({ bom: true });
    csv.pipe(out);
    return {
      async write(row) {
        if (!csv.write(row)) await once(csv, 'drain');
      },
      async close() {
        csv.end();
        await once(out, 'finish');
      },
    };
  }
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path, useStyles: false, useSharedStrings: false });
  const ws = wb.addWorksheet(sheetName);
  return {
    async write(row) {
      ws.addRow(row).commit();
    },
    async close() {
      ws.commit();
      await wb.commit();
    },
  };
}

function resultCells(a: ContributionAnswer): (string | number | boolean)[] {
  const assist = a.trace.find((s) => s.step === 'contributionAssistance');
  const blank = (v: number | null): number | string => (v === null ? '' : v);
  return [
    a.accepted ? '是' : '否',
    a.reason?.code ?? '',
    a.reason?.message ?? '',
    a.pack,
    a.standardContribution,
    blank(a.contributionAssistance),
    blank(a.individualDue),
    blank(a.fiscalSubsidyBorneByPerson),
    a.fiscalSubsidy ? a.fiscalSubsidy.total : '',
    a.fiscalSubsidy ? a.fiscalSubsidy.shares.map((s) => `${s.level}:${s.amount}`).join('; ') : '',
    a.benefitPeriod?.start ?? '',
    a.benefitPeriod?.end ?? '',
    a.waitingDays ?? '',
    assist && assist.value !== 0 ? [assist.rule, assist.cite ?? (assist.example ? '示例' : '')].filter(Boolean).join(' · ') : '',
    a.examplesUsed.join('; '),
  ];
}

export async function assess(service: QuoteService, opts: AssessOptions): Promise<AssessSummary> {
  formatOf(opts.input, 'input');
  formatOf(opts.output, 'output');
  let total: number;
  try {
    total = statSync(opts.input).size;
  } catch {
    throw new InputError('input', `${opts.input}: no such file`);
  }
  const errorsPath = opts.errors ?? `${opts.output}.errors.csv`;
  const counter = { bytes: 0 };
  const summary: AssessSummary = { rows: 0, assessed: 0, refused: 0, bad: 0, problems: [], output: opts.output, errors: null };
  let writer: SheetWriter | null = null;
  let errWriter: SheetWriter | null = null;
  let header: ReturnType<typeof mapHeader> | null = null;
  let masked = new Set<number>();
  let bug: unknown = null;
  let ok = false;
  const bad = async (p: RowProblem): Promise<void> => {
    summary.bad++;
    if (summary.problems.length < 1000) summary.problems.push(p);
    if (!errWriter) {
      errWriter = await openWriter(errorsPath, 'errors');
      await errWriter.write(['line', 'field', 'message']);
      summary.errors = errorsPath;
    }
    await errWriter.write([p.line, p.field, p.message]);
  };
  try {
    for await (const row of readRows(opts.input, counter)) {
      if (!header) {
        header = mapHeader(row.cells);
        masked = new Set(header.passthrough.filter((i) => isIdColumn(row.cells[i])));
        writer = await openWriter(opts.output, 'quotes');
        await writer.write(['line', ...header.passthrough.map((i) => row.cells[i]), ...OUTPUT_COLUMNS.map(([id, label]) => `${label} ${id}`)]);
        continue;
      }
      summary.rows++;
      const cells = new Map<InputColumn, string>();
      for (const [i, f] of header.fields) cells.set(f, row.cells[i] ?? '');
      try {
        const answer = service.contribution(rowToRequest(cells));
        await (writer as SheetWriter).write([row.line, ...header.passthrough.map((i) => (masked.has(i) ? maskId(row.cells[i] ?? '') : (row.cells[i] ?? ''))), ...resultCells(answer)]);
        summary.assessed++;
        if (!answer.accepted) summary.refused++;
      } catch (e) {
        if (!(e instanceof InputError)) throw (bug = e);
        const field = columnOfField(e.field);
        await bad({ line: row.line, field, message: e.message.replace(`${e.field}: `, '') });
      }
      if (summary.rows % 2000 === 0) opts.onProgress?.(counter.bytes, total, summary.rows);
    }
    ok = true;
  } catch (e) {
    if (e instanceof InputError || e === bug) throw e;
    const msg = (e as Error).message;
    throw new InputError('input', `${opts.input} cannot be read as ${formatOf(opts.input, 'input').toUpperCase()}: ${msg}`);
  } finally {
    // Output is written beside the target and renamed only when complete: a failed run
    // leaves no half-written file in the clerk's way.
    if (writer) await (writer as SheetWriter).close();
    if (errWriter) await (errWriter as SheetWriter).close();
    for (const [w, path] of [[writer, opts.output], [errWriter, errorsPath]] as const)
      if (w) {
        if (ok) renameSync(`${path}.part`, path);
        else rmSync(`${path}.part`, { force: true });
      }
  }
  if (!header) throw new InputError('input', `${opts.input} has no header row`);
  if (!errWriter) rmSync(errorsPath, { force: true }); // no stale list from an earlier run
  opts.onProgress?.(total, total, summary.rows);
  return summary;
}
