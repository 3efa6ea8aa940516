/**
 * 9102 文件下载: the files the service's answers name — 3202's result file (table 151: the
 * answer's rows) and, here mostly, the catalogue downloads' (1301 / 1302 / 1305 / 1306): the file a download's
 * file_qury_no names — the rows of its list types in the hospital's regions whose version is
 * above the local version the hospital sent and at most the catalogue's version then — as the
 * spec's file columns (tables 14, 16, 22, 24: 第1列 …), tab-separated, one row a line, a TXT
 * in a ZIP. A row changed since has a higher version and is in the next download, not this one.
 * Columns the catalogue does not hold are empty.
 */
import { sql } from 'kysely';
import { itemOf, regionsOf, type CatalogueItem } from '../catalogue/items.js';
import type { Db } from './call.js';
import { DOWNLOAD_LIST_TYPES } from './catalogue-downloads.js';
import { dateTime } from './envelope.js';
import { FsiError, node, str, type Obj } from './fields.js';
import { zipFiles } from './zip.js';
import { stmtFileNo } from './reconcile.js';
import type { QuoteService } from '../../quotes/quote-service.js';
import { REFERENCE_LISTS, builtInRows, fileCells, referenceRows } from '../catalogue/reference-lists.js';

/** the number of columns of each download's file, and where the catalogue's fields go (1-based) */
const LAYOUT: Record<string, { columns: number; put: (i: CatalogueItem) => Record<number, string> }> = {
  '1301': {
    columns: 97,
    put: (i) => ({ 1: i.medListCodg, 2: i.name, 4: i.name, 37: i.begndate, 38: i.enddate ?? '', 78: i.memo ?? '', ...record(i, 79, 80, 81, 82, 83, 84), 92: i.chrgitmLv, 96: i.begndate, 97: i.enddate ?? '' }),
  },
  // 1303 医疗机构制剂 (table 18): 64 备注, 65 有效标志, 66/67 开始/结束时间, 68 唯一记录号, 69/70 创建/更新时间, 71/72 版本号/名称, 81 所在地区
  '1303': {
    columns: 83,
    put: (i) => ({ 1: i.medListCodg, 2: i.name, 53: i.name, 64: i.memo ?? '', 65: valid(i), 66: i.begndate, 67: i.enddate ?? '', 68: i.rid, 69: dateTime(i.crteTime), 70: dateTime(i.updtTime), 71: String(i.ver), 72: `v${i.ver}`, 81: i.region }),
  },
  '1302': { columns: 33, put: (i) => ({ 1: i.medListCodg, 2: i.name, 12: i.begndate, 13: i.enddate ?? '', ...record(i, 14, 15, 16, 17, 18, 19), 20: i.name, 32: i.begndate, 33: i.enddate ?? '' }) },
  '1305': { columns: 19, put: (i) => ({ 1: i.medListCodg, 7: valid(i), 8: i.memo ?? '', 9: i.medChrgitmType, 10: i.name, 12: i.begndate, 13: i.enddate ?? '', 14: i.rid, 15: String(i.ver), 16: `v${i.ver}`, 19: i.begndate }) },
  '1306': { columns: 71, put: (i) => ({ 1: i.medListCodg, 2: i.name, 5: i.name, 47: i.begndate, 48: i.enddate ?? '', 68: valid(i), 69: i.rid, 70: String(i.ver), 71: `v${i.ver}` }) },
};

const valid = (i: CatalogueItem): string => (i.enddate === null || i.enddate >= dateTime(new Date()).slice(0, 10) ? '1' : '0');
function record(i: CatalogueItem, vali: number, rid: number, crte: number, updt: number, ver: number, verName: number): Record<number, string> {
  return { [vali]: valid(i), [rid]: i.rid, [crte]: dateTime(i.crteTime), [updt]: dateTime(i.updtTime), [ver]: String(i.ver), [verName]: `v${i.ver}` };
}

const QURY = /^CAT(130[12356])-(\d{6})-(\d{1,15})-(\d{1,15})$/;
/** the reference lists' files (1307–1315, src/hospitals/catalogue/reference-lists.ts) */
const LIST_QURY = /^CAT(130[789]|131[01345])-(\d{6})-(\d{1,15})-(\d{1,15})$/;
const STMT = /^STMT[0-9A-F]{26}$/;

/** the stored answer of this hospital's 3202 whose result file is `no` */
async function stmtReply(db: Db, hospital: string, no: string): Promise<Obj | null> {
  const rows = await db.selectFrom('fsi_message').select(['msgid', 'reply']).where('hospital_code', '=', hospital).where('infno', '=', '3202').where(sql<boolean>`reply->>'infcode' = '0'`).where(sql<boolean>`reply->'output'->'fileinfo'->>'file_qury_no' = ${no}`).limit(1).execute();
  return rows.length && stmtFileNo(hospital, rows[0].msgid) === no ? ((rows[0].reply as Obj).output as Obj) : null;
}

/** 3202's result file (table 151): its answer's rows, tab-separated, in a ZIP. */
export async function stmtFile(db: Db, hospital: string, no: string): Promise<{ name: string; zip: Buffer; rows: number } | null> {
  const out = await stmtReply(db, hospital, no);
  if (!out) return null;
  const cols = ['psn_no', 'mdtrt_id', 'setl_id', 'msgid', 'stmt_rslt', 'refd_setl_flag', 'memo', 'medfee_sumamt', 'fund_pay_sumamt', 'acct_pay'];
  const rows = ((out.detail ?? []) as Obj[]).map((r) => cols.map((k) => String(r[k] ?? '').replace(/[\t\r\n]/g, ' ')).join('\t'));
  const txt = String((out.fileinfo as Obj).filename);
  return { name: txt.replace(/\.txt$/, '.zip'), zip: zipFiles([{ name: txt, data: Buffer.from(rows.length ? `${rows.join('\n')}\n` : '', 'utf8') }]), rows: rows.length };
}

/** 9102's input checked: the file a catalogue download named. */
export async function fileDownload(_db: Db, c: { env: { input: Obj }; hospital: string }) {
  const at = 'fsdownloadin';
  const d = node(c.env.input, at);
  const no = str(d, at, 'file_qury_no', 40, true)!;
  const name = str(d, at, 'filename', 200, true)!;
  str(d, at, 'fixmedins_code', 30, true);
  if (STMT.test(no)) {
    if (!(await stmtReply(_db, c.hospital, no))) throw new FsiError(`${at}.file_qury_no ${no} 不是本机构对明细账【3202】的结果文件`);
    return { output: { file_qury_no: no, filename: name } };
  }
  const m = QURY.exec(no) ?? LIST_QURY.exec(no);
  if (!m) throw new FsiError(`${at}.file_qury_no ${no} 不是本系统生成的文件查询号（目录下载【1301】–【1315】或对明细账【3202】的答复给出）`);
  if (name !== `${m[1]}_v${m[3]}_v${m[4]}.txt`) throw new FsiError(`${at}.filename ${name} 与文件查询号不符`);
  return { output: { file_qury_no: no, filename: name } };
}

/** The ZIP of a file a catalogue download named (its file_qury_no already checked by 9102). */
export async function catalogueFile(db: Db, fileQuryNo: string, quotes: QuoteService): Promise<{ name: string; zip: Buffer; rows: number }> {
  const l = LIST_QURY.exec(fileQuryNo);
  if (l) return listFile(db, l, quotes);
  const m = QURY.exec(fileQuryNo);
  if (!m) throw new FsiError(`文件查询号 ${fileQuryNo} 无效`);
  const [, infno, region, from, top] = m;
  const rows = await db
    .selectFrom('catalogue_item')
    .selectAll()
    .where('list_type', 'in', DOWNLOAD_LIST_TYPES[infno])
    .where('region', 'in', regionsOf(region))
    .where(sql<boolean>`ver > ${from}::bigint AND ver <= ${top}::bigint`)
    .orderBy('ver')
    .execute();
  const layout = LAYOUT[infno];
  const lines = rows.map((r) => {
    const cells = layout.put(itemOf(r));
    return Array.from({ length: layout.columns }, (_, k) => (cells[k + 1] ?? '').replace(/[\t\r\n]/g, ' ')).join('\t');
  });
  const txt = `${infno}_v${from}_v${top}.txt`;
  return { name: txt.replace(/\.txt$/, '.zip'), zip: zipFiles([{ name: txt, data: Buffer.from(lines.length ? `${lines.join('\n')}\n` : '', 'utf8') }]), rows: rows.length };
}

/** A reference list's file: the rows from the local version up to the list's version when the download answered, the spec's columns in order. */
async function listFile(db: Db, m: RegExpExecArray, quotes: QuoteService): Promise<{ name: string; zip: Buffer; rows: number }> {
  const [, infno, region, from, top] = m;
  const list = REFERENCE_LISTS[infno];
  const year = Number(dateTime(new Date()).slice(0, 4));
  const rows = await referenceRows(db, infno, () => builtInRows(infno, quotes, region, year), Number(from), Number(top));
  const lines = rows.map((r) => fileCells(list, r, dateTime).map((x) => x.replace(/[\t\r\n]/g, ' ')).join('\t'));
  const txt = `${infno}_v${from}_v${top}.txt`;
  return { name: txt.replace(/\.txt$/, '.zip'), zip: zipFiles([{ name: txt, data: Buffer.from(lines.length ? `${lines.join('\n')}\n` : '', 'utf8') }]), rows: rows.length };
}
