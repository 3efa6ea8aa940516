/**
 * Imports into the registers from the sheets clerks already keep (CSV or XLSX, Chinese or
 * English headings): persons, and needy statuses as the source departments list them.
 *
 * The file is streamed. Each row is checked on its own (ID check character, birth date and
 * gender against the ID, village known and in the clerk's area, status known, dates) and
 * valid rows are written in batches, each batch in one transaction with a few set-based
 * statements (unnest arrays: no query per row). A row equal to what is stored changes
 * nothing — no new version, no history, no audit — so importing the same file again changes
 * nothing. Bad rows go to an error report (line, field, reason) and do not stop the good ones.
 * Every import is recorded in import_batch with the file's SHA-256 and its counts.
 */
import { rmSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { sql, type Kysely, type Transaction } from 'kysely';
import { ForbiddenError, InputError } from '../errors.js';
import type { DB } from '../store/schema.js';
import { audit } from '../access/audit.js';
import { inScope, requirePermission, type Actor } from '../access/roles.js';
import { maskIdNumber } from '../access/privacy.js';
import { formatOf, openSheetWriter, readSheetRows, sha256File, type SheetFormat, type SheetRow, type SheetWriter } from '../sheets.js';

type Tx = Transaction<DB>;


export const normHeading = (s: string): string =>
  s
    .trim()
    .replace(/^[*＊]/, '')
    .replace(/\s+/g, '')
    .replace(/（/g, '(')
    .replace(/）/g, ')')
    .toLowerCase();

export interface Header<F extends string> {
  index: Map<F, number>;
  heading: Map<F, string>;
}

export function mapHeader<F extends string>(cells: string[], spec: Record<F, readonly string[]>, required: F[][]): Header<F> {
  const byName = new Map<string, F>();
  for (const [f, names] of Object.entries(spec) as [F, readonly string[]][]) for (const n of names) byName.set(normHeading(n), f);
  const index = new Map<F, number>();
  const heading = new Map<F, string>();
  cells.forEach((h, i) => {
    const f = byName.get(normHeading(h));
    if (!f) return;
    if (index.has(f)) throw new InputError('header', `the columns "${heading.get(f)}" and "${h}" both hold ${f}`);
    index.set(f, i);
    heading.set(f, h.trim());
  });
  for (const alternatives of required)
    if (!alternatives.some((f) => index.has(f)))
      throw new InputError('header', `no ${alternatives.join(' or ')} column (accepted headings: ${alternatives.flatMap((f) => spec[f]).join(', ')})`);
  return { index, heading };
}

// ---------------------------------------------------------------- options, results

export interface ImportOptions {
  path: string;
  /** the name recorded in import_batch; default: the path's base name */
  fileName?: string;
  /** default: by the path's extension */
  format?: SheetFormat;
  /** when already known (the HTTP upload hashes while receiving) */
  sha256?: string;
  /** where to write the error report (.csv or .xlsx); none by default */
  report?: string;
  /** how many problems to keep in the summary (default 1000) */
  keepProblems?: number;
  /** rows per transaction (default 5000: fewer, larger transactions; measured 1.5× faster than 1000) */
  batchSize?: number;
  onProgress?: (bytesRead: number, totalBytes: number, rows: number) => void;
}

export interface ImportProblem {
  line: number;
  /** the column as the file names it */
  field: string;
  reason: string;
  /** masked */
  idNumber: string;
}

export interface ImportSummary {
  batchId: string;
  kind: 'persons' | 'statuses';
  fileName: string;
  sha256: string;
  rows: number;
  inserted: number;
  updated: number;
  unchanged: number;
  bad: number;
  /** the first problems (keepProblems), in line order */
  problems: ImportProblem[];
  /** the error report's path, when one was asked for and there are bad rows */
  report: string | null;
  /** earlier imports of the same file (same kind and SHA-256) */
  previousImports: { batchId: string; at: string; by: string }[];
}

export const REPORT_HEADER = ['line', 'field', 'reason', 'idNumber'] as const;

/** A row that the batch step refuses (person outside the area, unknown person …). */
export interface RowRefusal {
  line: number;
  field: string;
  reason: string;
  idNumber: string;
}

export interface BatchOutcome {
  inserted: number;
  updated: number;
  unchanged: number;
  refused: RowRefusal[];
}

export class Retry extends Error {}

export const RETRYABLE = new Set(['40P01', '40001']); // deadlock, serialization failure

/** Row processing shared by both imports. */
export async function runImport<F extends string, R extends { line: number; id_number: string }>(
  db: Kysely<DB>,
  actor: Actor,
  kind: 'persons' | 'statuses',
  opts: ImportOptions,
  spec: Record<F, readonly string[]>,
  required: F[][],
  parseRow: (get: (f: F) => string | undefined, line: number) => Promise<R>,
  keyOf: (r: R) => string,
  writeBatch: (tx: Tx, rows: R[], batchId: string, header: Header<F>) => Promise<BatchOutcome & { audit: Record<string, unknown> | null }>,
): Promise<ImportSummary> {
  requirePermission(actor, 'registers.write');
  const format = opts.format ?? formatOf(opts.path, 'file');
  let total: number;
  try {
    total = statSync(opts.path).size;
  } catch {
    throw new InputError('file', `${opts.path}: no such file`);
  }
  const fileName = (opts.fileName ?? basename(opts.path)).slice(0, 200);
  const sha256 = opts.sha256 ?? (await sha256File(opts.path));
  const keep = opts.keepProblems ?? 1000;
  const batchSize = opts.batchSize ?? 5000;
  const counter = { bytes: 0 };
  const summary: ImportSummary = { batchId: '', kind, fileName, sha256, rows: 0, inserted: 0, updated: 0, unchanged: 0, bad: 0, problems: [], report: null, previousImports: [] };
  let header: Header<F> | null = null;
  let report: SheetWriter | null = null;
  let pending: R[] = [];
  let pendingProblems: ImportProblem[] = [];
  const seen = new Map<string, number>();
  let completed = false;

  const emit = async (problems: ImportProblem[]): Promise<void> => {
    problems.sort((a, b) => a.line - b.line);
    for (const p of problems) {
      summary.bad++;
      if (summary.problems.length < keep) summary.problems.push(p);
      if (opts.report) {
        if (!report) {
          report = await openSheetWriter(opts.report, 'errors');
          await report.write([...REPORT_HEADER]);
          summary.report = opts.report;
        }
        await report.write([p.line, p.field, p.reason, p.idNumber]);
      }
    }
  };

  const saveCounts = async (tx: Kysely<DB> | Tx): Promise<void> => {
    await tx
      .updateTable('import_batch')
      .set({ rows_total: summary.rows, rows_ok: summary.inserted + summary.updated + summary.unchanged, rows_bad: summary.bad, rows_unchanged: summary.unchanged })
      .where('id', '=', summary.batchId)
      .execute();
  };

  // One batch is written while the next is read and checked: the database and the parsing
  // overlap. Batches still commit one at a time, in file order.
  const commitBatch = async (rows: R[], problems: ImportProblem[], rowsThrough: number): Promise<void> => {
    if (rows.length) {
      for (let attempt = 1; ; attempt++) {
        try {
          const out = await db.transaction().execute(async (tx) => {
            const o = await writeBatch(tx, rows, summary.batchId, header!);
            // the counts as they will be once this batch commits
            await tx
              .updateTable('import_batch')
              .set({
                rows_total: rowsThrough,
                rows_ok: summary.inserted + summary.updated + summary.unchanged + o.inserted + o.updated + o.unchanged,
                rows_bad: summary.bad + problems.length + o.refused.length,
                rows_unchanged: summary.unchanged + o.unchanged,
              })
              .where('id', '=', summary.batchId)
              .execute();
            if (o.audit) await audit(tx, actor, `import_${kind}`, 'import_batch', summary.batchId, { lines: [rows[0].line, rows[rows.length - 1].line], ...o.audit });
            return o;
          });
          summary.inserted += out.inserted;
          summary.updated += out.updated;
          summary.unchanged += out.unchanged;
          problems.push(...out.refused);
          break;
        } catch (e) {
          const code = (e as { code?: string }).code ?? '';
          if (attempt < 5 && (e instanceof Retry || RETRYABLE.has(code))) continue;
          throw e;
        }
      }
    }
    await emit(problems);
  };
  let inflight: Promise<void> | null = null;
  const flush = async (): Promise<void> => {
    const rows = pending;
    const problems = pendingProblems;
    pending = [];
    pendingProblems = [];
    if (inflight) await inflight; // a failed batch stops the import here
    inflight = commitBatch(rows, problems, summary.rows);
    inflight.catch(() => {}); // awaited at the next flush or at the end
  };

  const rowsOf = readSheetRows(opts.path, { format, counter })[Symbol.asyncIterator]();
  const nextRow = async (): Promise<IteratorResult<SheetRow>> => {
    try {
      return await rowsOf.next();
    } catch (e) {
      if (e instanceof InputError) throw e;
      throw new InputError('file', `${fileName} cannot be read as ${format.toUpperCase()}: ${(e as Error).message}`);
    }
  };
  try {
    for (let next = await nextRow(); !next.done; next = await nextRow()) {
      const row = next.value;
      if (!header) {
        header = mapHeader(row.cells, spec, required);
        const b = await db
          .insertInto('import_batch')
          .values({ kind, file_name: fileName, file_sha256: sha256, rows_total: 0, rows_ok: 0, rows_bad: 0, rows_unchanged: 0, created_by: actor.username })
          .returning('id')
          .executeTakeFirstOrThrow();
        summary.batchId = b.id;
        continue;
      }
      summary.rows++;
      const h = header;
      const get = (f: F): string | undefined => {
        const i = h.index.get(f);
        return i === undefined ? undefined : (row.cells[i] ?? '');
      };
      const rawId = get('idNumber' as F) ?? '';
      try {
        const r = await parseRow(get, row.line);
        const k = keyOf(r);
        const first = seen.get(k);
        if (first !== undefined) throw new InputError('idNumber', `repeats line ${first} (the same ${kind === 'persons' ? 'ID number' : 'ID number, status, source and start date'})`);
        seen.set(k, row.line);
        pending.push(r);
      } catch (e) {
        if (e instanceof InputError) pendingProblems.push({ line: row.line, field: h.heading.get(e.field as F) ?? e.field, reason: reasonOf(e), idNumber: maskIdNumber(rawId) });
        else if (e instanceof ForbiddenError) pendingProblems.push({ line: row.line, field: h.heading.get('villageCode' as F) ?? h.heading.get('villageName' as F) ?? 'village', reason: e.message, idNumber: maskIdNumber(rawId) });
        else throw e;
      }
      if (pending.length >= batchSize || pendingProblems.length >= batchSize) await flush();
      if (summary.rows % 1000 === 0) opts.onProgress?.(counter.bytes, total, summary.rows);
    }
    if (!header) throw new InputError('file', `${fileName} has no header row`);
    await flush();
    await inflight;
    await db.transaction().execute(async (tx) => {
      await saveCounts(tx);
      await audit(tx, actor, 'import', 'import_batch', summary.batchId, {
        kind,
        fileName,
        sha256,
        rows: summary.rows,
        inserted: summary.inserted,
        updated: summary.updated,
        unchanged: summary.unchanged,
        bad: summary.bad,
      });
    });
    completed = true;
  } finally {
    if (inflight) await (inflight as Promise<void>).catch(() => {});
    if (report) await (report as SheetWriter).close(completed);
    if (opts.report && !report && completed) rmSync(opts.report, { force: true }); // no stale report from an earlier run
    if (!completed && summary.batchId) await saveCounts(db).catch(() => {});
  }
  const prev = await db
    .selectFrom('import_batch')
    .select(['id', 'created_at', 'created_by'])
    .where('kind', '=', kind)
    .where('file_sha256', '=', sha256)
    .where('id', '<>', summary.batchId)
    .orderBy('id')
    .limit(20)
    .execute();
  summary.previousImports = prev.map((p) => ({ batchId: p.id, at: new Date(p.created_at as unknown as string).toISOString(), by: p.created_by }));
  opts.onProgress?.(total, total, summary.rows);
  return summary;
}

export function reasonOf(e: InputError): string {
  const prefix = `${e.field}: `;
  return e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
}

/**
 * Areas by code and villages by name, loaded once per import (a province has some tens of
 * thousands): the rows are checked without a query each, and no query runs beside a batch's
 * transaction (the embedded database has a single session).
 */
export class VillageLookup {
  private byCode: Map<string, { name: string; level: string }> | null = null;
  private readonly byName = new Map<string, string[]>();

  constructor(
    private readonly db: Kysely<DB>,
    private readonly actor: Actor,
  ) {}

  async load(): Promise<void> {
    if (this.byCode) return;
    const rows = await this.db.selectFrom('admin_area').select(['code', 'name', 'level']).orderBy('code').execute();
    this.byCode = new Map(rows.map((r) => [r.code, { name: r.name, level: r.level }]));
    for (const r of rows)
      if (r.level === 'village') {
        const l = this.byName.get(r.name);
        if (l) l.push(r.code);
        else this.byName.set(r.name, [r.code]);
      }
  }

  resolve(code: string | undefined, name: string | undefined): string {
    const byCode = this.byCode!;
    const c = (code ?? '').trim();
    const n = (name ?? '').trim();
    if (c) {
      if (!/^\d{12}$/.test(c)) throw new InputError('villageCode', `"${c}" is not a village code (12 digits)`);
      const v = byCode.get(c);
      if (!v) throw new InputError('villageCode', `no village ${c} in the registers`);
      if (v.level !== 'village') throw new InputError('villageCode', `${c} is a ${v.level}, not a village`);
      if (n && !v.name.includes(n) && !n.includes(v.name)) throw new InputError('villageName', `is ${n}, but village ${c} is ${v.name}`);
      if (!inScope(this.actor, c)) throw new ForbiddenError(`village ${c} is outside ${this.actor.username}'s area`);
      return c;
    }
    if (!n) throw new InputError(code === undefined ? 'villageName' : 'villageCode', 'is empty: give the village code or name');
    const codes = this.byName.get(n) ?? [];
    if (!codes.length) throw new InputError('villageName', `no village named ${n} in the registers`);
    const mine = codes.filter((x) => inScope(this.actor, x));
    if (!mine.length) throw new ForbiddenError(`village ${n} is outside ${this.actor.username}'s area`);
    if (mine.length > 1) throw new InputError('villageName', `${n} names ${mine.length} villages (${mine.slice(0, 5).join(', ')}); give the village code`);
    return mine[0];
  }
}

/** History rows in one statement: [entity id, before, after]. */
export async function writeHistory(tx: Tx, actor: Actor, entity: string, changes: [string | number, object | null, object | null][]): Promise<void> {
  if (!changes.length) return;
  await sql`
    INSERT INTO register_history (entity, entity_id, changed_by, before, after)
    SELECT ${entity}, t.id, ${actor.username}, t.b, t.a
    FROM unnest(${changes.map((c) => String(c[0]))}::bigint[], ${changes.map((c) => (c[1] ? JSON.stringify(c[1]) : null))}::jsonb[], ${changes.map((c) => (c[2] ? JSON.stringify(c[2]) : null))}::jsonb[]) AS t(id, b, a)`.execute(tx);
}
