/**
 * A payments file (CSV or XLSX) recorded row by row through the payment service: 流水号, 渠道,
 * 身份证号 and 年度 (or 参保登记号), 金额, 缴费日期. Each row is one payment in its own
 * transaction and is idempotent by its reference, so a file may be imported again after its bad
 * rows are corrected: the rows already recorded are replayed, not recorded twice. A file whose
 * header lacks a needed column is refused before any row is read (nothing written). For the CLI
 * (`yibao payments import`) and HTTP (`POST /api/v1/imports/payments`).
 */
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { ConflictError, ForbiddenError, InputError, NotFoundError } from '../errors.js';
import { recordPayment, type PaymentInput } from './payments.js';
import { maskIdsInText } from '../access/privacy.js';
import type { QuoteService } from '../quotes/quote-service.js';
import { readSheetRows, type SheetFormat } from '../sheets.js';
import type { DB } from '../store/schema.js';
import { type Actor } from '../access/roles.js';

/** Headings of a payments sheet: field → accepted headings (compared without spaces, lower case). */
export const PAYMENT_COLUMNS: Record<string, string[]> = {
  reference: ['reference', '流水号', '缴费流水号', '交易流水号'],
  channel: ['channel', '渠道', '缴费渠道'],
  enrollmentId: ['enrollmentid', '参保登记号'],
  idNumber: ['idnumber', '身份证号', '身份证号码', '公民身份号码'],
  coverageYear: ['coverageyear', '年度', '参保年度', '待遇年度'],
  amountYuan: ['amountyuan', 'amount', '金额', '缴费金额', '缴费金额(元)'],
  paidOn: ['paidon', '缴费日期'],
};
export const CHANNEL_NAMES: Record<string, string> = { 线上: 'online', 线下: 'offline', 税务: 'tax_bureau', 医疗救助: 'medical_assistance' };

export interface PaymentImportProblem {
  line: number;
  /** the request field named by the error, or the engine's code for a refusal */
  field: string;
  /** bad (the row is wrong) or refused (a business rule: deadline, duplicate enrollment, scope …) */
  kind: 'bad' | 'refused';
  reason: string;
}

export interface PaymentImportSummary {
  rows: number;
  recorded: number;
  /** the same reference recorded before: nothing changed */
  replayed: number;
  refused: number;
  bad: number;
  /** the first problems, in line order (all of them up to `keepProblems`) */
  problems: PaymentImportProblem[];
}

/** Record the payments of a sheet file; `onRow` reports progress. */
export async function importPayments(
  db: Kysely<DB>,
  quotes: QuoteService,
  actor: Actor,
  file: string,
  o: { format: SheetFormat; keepProblems?: number; onRow?: (done: number) => void },
): Promise<PaymentImportSummary> {
  const keep = o.keepProblems ?? 1000;
  let cols: Map<string, number> | null = null;
  const n: PaymentImportSummary = { rows: 0, recorded: 0, replayed: 0, refused: 0, bad: 0, problems: [] };
  for await (const row of readSheetRows(file, { format: o.format })) {
    if (!cols) {
      cols = new Map();
      row.cells.forEach((h, i) => {
        const k = String(h ?? '').trim().replace(/\s+/g, '').toLowerCase();
        for (const [field, names] of Object.entries(PAYMENT_COLUMNS)) if (names.includes(k)) cols!.set(field, i);
      });
      for (const need of ['reference', 'channel', 'amountYuan', 'paidOn'])
        if (!cols.has(need)) throw new InputError('header', `the first row must name the column ${need} (${PAYMENT_COLUMNS[need].slice(1).join(' / ')})`);
      if (!cols.has('enrollmentId') && !(cols.has('idNumber') && cols.has('coverageYear'))) throw new InputError('header', 'name 参保登记号, or 身份证号 and 年度');
      continue;
    }
    if (row.cells.every((c) => String(c ?? '').trim() === '')) continue;
    n.rows++;
    const get = (f: string): string | undefined => (cols!.has(f) ? String(row.cells[cols!.get(f)!] ?? '').trim() || undefined : undefined);
    const channel = get('channel');
    const year = get('coverageYear');
    const body = {
      reference: get('reference'),
      channel: channel ? (CHANNEL_NAMES[channel] ?? channel) : undefined,
      enrollmentId: get('enrollmentId'),
      idNumber: get('idNumber'),
      coverageYear: year && /^\d+$/.test(year) ? Number(year) : year,
      amountYuan: get('amountYuan'),
      paidOn: get('paidOn'),
    };
    try {
      // the sheet's text as sent: recordPayment checks every field and names the one that is wrong
      const r = await recordPayment(db, quotes, actor, Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)) as PaymentInput);
      if (r.replayed) n.replayed++;
      else n.recorded++;
    } catch (e) {
      let p: PaymentImportProblem;
      if (e instanceof InputError) p = { line: row.line, field: e.field, kind: 'bad', reason: e.message };
      else if (e instanceof ConflictError) p = { line: row.line, field: e.code, kind: 'refused', reason: e.message };
      else if (e instanceof NotFoundError || e instanceof ForbiddenError) p = { line: row.line, field: e instanceof NotFoundError ? e.entity : 'scope', kind: 'refused', reason: e.message };
      else throw e;
      if (p.kind === 'bad') n.bad++;
      else n.refused++;
      if (n.problems.length < keep) n.problems.push({ ...p, reason: maskIdsInText(p.reason) });
    }
    o.onRow?.(n.rows);
  }
  if (!cols) throw new InputError('(body)', 'the file is empty: the first row names the columns');
  return n;
}

/** The same from the bytes of an uploaded file. */
export async function importPaymentBytes(db: Kysely<DB>, quotes: QuoteService, actor: Actor, data: Buffer, o: { format: SheetFormat; keepProblems?: number }): Promise<PaymentImportSummary> {
  if (!data.length) throw new InputError('(body)', 'the body is empty: send the CSV or XLSX file');
  const tmp = join(tmpdir(), `yibao-payments-${randomBytes(6).toString('hex')}.${o.format}`);
  writeFileSync(tmp, data, { mode: 0o600 });
  try {
    return await importPayments(db, quotes, actor, tmp, o);
  } finally {
    rmSync(tmp, { force: true });
  }
}
