/**
 * Importing the catalogue (医保目录) from CSV or XLSX, in the columns of the interface spec's
 * catalogue queries (1312 医保目录信息, 1318 限价信息, 1319 先自付比例信息): one row an item
 * for a region from a day. Headings may be the spec's field codes or its Chinese names.
 * Each row is checked on its own; bad rows come back by line with the column and the reason
 * and do not stop the good ones. Good rows are written batch by batch, each batch in one
 * transaction; a row already in the catalogue as it is (same key, same values) is left
 * unchanged, a changed one gets a new version (ver) and updt_time: importing the same file
 * twice changes nothing the second time. Every import is audited.
 */
import { basename } from 'node:path';
import { randomBytes } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import { InputError } from '../../errors.js';
import { audit } from '../../access/audit.js';
import type { Actor } from '../../access/roles.js';
import { isDateString } from '../../dates.js';
import { MAX_YUAN, yuanToFen } from '../../money.js';
import { formatOf, readSheetRows, sha256File, type SheetFormat } from '../../sheets.js';
import type { DB } from '../../store/schema.js';
import { LIST_TYPES } from './items.js';

type Field = 'med_list_codg' | 'name' | 'list_type' | 'chrgitm_lv' | 'med_chrgitm_type' | 'price_cap' | 'selfpay_prop' | 'begndate' | 'enddate' | 'region' | 'memo';

/** each field's headings: the spec's code first, then its Chinese names */
export const CATALOGUE_COLUMNS: Record<Field, readonly string[]> = {
  med_list_codg: ['med_list_codg', 'hilist_code', '医疗目录编码', '医保目录编码'],
  name: ['hilist_name', 'med_list_name', '医保目录名称', '医疗目录名称', '名称'],
  list_type: ['list_type', '目录类别'],
  chrgitm_lv: ['chrgitm_lv', '收费项目等级'],
  med_chrgitm_type: ['med_chrgitm_type', '医疗收费项目类别'],
  price_cap: ['hilist_pric_uplmt_amt', 'pric_uplmt_amt', '医保目录定价上限金额', '定价上限金额'],
  selfpay_prop: ['selfpay_prop', '自付比例', '先自付比例'],
  begndate: ['begndate', '开始日期'],
  enddate: ['enddate', '结束日期'],
  region: ['insu_admdvs', '参保机构医保区划', '医保区划'],
  memo: ['memo', '备注'],
};
const REQUIRED: Field[] = ['med_list_codg', 'name', 'list_type', 'chrgitm_lv', 'begndate', 'region'];

export interface CatalogueProblem {
  line: number;
  field: string;
  reason: string;
}
export interface CatalogueImportSummary {
  fileName: string;
  sha256: string;
  rows: number;
  inserted: number;
  updated: number;
  unchanged: number;
  bad: number;
  problems: CatalogueProblem[];
}

export interface CatalogueRow {
  line: number;
  med_list_codg: string;
  region: string;
  begndate: string;
  enddate: string | null;
  name: string;
  list_type: string;
  chrgitm_lv: '01' | '02' | '03';
  med_chrgitm_type: string;
  price_cap_fen: number | null;
  /** four decimals, as stored ("0.1000") */
  selfpay_prop: string | null;
  memo: string | null;
  example: boolean;
}

const norm = (s: string): string => s.trim().replace(/^[*＊]/, '').replace(/\s+/g, '').toLowerCase();
const CLASS_WORDS: Record<string, '01' | '02' | '03'> = { '01': '01', '1': '01', 甲: '01', 甲类: '01', '02': '02', '2': '02', 乙: '02', 乙类: '02', '03': '03', '3': '03', 丙: '03', 丙类: '03' };
const LIST_TYPE_OF_NAME: Record<string, string> = Object.fromEntries(Object.entries(LIST_TYPES).map(([k, v]) => [v, k]));

class RowError extends Error {
  constructor(readonly field: Field, message: string) {
    super(message);
  }
}

/** 医疗收费项目类别 when the file leaves it out: by the list type and the national code's form. */
export function defaultChrgitmType(listType: string, code: string): string {
  if (listType === '301') return '08'; // 卫生材料费
  if (listType === '102' || listType === '106') return '10'; // 中药饮片费
  if (listType === '101' || listType === '103' || listType === '104') return code.toUpperCase().startsWith('Z') ? '11' : '09';
  return '14'; // 其他费 (a service item's own class — 检查、化验、治疗… — is for the file to say)
}

/** One row's cells (by field) → a checked row, or a RowError naming the field. */
export function parseCatalogueRow(get: (f: Field) => string | undefined, line: number): CatalogueRow {
  const need = (f: Field): string => {
    const v = get(f)?.trim();
    if (!v) throw new RowError(f, '不能为空');
    return v;
  };
  const code = need('med_list_codg');
  if (code.length > 50 || /\s/.test(code)) throw new RowError('med_list_codg', `医疗目录编码 ${code} 应为不含空格、至多 50 位的编码`);
  const name = need('name');
  if (name.length > 200) throw new RowError('name', '名称至多 200 字');
  const lt0 = need('list_type');
  const listType = LIST_TYPES[lt0] ? lt0 : LIST_TYPE_OF_NAME[lt0];
  if (!listType) throw new RowError('list_type', `目录类别 ${lt0} 应为 ${Object.entries(LIST_TYPES).map(([k, v]) => `${k} ${v}`).join('、')}`);
  const lv = CLASS_WORDS[need('chrgitm_lv')];
  if (!lv) throw new RowError('chrgitm_lv', '收费项目等级应为 01 甲类、02 乙类 或 03 丙类');
  const t = get('med_chrgitm_type')?.trim();
  const type = t ? t.padStart(2, '0') : defaultChrgitmType(listType, code);
  if (!/^(0[1-9]|1[0-4])$/.test(type)) throw new RowError('med_chrgitm_type', `医疗收费项目类别 ${t} 应为 01 至 14`);
  const region = need('region');
  if (!/^\d{6}$/.test(region)) throw new RowError('region', `医保区划 ${region} 应为 6 位数字`);
  const begndate = need('begndate');
  if (!isDateString(begndate)) throw new RowError('begndate', `开始日期 ${begndate} 应为 yyyy-MM-dd`);
  const e = get('enddate')?.trim() || null;
  if (e !== null && !isDateString(e)) throw new RowError('enddate', `结束日期 ${e} 应为 yyyy-MM-dd`);
  if (e !== null && e < begndate) throw new RowError('enddate', `结束日期 ${e} 早于开始日期 ${begndate}`);
  const capText = get('price_cap')?.trim() || null;
  let cap: number | null = null;
  if (capText !== null) {
    if (!/^\d{1,12}(\.\d{1,2})?$/.test(capText)) throw new RowError('price_cap', `定价上限金额 ${capText} 应为不为负、至多两位小数的金额（元）`);
    cap = yuanToFen(capText);
    if (cap > MAX_YUAN.bill * 100) throw new RowError('price_cap', `定价上限金额超出上限（${MAX_YUAN.bill} 元）`);
  }
  const propText = get('selfpay_prop')?.trim() || null;
  let prop: string | null = null;
  if (propText !== null) {
    const pct = /^(\d{1,3}(?:\.\d{1,2})?)%$/.exec(propText);
    const dec = /^(0(?:\.\d{1,4})?|1(?:\.0{1,4})?)$/.exec(propText);
    const value = pct ? Number(pct[1]) / 100 : dec ? Number(dec[1]) : NaN;
    if (!Number.isFinite(value) || value < 0 || value > 1) throw new RowError('selfpay_prop', `自付比例 ${propText} 应为 0 至 1 之间的小数（至多四位）或百分数`);
    if (lv !== '02') throw new RowError('selfpay_prop', '先自付比例只适用于乙类项目（chrgitm_lv 02）');
    prop = value.toFixed(4);
  }
  const memo = get('memo')?.trim() || null;
  return { line, med_list_codg: code, region, begndate, enddate: e, name, list_type: listType, chrgitm_lv: lv, med_chrgitm_type: type, price_cap_fen: cap, selfpay_prop: prop, memo, example: memo !== null && /^example[:：]/i.test(memo) };
}

const SAME = (a: CatalogueRow, b: Record<string, unknown>): boolean =>
  a.name === b.name &&
  a.list_type === b.list_type &&
  a.chrgitm_lv === b.chrgitm_lv &&
  a.med_chrgitm_type === b.med_chrgitm_type &&
  (a.enddate ?? null) === (b.enddate === null ? null : String(b.enddate_text)) &&
  (a.price_cap_fen === null ? b.price_cap_fen === null : b.price_cap_fen !== null && Number(b.price_cap_fen) === a.price_cap_fen) &&
  (a.selfpay_prop === null ? b.selfpay_prop === null : b.selfpay_prop !== null && Number(b.selfpay_prop) === Number(a.selfpay_prop)) &&
  (a.memo ?? null) === (b.memo ?? null);

/** Write one batch of checked rows in one transaction: new rows inserted, changed rows updated, the rest left. */
async function writeBatch(tx: Transaction<DB>, rows: CatalogueRow[]): Promise<{ inserted: number; updated: number; unchanged: number }> {
  let inserted = 0;
  let updated = 0;
  let unchanged = 0;
  const keys = rows.map((r) => sql`(${r.med_list_codg}, ${r.region}, ${r.begndate}::date)`);
  const existing = await tx
    .selectFrom('catalogue_item')
    .select(['med_list_codg', 'region', 'name', 'list_type', 'chrgitm_lv', 'med_chrgitm_type', 'price_cap_fen', 'selfpay_prop', 'memo', 'enddate'])
    .select(sql<string>`to_char(begndate, 'YYYY-MM-DD')`.as('begn_text'))
    .select(sql<string | null>`to_char(enddate, 'YYYY-MM-DD')`.as('enddate_text'))
    .where(sql<boolean>`(med_list_codg, region, begndate) IN (${sql.join(keys)})`)
    .execute();
  const byKey = new Map(existing.map((e) => [`${e.med_list_codg}|${e.region}|${e.begn_text}`, e]));
  for (const r of rows) {
    const prev = byKey.get(`${r.med_list_codg}|${r.region}|${r.begndate}`);
    const values = { name: r.name, list_type: r.list_type, chrgitm_lv: r.chrgitm_lv, med_chrgitm_type: r.med_chrgitm_type, enddate: r.enddate, price_cap_fen: r.price_cap_fen, selfpay_prop: r.selfpay_prop, memo: r.memo, example: r.example };
    if (!prev) {
      await tx
        .insertInto('catalogue_item')
        .values({ med_list_codg: r.med_list_codg, region: r.region, begndate: r.begndate, ...values, ver: sql<string>`nextval('catalogue_ver_seq')`, rid: `CL${Date.now().toString(36).toUpperCase()}${randomBytes(6).toString('hex').toUpperCase()}` })
        .execute();
      inserted++;
    } else if (SAME(r, prev as unknown as Record<string, unknown>)) unchanged++;
    else {
      await tx
        .updateTable('catalogue_item')
        .set({ ...values, ver: sql<string>`nextval('catalogue_ver_seq')`, updt_time: sql`now()` })
        .where('med_list_codg', '=', r.med_list_codg)
        .where('region', '=', r.region)
        .where('begndate', '=', r.begndate)
        .execute();
      updated++;
    }
  }
  return { inserted, updated, unchanged };
}

export interface CatalogueImportOptions {
  path: string;
  fileName?: string;
  format?: SheetFormat;
  batchSize?: number;
  keepProblems?: number;
}

/** Import a catalogue file; an InputError when the file itself is unusable (format, headings). */
export async function importCatalogue(db: Kysely<DB>, actor: Actor, o: CatalogueImportOptions): Promise<CatalogueImportSummary> {
  const format = o.format ?? formatOf(o.fileName ?? o.path, 'file');
  const fileName = o.fileName ?? basename(o.path);
  const batchSize = o.batchSize ?? 500;
  const keep = o.keepProblems ?? 1000;
  const problems: CatalogueProblem[] = [];
  let bad = 0;
  const report = (p: CatalogueProblem) => {
    bad++;
    if (problems.length < keep) problems.push(p);
  };
  let index: Partial<Record<Field, number>> | null = null;
  let headings: string[] = [];
  const seen = new Map<string, number>();
  let batch: CatalogueRow[] = [];
  let rows = 0;
  const totals = { inserted: 0, updated: 0, unchanged: 0 };
  const flush = async () => {
    if (!batch.length) return;
    const b = batch;
    batch = [];
    const r = await db.transaction().execute((tx) => writeBatch(tx, b));
    totals.inserted += r.inserted;
    totals.updated += r.updated;
    totals.unchanged += r.unchanged;
  };
  for await (const row of readSheetRows(o.path, { format })) {
    if (!index) {
      headings = row.cells;
      const normed = row.cells.map(norm);
      index = {};
      for (const [f, names] of Object.entries(CATALOGUE_COLUMNS) as [Field, readonly string[]][]) {
        const i = normed.findIndex((h) => names.some((n) => norm(n) === h));
        if (i >= 0) index[f] = i;
      }
      const missing = REQUIRED.filter((f) => index![f] === undefined);
      if (missing.length) throw new InputError('file', `${fileName}: 缺少列 ${missing.map((f) => CATALOGUE_COLUMNS[f].slice(0, 3).join('/')).join('、')}（第 ${row.line} 行应为表头）`);
      continue;
    }
    rows++;
    const idx = index;
    const get = (f: Field) => (idx[f] === undefined ? undefined : row.cells[idx[f]!]);
    const heading = (f: Field) => (idx[f] === undefined ? CATALOGUE_COLUMNS[f][0] : headings[idx[f]!]);
    let r: CatalogueRow;
    try {
      r = parseCatalogueRow(get, row.line);
    } catch (e) {
      if (e instanceof RowError) {
        report({ line: row.line, field: heading(e.field), reason: e.message });
        continue;
      }
      throw e;
    }
    const key = `${r.med_list_codg}|${r.region}|${r.begndate}`;
    const first = seen.get(key);
    if (first !== undefined) {
      report({ line: row.line, field: heading('med_list_codg'), reason: `与第 ${first} 行重复（同一编码、医保区划和开始日期）` });
      continue;
    }
    seen.set(key, row.line);
    batch.push(r);
    if (batch.length >= batchSize) await flush();
  }
  if (!index) throw new InputError('file', `${fileName}: 文件为空（应有表头行）`);
  await flush();
  const sha256 = await sha256File(o.path);
  const summary: CatalogueImportSummary = { fileName, sha256, rows, ...totals, bad, problems };
  await audit(db, actor, 'catalogue_import', 'catalogue_item', fileName, { sha256, rows, ...totals, bad });
  return summary;
}
