/**
 * Batch assessment: a CSV or XLSX of persons in, each person's quote out as CSV or XLSX.
 * Streams both ways (constant memory), reports bad rows by line without stopping the good
 * ones, and reports progress by bytes read.
 */
import { rmSync, statSync } from 'node:fs';
import { InputError } from '../errors.js';
import type { ContributionAnswer } from './contribution-request.js';
import type { QuoteService } from './quote-service.js';
import { OUTPUT_COLUMNS, columnOfField, isIdColumn, mapHeader, maskId, rowToRequest, type InputColumn } from './assess-columns.js';
import { formatOf, openSheetWriter as openWriter, readSheetRows, type SheetFormat, type SheetWriter } from '../sheets.js';

export { formatOf, type SheetFormat };

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
    a.fiscalSubsidy?.shares ? a.fiscalSubsidy.shares.map((s) => `${s.level}:${s.amount}`).join('; ') : '',
    a.benefitPeriod?.start ?? '',
    a.benefitPeriod?.end ?? '',
    a.waitingDays ?? '',
    assist && assist.value !== 0 ? [assist.rule, assist.cite ?? (assist.example ? '示例' : '')].filter(Boolean).join(' · ') : '',
    a.examplesUsed.join('; '),
    a.standardContributionLines
      .filter((l) => l.line === 'arrears')
      .map((l) => `${l.forYear}:${l.amount}`)
      .join('; '),
    a.warnings.map((w) => w.message).join('；'),
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
    for await (const row of readSheetRows(opts.input, { counter })) {
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
    if (writer) await (writer as SheetWriter).close(ok);
    if (errWriter) await (errWriter as SheetWriter).close(ok);
  }
  if (!header) throw new InputError('input', `${opts.input} has no header row`);
  if (!errWriter) rmSync(errorsPath, { force: true }); // no stale list from an earlier run
  opts.onProgress?.(total, total, summary.rows);
  return summary;
}
