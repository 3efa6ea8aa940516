/**
 * The reference lists the platform's catalogue downloads serve besides the 医保目录: 1307 疾病与诊断,
 * 1308 手术操作, 1309 门诊慢特病种, 1310 按病种付费病种, 1311 日间手术治疗病种, 1313 肿瘤形态学,
 * 1314 中医疾病, 1315 中医证候 — each a file of the spec's columns (tables 26–42: 第1列 …).
 *
 * Where the rows come from: the built-in rows (version 1, not stored) — 1307 the diagnoses and
 * 1308 the procedures of the bundled CHS-DRG 1.1 data (policies/drg/chs-drg-1.1,
 * diagnosis-names.json and procedure-names.json, the national clinical editions), 1309 the
 * chronic and special outpatient diseases of the hospital's policy pack
 * (benefits.chronicSpecialOutpatient.diseases, marked example where the pack says so), the
 * others the example rows of policies/catalogue/reference/<infno>.csv (every one marked
 * `example:` in its 备注) — and the rows an admin imports (importReferenceList: a CSV or XLSX
 * whose headings are the spec's column names), stored with versions from 2 on, an imported row
 * of a code taking the place of the built-in one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import { InputError } from '../../errors.js';
import { audit } from '../../access/audit.js';
import type { Actor } from '../../access/roles.js';
import { DEFAULT_POLICY_DIR } from '../../policy/loader.js';
import { loadDrgScheme } from '../../policy/drg-compile.js';
import type { QuoteService } from '../../quotes/quote-service.js';
import { formatOf, readSheetRows, sha256File, type SheetFormat } from '../../sheets.js';
import type { DB } from '../../store/schema.js';

type Db = Kysely<DB> | Transaction<DB>;

/** The spec's columns of each list's file (第1列 …), and which column holds the list's code. */
const COLUMNS: Record<string, { name: string; code: string; columns: string }> = {
  '1307': {
    name: '疾病与诊断目录',
    code: '诊断代码',
    columns: '西医疾病诊断ID 章 章代码范围 章名称 节代码范围 节名称 类目代码 类目名称 亚目代码 亚目名称 诊断代码 诊断名称 使用标记 国标版诊断代码 国标版诊断名称 临床版诊断代码 临床版诊断名称 备注 有效标志 唯一记录号 数据创建时间 数据更新时间 版本号 版本名称',
  },
  '1308': {
    name: '手术操作目录',
    code: '手术操作代码',
    columns: '手术标准目录ID 章 章代码范围 章名称 类目代码 类目名称 亚目代码 亚目名称 细目代码 细目名称 手术操作代码 手术操作名称 使用标记 团标版手术操作代码 团标版手术操作名称 临床版手术操作代码 临床版手术操作名称 备注 有效标志 唯一记录号 数据创建时间 数据更新时间 版本号 版本名称',
  },
  '1309': {
    name: '门诊慢特病种目录',
    code: '门慢门特病种目录代码',
    columns: '门慢门特病种目录代码 门慢门特病种大类名称 门慢门特病种细分类名称 医保区划 备注 有效标志 唯一记录号 数据创建时间 数据更新时间 版本号 病种内涵 版本名称 诊疗指南页码 诊疗指南电子档案 门慢门特病种名称 门慢门特病种大类代码',
  },
  '1310': {
    name: '按病种付费病种目录',
    code: '按病种结算病种目录代码',
    columns: '病种结算目录ID 按病种结算病种目录代码 按病种结算病种名称 限定手术操作代码 限定手术操作名称 有效标志 唯一记录号 数据创建时间 数据更新时间 版本号 病种内涵 备注 版本名称 诊疗指南页码 诊疗指南电子档案',
  },
  '1311': {
    name: '日间手术治疗病种目录',
    code: '日间手术病种目录代码',
    columns: '日间手术治疗目录ID 日间手术病种目录代码 日间手术病种名称 有效标志 唯一记录号 数据创建时间 数据更新时间 版本号 病种内涵 备注 版本名称 诊疗指南页码 诊疗指南电子档案 手术操作名称 手术操作代码',
  },
  '1313': { name: '肿瘤形态学目录', code: '肿瘤/细胞类型代码', columns: '肿瘤形态学ID 肿瘤/细胞类型代码 肿瘤/细胞类型 形态学分类代码 形态学分类 有效标志 唯一记录号 数据创建时间 数据更新时间 版本号 版本名称' },
  '1314': { name: '中医疾病目录', code: '疾病分类代码', columns: '中医疾病诊断ID 科别类目代码 科别类目名称 专科系统分类目代码 专科系统分类目名称 疾病分类代码 疾病分类名称 备注 有效标志 唯一记录号 数据创建时间 数据更新时间 版本号 版本名称' },
  '1315': { name: '中医证候目录', code: '证候分类代码', columns: '中医证候ID 证候类目代码 证候类目名称 证候属性代码 证候属性 证候分类代码 证候分类名称 备注 有效标志 唯一记录号 数据创建时间 数据更新时间 版本号 版本名称' },
};

export interface ReferenceList {
  infno: string;
  name: string;
  columns: readonly string[];
  /** 0-based positions of the list's code, its ID, memo and record columns (-1: the list has none) */
  at: { code: number; id: number; memo: number; vali: number; rid: number; crte: number; updt: number; ver: number; verName: number };
}

export const REFERENCE_LISTS: Record<string, ReferenceList> = Object.fromEntries(
  Object.entries(COLUMNS).map(([infno, c]) => {
    const columns = c.columns.split(' ');
    const pos = (n: string) => columns.indexOf(n);
    return [infno, { infno, name: c.name, columns, at: { code: pos(c.code), id: columns[0].endsWith('ID') ? 0 : -1, memo: pos('备注'), vali: pos('有效标志'), rid: pos('唯一记录号'), crte: pos('数据创建时间'), updt: pos('数据更新时间'), ver: pos('版本号'), verName: pos('版本名称') } }];
  }),
);

/** One row of a list: its code, the file's cells, whether it is an example, its version and record. */
export interface ReferenceRow {
  code: string;
  cells: string[];
  example: boolean;
  ver: number;
  verName: string;
  rid: string;
  crteTime: Date | null;
  updtTime: Date | null;
}

/** the version of the built-in rows (imported rows are 2 on: reference_list_ver_seq) */
export const BUILT_IN_VER = 1;
const EXAMPLE_DIR = join(DEFAULT_POLICY_DIR, 'catalogue', 'reference');

function blank(list: ReferenceList): string[] {
  return list.columns.map(() => '');
}

function builtInRow(list: ReferenceList, code: string, cells: string[], example: boolean, verName: string): ReferenceRow {
  return { code, cells, example, ver: BUILT_IN_VER, verName, rid: `${list.infno}B${code}`, crteTime: null, updtTime: null };
}

/** 1307 / 1308: the bundled CHS-DRG 1.1 diagnoses or procedures, their category codes cut from the code (ICD-10 A00.000 → 类目 A00, 亚目 A00.0; ICD-9-CM-3 00.0100 → 类目 00, 亚目 00.0, 细目 00.01). */
function drgRows(list: ReferenceList): ReferenceRow[] {
  const scheme = loadDrgScheme();
  const names = list.infno === '1307' ? scheme.diagnosisNames : scheme.procedureNames;
  const memo = list.infno === '1307' ? 'CHS-DRG 1.1 分组方案所附疾病诊断（医保版 ICD-10 国家临床版），policies/drg/chs-drg-1.1/diagnosis-names.json' : 'CHS-DRG 1.1 分组方案所附手术操作（医保版 ICD-9-CM-3 国家临床版），policies/drg/chs-drg-1.1/procedure-names.json';
  const out: ReferenceRow[] = [];
  for (const [code, name] of names) {
    const c = blank(list);
    const put = (column: string, v: string) => (c[list.columns.indexOf(column)] = v);
    if (list.infno === '1307') {
      put('类目代码', code.slice(0, 3));
      put('类目名称', names.get(`${code.slice(0, 3)}`) ?? '');
      if (code.length > 4 && code[3] === '.') put('亚目代码', code.slice(0, 5));
      put('诊断代码', code);
      put('诊断名称', name);
      put('临床版诊断代码', code);
      put('临床版诊断名称', name);
    } else {
      put('类目代码', code.slice(0, 2));
      if (code[2] === '.') {
        put('亚目代码', code.slice(0, 4));
        if (code.length > 4) put('细目代码', code.slice(0, 5));
      }
      put('手术操作代码', code);
      put('手术操作名称', name);
      put('临床版手术操作代码', code);
      put('临床版手术操作名称', name);
    }
    c[list.at.memo] = memo;
    out.push(builtInRow(list, code, c, false, 'CHS-DRG 1.1'));
  }
  return out;
}

/** 1309: the chronic and special outpatient diseases of the pack governing the region this year (or its latest year). */
function chronicRows(list: ReferenceList, quotes: QuoteService, region: string, year: number): ReferenceRow[] {
  const years = quotes.lib.years();
  const y = years.includes(year) ? year : Math.max(...years.filter((x) => x <= year), ...(years.every((x) => x > year) ? years : []));
  const packId = quotes.lib.packIdFor(region, y);
  if (!packId) return [];
  const d = quotes.benefits(packId).diseases;
  if (!d) return [];
  const p = d.param;
  const memo = `${p.example ? `example: ${p.example} ` : ''}${p.cite ? `依据：${p.cite}` : ''}（${p.from} benefits.chronicSpecialOutpatient.diseases）`.trim();
  return [...d.byCode].map(([code, x]) => {
    const c = blank(list);
    const put = (column: string, v: string) => (c[list.columns.indexOf(column)] = v);
    put('门慢门特病种目录代码', code);
    put('门慢门特病种大类名称', x.name);
    put('门慢门特病种细分类名称', x.name);
    put('医保区划', region);
    put('门慢门特病种名称', x.name);
    put('门慢门特病种大类代码', code);
    put('病种内涵', `年度支付限额 ${(x.limit / 100).toFixed(2)} 元`);
    c[list.at.memo] = memo;
    return builtInRow(list, code, c, Boolean(p.example), packId);
  });
}

/** The example rows of policies/catalogue/reference/<infno>.csv (headings: the spec's column names). */
function exampleRows(list: ReferenceList): ReferenceRow[] {
  const path = join(EXAMPLE_DIR, `${list.infno}.csv`);
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, 'utf8').replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l.trim() !== '');
  const head = lines[0].split(',').map((h) => h.trim());
  return lines.slice(1).map((l) => {
    const cells = l.split(',');
    const c = blank(list);
    head.forEach((h, k) => {
      const i = list.columns.indexOf(h);
      if (i >= 0) c[i] = (cells[k] ?? '').trim();
    });
    const memo = list.at.memo >= 0 ? c[list.at.memo] : '';
    return builtInRow(list, c[list.at.code], c, /^example[:：]/i.test(memo) || list.at.memo < 0, 'example');
  });
}

/** The built-in rows of a list for a hospital in `region` (1309 depends on the region's pack). */
export function builtInRows(infno: string, quotes: QuoteService, region: string, year: number): ReferenceRow[] {
  const list = REFERENCE_LISTS[infno];
  if (infno === '1307' || infno === '1308') return drgRows(list);
  if (infno === '1309') return chronicRows(list, quotes, region, year);
  return exampleRows(list);
}

function storedRow(r: { code: string; cells: unknown; example: boolean; ver: string | number | bigint; rid: string; crte_time: unknown; updt_time: unknown }): ReferenceRow {
  return { code: r.code, cells: (r.cells as unknown[]).map((x) => String(x ?? '')), example: r.example, ver: Number(r.ver), verName: `v${Number(r.ver)}`, rid: r.rid, crteTime: new Date(r.crte_time as string), updtTime: new Date(r.updt_time as string) };
}

/** The highest version of a list (at least the built-in rows' version). */
export async function referenceListVersion(db: Db, infno: string): Promise<number> {
  const r = await db.selectFrom('reference_list_item').select((eb) => eb.fn.max('ver').as('v')).where('infno', '=', infno).executeTakeFirst();
  return Math.max(BUILT_IN_VER, r?.v ? Number(r.v) : 0);
}

/**
 * The rows a download from local version `from` up to `top` carries: the built-in rows when
 * `from` is below their version (those no imported row has replaced), then the imported rows
 * above `from` and at most `top`, by version.
 */
export async function referenceRows(db: Db, infno: string, builtIn: () => ReferenceRow[], from: number, top: number): Promise<ReferenceRow[]> {
  const stored = await db.selectFrom('reference_list_item').select(['code', 'cells', 'example', 'ver', 'rid', 'crte_time', 'updt_time']).where('infno', '=', infno).where(sql<boolean>`ver <= ${top}::bigint`).orderBy('ver').execute();
  const out: ReferenceRow[] = [];
  if (from < BUILT_IN_VER) {
    const replaced = new Set(stored.map((r) => r.code));
    for (const r of builtIn()) if (!replaced.has(r.code)) out.push(r);
  }
  for (const r of stored) if (Number(r.ver) > from) out.push(storedRow(r));
  return out;
}

/** A row as the file's line: its cells, with its record columns (有效标志, 唯一记录号, times, 版本号, 版本名称, the ID) filled. */
export function fileCells(list: ReferenceList, r: ReferenceRow, dateTime: (d: Date) => string): string[] {
  const c = [...r.cells];
  while (c.length < list.columns.length) c.push('');
  const set = (i: number, v: string) => {
    if (i >= 0) c[i] = v;
  };
  set(list.at.id, r.rid);
  set(list.at.vali, '1');
  set(list.at.rid, r.rid);
  set(list.at.crte, r.crteTime ? dateTime(r.crteTime) : '');
  set(list.at.updt, r.updtTime ? dateTime(r.updtTime) : '');
  set(list.at.ver, String(r.ver));
  set(list.at.verName, r.verName);
  return c.slice(0, list.columns.length);
}

// ---- importing ----

export interface ReferenceImportSummary {
  infno: string;
  fileName: string;
  sha256: string;
  rows: number;
  inserted: number;
  updated: number;
  unchanged: number;
  bad: number;
  problems: { line: number; field: string; reason: string }[];
}

/** the columns the service fills itself (an imported file's values there are not taken) */
const RECORD_COLUMNS = new Set(['有效标志', '唯一记录号', '数据创建时间', '数据更新时间', '版本号', '版本名称']);

/**
 * Import a list's rows from CSV or XLSX. Headings: the spec's column names (or 第N列); the
 * code column is required, the record columns are the service's own and are not taken. A row
 * without a code, with a code over 50 characters or repeating an earlier line's code is bad and
 * listed by line; the good rows are written in one transaction: new codes inserted, changed rows
 * given a new version, rows the same as stored left as they are (importing the same file twice
 * changes nothing). A row whose 备注 starts with `example:` is an example. Audited.
 */
export async function importReferenceList(db: Kysely<DB>, actor: Actor, o: { infno: string; path: string; fileName?: string; format?: SheetFormat }): Promise<ReferenceImportSummary> {
  const list = REFERENCE_LISTS[o.infno];
  if (!list) throw new InputError('infno', `${o.infno} is not a reference list download (${Object.keys(REFERENCE_LISTS).join(', ')})`);
  const format = o.format ?? formatOf(o.fileName ?? o.path, 'file');
  const fileName = o.fileName ?? basename(o.path);
  const sha256 = await sha256File(o.path);
  const problems: ReferenceImportSummary['problems'] = [];
  const good = new Map<string, { line: number; cells: string[]; example: boolean }>();
  let map: number[] | null = null;
  let rows = 0;
  for await (const row of readSheetRows(o.path, { format })) {
    if (!map) {
      map = row.cells.map((h) => {
        const t = h.trim().replace(/^[*＊]/, '');
        const n = /^第(\d+)列$/.exec(t);
        const i = n ? Number(n[1]) - 1 : list.columns.indexOf(t);
        return i >= 0 && i < list.columns.length && !RECORD_COLUMNS.has(list.columns[i]) ? i : -1;
      });
      if (!map.includes(list.at.code)) throw new InputError('(file)', `the first row must name the columns of ${o.infno} ${list.name} as the spec does, including ${list.columns[list.at.code]} (found: ${row.cells.join(', ')})`);
      continue;
    }
    rows++;
    const cells = blank(list);
    map.forEach((i, k) => {
      if (i >= 0) cells[i] = String(row.cells[k] ?? '').replace(/[\t\r\n]/g, ' ').trim();
    });
    const code = cells[list.at.code];
    const field = list.columns[list.at.code];
    if (!code) problems.push({ line: row.line, field, reason: `${field} 不能为空` });
    else if (code.length > 50) problems.push({ line: row.line, field, reason: `${field} 超过 50 个字符` });
    else if (good.has(code)) problems.push({ line: row.line, field, reason: `${field} ${code} 与第 ${good.get(code)!.line} 行重复` });
    else good.set(code, { line: row.line, cells, example: list.at.memo >= 0 && /^example[:：]/i.test(cells[list.at.memo]) });
  }
  if (!map) throw new InputError('(file)', 'is empty: the first row must name the columns');
  const totals = await db.transaction().execute(async (tx) => {
    let inserted = 0;
    let updated = 0;
    let unchanged = 0;
    const codes = [...good.keys()];
    const prev = new Map<string, { cells: unknown; example: boolean }>();
    for (let k = 0; k < codes.length; k += 1000) {
      const part = codes.slice(k, k + 1000);
      for (const r of await tx.selectFrom('reference_list_item').select(['code', 'cells', 'example']).where('infno', '=', o.infno).where('code', 'in', part).execute()) prev.set(r.code, r);
    }
    for (const [code, r] of good) {
      const p = prev.get(code);
      if (!p) {
        await tx.insertInto('reference_list_item').values({ infno: o.infno, code, cells: JSON.stringify(r.cells), example: r.example, ver: sql<string>`nextval('reference_list_ver_seq')`, rid: `RL${o.infno}${Date.now().toString(36).toUpperCase()}${randomBytes(5).toString('hex').toUpperCase()}` }).execute();
        inserted++;
      } else if (JSON.stringify(p.cells) === JSON.stringify(r.cells) && p.example === r.example) unchanged++;
      else {
        await tx.updateTable('reference_list_item').set({ cells: JSON.stringify(r.cells), example: r.example, ver: sql<string>`nextval('reference_list_ver_seq')`, updt_time: sql`now()` }).where('infno', '=', o.infno).where('code', '=', code).execute();
        updated++;
      }
    }
    await audit(tx, actor, 'reference_list_import', 'reference_list_item', o.infno, { fileName, sha256, rows, inserted, updated, unchanged, bad: problems.length });
    return { inserted, updated, unchanged };
  });
  return { infno: o.infno, fileName, sha256, rows, ...totals, bad: problems.length, problems };
}
