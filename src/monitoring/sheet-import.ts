/**
 * Reading a monitoring sheet (CSV or XLSX, Chinese or English headings) in batches: each row
 * checked on its own, bad rows reported by line with the column and the reason (they do not
 * stop the good ones), good rows written batch by batch, each batch in one transaction — or, with
 * `atomic`, the whole file in one: then a file that fails part-way (unreadable past some line, a
 * database error) leaves nothing written, not even its import_batch row. Every import is recorded
 * in import_batch (file name, SHA-256, counts) and audited.
 */
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import type { Kysely, Transaction } from 'kysely';
import { ForbiddenError, InputError } from '../errors.js';
import { audit } from '../access/audit.js';
import { maskIdNumber } from '../access/privacy.js';
import { formatOf, readSheetRows, sha256File, type SheetFormat, type SheetRow } from '../sheets.js';
import type { DB } from '../store/schema.js';
import { type Actor } from '../access/roles.js';

export interface SheetProblem {
  line: number;
  /** the column as the file names it */
  field: string;
  reason: string;
  /** masked, where the row has one */
  idNumber: string;
}

export interface SheetImportSummary {
  batchId: string;
  kind: string;
  fileName: string;
  sha256: string;
  rows: number;
  inserted: number;
  updated: number;
  unchanged: number;
  bad: number;
  problems: SheetProblem[];
}

export interface WriteOutcome {
  inserted: number;
  updated: number;
  unchanged: number;
  /** rows refused once the database was asked (unknown person, outside the area …) */
  refused: { line: number; field: string; reason: string; idNumber?: string }[];
  /** what the audit row of the batch records; null: nothing changed */
  audit: Record<string, unknown> | null;
}

export interface SheetImportSpec<F extends string, R extends { line: number }> {
  kind: string;
  columns: Record<F, readonly string[]>;
  /** each inner list: one of these columns must be there */
  required: F[][];
  parse: (get: (f: F) => string | undefined, line: number) => R | Promise<R>;
  /** rows with the same key in one file: the second is refused */
  key: (r: R) => string;
  describeKey: string;
  /** the field a repeated key is reported under (default idField) */
  keyField?: F;
  write: (tx: Transaction<DB>, rows: R[], batchId: string, heading: (f: F) => string) => Promise<WriteOutcome>;
  /** rows that are not data (a 合计 line); checked by `after` */
  skip?: (get: (f: F) => string | undefined, line: number) => boolean;
  /** after the last row: further problems (e.g. a total line that does not add up) */
  after?: () => SheetProblem[];
  idField?: F;
}

export interface SheetImportOptions {
  path: string;
  fileName?: string;
  format?: SheetFormat;
  batchSize?: number;
  keepProblems?: number;
  /** the whole file in one transaction (nothing written unless every batch is); default: one transaction per batch */
  atomic?: boolean;
}

const norm = (s: string): string => s.trim().replace(/^[*＊]/, '').replace(/\s+/g, '').replace(/（/g, '(').replace(/）/g, ')').toLowerCase();

export function reasonOf(e: InputError): string {
  const prefix = `${e.field}: `;
  return e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
}

export async function importSheet<F extends string, R extends { line: number }>(
  db: Kysely<DB>,
  actor: Actor,
  spec: SheetImportSpec<F, R>,
  opts: SheetImportOptions,
): Promise<SheetImportSummary> {
  if (opts.atomic) return db.transaction().execute((tx) => importIn(tx, (fn) => fn(tx), actor, spec, opts));
  return importIn(db, (fn) => db.transaction().execute(fn), actor, spec, opts);
}

/** The import on `db`, each write in `inTransaction` (its own transaction, or the file's). */
async function importIn<F extends string, R extends { line: number }>(
  db: Kysely<DB>,
  inTransaction: <T>(fn: (tx: Transaction<DB>) => Promise<T>) => Promise<T>,
  actor: Actor,
  spec: SheetImportSpec<F, R>,
  opts: SheetImportOptions,
): Promise<SheetImportSummary> {
  const format = opts.format ?? formatOf(opts.path, 'file');
  try {
    statSync(opts.path);
  } catch {
    throw new InputError('file', `${opts.path}: no such file`);
  }
  const fileName = (opts.fileName ?? basename(opts.path)).slice(0, 200);
  const sha256 = await sha256File(opts.path);
  const keep = opts.keepProblems ?? 1000;
  const batchSize = opts.batchSize ?? 5000;
  const s: SheetImportSummary = { batchId: '', kind: spec.kind, fileName, sha256, rows: 0, inserted: 0, updated: 0, unchanged: 0, bad: 0, problems: [] };
  const problem = (p: SheetProblem): void => {
    s.bad++;
    if (s.problems.length < keep) s.problems.push(p);
  };
  let index: Map<F, number> | null = null;
  const headingOf = new Map<F, string>();
  const heading = (f: F): string => headingOf.get(f) ?? f;
  const seen = new Map<string, number>();
  let pending: R[] = [];
  const flush = async (): Promise<void> => {
    const rows = pending;
    pending = [];
    if (!rows.length) return;
    const out = await inTransaction(async (tx) => {
      const o = await spec.write(tx, rows, s.batchId, heading);
      if (o.audit) await audit(tx, actor, `import_${spec.kind}`, 'import_batch', s.batchId, { lines: [rows[0].line, rows[rows.length - 1].line], ...o.audit });
      return o;
    });
    s.inserted += out.inserted;
    s.updated += out.updated;
    s.unchanged += out.unchanged;
    for (const r of out.refused) problem({ line: r.line, field: r.field, reason: r.reason, idNumber: r.idNumber ?? '' });
  };
  const rows = readSheetRows(opts.path, { format })[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<SheetRow>;
    try {
      next = await rows.next();
    } catch (e) {
      if (e instanceof InputError) throw e;
      throw new InputError('file', `${fileName} cannot be read as ${format.toUpperCase()}: ${(e as Error).message}`);
    }
    if (next.done) break;
    const row = next.value;
    if (!index) {
      const byName = new Map<string, F>();
      for (const [f, names] of Object.entries(spec.columns) as [F, readonly string[]][]) for (const n of names) byName.set(norm(n), f);
      index = new Map();
      row.cells.forEach((h, i) => {
        const f = byName.get(norm(h));
        if (!f) return;
        if (index!.has(f)) throw new InputError('header', `the columns "${headingOf.get(f)}" and "${h}" both hold ${f}`);
        index!.set(f, i);
        headingOf.set(f, h.trim());
      });
      for (const alternatives of spec.required)
        if (!alternatives.some((f) => index!.has(f)))
          throw new InputError('header', `no ${alternatives.join(' or ')} column (accepted headings: ${alternatives.flatMap((f) => spec.columns[f]).join(', ')})`);
      const b = await db
        .insertInto('import_batch')
        .values({ kind: spec.kind, file_name: fileName, file_sha256: sha256, rows_total: 0, rows_ok: 0, rows_bad: 0, rows_unchanged: 0, created_by: actor.username })
        .returning('id')
        .executeTakeFirstOrThrow();
      s.batchId = String(b.id);
      continue;
    }
    const idx = index;
    const get = (f: F): string | undefined => {
      const i = idx.get(f);
      return i === undefined ? undefined : (row.cells[i] ?? '').trim();
    };
    if (spec.skip?.(get, row.line)) continue;
    s.rows++;
    const rawId = spec.idField ? (get(spec.idField) ?? '') : '';
    try {
      const r = await spec.parse(get, row.line);
      const k = spec.key(r);
      const first = seen.get(k);
      if (first !== undefined) throw new InputError(String(spec.keyField ?? spec.idField ?? 'row'), `repeats line ${first} (the same ${spec.describeKey})`);
      seen.set(k, row.line);
      pending.push(r);
    } catch (e) {
      if (e instanceof InputError) problem({ line: row.line, field: heading(e.field as F), reason: reasonOf(e), idNumber: rawId ? maskIdNumber(rawId) : '' });
      else if (e instanceof ForbiddenError) problem({ line: row.line, field: 'area', reason: e.message, idNumber: rawId ? maskIdNumber(rawId) : '' });
      else throw e;
    }
    if (pending.length >= batchSize) await flush();
  }
  if (!index) throw new InputError('file', `${fileName} has no header row`);
  await flush();
  for (const p of spec.after?.() ?? []) problem(p);
  s.problems.sort((a, b) => a.line - b.line);
  await inTransaction(async (tx) => {
    await tx
      .updateTable('import_batch')
      .set({ rows_total: s.rows, rows_ok: s.inserted + s.updated + s.unchanged, rows_bad: s.bad, rows_unchanged: s.unchanged })
      .where('id', '=', s.batchId)
      .execute();
    await audit(tx, actor, 'import', 'import_batch', s.batchId, { kind: spec.kind, fileName, sha256, rows: s.rows, inserted: s.inserted, updated: s.updated, unchanged: s.unchanged, bad: s.bad });
  });
  return s;
}
