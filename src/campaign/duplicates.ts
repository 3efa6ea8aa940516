/**
 * Duplicate enrollment (重复参保). A person may be insured once: a resident on the
 * employee-insurance list of a year (职工医保参保名单) is flagged, and their unpaid enrollment
 * of that year is blocked (state 'blocked', a payment is refused with 409
 * DUPLICATE_ENROLLMENT); one already paid is flagged for review (refund) but left paid. The
 * same ID number paid twice for a year is flagged by the payment service. The assessment
 * blocks persons on the list as well, so the order of import and assessment does not matter.
 * A flag resolved by review (resolved_at set) no longer blocks.
 *
 * A row may give the day the person's employee insurance ended (终止日期): that person moves to
 * resident insurance and is no duplicate; the quote learns of the gap (previousCoverage, e.g.
 * 桂医保发〔2022〕30号 三(一): no waiting period when enrolling within 3 months of it).
 */
import { createHash, randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { InputError } from '../errors.js';
import type { DB } from '../store/schema.js';
import { audit } from '../access/audit.js';
import { requireVillage, type Actor } from '../access/roles.js';
import { idNumberProblem, normalizeIdNumber } from '../registers/id-number.js';
import { maskIdNumber, maskName } from '../access/privacy.js';
import { isDateString } from '../dates.js';
import { readSheetRows, sha256File, type SheetFormat } from '../sheets.js';
import { blockReasonEmployee } from './person-quote.js';

const ID_HEADINGS = ['身份证号', '身份证号码', '公民身份号码', '证件号码', 'idnumber', 'id_number'];
const YEAR_HEADINGS = ['年度', '参保年度', '待遇年度', '年份', 'coverageyear', 'coverage_year', 'year'];
const ENDED_HEADINGS = ['终止日期', '停保日期', '职工医保终止日期', '职工医保停保日期', '中断日期', 'endedon', 'ended_on'];
const norm = (s: string): string => s.trim().replace(/\s+/g, '').toLowerCase();

export interface EmployeeListOptions {
  /** the name of the file as the clerk knows it (kept on the import batch) */
  fileName: string;
  format: SheetFormat;
  /** where the list comes from, e.g. 丰都县医保中心职工参保库 2022-03; default: the file name */
  source?: string;
  /** the coverage year for every row, when the sheet has no 年度 column */
  coverageYear?: number;
}

export interface ImportProblem {
  line: number;
  field: string;
  message: string;
}

export interface EmployeeListSummary {
  importBatchId: string;
  rows: number;
  /** new (ID number, year) entries on the list */
  added: number;
  /** already on the list (from an earlier import, or twice in this file) */
  unchanged: number;
  bad: number;
  problems: ImportProblem[];
  /** persons of the register on the list, newly flagged */
  flagged: number;
  /** their unpaid enrollments, now blocked */
  blocked: number;
  /** their enrollments already paid: flagged for review, left paid */
  paidFlagged: number;
}

interface ListEntry {
  id_number: string;
  coverage_year: number;
  /** the day the employee insurance ended; null: insured in that year (a duplicate) */
  ended_on: string | null;
}

/** Import an employee-insurance list from a file (CSV or XLSX, first sheet). All or nothing. */
export async function importEmployeeList(db: Kysely<DB>, actor: Actor, path: string, opts: EmployeeListOptions): Promise<EmployeeListSummary> {
  if (opts.coverageYear !== undefined && (!Number.isInteger(opts.coverageYear) || opts.coverageYear < 2000 || opts.coverageYear > 2100))
    throw new InputError('coverageYear', 'must be a year between 2000 and 2100');
  const source = (opts.source ?? opts.fileName).slice(0, 200);
  const sha = await sha256File(path);
  const problems: ImportProblem[] = [];
  let bad = 0;
  let rows = 0;
  const seen = new Set<string>();
  let repeated = 0;
  const entries: ListEntry[] = [];
  let idCol = -1;
  let yearCol = -1;
  let endCol = -1;
  let header = false;
  const problem = (p: ImportProblem): void => {
    bad++;
    if (problems.length < 100) problems.push(p);
  };
  try {
    for await (const row of readSheetRows(path, { format: opts.format })) {
      if (!header) {
        header = true;
        const h = row.cells.map(norm);
        idCol = h.findIndex((c) => ID_HEADINGS.includes(c));
        yearCol = h.findIndex((c) => YEAR_HEADINGS.includes(c));
        endCol = h.findIndex((c) => ENDED_HEADINGS.includes(c));
        if (idCol < 0) throw new InputError('header', `the first row must name the ID-number column (身份证号); found: ${row.cells.join(', ') || '(empty)'}`);
        if (yearCol < 0 && opts.coverageYear === undefined) throw new InputError('header', 'the first row must name the year column (年度), or give the coverage year');
        continue;
      }
      rows++;
      const rawId = row.cells[idCol] ?? '';
      const idProblem = idNumberProblem(rawId);
      if (idProblem) {
        problem({ line: row.line, field: '身份证号', message: `the ID number ${idProblem}` });
        continue;
      }
      let year = opts.coverageYear;
      if (yearCol >= 0) {
        const y = (row.cells[yearCol] ?? '').replace(/年$/, '').trim();
        if (!/^\d{4}$/.test(y) || Number(y) < 2000 || Number(y) > 2100) {
          problem({ line: row.line, field: '年度', message: `${y || '(empty)'} is not a coverage year` });
          continue;
        }
        year = Number(y);
      }
      const endText = endCol >= 0 ? (row.cells[endCol] ?? '').trim() : '';
      if (endText && !isDateString(endText)) {
        problem({ line: row.line, field: '终止日期', message: `${endText} is not a date written YYYY-MM-DD` });
        continue;
      }
      const id = normalizeIdNumber(rawId);
      const key = `${id}|${year}`;
      if (seen.has(key)) {
        repeated++;
        continue;
      }
      seen.add(key);
      entries.push({ id_number: id, coverage_year: year!, ended_on: endText || null });
    }
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError('file', `cannot read the ${opts.format.toUpperCase()} file: ${(e as Error).message}`);
  }
  if (!header) throw new InputError('file', 'the file is empty');

  return db.transaction().execute(async (tx) => {
    let added = 0;
    let flagged = 0;
    let paidFlagged = 0;
    const blockedIds: string[] = [];
    for (let i = 0; i < entries.length; i += 1000) {
      const all = entries.slice(i, i + 1000);
      const ins = await sql<{ id_number: string; inserted: boolean }>`
        INSERT INTO employee_insurance AS ei (id_number, coverage_year, source, ended_on)
        SELECT x.id_number, x.coverage_year, ${source}, x.ended_on FROM jsonb_to_recordset(${JSON.stringify(all)}::jsonb) AS x(id_number text, coverage_year int, ended_on date)
        ON CONFLICT (id_number, coverage_year) DO UPDATE SET ended_on = EXCLUDED.ended_on, source = EXCLUDED.source
          WHERE ei.ended_on IS DISTINCT FROM EXCLUDED.ended_on
        RETURNING id_number, (xmax = 0) AS inserted`.execute(tx);
      added += ins.rows.filter((r) => r.inserted).length;
      // those insured in the year are duplicates; those whose employee insurance ended are not
      const batch = JSON.stringify(all.filter((e) => e.ended_on === null));
      const fl = await sql<{ id: string }>`
        INSERT INTO duplicate_flag (person_id, id_number, coverage_year, reason, detail)
        SELECT p.id, p.id_number, x.coverage_year, 'employee_insurance', ${`employee-insurance list: ${source}`}
        FROM jsonb_to_recordset(${batch}::jsonb) AS x(id_number text, coverage_year int) JOIN person p ON p.id_number = x.id_number
        ON CONFLICT (id_number, coverage_year, reason) DO NOTHING RETURNING id`.execute(tx);
      flagged += fl.rows.length;
      const bl = await sql<{ id: string }>`
        UPDATE enrollment e SET state = 'blocked', block_reason = ${blockReasonEmployee(source)}, version = e.version + 1, updated_at = now()
        FROM person p, jsonb_to_recordset(${batch}::jsonb) AS x(id_number text, coverage_year int)
        WHERE p.id = e.person_id AND p.id_number = x.id_number AND e.coverage_year = x.coverage_year AND e.state IN ('assessed', 'refused')
          AND EXISTS (SELECT 1 FROM duplicate_flag f WHERE f.id_number = p.id_number AND f.coverage_year = e.coverage_year
                      AND f.reason = 'employee_insurance' AND f.resolved_at IS NULL)
        RETURNING e.id`.execute(tx);
      for (const b of bl.rows) blockedIds.push(String(b.id));
      const paid = await sql<{ n: string }>`
        SELECT count(*) AS n FROM enrollment e JOIN person p ON p.id = e.person_id
        JOIN jsonb_to_recordset(${batch}::jsonb) AS x(id_number text, coverage_year int) ON p.id_number = x.id_number AND e.coverage_year = x.coverage_year
        WHERE e.state = 'paid'`.execute(tx);
      paidFlagged += Number(paid.rows[0].n);
    }
    const unchanged = entries.length - added + repeated;
    const b = await tx
      .insertInto('import_batch')
      .values({ kind: 'employee_list', file_name: opts.fileName.slice(0, 300), file_sha256: sha, rows_total: rows, rows_ok: rows - bad, rows_bad: bad, rows_unchanged: unchanged, created_by: actor.username })
      .returning('id')
      .executeTakeFirstOrThrow();
    await audit(tx, actor, 'import', 'import_batch', b.id, {
      kind: 'employee_list',
      fileName: opts.fileName,
      sha256: sha,
      source,
      rows,
      added,
      unchanged,
      bad,
      flagged,
      blocked: blockedIds.length,
      paidFlagged,
      blockedEnrollmentIds: blockedIds.slice(0, 1000),
    });
    return { importBatchId: String(b.id), rows, added, unchanged, bad, problems, flagged, blocked: blockedIds.length, paidFlagged };
  });
}

/** The same, from bytes received (an HTTP body): written to a temporary file and streamed from there. */
export async function importEmployeeListBytes(db: Kysely<DB>, actor: Actor, data: Buffer, opts: EmployeeListOptions): Promise<EmployeeListSummary> {
  if (!data.length) throw new InputError('(body)', 'the body is empty: send the CSV or XLSX file');
  const tmp = join(tmpdir(), `yibao-employee-${randomBytes(6).toString('hex')}.${opts.format}`);
  writeFileSync(tmp, data, { mode: 0o600 });
  try {
    return await importEmployeeList(db, actor, tmp, opts);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** CSV or XLSX by the bytes (an XLSX file is a zip: PK\x03\x04). */
export function sniffFormat(data: Buffer): SheetFormat {
  return data.length >= 4 && data[0] === 0x50 && data[1] === 0x4b && data[2] === 0x03 && data[3] === 0x04 ? 'xlsx' : 'csv';
}

export const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

// ---------------------------------------------------------------- the flags

export interface DuplicateView {
  id: string;
  personId: string | null;
  /** masked */
  idNumber: string;
  /** masked */
  name: string | null;
  villageCode: string | null;
  coverageYear: number;
  reason: 'same_id_twice' | 'employee_insurance';
  detail: string | null;
  createdAt: string;
  resolvedAt: string | null;
  enrollmentId: string | null;
  enrollmentState: string | null;
}

export interface DuplicateListOptions {
  coverageYear?: number;
  village?: string;
  reason?: 'same_id_twice' | 'employee_insurance';
  open?: boolean;
  after?: string;
  limit?: number;
}

/** Duplicate flags, masked, paged by id; a clerk sees only their villages. */
export async function listDuplicates(db: Kysely<DB>, actor: Actor, o: DuplicateListOptions): Promise<{ items: DuplicateView[]; next: string | null }> {
  if (o.village && actor.role === 'clerk' && !actor.villages.some((v) => o.village!.startsWith(v) || v.startsWith(o.village!))) requireVillage(actor, o.village);
  const limit = o.limit ?? 100;
  let q = db
    .selectFrom('duplicate_flag as f')
    .leftJoin('person as p', 'p.id', 'f.person_id')
    .leftJoin('enrollment as e', (j) => j.onRef('e.person_id', '=', 'f.person_id').onRef('e.coverage_year', '=', 'f.coverage_year'))
    .select(['f.id', 'f.person_id', 'f.id_number', 'p.name', 'p.village_code', 'f.coverage_year', 'f.reason', 'f.detail', 'f.created_at', 'f.resolved_at', 'e.id as enrollment_id', 'e.state as enrollment_state'])
    .orderBy('f.id')
    .limit(limit);
  if (o.after) q = q.where('f.id', '>', o.after);
  if (o.coverageYear !== undefined) q = q.where('f.coverage_year', '=', o.coverageYear);
  if (o.reason) q = q.where('f.reason', '=', o.reason);
  if (o.open !== undefined) q = q.where('f.resolved_at', o.open ? 'is' : 'is not', null);
  if (o.village) q = q.where('p.village_code', 'like', `${o.village}%`);
  if (actor.role === 'clerk') q = q.where((eb) => eb.or(actor.villages.map((v) => eb('p.village_code', 'like', `${v}%`))));
  const rows = await q.execute();
  return {
    items: rows.map((r) => ({
      id: String(r.id),
      personId: r.person_id === null ? null : String(r.person_id),
      idNumber: maskIdNumber(r.id_number),
      name: r.name === null ? null : maskName(r.name),
      villageCode: r.village_code,
      coverageYear: r.coverage_year,
      reason: r.reason,
      detail: r.detail,
      createdAt: new Date(r.created_at as unknown as string).toISOString(),
      resolvedAt: r.resolved_at ? new Date(r.resolved_at as unknown as string).toISOString() : null,
      enrollmentId: r.enrollment_id === null ? null : String(r.enrollment_id),
      enrollmentState: r.enrollment_state,
    })),
    next: rows.length === limit ? String(rows[rows.length - 1].id) : null,
  };
}
