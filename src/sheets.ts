/**
 * Spreadsheets in and out, streamed: CSV (UTF-8, or GBK/GB18030 as Excel on a Chinese
 * Windows saves it) and XLSX (the first worksheet). Rows come out as the text a clerk sees,
 * with the line number the clerk sees; writers go to `<target>.part` and are renamed only
 * when complete, so a failed run leaves no half-written file in the clerk's way.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, renameSync, rmSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { once } from 'node:events';
import { extname } from 'node:path';
import { PassThrough, Transform, pipeline, type Readable, type TransformCallback } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { stringify } from 'csv-stringify';
import { stringify as stringifySync } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';
import { InputError } from './errors.js';

export type SheetFormat = 'csv' | 'xlsx';
export type Cell = string | number | boolean | null;

export const XLSX_MIME = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** The format by the file's extension; an InputError naming `field` otherwise. */
export function formatOf(path: string, field: string): SheetFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.xlsx') return 'xlsx';
  throw new InputError(field, `${path}: use a .csv or .xlsx file`);
}

export interface SheetRow {
  /** the line (CSV) or row number (XLSX) as the clerk sees it */
  line: number;
  cells: string[];
}

/** Cell values of exceljs as the text a clerk sees (dates as YYYY-MM-DD). */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  if (typeof v === 'number') {
    // an 18-digit ID number typed into a number cell has lost its last digits: keep that visible
    if (Number.isInteger(v) && !Number.isSafeInteger(v)) return v.toExponential().toUpperCase();
    return String(v);
  }
  if (typeof v === 'object') {
    const o = v as { text?: unknown; richText?: { text: string }[]; result?: unknown; hyperlink?: string };
    if (o.richText) return o.richText.map((r) => r.text).join('');
    if (o.result !== undefined) return cellText(o.result);
    if (o.text !== undefined) return cellText(o.text);
    return '';
  }
  return String(v);
}

/**
 * Bytes → text: UTF-8 (with or without BOM) unless the start of the file is not valid UTF-8,
 * then GB18030 (a superset of GBK, what Excel's “CSV” writes on a Chinese Windows).
 */
class DecodeText extends Transform {
  private decoder: TextDecoder | null = null;
  private head: Buffer[] = [];
  private headBytes = 0;

  constructor() {
    super({ readableObjectMode: false, decodeStrings: true, encoding: 'utf8' });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (!this.decoder) {
      this.head.push(chunk);
      this.headBytes += chunk.length;
      if (this.headBytes < 65536) return done();
      this.decide();
      return done();
    }
    this.push(this.decoder.decode(chunk, { stream: true }));
    done();
  }

  override _flush(done: TransformCallback): void {
    if (!this.decoder) this.decide();
    const rest = this.decoder!.decode();
    if (rest) this.push(rest);
    done();
  }

  private decide(): void {
    const head = Buffer.concat(this.head);
    this.head = [];
    let enc = 'utf-8';
    if (!(head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf)) {
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
      } catch {
        enc = 'gb18030';
      }
    }
    this.decoder = new TextDecoder(enc, { ignoreBOM: false });
    this.push(this.decoder.decode(head, { stream: true }));
  }
}

export interface ReadOptions {
  /** default: by the path's extension */
  format?: SheetFormat;
  /** counts the bytes read, for progress */
  counter?: { bytes: number };
}

/**
 * The file opened for reading, or an InputError naming `input` (a directory, no such file, not
 * readable). A stream's 'error' without a listener ends the process, so the read stream always
 * has one: `failure()` is what it saw, and `end()` ends what it feeds (see readSheetRows).
 */
async function openForReading(path: string): Promise<{ stream: Readable; failure(): Error | null }> {
  const stream = createReadStream(path);
  let failure: Error | null = null;
  stream.on('error', (e) => (failure ??= e));
  await Promise.race([once(stream, 'ready'), once(stream, 'close')]).catch(() => undefined); // an error: in `failure`
  // a directory opens, and fails at the first read
  if (!failure && (await stat(path).catch((e: Error) => ((failure ??= e), null)))?.isDirectory()) failure = Object.assign(new Error('is a directory'), { code: 'EISDIR' });
  if (failure) {
    stream.destroy();
    throw new InputError('input', `${path}: cannot be read (${(failure as NodeJS.ErrnoException).code ?? (failure as Error).message})`);
  }
  return { stream, failure: () => failure };
}

/** The rows of the file's first sheet, blank rows skipped, cells trimmed. */
export async function* readSheetRows(path: string, opts: ReadOptions = {}): AsyncGenerator<SheetRow> {
  const format = opts.format ?? formatOf(path, 'input');
  const { stream, failure } = await openForReading(path);
  const counter = opts.counter;
  if (counter) stream.on('data', (chunk) => (counter.bytes += chunk.length));
  if (format === 'csv') {
    const parser = parse({ bom: true, relax_column_count: true, skip_empty_lines: true, info: true, trim: true });
    // a read error mid-way destroys the parser with it, and the loop below throws it
    pipeline(stream, new DecodeText(), parser, () => {});
    try {
      for await (const r of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
        if (r.record.every((c) => c === '')) continue;
        yield { line: r.info.lines, cells: r.record };
      }
    } catch (e) {
      // the parser's own refusal (an unclosed quote, …) is the file's fault; a read error is not
      // (csv-parse 5 names its codes without the CSV_ prefix of older releases: INVALID_OPENING_QUOTE, …)
      const code = (e as { code?: unknown }).code;
      if (e instanceof CsvError || (typeof code === 'string' && code.startsWith('CSV_'))) throw new InputError('(file)', `is not a readable CSV file (${String(code)})`);
      throw e;
    } finally {
      stream.destroy();
    }
    return;
  }
  // ExcelJS pipes the stream into its unzipper without listening for the stream's errors: a read
  // error mid-way ends its input (the unzipper then stops), and the error is thrown here
  const input = new PassThrough();
  stream.on('error', () => input.end());
  stream.pipe(input);
  try {
    const reader = new ExcelJS.stream.xlsx.WorkbookReader(input, { sharedStrings: 'cache', styles: 'cache', hyperlinks: 'ignore', worksheets: 'emit' });
    for await (const sheet of reader) {
      for await (const row of sheet as AsyncIterable<ExcelJS.Row>) {
        const values = row.values as unknown[];
        const cells: string[] = [];
        for (let i = 1; i < values.length; i++) cells.push(cellText(values[i]).trim());
        if (cells.every((c) => c === '')) continue;
        yield { line: row.number, cells };
      }
      break; // the first sheet holds the data
    }
  } catch (e) {
    // a read error is thrown as it is; anything else the unzipper or the XML reader throws is
    // the file's fault (a crafted or broken workbook), answered without their internal text
    const f = failure();
    if (f) throw f;
    if (e instanceof InputError) throw e;
    throw new InputError('(file)', 'is not a readable XLSX workbook (a broken archive or sheet)');
  } finally {
    stream.destroy();
  }
  const f = failure();
  if (f) throw f;
}

export interface SheetWriter {
  readonly path: string;
  write(row: Cell[]): Promise<void>;
  /** Finish the file: renamed into place when `keep`, removed otherwise. */
  close(keep?: boolean): Promise<void>;
}

/** A streaming writer for `target` (.csv with a BOM so Excel reads UTF-8, or .xlsx). */
export async function openSheetWriter(target: string, sheetName: string, format: SheetFormat = formatOf(target, 'output')): Promise<SheetWriter> {
  const part = `${target}.part`;
  let closed = false;
  const finish = (keep: boolean): void => {
    if (keep) renameSync(part, target);
    else rmSync(part, { force: true });
  };
  // the file is opened first (a missing folder or no right to write is the caller's input, named
  // `output`), and its stream always has an error listener: a failure (a full disk) is thrown by
  // the next write or by close, never left to end the process
  const out = createWriteStream(part);
  let failure: Error | null = null;
  out.on('error', (e) => (failure ??= e));
  await Promise.race([once(out, 'ready'), once(out, 'close')]).catch(() => undefined); // an error: in `failure`
  if (failure) throw new InputError('output', `${target}: cannot be written (${(failure as NodeJS.ErrnoException).code ?? (failure as Error).message})`);
  const check = (): void => {
    if (failure) throw failure;
  };
  // one promise of the stream's end, made once: each wait for a drain races it, and adding
  // listeners per wait would pile them up on a long export (MaxListenersExceededWarning)
  let ended: Promise<void> | null = null;
  const done = (): Promise<void> => {
    if (out.writableFinished) return Promise.resolve();
    ended ??= new Promise<void>((resolve, reject) => (out.once('finish', resolve), out.once('error', reject)));
    ended.catch(() => undefined);
    return ended;
  };
  if (format === 'csv') {
    const csv = stringify({ bom: true, cast: CSV_CAST });
    csv.pipe(out);
    return {
      path: target,
      async write(row) {
        check();
        if (!csv.write(row)) await Promise.race([once(csv, 'drain'), done()]);
      },
      async close(keep = true) {
        if (closed) return;
        closed = true;
        if (failure) {
          out.destroy();
          rmSync(part, { force: true });
          throw failure;
        }
        csv.end();
        await done();
        finish(keep);
      },
    };
  }
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: false, useSharedStrings: false });
  const ws = wb.addWorksheet(sheetName);
  return {
    path: target,
    async write(row) {
      check();
      ws.addRow(row).commit();
    },
    async close(keep = true) {
      if (closed) return;
      closed = true;
      if (!failure) {
        ws.commit();
        await wb.commit();
        await done().catch(() => undefined);
      }
      if (failure) {
        out.destroy();
        rmSync(part, { force: true });
        throw failure;
      }
      finish(keep);
    },
  };
}

/**
 * A text cell as a CSV file may carry it to a spreadsheet: one that begins with = + - @, a tab
 * or a carriage return would be read as a formula (CSV injection), so it gets a leading
 * apostrophe, which Excel and WPS show as text. A plain signed number (-12.50) stays as it is.
 */
export function neutraliseCell(s: string): string {
  if (s.length < 2 || !/^[=+\-@\t\r]/.test(s) || /^[-+]?\d+(\.\d+)?$/.test(s)) return s;
  return `'${s}`;
}

/** csv-stringify's cast: every text cell neutralised. */
export const CSV_CAST = { string: (s: string) => neutraliseCell(s) };

/** Rows as CSV text (no BOM), for answers that carry a small sheet inline; text cells neutralised. */
export function csvText(rows: Cell[][]): string {
  return stringifySync(rows, { cast: CSV_CAST });
}

/** SHA-256 of a file, hex. */
export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}
