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
import { parseIdNumber } from './id-number.js';
import { maskIdNumber } from '../access/privacy.js';
import {
  DEFAULT_SOURCE,
  PERSON_COLUMNS,
  agreeBirthDate,
  agreeGender,
  graduationYearOf,
  houseNumber,
  needyStatusOf,
  parseDateText,
  personKindOf,
  personName,
  personRecord,
  statusRecord,
  statusSourceOf,
  type PersonRecord,
  type StatusRecord,
  type StatusSource,
} from './registers.js';
import { formatOf, openSheetWriter, readSheetRows, sha256File, type SheetFormat, type SheetRow, type SheetWriter } from '../sheets.js';

type Tx = Transaction<DB>;

// ---------------------------------------------------------------- columns

/** Field → accepted headings (compared without spaces, full-width brackets as half-width, case-insensitive, a leading * ignored). */
export const PERSON_IMPORT_COLUMNS = {
  idNumber: ['idNumber', '身份证号', '身份证号码', '公民身份号码', '证件号码', '身份证'],
  name: ['name', '姓名'],
  gender: ['gender', '性别'],
  birthDate: ['birthDate', '出生日期'],
  villageCode: ['villageCode', '村(居)代码', '村居代码', '村代码', '村(社区)代码', '社区代码', '行政村代码'],
  villageName: ['villageName', '村名', '村(居)', '村(居)名称', '村(社区)', '村(社区)名称', '行政村', '所在村'],
  houseNo: ['houseNo', '户号', '户编号', '家庭户号'],
  address: ['address', '家庭住址', '住址', '地址'],
  kind: ['kind', '人员类别', '参保人员类别', '人员类型'],
  graduationYear: ['graduationYear', '毕业年份', '毕业年度'],
} as const;

export const STATUS_IMPORT_COLUMNS = {
  idNumber: PERSON_IMPORT_COLUMNS.idNumber,
  name: ['name', '姓名'],
  status: ['status', '身份类别', '困难身份', '资助身份', '身份类型', '人员身份'],
  source: ['source', '认定部门', '来源部门', '认定单位'],
  validFrom: ['validFrom', '起始日期', '开始日期', '认定日期', '有效期起'],
  validTo: ['validTo', '终止日期', '结束日期', '有效期止'],
  reference: ['reference', '文号', '认定文号', '批准文号'],
} as const;

const normHeading = (s: string): string =>
  s
    .trim()
    .replace(/^[*＊]/, '')
    .replace(/\s+/g, '')
    .replace(/（/g, '(')
    .replace(/）/g, ')')
    .toLowerCase();

interface Header<F extends string> {
  index: Map<F, number>;
  heading: Map<F, string>;
}

function mapHeader<F extends string>(cells: string[], spec: Record<F, readonly string[]>, required: F[][]): Header<F> {
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
interface RowRefusal {
  line: number;
  field: string;
  reason: string;
  idNumber: string;
}

interface BatchOutcome {
  inserted: number;
  updated: number;
  unchanged: number;
  refused: RowRefusal[];
}

class Retry extends Error {}

const RETRYABLE = new Set(['40P01', '40001']); // deadlock, serialization failure

/** Row processing shared by both imports. */
async function runImport<F extends string, R extends { line: number; id_number: string }>(
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

function reasonOf(e: InputError): string {
  const prefix = `${e.field}: `;
  return e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
}

/**
 * Areas by code and villages by name, loaded once per import (a province has some tens of
 * thousands): the rows are checked without a query each, and no query runs beside a batch's
 * transaction (the embedded database has a single session).
 */
class VillageLookup {
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

// ---------------------------------------------------------------- persons

interface PersonImportRow {
  line: number;
  id_number: string;
  name: string;
  gender: 'male' | 'female';
  birth_date: string;
  village_code: string;
  /** undefined: the file does not say (keep what is stored) */
  house_no: string | undefined;
  address: string | undefined;
  kind: string;
  graduation_year: number | null | undefined;
}

/** Import persons: 身份证号, 姓名, 性别, 出生日期, 村(居)代码 or 村名, 户号, 人员类别, 毕业年份 (or the English identifiers). */
export async function importPersons(db: Kysely<DB>, actor: Actor, opts: ImportOptions): Promise<ImportSummary> {
  const villages = new VillageLookup(db, actor);
  /** a household's address as first given (only households whose rows give one) */
  const addresses = new Map<string, { address: string; line: number }>();
  type F = keyof typeof PERSON_IMPORT_COLUMNS;
  return runImport<F, PersonImportRow>(
    db,
    actor,
    'persons',
    opts,
    PERSON_IMPORT_COLUMNS,
    [['idNumber'], ['name'], ['kind'], ['villageCode', 'villageName']],
    async (get, line) => {
      const id = parseIdNumber(get('idNumber') ?? '', 'idNumber');
      const name = personName(get('name') ?? '');
      const gender = agreeGender(get('gender'), id.gender);
      const birth = agreeBirthDate(get('birthDate'), id.birthDate);
      const kind = personKindOf(get('kind') ?? '');
      const gy = get('graduationYear');
      const graduation = gy === undefined || gy.trim() === '' ? undefined : graduationYearOf(gy);
      const hn = get('houseNo');
      const house = hn === undefined || hn.trim() === '' ? undefined : houseNumber(hn, 'houseNo');
      const addr = get('address')?.trim() || undefined;
      if (addr && addr.length > 200) throw new InputError('address', 'is longer than 200 characters');
      await villages.load();
      const village = villages.resolve(get('villageCode'), get('villageName'));
      if (house !== undefined && addr !== undefined) {
        // one address per household in a file, or importing it again would flip between them
        const k = `${village}/${house}`;
        const first = addresses.get(k);
        if (!first) addresses.set(k, { address: addr, line });
        else if (first.address !== addr) throw new InputError('address', `differs from line ${first.line} for the same household ${house}`);
      }
      return { line, id_number: id.idNumber, name, gender, birth_date: birth, village_code: village, house_no: house, address: addr, kind, graduation_year: graduation };
    },
    (r) => r.id_number,
    (tx, rows, batchId, header) => writePersons(tx, actor, rows, batchId, header),
  );
}

/** A person row as history JSON, built by the database (the same shape as personRecord). */
const PERSON_JSON = sql.raw(
  `jsonb_build_object('id', id::text, 'id_number', id_number, 'name', name, 'gender', gender, 'birth_date', to_char(birth_date, 'YYYY-MM-DD'), 'household_id', household_id::text, 'village_code', village_code, 'kind', kind, 'graduation_year', graduation_year, 'version', version)`,
);

async function writePersons(tx: Tx, actor: Actor, rows: PersonImportRow[], _batchId: string, header: Header<keyof typeof PERSON_IMPORT_COLUMNS>): Promise<BatchOutcome & { audit: Record<string, unknown> | null }> {
  const refused: RowRefusal[] = [];
  // 1. the persons already registered, locked in a fixed order (no deadlock between imports)
  const cols = sql.join(PERSON_COLUMNS.map((c) => sql.ref(c)));
  const { rows: found } = await sql<PersonRecord>`SELECT ${cols} FROM person WHERE id_number = ANY(${rows.map((r) => r.id_number)}::text[]) ORDER BY id_number FOR UPDATE`.execute(tx);
  const stored = new Map(found.map((r) => [r.id_number, personRecord(r)]));
  const accepted: PersonImportRow[] = [];
  for (const r of rows) {
    const old = stored.get(r.id_number);
    if (old && !inScope(actor, old.village_code)) {
      refused.push({ line: r.line, field: header.heading.get('idNumber') ?? 'idNumber', reason: `this person is registered in village ${old.village_code}, outside ${actor.username}'s area`, idNumber: maskIdNumber(r.id_number) });
      continue;
    }
    accepted.push(r);
  }

  // 2. households: new ones created, addresses given in the file brought up to date
  const hh = new Map<string, { village: string; house: string; address: string | undefined }>();
  for (const r of accepted)
    if (r.house_no !== undefined) {
      const k = `${r.village_code}/${r.house_no}`;
      const prev = hh.get(k);
      hh.set(k, { village: r.village_code, house: r.house_no, address: r.address ?? prev?.address });
    }
  const householdId = new Map<string, string>();
  const householdsCreated: string[] = [];
  const householdsUpdated: string[] = [];
  if (hh.size) {
    // those already registered (index lookups, locked), then the new ones in one statement
    const list = [...hh.values()];
    const { rows: found } = await sql<{ id: string; village_code: string; house_no: string; address: string | null }>`
      SELECT h.id, h.village_code, h.house_no, h.address FROM unnest(${list.map((h) => h.village)}::text[], ${list.map((h) => h.house)}::text[]) AS k(village_code, house_no)
      JOIN LATERAL (SELECT * FROM household x WHERE x.village_code = k.village_code AND x.house_no = k.house_no FOR UPDATE) h ON true`.execute(tx);
    const changes: [string, object, object][] = [];
    for (const h of found) {
      const k = `${h.village_code}/${h.house_no}`;
      householdId.set(k, String(h.id));
      const want = hh.get(k)?.address;
      if (want !== undefined && want !== h.address) changes.push([String(h.id), h, { ...h, id: String(h.id), address: want }]);
    }
    const missing = list.filter((h) => !householdId.has(`${h.village}/${h.house}`));
    if (missing.length) {
      const { rows: made } = await sql<{ id: string; village_code: string; house_no: string }>`
        WITH ins AS (
          INSERT INTO household (village_code, house_no, address)
          SELECT * FROM unnest(${missing.map((h) => h.village)}::text[], ${missing.map((h) => h.house)}::text[], ${missing.map((h) => h.address ?? null)}::text[])
          ON CONFLICT (village_code, house_no) DO NOTHING
          RETURNING id, village_code, house_no, address
        ), hist AS (
          INSERT INTO register_history (entity, entity_id, changed_by, before, after)
          SELECT 'household', id, ${actor.username}, NULL, jsonb_build_object('id', id::text, 'village_code', village_code, 'house_no', house_no, 'address', address) FROM ins
        )
        SELECT id, village_code, house_no FROM ins`.execute(tx);
      if (made.length !== missing.length) throw new Retry('a household was registered meanwhile');
      for (const m of made) {
        householdId.set(`${m.village_code}/${m.house_no}`, String(m.id));
        householdsCreated.push(String(m.id));
      }
    }
    if (changes.length) {
      await sql`UPDATE household h SET address = u.address FROM unnest(${changes.map((c) => c[0])}::bigint[], ${changes.map((c) => (c[2] as { address: string }).address)}::text[]) AS u(id, address) WHERE h.id = u.id`.execute(tx);
      await history(tx, actor, 'household', changes.map(([id, b, a]) => [id, { ...b, id }, a]));
      householdsUpdated.push(...changes.map((c) => c[0]));
    }
  }

  // 3. persons: new, changed, unchanged
  const inserts: { r: PersonImportRow; household: string | null }[] = [];
  const updates: [PersonRecord, PersonRecord][] = [];
  let unchanged = 0;
  for (const r of accepted) {
    const old = stored.get(r.id_number);
    const hid = r.house_no === undefined ? undefined : householdId.get(`${r.village_code}/${r.house_no}`)!;
    if (!old) {
      inserts.push({ r, household: hid ?? null });
      continue;
    }
    const next: PersonRecord = {
      ...old,
      name: r.name,
      gender: r.gender,
      birth_date: r.birth_date,
      village_code: r.village_code,
      // a household belongs to one village: moving without a house number leaves the household
      household_id: hid !== undefined ? hid : r.village_code === old.village_code ? old.household_id : null,
      kind: r.kind,
      graduation_year: r.graduation_year === undefined ? old.graduation_year : r.graduation_year,
    };
    const same =
      next.name === old.name &&
      next.gender === old.gender &&
      next.birth_date === old.birth_date &&
      next.village_code === old.village_code &&
      next.household_id === old.household_id &&
      next.kind === old.kind &&
      next.graduation_year === old.graduation_year;
    if (same) unchanged++;
    else updates.push([old, { ...next, version: old.version + 1 }]);
  }

  const insertedIds: string[] = [];
  if (inserts.length) {
    const { rows: made } = await sql<{ id: string }>`
      WITH ins AS (
        INSERT INTO person (id_number, name, gender, birth_date, household_id, village_code, kind, graduation_year)
        SELECT * FROM unnest(
          ${inserts.map((x) => x.r.id_number)}::text[], ${inserts.map((x) => x.r.name)}::text[], ${inserts.map((x) => x.r.gender)}::text[],
          ${inserts.map((x) => x.r.birth_date)}::date[], ${inserts.map((x) => x.household)}::bigint[], ${inserts.map((x) => x.r.village_code)}::text[],
          ${inserts.map((x) => x.r.kind)}::text[], ${inserts.map((x) => x.r.graduation_year ?? null)}::int[])
        ON CONFLICT (id_number) DO NOTHING
        RETURNING ${cols}
      ), hist AS (
        INSERT INTO register_history (entity, entity_id, changed_by, before, after)
        SELECT 'person', id, ${actor.username}, NULL, ${PERSON_JSON} FROM ins
      )
      SELECT id FROM ins`.execute(tx);
    if (made.length !== inserts.length) throw new Retry('a person was registered meanwhile'); // another writer won the race: redo the batch
    insertedIds.push(...made.map((p) => String(p.id)));
  }
  if (updates.length) {
    const after = updates.map((u) => u[1]);
    await sql`
      UPDATE person p SET name = u.name, gender = u.gender, birth_date = u.birth_date, household_id = u.household_id, village_code = u.village_code,
        kind = u.kind, graduation_year = u.graduation_year, version = p.version + 1, updated_at = now()
      FROM unnest(
        ${after.map((p) => p.id)}::bigint[], ${after.map((p) => p.name)}::text[], ${after.map((p) => p.gender)}::text[], ${after.map((p) => p.birth_date)}::date[],
        ${after.map((p) => p.household_id)}::bigint[], ${after.map((p) => p.village_code)}::text[], ${after.map((p) => p.kind)}::text[], ${after.map((p) => p.graduation_year)}::int[]
      ) AS u(id, name, gender, birth_date, household_id, village_code, kind, graduation_year)
      WHERE p.id = u.id`.execute(tx);
    await history(tx, actor, 'person', updates.map(([b, a]) => [b.id, b, a]));
  }
  const changed = insertedIds.length + updates.length + householdsCreated.length + householdsUpdated.length;
  return {
    inserted: insertedIds.length,
    updated: updates.length,
    unchanged,
    refused,
    audit: changed
      ? { entity: 'person', inserted: insertedIds, updated: updates.map((u) => u[0].id), householdsCreated, householdsUpdated }
      : null,
  };
}

/** History rows in one statement: [entity id, before, after]. */
async function history(tx: Tx, actor: Actor, entity: string, changes: [string | number, object | null, object | null][]): Promise<void> {
  if (!changes.length) return;
  await sql`
    INSERT INTO register_history (entity, entity_id, changed_by, before, after)
    SELECT ${entity}, t.id, ${actor.username}, t.b, t.a
    FROM unnest(${changes.map((c) => String(c[0]))}::bigint[], ${changes.map((c) => (c[1] ? JSON.stringify(c[1]) : null))}::jsonb[], ${changes.map((c) => (c[2] ? JSON.stringify(c[2]) : null))}::jsonb[]) AS t(id, b, a)`.execute(tx);
}

// ---------------------------------------------------------------- needy statuses

interface StatusImportRow {
  line: number;
  id_number: string;
  name: string | undefined;
  status: string;
  source: StatusSource;
  valid_from: string;
  /** undefined: the file has no end-date column (keep what is stored); null: open-ended */
  valid_to: string | null | undefined;
  reference: string | null | undefined;
}

/** Import needy statuses: 身份证号, 身份类别, 认定部门, 起始日期, 终止日期, 文号 (姓名 optional, checked against the register). */
export async function importStatuses(db: Kysely<DB>, actor: Actor, opts: ImportOptions): Promise<ImportSummary> {
  type F = keyof typeof STATUS_IMPORT_COLUMNS;
  return runImport<F, StatusImportRow>(
    db,
    actor,
    'statuses',
    opts,
    STATUS_IMPORT_COLUMNS,
    [['idNumber'], ['status'], ['validFrom']],
    async (get, line) => {
      const id = parseIdNumber(get('idNumber') ?? '', 'idNumber');
      const name = get('name')?.trim() || undefined;
      const status = needyStatusOf(get('status') ?? '', 'status');
      const src = get('source');
      const source = src === undefined || src.trim() === '' ? DEFAULT_SOURCE[status] : statusSourceOf(src, 'source');
      const validFrom = parseDateText(get('validFrom') ?? '', 'validFrom');
      const to = get('validTo');
      const validTo = to === undefined ? undefined : to.trim() === '' ? null : parseDateText(to, 'validTo');
      if (validTo && validTo < validFrom) throw new InputError('validTo', `ends (${validTo}) before it starts (${validFrom})`);
      const ref = get('reference');
      const reference = ref === undefined ? undefined : ref.trim() || null;
      if (reference && reference.length > 200) throw new InputError('reference', 'is longer than 200 characters');
      return { line, id_number: id.idNumber, name, status, source, valid_from: validFrom, valid_to: validTo, reference };
    },
    (r) => `${r.id_number}|${r.status}|${r.source}|${r.valid_from}`,
    (tx, rows, batchId, header) => writeStatuses(tx, actor, rows, batchId, header),
  );
}

async function writeStatuses(tx: Tx, actor: Actor, rows: StatusImportRow[], _batchId: string, header: Header<keyof typeof STATUS_IMPORT_COLUMNS>): Promise<BatchOutcome & { audit: Record<string, unknown> | null }> {
  const refused: RowRefusal[] = [];
  const idField = header.heading.get('idNumber') ?? 'idNumber';
  const { rows: persons } = await sql<{ id: string; id_number: string; name: string; village_code: string }>`
    SELECT id, id_number, name, village_code FROM person WHERE id_number = ANY(${[...new Set(rows.map((r) => r.id_number))]}::text[])`.execute(tx);
  const personBy = new Map(persons.map((p) => [p.id_number, p]));
  const accepted: (StatusImportRow & { person_id: string })[] = [];
  for (const r of rows) {
    const p = personBy.get(r.id_number);
    const masked = maskIdNumber(r.id_number);
    if (!p) refused.push({ line: r.line, field: idField, reason: 'no person with this ID number in the registers; import the person first', idNumber: masked });
    else if (!inScope(actor, p.village_code)) refused.push({ line: r.line, field: idField, reason: `this person is registered in village ${p.village_code}, outside ${actor.username}'s area`, idNumber: masked });
    else if (r.name !== undefined && r.name !== p.name) refused.push({ line: r.line, field: header.heading.get('name') ?? 'name', reason: 'differs from the name in the registers for this ID number', idNumber: masked });
    else accepted.push({ ...r, person_id: String(p.id) });
  }
  if (!accepted.length) return { inserted: 0, updated: 0, unchanged: 0, refused, audit: null };

  const keyOf = (x: { person_id: string; status: string; source: string; valid_from: string }): string => `${x.person_id}|${x.status}|${x.source}|${x.valid_from}`;
  const { rows: found } = await sql<StatusRecord>`
    SELECT s.id, s.person_id, s.status, s.source, s.valid_from, s.valid_to, s.reference FROM needy_status s
    JOIN unnest(${accepted.map((r) => r.person_id)}::bigint[], ${accepted.map((r) => r.status)}::text[], ${accepted.map((r) => r.source)}::text[], ${accepted.map((r) => r.valid_from)}::date[])
      AS k(person_id, status, source, valid_from)
      ON s.person_id = k.person_id AND s.status = k.status AND s.source = k.source AND s.valid_from = k.valid_from
    ORDER BY s.id FOR UPDATE OF s`.execute(tx);
  const stored = new Map(found.map((s) => [keyOf(statusRecord(s)), statusRecord(s)]));
  const inserts: typeof accepted = [];
  const updates: [StatusRecord, StatusRecord][] = [];
  let unchanged = 0;
  for (const r of accepted) {
    const old = stored.get(keyOf(r));
    if (!old) {
      inserts.push(r);
      continue;
    }
    const next: StatusRecord = { ...old, valid_to: r.valid_to === undefined ? old.valid_to : r.valid_to, reference: r.reference === undefined ? old.reference : r.reference };
    if (next.valid_to === old.valid_to && next.reference === old.reference) unchanged++;
    else if (next.valid_to !== null && next.valid_to < next.valid_from)
      refused.push({ line: r.line, field: header.heading.get('validTo') ?? 'validTo', reason: `ends before it starts (${next.valid_from})`, idNumber: maskIdNumber(r.id_number) });
    else updates.push([old, next]);
  }
  const insertedIds: string[] = [];
  if (inserts.length) {
    const { rows: made } = await sql<{ id: string }>`
      WITH ins AS (
        INSERT INTO needy_status (person_id, status, source, valid_from, valid_to, reference)
        SELECT * FROM unnest(${inserts.map((r) => r.person_id)}::bigint[], ${inserts.map((r) => r.status)}::text[], ${inserts.map((r) => r.source)}::text[],
          ${inserts.map((r) => r.valid_from)}::date[], ${inserts.map((r) => r.valid_to ?? null)}::date[], ${inserts.map((r) => r.reference ?? null)}::text[])
        ON CONFLICT (person_id, status, source, valid_from) DO NOTHING
        RETURNING id, person_id, status, source, valid_from, valid_to, reference
      ), hist AS (
        INSERT INTO register_history (entity, entity_id, changed_by, before, after)
        SELECT 'needy_status', id, ${actor.username}, NULL, jsonb_build_object('id', id::text, 'person_id', person_id::text, 'status', status, 'source', source,
          'valid_from', to_char(valid_from, 'YYYY-MM-DD'), 'valid_to', to_char(valid_to, 'YYYY-MM-DD'), 'reference', reference) FROM ins
      )
      SELECT id FROM ins`.execute(tx);
    if (made.length !== inserts.length) throw new Retry('a status was recorded meanwhile');
    insertedIds.push(...made.map((x) => String(x.id)));
  }
  if (updates.length) {
    const after = updates.map((u) => u[1]);
    await sql`
      UPDATE needy_status s SET valid_to = u.valid_to, reference = u.reference
      FROM unnest(${after.map((s) => s.id)}::bigint[], ${after.map((s) => s.valid_to)}::date[], ${after.map((s) => s.reference)}::text[]) AS u(id, valid_to, reference)
      WHERE s.id = u.id`.execute(tx);
    await history(tx, actor, 'needy_status', updates.map(([b, a]) => [b.id, b, a]));
  }
  const changed = insertedIds.length + updates.length;
  return {
    inserted: insertedIds.length,
    updated: updates.length,
    unchanged,
    refused,
    audit: changed ? { entity: 'needy_status', inserted: insertedIds, updated: updates.map((u) => u[0].id) } : null,
  };
}
