/**
 * The collection list (征收清单) for the tax bureau: every assessed (payable) enrollment of a
 * coverage year, village by village, with what each person owes. Streamed as CSV or XLSX.
 *
 * Who sees what — the list is an official handover of personal data:
 *  - admin and policy_officer: the full list with full ID numbers and names (the handover);
 *  - clerks: only their villages, ID numbers and names masked (a working list for the
 *    village; the handover itself goes through the county);
 *  - auditors: every village, masked.
 * Every export is audited (who, year, villages, format, rows, whether full IDs) before the
 * first byte is sent.
 */
import { PassThrough, Readable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';
import { sql, type Kysely } from 'kysely';
import { formatDay } from '../dates.js';
import { ForbiddenError, InputError } from '../errors.js';
import { formatYuan } from '../money.js';
import { KIND_LABELS, STATUS_LABELS, type NeedyStatus, type PersonKind } from '../policy/vocabulary.js';
import type { DB } from '../store/schema.js';
import { audit } from '../access/audit.js';
import type { Actor } from '../access/roles.js';
import { maskIdNumber, maskName } from '../access/privacy.js';
import type { QuoteService } from '../quotes/quote-service.js';
import { CSV_CAST, openSheetWriter, type Cell, type SheetFormat } from '../sheets.js';

export const COLLECTION_COLUMNS = [
  '序号',
  '参保登记号',
  '身份证号',
  '姓名',
  '性别',
  '乡镇（街道）',
  '村（社区）',
  '村代码',
  '户号',
  '人员类别',
  '资助身份',
  '统筹区',
  '待遇年度',
  '缴费档次',
  '个人缴费标准(元)',
  '资助金额(元)',
  '个人应缴(元)',
  '缴费起始日期',
  '缴费期限',
] as const;

export interface CollectionListOptions {
  coverageYear: number;
  format: SheetFormat;
  /** admin-area codes (villages or townships); clerks: within their own */
  villages?: string[];
  /** mask ID numbers and names even for those who may have them in full */
  masked?: boolean;
}

export interface CollectionListPlan {
  coverageYear: number;
  format: SheetFormat;
  /** full ID numbers and names (admin, policy_officer) */
  full: boolean;
  /** area code prefixes covered; null = the whole register */
  villages: string[] | null;
  rows: number;
  fileName: string;
}

/** Whether this actor receives the list with full ID numbers and names. */
export const fullListFor = (actor: Actor): boolean => actor.role === 'admin' || actor.role === 'policy_officer';

function scopeFor(actor: Actor, villages: string[] | undefined): string[] | null {
  for (const v of villages ?? []) if (!/^\d{6,12}$/.test(v)) throw new InputError('village', `${v}: an admin-area code of 6 to 12 digits`);
  if (actor.role === 'hospital') throw new ForbiddenError('a hospital may not read the collection list');
  if (actor.role !== 'clerk') return villages?.length ? villages : null;
  if (!villages?.length) return [...actor.villages];
  // a requested area must lie inside the clerk's own; a township of theirs may be narrowed to a village
  const out: string[] = [];
  for (const v of villages) {
    const own = actor.villages.filter((a) => v.startsWith(a) || a.startsWith(v));
    if (own.length === 0) throw new ForbiddenError(`village ${v} is outside ${actor.username}'s area`);
    for (const a of own) out.push(v.startsWith(a) ? v : a);
  }
  return [...new Set(out)];
}

const patternsOf = (scope: string[] | null): string[] => (scope ?? ['']).map((v) => `${v}%`);

/** Decide scope and masking, count the rows and audit the export (before anything is sent). */
export async function planCollectionList(db: Kysely<DB>, actor: Actor, o: CollectionListOptions): Promise<CollectionListPlan> {
  if (!Number.isInteger(o.coverageYear) || o.coverageYear < 2000 || o.coverageYear > 2100) throw new InputError('year', 'must be a coverage year between 2000 and 2100');
  const scope = scopeFor(actor, o.villages);
  const full = fullListFor(actor) && !o.masked;
  const n = await sql<{ n: string }>`
    SELECT count(*) AS n FROM enrollment e JOIN person p ON p.id = e.person_id
    WHERE e.coverage_year = ${o.coverageYear} AND e.state = 'assessed' AND p.village_code LIKE ANY(${patternsOf(scope)}::text[])`.execute(db);
  const rows = Number(n.rows[0].n);
  await audit(db, actor, 'export', 'collection_list', o.coverageYear, { format: o.format, villages: scope, rows, fullIdNumbers: full });
  const suffix = scope && scope.length === 1 ? `-${scope[0]}` : '';
  return { coverageYear: o.coverageYear, format: o.format, full, villages: scope, rows, fileName: `collection-list-${o.coverageYear}${suffix}.${o.format}` };
}

interface ListRow {
  enrollment_id: string;
  id_number: string;
  name: string;
  gender: 'male' | 'female';
  township: string | null;
  village_name: string;
  village_code: string;
  house_no: string | null;
  kind: string;
  statuses: unknown;
  region: string;
  pack: string;
  tier: string | null;
  standard_fen: string;
  assistance_fen: string | null;
  due_fen: string | null;
}

const TIER_LABELS: Record<string, string> = { tier1: '一档', tier2: '二档' };

/** The list's rows, header first, village by village (each village by household, then person). */
export async function* collectionListRows(db: Kysely<DB>, quotes: QuoteService, plan: CollectionListPlan): AsyncGenerator<Cell[]> {
  yield [...COLLECTION_COLUMNS];
  const areas = await sql<{ code: string }>`
    SELECT code FROM admin_area WHERE code LIKE ANY(${patternsOf(plan.villages)}::text[]) ORDER BY code`.execute(db);
  const windows = new Map<string, [string, string]>();
  const windowOf = (packId: string): [string, string] => {
    let w = windows.get(packId);
    if (!w) {
      try {
        const cp = quotes.compiled(packId);
        w = [formatDay(cp.window.from), formatDay(cp.window.to)];
      } catch {
        w = ['', ''];
      }
      windows.set(packId, w);
    }
    return w;
  };
  let seq = 0;
  for (const a of areas.rows) {
    const { rows } = await sql<ListRow>`
      SELECT e.id AS enrollment_id, p.id_number, p.name, p.gender, t.name AS township, v.name AS village_name, p.village_code, h.house_no,
        p.kind, e.quote->'request'->'person'->'statuses' AS statuses, e.region, e.pack, e.tier, e.standard_fen, e.assistance_fen, e.due_fen
      FROM person p
      JOIN enrollment e ON e.person_id = p.id AND e.coverage_year = ${plan.coverageYear} AND e.state = 'assessed'
      JOIN admin_area v ON v.code = p.village_code
      LEFT JOIN admin_area t ON t.code = v.parent_code
      LEFT JOIN household h ON h.id = p.household_id
      WHERE p.village_code = ${a.code}
      ORDER BY h.house_no NULLS LAST, p.id`.execute(db);
    for (const r of rows) {
      const statuses = Array.isArray(r.statuses) ? (r.statuses as string[]) : [];
      const [from, to] = windowOf(r.pack);
      yield [
        ++seq,
        String(r.enrollment_id),
        plan.full ? r.id_number : maskIdNumber(r.id_number),
        plan.full ? r.name : maskName(r.name),
        r.gender === 'male' ? '男' : '女',
        r.township ?? '',
        r.village_name,
        r.village_code,
        r.house_no ?? '',
        KIND_LABELS[r.kind as PersonKind] ?? r.kind,
        statuses.map((s) => STATUS_LABELS[s as NeedyStatus] ?? s).join('、'),
        r.region,
        plan.coverageYear,
        r.tier ? (TIER_LABELS[r.tier] ?? r.tier) : '',
        formatYuan(Number(r.standard_fen)),
        formatYuan(Number(r.assistance_fen ?? 0)),
        formatYuan(Number(r.due_fen ?? 0)),
        from,
        to,
      ];
    }
  }
}

/** The list as a byte stream (for an HTTP answer): CSV with a BOM, or XLSX. */
export function collectionListStream(db: Kysely<DB>, quotes: QuoteService, plan: CollectionListPlan): Readable {
  const rows = collectionListRows(db, quotes, plan);
  if (plan.format === 'csv') {
    async function* csv(): AsyncGenerator<string> {
      yield '\uFEFF';
      let chunk: Cell[][] = [];
      for await (const r of rows) {
        chunk.push(r);
        if (chunk.length >= 500) {
          yield stringify(chunk, { cast: CSV_CAST });
          chunk = [];
        }
      }
      if (chunk.length) yield stringify(chunk, { cast: CSV_CAST });
    }
    return Readable.from(csv());
  }
  const out = new PassThrough();
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: false, useSharedStrings: false });
  const ws = wb.addWorksheet(`征收清单${plan.coverageYear}`);
  void (async () => {
    try {
      for await (const r of rows) ws.addRow(r).commit();
      ws.commit();
      await wb.commit();
    } catch (e) {
      out.destroy(e as Error);
    }
  })();
  return out;
}

/** The list written to a file (CLI): `.part` first, renamed when complete. */
export async function writeCollectionList(db: Kysely<DB>, quotes: QuoteService, plan: CollectionListPlan, path: string): Promise<number> {
  const w = await openSheetWriter(path, `征收清单${plan.coverageYear}`, plan.format);
  let n = -1;
  try {
    for await (const r of collectionListRows(db, quotes, plan)) {
      await w.write(r);
      n++;
    }
    await w.close(true);
  } catch (e) {
    await w.close(false);
    throw e;
  }
  return n;
}
