/**
 * A DRG record at the edge: one JSON object (README §2) or one spreadsheet row with Chinese
 * headings, checked and turned into a DrgRecord; anything wrong is an InputError naming the
 * field (or the column as the sheet heads it). Codes are kept exactly as given in JSON; in a
 * sheet, cells are trimmed and the other diagnoses / procedures split on ; ； 、 , ，.
 */
import { z } from 'zod';
import { fromZodIssues, InputError } from '../../errors.js';
import type { DrgRecord } from './record.js';

const FIELDS = ['id', 'sex', 'ageYears', 'ageDays', 'birthWeightGrams', 'dept', 'losDays', 'dischargeMethod', 'diagnoses', 'procedures'] as const;

/** A whole number ≥ 0, or null; digit strings are read as numbers and "" as null. */
const count = (what: string) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? (v.trim() === '' ? null : /^\d+$/.test(v.trim()) ? Number(v.trim()) : v) : v),
    z
      .number({ error: `expected ${what} as a whole number ≥ 0, or null` })
      .int({ error: `expected ${what} as a whole number ≥ 0, or null` })
      .nonnegative({ error: `expected ${what} as a whole number ≥ 0, or null` })
      .max(1_000_000, { error: `${what} is implausibly large` })
      .nullable()
      .optional(),
  );
const text = z.union([z.string(), z.number().transform(String)], { error: 'expected a string or null' }).nullable().optional();
const codes = z
  .array(z.string({ error: 'expected a code as a string' }), { error: 'expected an array of code strings (the main one first)' })
  .nullable()
  .optional()
  .transform((v) => v ?? []);

export const drgRecordSchema = z
  .object(
    {
      id: text,
      sex: text,
      ageYears: count('the age in years'),
      ageDays: count('the age in days'),
      birthWeightGrams: count('the birth weight in grams'),
      dept: text,
      losDays: count('the length of stay in days'),
      dischargeMethod: text,
      diagnoses: codes,
      procedures: codes,
    },
    { error: 'expected a JSON object (a DRG record)' },
  )
  .strict();

const FIELD_SET = new Set<string>(FIELDS);
const isCount = (x: unknown): boolean => x === undefined || x === null || (typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 1_000_000);
const isText = (x: unknown): boolean => x === undefined || x === null || typeof x === 'string';
const isCodes = (x: unknown): boolean => {
  if (x === undefined || x === null) return true;
  if (!Array.isArray(x)) return false;
  for (let i = 0; i < x.length; i++) if (typeof x[i] !== 'string') return false;
  return true;
};

/**
 * The common case without zod: a plain object whose fields already have their final types (no
 * digit strings, no numbers for text). Returns null for anything else, which then goes through
 * drgRecordSchema; the result is the one the schema gives (a property test holds them equal).
 */
export function fastDrgRecord(v: unknown): DrgRecord | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || Object.getPrototypeOf(v) !== Object.prototype) return null;
  const o = v as Record<string, unknown>;
  for (const k in o) if (!FIELD_SET.has(k)) return null;
  if (!isText(o.id) || !isText(o.sex) || !isText(o.dept) || !isText(o.dischargeMethod)) return null;
  if (!isCount(o.ageYears) || !isCount(o.ageDays) || !isCount(o.birthWeightGrams) || !isCount(o.losDays)) return null;
  if (!isCodes(o.diagnoses) || !isCodes(o.procedures)) return null;
  const out: Record<string, unknown> = {};
  for (const k in o) out[k] = o[k];
  out.diagnoses = (o.diagnoses as string[] | null | undefined) ?? [];
  out.procedures = (o.procedures as string[] | null | undefined) ?? [];
  return out as unknown as DrgRecord;
}

/** Parse one record (a parsed JSON value); throws InputError naming the field. */
export function parseDrgRecord(v: unknown): DrgRecord {
  const fast = fastDrgRecord(v);
  if (fast) return fast;
  const r = drgRecordSchema.safeParse(v);
  if (!r.success) {
    const e = fromZodIssues(r.error.issues);
    if (e.message.endsWith('is not a field of this request')) throw new InputError(e.field, `is not a field of a DRG record (${FIELDS.join(', ')})`);
    if (e.field === '(request)') throw new InputError('(record)', e.message.replace(/^\(request\): /, ''));
    throw e;
  }
  return r.data;
}

/** Sheet columns: field → accepted headings (compared without spaces, parentheses half-width, lower case). */
export const DRG_COLUMNS: Record<string, string[]> = {
  id: ['id', '编号', '病案号', '住院号', '记录号', '序号'],
  sex: ['sex', '性别'],
  ageYears: ['ageyears', '年龄', '年龄(岁)'],
  ageDays: ['agedays', '年龄(天)', '年龄(日)', '新生儿年龄(天)', '(年龄不足1周岁的)年龄(天)'],
  birthWeightGrams: ['birthweightgrams', '出生体重', '出生体重(克)', '出生体重(g)', '新生儿出生体重', '新生儿出生体重(克)'],
  mainDiagnosis: ['maindiagnosis', '主要诊断', '主诊断', '主要诊断编码', '主要诊断代码'],
  otherDiagnoses: ['otherdiagnoses', '其他诊断', '次要诊断', '其他诊断编码', '其他诊断代码'],
  diagnoses: ['diagnoses', '诊断', '诊断编码'],
  mainProcedure: ['mainprocedure', '主要手术操作', '主要手术', '主手术', '主要手术操作编码', '主要手术及操作'],
  otherProcedures: ['otherprocedures', '其他手术操作', '其他手术', '其他手术操作编码', '其他手术及操作'],
  procedures: ['procedures', '手术操作', '手术操作编码'],
  losDays: ['losdays', '住院天数', '实际住院天数'],
  dischargeMethod: ['dischargemethod', '离院方式'],
  dept: ['dept', '科室', '出院科别', '出院科室'],
};

/** The heading as compared: no spaces, full-width parentheses made half-width, lower case. */
export const normaliseHeading = (h: string): string => h.replace(/\s+/g, '').replace(/（/g, '(').replace(/）/g, ')').toLowerCase();

const LIST_SEPARATORS = /[;；、,，]/;

/** The columns of a sheet, from its header row. */
export class DrgSheetColumns {
  private constructor(
    private readonly at: Map<string, number>,
    /** the heading as the sheet writes it, by field */
    readonly headings: Map<string, string>,
  ) {}

  static fromHeader(cells: readonly string[]): DrgSheetColumns {
    const at = new Map<string, number>();
    const headings = new Map<string, string>();
    cells.forEach((h, i) => {
      const k = normaliseHeading(h);
      for (const [field, names] of Object.entries(DRG_COLUMNS))
        if (names.includes(k)) {
          if (at.has(field)) throw new InputError('header', `two columns mean ${field}: ${headings.get(field)} and ${h}`);
          at.set(field, i);
          headings.set(field, h);
        }
    });
    if (!at.has('mainDiagnosis') && !at.has('diagnoses')) throw new InputError('header', 'the first row must name the column 主要诊断 (or diagnoses)');
    if (at.has('mainDiagnosis') && at.has('diagnoses')) throw new InputError('header', 'name either 主要诊断 / 其他诊断 or diagnoses, not both');
    if (at.has('mainProcedure') && at.has('procedures')) throw new InputError('header', 'name either 主要手术操作 / 其他手术操作 or procedures, not both');
    for (const need of ['sex', 'ageYears']) if (!at.has(need)) throw new InputError('header', `the first row must name the column ${DRG_COLUMNS[need][1]} (${need})`);
    return new DrgSheetColumns(at, headings);
  }

  /** The row's id cell (to name a bad row), or null. */
  id(cells: readonly string[]): string | null {
    const i = this.at.get('id');
    return i === undefined ? null : (cells[i] ?? '').trim() || null;
  }

  /** The record of one row; throws InputError naming the column as the sheet heads it. */
  record(cells: readonly string[]): DrgRecord {
    const get = (f: string): string => {
      const i = this.at.get(f);
      return i === undefined ? '' : (cells[i] ?? '').trim();
    };
    const num = (f: string): number | null => {
      const v = get(f);
      if (v === '') return null;
      if (!/^\d+$/.test(v)) throw new InputError(this.headings.get(f)!, `${v} is not a whole number`);
      return Number(v);
    };
    const list = (v: string): string[] =>
      v
        .split(LIST_SEPARATORS)
        .map((x) => x.trim())
        .filter((x) => x !== '');
    let diagnoses: string[];
    if (this.at.has('diagnoses')) diagnoses = list(get('diagnoses'));
    else {
      const main = get('mainDiagnosis');
      const others = list(get('otherDiagnoses'));
      if (main === '' && others.length) throw new InputError(this.headings.get('mainDiagnosis')!, 'is empty, but other diagnoses are given: the main diagnosis comes first');
      diagnoses = main === '' ? [] : [main, ...others];
    }
    let procedures: string[];
    if (this.at.has('procedures')) procedures = list(get('procedures'));
    else {
      const main = get('mainProcedure');
      const others = list(get('otherProcedures'));
      if (main === '' && others.length) throw new InputError(this.headings.get('mainProcedure')!, 'is empty, but other procedures are given: the main procedure comes first');
      procedures = main === '' ? [] : [main, ...others];
    }
    const str = (f: string): string | null => get(f) || null;
    return {
      id: str('id'),
      sex: str('sex'),
      ageYears: num('ageYears'),
      ageDays: num('ageDays'),
      birthWeightGrams: num('birthWeightGrams'),
      dept: str('dept'),
      losDays: num('losDays'),
      dischargeMethod: str('dischargeMethod'),
      diagnoses,
      procedures,
    };
  }
}
