/**
 * Village targets (兴义府发〔2022〕3号 一 and 附件1): per coverage year, each village's 应参保人数
 * and 电子医保卡（医保电子凭证）激活人数, imported from the town's breakdown sheet, and beside them
 * the target the register gives: persons registered (and assessed for the year) born on or
 * before the end of the pack's base month, less those on the employee-insurance list (their
 * enrollments are blocked as duplicates).
 */
import { sql, type Kysely } from 'kysely';
import { ForbiddenError, InputError } from '../errors.js';
import { targetBaseDateOf } from '../policy/campaign-groups.js';
import type { QuoteService } from '../quotes/quote-service.js';
import type { SheetFormat } from '../sheets.js';
import type { DB } from '../store/schema.js';
import { areaInScope, checkYear, packOf, villagesOf, type AreaRef } from './area.js';
import { villageSums, type VillageSums } from './rollup.js';
import { importSheet, type SheetImportSummary, type SheetProblem } from './sheet-import.js';
import { type Actor, inScope } from '../access/roles.js';

export const TARGET_COLUMNS = {
  villageName: ['villageName', '村(社区)', '村(居)', '村(社区)名称', '村名', '村居', '单位'],
  villageCode: ['villageCode', '区划代码', '村(社区)代码', '村(居)代码', '村代码', '行政区划代码'],
  year: ['coverageYear', '年度', '参保年度', '待遇年度'],
  enrollmentTarget: ['enrollmentTarget', '应参保人数', '应参保人数(人)', '应参保'],
  evoucherTarget: ['evoucherTarget', '电子凭证激活目标', '电子医保卡激活人数', '医保电子凭证激活目标', '电子凭证激活人数', '激活目标'],
} as const;
type F = keyof typeof TARGET_COLUMNS;

interface TargetRow {
  line: number;
  year: number;
  village: string;
  enrollmentTarget: number;
  evoucherTarget: number | null;
}

export interface TargetImportOptions {
  path: string;
  fileName?: string;
  format?: SheetFormat;
  /** the coverage year of every row, when the sheet has no 年度 column */
  coverageYear?: number;
  /** the township (or county) the sheet's village names are looked up in */
  town?: string;
}

const TOTAL_LINE = /^(合计|总计|小计|全镇合计|total)$/i;

function count(v: string | undefined, field: F, required: boolean): number | null {
  const t = (v ?? '').replace(/[,，\s]/g, '');
  if (!t) {
    if (required) throw new InputError(field, 'is empty: give the number of persons');
    return null;
  }
  if (!/^\d+$/.test(t)) throw new InputError(field, `"${v}" is not a whole number of persons`);
  const n = Number(t);
  if (n > 10_000_000) throw new InputError(field, `${n} is not a plausible number of persons for a village`);
  return n;
}

/** Import a town's breakdown sheet: one row per village; bad rows back by line. */
export async function importTargets(db: Kysely<DB>, actor: Actor, o: TargetImportOptions): Promise<SheetImportSummary> {
  if (o.coverageYear !== undefined) checkYear(o.coverageYear, 'year');
  if (o.town !== undefined && !/^\d{6}(\d{3})?$/.test(o.town)) throw new InputError('town', `"${o.town}" is not a township (9 digits) or county (6 digits) code`);
  const areas = await db.selectFrom('admin_area').select(['code', 'name', 'level']).where('level', '=', 'village').execute();
  const byCode = new Map(areas.map((a) => [a.code, a]));
  const byName = new Map<string, string[]>();
  for (const a of areas) if (!o.town || a.code.startsWith(o.town)) byName.set(a.name, [...(byName.get(a.name) ?? []), a.code]);
  const totals: { line: number; enrollment: number | null; evoucher: number | null }[] = [];
  const sums = { enrollment: 0, evoucher: 0 };
  const resolve = (code: string | undefined, name: string | undefined): string => {
    const c = (code ?? '').trim();
    const n = (name ?? '').trim();
    if (c) {
      if (!/^\d{12}$/.test(c)) throw new InputError('villageCode', `"${c}" is not a village code (12 digits)`);
      const v = byCode.get(c);
      if (!v) throw new InputError('villageCode', `no village ${c} in the registers`);
      if (n && !v.name.includes(n) && !n.includes(v.name)) throw new InputError('villageName', `is ${n}, but village ${c} is ${v.name}`);
      if (o.town && !c.startsWith(o.town)) throw new InputError('villageCode', `village ${c} is not in ${o.town}`);
      if (!inScope(actor, c)) throw new ForbiddenError(`village ${c} is outside ${actor.username}'s area`);
      return c;
    }
    if (!n) throw new InputError('villageName', 'is empty: give the village (村(社区)) or its code (区划代码)');
    const codes = (byName.get(n) ?? []).filter((x) => inScope(actor, x));
    if (!codes.length) throw new InputError('villageName', `no village named ${n}${o.town ? ` in ${o.town}` : ''} in the registers${byName.has(n) ? ` within ${actor.username}'s area` : ''}`);
    if (codes.length > 1) throw new InputError('villageName', `${n} names ${codes.length} villages (${codes.slice(0, 5).join(', ')}): give --town or the 区划代码 column`);
    return codes[0];
  };
  return importSheet<F, TargetRow>(db, actor, {
    kind: 'village_targets',
    columns: TARGET_COLUMNS,
    required: [['villageName', 'villageCode'], ['enrollmentTarget']],
    describeKey: 'village and year',
    keyField: 'villageName',
    skip: (get, line) => {
      const name = (get('villageName') ?? '').trim();
      if (!TOTAL_LINE.test(name) || get('villageCode')) return false;
      totals.push({ line, enrollment: count(get('enrollmentTarget'), 'enrollmentTarget', false), evoucher: count(get('evoucherTarget'), 'evoucherTarget', false) });
      return true;
    },
    parse: (get, line) => {
      const y = get('year');
      const year = y ? (/^\d{4}$/.test(y) ? checkYear(Number(y), 'year') : (() => { throw new InputError('year', `"${y}" is not a coverage year`); })()) : o.coverageYear;
      if (year === undefined) throw new InputError('year', 'the sheet has no 年度 column: give the coverage year (--year / ?year=)');
      const village = resolve(get('villageCode'), get('villageName'));
      const enrollmentTarget = count(get('enrollmentTarget'), 'enrollmentTarget', true)!;
      const evoucherTarget = count(get('evoucherTarget'), 'evoucherTarget', false);
      return { line, year, village, enrollmentTarget, evoucherTarget };
    },
    key: (r) => `${r.year}/${r.village}`,
    after: () => {
      const out: SheetProblem[] = [];
      for (const t of totals) {
        if (t.enrollment !== null && t.enrollment !== sums.enrollment)
          out.push({ line: t.line, field: '应参保人数', reason: `the total line says ${t.enrollment}, the villages of the sheet add up to ${sums.enrollment}`, idNumber: '' });
        if (t.evoucher !== null && t.evoucher !== sums.evoucher)
          out.push({ line: t.line, field: '电子凭证激活目标', reason: `the total line says ${t.evoucher}, the villages of the sheet add up to ${sums.evoucher}`, idNumber: '' });
      }
      return out;
    },
    write: async (tx, rows, batchId) => {
      for (const r of rows) {
        sums.enrollment += r.enrollmentTarget;
        sums.evoucher += r.evoucherTarget ?? 0;
      }
      const { rows: before } = await sql<{ coverage_year: number; village_code: string; enrollment_target: number; evoucher_target: number | null }>`
        SELECT t.coverage_year, t.village_code, t.enrollment_target, t.evoucher_target FROM village_target t
        JOIN unnest(${rows.map((r) => r.year)}::int[], ${rows.map((r) => r.village)}::text[]) AS k(y, v) ON t.coverage_year = k.y AND t.village_code = k.v
        ORDER BY 1, 2 FOR UPDATE OF t`.execute(tx);
      const old = new Map(before.map((b) => [`${b.coverage_year}/${b.village_code}`, b]));
      const changed = rows.filter((r) => {
        const b = old.get(`${r.year}/${r.village}`);
        return !b || b.enrollment_target !== r.enrollmentTarget || b.evoucher_target !== r.evoucherTarget;
      });
      if (changed.length)
        await sql`
          INSERT INTO village_target (coverage_year, village_code, enrollment_target, evoucher_target, import_batch_id, updated_by)
          SELECT y, v, e, ev, ${batchId}::bigint, ${actor.username}
          FROM unnest(${changed.map((r) => r.year)}::int[], ${changed.map((r) => r.village)}::text[], ${changed.map((r) => r.enrollmentTarget)}::int[], ${changed.map((r) => r.evoucherTarget)}::int[]) AS x(y, v, e, ev)
          ON CONFLICT (coverage_year, village_code) DO UPDATE SET enrollment_target = EXCLUDED.enrollment_target, evoucher_target = EXCLUDED.evoucher_target,
            import_batch_id = EXCLUDED.import_batch_id, updated_by = EXCLUDED.updated_by, updated_at = now()`.execute(tx);
      const inserted = changed.filter((r) => !old.has(`${r.year}/${r.village}`)).length;
      return {
        inserted,
        updated: changed.length - inserted,
        unchanged: rows.length - changed.length,
        refused: [],
        audit: changed.length
          ? {
              entity: 'village_target',
              changes: changed.map((r) => {
                const b = old.get(`${r.year}/${r.village}`);
                return { coverageYear: r.year, village: r.village, before: b ? { enrollmentTarget: b.enrollment_target, evoucherTarget: b.evoucher_target } : null, after: { enrollmentTarget: r.enrollmentTarget, evoucherTarget: r.evoucherTarget } };
              }),
            }
          : null,
      };
    },
  }, { path: o.path, fileName: o.fileName, format: o.format });
}

export interface VillageTarget {
  villageCode: string;
  villageName: string;
  townshipName: string | null;
  /** the town's breakdown sheet, when imported */
  imported: { enrollment: number; evoucher: number | null; importBatchId: string | null; updatedBy: string; updatedAt: string } | null;
  /** from the register: persons born by the base date, less those on the employee-insurance list */
  derived: { enrollment: number; registered: number; employeeInsurance: number; baseDate: string };
  /** what rates are measured against: the imported target, else the derived one */
  enrollment: number;
  source: 'imported' | 'derived';
  evoucher: number | null;
}

export interface TargetsAnswer {
  area: AreaRef;
  coverageYear: number;
  baseDate: string;
  basis: { derived: string; cite: string | null; quote: string | null };
  villages: VillageTarget[];
}

/** The base date of a year's targets: the pack's base month, else 31 December before the coverage year (an example). */
export function baseDateFor(quotes: QuoteService, area: AreaRef, year: number): { date: string; cite: string | null; quote: string | null } {
  const b = targetBaseDateOf(packOf(quotes, area, year));
  return b ? { date: b.date, cite: b.param.cite ?? null, quote: b.param.quote ?? null } : { date: `${year - 1}-12-31`, cite: null, quote: null };
}

/** Imported and derived targets of every village of the area (in scope). */
/**
 * `sumsAt`: where the caller reads the rollup's sums of the area anyway (the progress as of a
 * date), they are computed once and given here; their base-date figures are the same whatever
 * the date.
 */
export async function villageTargets(
  db: Kysely<DB>,
  quotes: QuoteService,
  actor: Actor,
  q: { area?: string; year: number },
  sumsAt?: (area: AreaRef, baseDate: string) => Promise<Map<string, VillageSums>>,
): Promise<TargetsAnswer> {
  const year = checkYear(q.year);
  const area = await areaInScope(db, actor, q.area);
  const base = baseDateFor(quotes, area, year);
  const [villages, sums, imported] = await Promise.all([
    villagesOf(db, area),
    sumsAt ? sumsAt(area, base.date) : villageSums(db, year, area.code, base.date, base.date),
    db.selectFrom('village_target').selectAll().where('coverage_year', '=', year).where('village_code', 'like', `${area.code}%`).execute(),
  ]);
  const imp = new Map(imported.map((t) => [t.village_code, t]));
  return {
    area,
    coverageYear: year,
    baseDate: base.date,
    basis: {
      derived: `persons registered and assessed for ${year} born on or before ${base.date}, less those on the employee-insurance list (blocked as duplicate enrollment)`,
      cite: base.cite,
      quote: base.quote,
    },
    villages: villages.map((v) => {
      const s = sums.get(v.code);
      const registered = s?.enrollmentsAtBase ?? 0;
      const employee = s?.blockedAtBase ?? 0;
      const t = imp.get(v.code);
      const derived = registered - employee;
      return {
        villageCode: v.code,
        villageName: v.name,
        townshipName: v.townshipName,
        imported: t ? { enrollment: t.enrollment_target, evoucher: t.evoucher_target, importBatchId: t.import_batch_id === null ? null : String(t.import_batch_id), updatedBy: t.updated_by, updatedAt: new Date(t.updated_at as unknown as string).toISOString() } : null,
        derived: { enrollment: derived, registered, employeeInsurance: employee, baseDate: base.date },
        enrollment: t ? t.enrollment_target : derived,
        source: t ? 'imported' : 'derived',
        evoucher: t?.evoucher_target ?? null,
      };
    }),
  };
}
