/**
 * The catalogue's transactions (3-目录下载): 1312 医保目录信息查询, 1316 医疗目录与医保目录匹配信息查询,
 * 1318 医保目录限价信息查询, 1319 医保目录先自付比例信息查询 — paged by page_num / page_size,
 * rows changed at or after updt_time, in the spec's output fields (tables 36, 44, 48, 50) — and
 * the versioned downloads 1301 西药中成药 / 1302 中药饮片 / 1305 医疗服务项目 / 1306 医用耗材
 * (input ver, the local highest version; output file_qury_no, filename, dld_end_time, data_cnt of
 * the rows above that version, tables 14, 16, 22, 24).
 */
import { catalogueVersion, cataloguePage, regionsOf, type CatalogueFilter, type CatalogueItem } from '../catalogue/items.js';
import { REFERENCE_LISTS, builtInRows, referenceListVersion, referenceRows } from '../catalogue/reference-lists.js';
import type { Call, Db, FsiDeps } from './call.js';
import { dateTime } from './envelope.js';
import { FsiError, dateTimeField, decimal, node, str, yuan, type Obj } from './fields.js';

/**
 * The list types (目录类别, code table list_type: 101 西药中成药, 102 中药饮片, 103 自制剂, 104
 * 民族药, 105 其他, 106 中药配方颗粒, 201 医疗服务项目, 301 医用耗材) each versioned download covers.
 * 自制剂 (103) are 1303's (医疗机构制剂目录下载, its own 83 columns) and 民族药 (104) are 1304's
 * (民族药品目录查询): a client that downloads them there would get them twice were 1301 to carry
 * them too. 105 其他 has no download of its own and stays with 1301's drugs.
 */
export const DOWNLOAD_LIST_TYPES: Record<string, string[]> = { '1301': ['101', '105'], '1302': ['102', '106'], '1303': ['103'], '1305': ['201'], '1306': ['301'] };
/** the largest page a query answers */
export const MAX_PAGE_SIZE = 1000;

const dayOf = (d: Date): string => dateTime(d).slice(0, 10);

/** page_num / page_size (both required, 数值型 4) */
export function paging(d: Obj, at: string): { page: number; size: number } {
  const page = decimal(d, at, 'page_num', 0, true)!;
  const size = decimal(d, at, 'page_size', 0, true)!;
  if (page < 1 || page > 9999) throw new FsiError(`${at}.page_num 应为 1 至 9999 的整数`);
  if (size < 1 || size > MAX_PAGE_SIZE) throw new FsiError(`${at}.page_size 应为 1 至 ${MAX_PAGE_SIZE} 的整数`);
  return { page, size };
}

/** the filter the queries share: updt_time (required), the code, the region, the day */
function filterOf(d: Obj, at: string, codeField: string): CatalogueFilter {
  const updt = dateTimeField(d, at, 'updt_time')!;
  const code = str(d, at, codeField, 30, false);
  const region = str(d, at, 'insu_admdvs', 6, false);
  if (region && !/^\d{6}$/.test(region)) throw new FsiError(`${at}.insu_admdvs 应为 6 位医保区划代码`);
  const queryDate = dateTimeField(d, at, 'query_date', false)?.slice(0, 10) ?? null;
  const vali = str(d, at, 'vali_flag', 3, false);
  if (vali && vali !== '1' && vali !== '0') throw new FsiError(`${at}.vali_flag 应为 0 或 1`);
  return { code, region, validOn: queryDate, updatedSince: new Date(updt.replace(' ', 'T') + '+08:00'), listType: str(d, at, 'list_type', 30, false), chrgitmLv: str(d, at, 'chrgitm_lv', 3, false) };
}

/** the paging node of the spec's queries (pageNum … isLastPage), with the page's rows in data */
export function paged(page: number, size: number, total: number, rows: Obj[]): Obj {
  const pages = Math.ceil(total / size);
  const startRow = rows.length ? (page - 1) * size + 1 : 0;
  return { data: rows, pageNum: page, pageSize: size, startRow, endRow: rows.length ? startRow + rows.length - 1 : 0, recordCounts: total, size: rows.length, pages, isFirstPage: page === 1, isLastPage: page >= pages };
}

/** what every row's record fields say (创建人, 经办人 …): the catalogue keeps when, not who */
function record(i: CatalogueItem): Obj {
  const valid = i.enddate === null || i.enddate >= dayOf(new Date());
  return {
    vali_flag: valid ? '1' : '0',
    rid: i.rid,
    updt_time: dateTime(i.updtTime),
    crter_id: '',
    crter_name: '',
    crte_time: dateTime(i.crteTime),
    crte_optins_no: '',
    opter_id: '',
    opter_name: '',
    opt_time: dateTime(i.updtTime),
    optins_no: '',
    poolarea_no: i.region,
  };
}

async function query(db: Db, c: Call, codeField: string, extra: Partial<CatalogueFilter>, row: (i: CatalogueItem) => Obj) {
  const at = 'data';
  const d = node(c.env.input, at);
  const { page, size } = paging(d, at);
  const f = { ...filterOf(d, at, codeField), ...extra };
  const { total, items } = await cataloguePage(db, f, page, size);
  return { output: paged(page, size, total, items.map(row)) };
}

/** 1312: table 36 */
export const catalogueInfo = (db: Db, c: Call) =>
  query(db, c, 'hilist_code', {}, (i) => ({
    hilist_code: i.medListCodg,
    hilist_name: i.name,
    insu_admdvs: i.region,
    begndate: i.begndate,
    enddate: i.enddate ?? '',
    med_chrgitm_type: i.medChrgitmType,
    chrgitm_lv: i.chrgitmLv,
    lmt_used_flag: '0',
    list_type: i.listType,
    med_use_flag: '1',
    matn_used_flag: '1',
    hilist_use_type: '',
    lmt_cpnd_type: '',
    wubi: '',
    pinyin: '',
    memo: i.memo ?? '',
    ...record(i),
  }));

/** 1316: table 44 — the national code is this area's code (matched one to one) */
export const catalogueMatch = (db: Db, c: Call) =>
  query(db, c, 'med_list_codg', {}, (i) => ({
    med_list_codg: i.medListCodg,
    hilist_code: i.medListCodg,
    list_type: i.listType,
    insu_admdvs: i.region,
    begndate: i.begndate,
    enddate: i.enddate ?? '',
    memo: i.memo ?? '',
    ...record(i),
  }));

/** 1318: table 48 — the items with a price cap; hilist_lmtpric_type '' (one cap for every hospital level), overlmt_dspo_way '' */
export const catalogueLimits = (db: Db, c: Call) =>
  query(db, c, 'hilist_code', { withCap: true }, (i) => ({
    hilist_code: i.medListCodg,
    hilist_lmtpric_type: '',
    overlmt_dspo_way: '',
    insu_admdvs: i.region,
    begndate: i.begndate,
    enddate: i.enddate ?? '',
    hilist_pric_uplmt_amt: yuan(i.priceCapFen!),
    ...record(i),
    tabname: '',
  }));

/** 1319: table 50 — 乙 items with a self-pay share: selfpay_prop_psn_type 390 城乡居民, selfpay_prop_type 10 目录先自付比例 */
export const catalogueSelfpay = (db: Db, c: Call) =>
  query(db, c, 'hilist_code', { withSelfpay: true }, (i) => ({
    hilist_code: i.medListCodg,
    selfpay_prop_psn_type: '390',
    selfpay_prop_type: '10',
    insu_admdvs: i.region,
    begndate: i.begndate,
    enddate: i.enddate ?? '',
    selfpay_prop: Number(i.selfpayProp),
    ...record(i),
    tabname: '',
  }));

/** "v0000", "v12", "12" → 12 */
export function parseVer(v: string): number | null {
  const m = /^[vV]?(\d{1,15})$/.exec(v.trim());
  return m ? Number(m[1]) : null;
}

/**
 * 1301 / 1302 / 1305 / 1306: the rows of the download's list types above the local version. The
 * file (file_qury_no) names the download and the two versions; data_cnt counts its rows.
 */
export function catalogueDownload(infno: string) {
  return async (db: Db, c: Call) => {
    const at = 'data';
    const d = node(c.env.input, at);
    const verText = str(d, at, 'ver', 20, true)!;
    const ver = parseVer(verText);
    if (ver === null) throw new FsiError(`${at}.ver ${verText} 应为版本号（如 v0000）`);
    const hospital = await db.selectFrom('hospital').select('region').where('code', '=', c.hospital).executeTakeFirst();
    const region = hospital?.region ?? null;
    let total = 0;
    for (const listType of DOWNLOAD_LIST_TYPES[infno]) total += (await cataloguePage(db, { listType, aboveVer: ver, region }, 1, 1)).total;
    const top = await catalogueVersion(db);
    const end = new Date(c.received.getTime() + 24 * 3600 * 1000);
    return {
      output: {
        file_qury_no: `CAT${infno}-${region ?? '000000'}-${ver}-${top}`,
        filename: `${infno}_v${ver}_v${top}.txt`,
        dld_end_time: dayOf(end),
        data_cnt: total,
      },
      effect: { ver, top, regions: region ? regionsOf(region) : [] },
    };
  };
}

/** the hospital's region (000000 when it has none recorded) */
async function regionOf(db: Db, hospital: string): Promise<string> {
  return (await db.selectFrom('hospital').select('region').where('code', '=', hospital).executeTakeFirst())?.region ?? '000000';
}

/** the local version a download sends (ver, required) */
function localVer(c: Call): number {
  const at = 'data';
  const d = node(c.env.input, at);
  const verText = str(d, at, 'ver', 20, true)!;
  const ver = parseVer(verText);
  if (ver === null) throw new FsiError(`${at}.ver ${verText} 应为版本号（如 v0000）`);
  return ver;
}

/**
 * 1307 疾病与诊断 / 1308 手术操作 / 1309 门诊慢特病种 / 1310 按病种付费病种 / 1311 日间手术治疗病种 /
 * 1313 肿瘤形态学 / 1314 中医疾病 / 1315 中医证候 (tables 26–42): the list's rows above the local
 * version (src/hospitals/catalogue/reference-lists.ts), named by file_qury_no as the 医保目录's
 * downloads are; data_cnt counts them and says how many are examples (effect).
 */
export function referenceDownload(deps: Pick<FsiDeps, 'quotes'>, infno: string) {
  return async (db: Db, c: Call) => {
    const ver = localVer(c);
    const region = await regionOf(db, c.hospital);
    const top = await referenceListVersion(db, infno);
    const year = Number(dateTime(c.received).slice(0, 4));
    const rows = await referenceRows(db, infno, () => builtInRows(infno, deps.quotes, region, year), ver, top);
    const end = new Date(c.received.getTime() + 24 * 3600 * 1000);
    return {
      output: { file_qury_no: `CAT${infno}-${region}-${ver}-${top}`, filename: `${infno}_v${ver}_v${top}.txt`, dld_end_time: dayOf(end), data_cnt: rows.length },
      effect: { ver, top, list: REFERENCE_LISTS[infno].name, examples: rows.filter((r) => r.example).length },
    };
  };
}

/**
 * 1304 民族药品目录查询 (tables 19, 20): the catalogue's 民族药 (list_type 104) in the hospital's
 * regions, changed at or after updt_time, paged as 1312; a row's fields the catalogue does not
 * hold are empty.
 */
export async function ethnicDrugs(db: Db, c: Call) {
  const at = 'data';
  const d = node(c.env.input, at);
  const { page, size } = paging(d, at);
  const updt = dateTimeField(d, at, 'updt_time')!;
  const code = str(d, at, 'med_list_codg', 20, false);
  const name = str(d, at, 'drug_genname', 20, false) ?? str(d, at, 'drug_prodname', 500, false);
  for (const [f, n] of [['genname_codg', 100], ['tcmherb_name', 30], ['cpnd_flag', 255], ['rid', 30]] as const) str(d, at, f, n, false);
  const vali = str(d, at, 'vali_flag', 3, false);
  if (vali && vali !== '1' && vali !== '0') throw new FsiError(`${at}.vali_flag 应为 0 或 1`);
  const verText = str(d, at, 'ver', 20, false);
  const ver = verText ? parseVer(verText) : null;
  if (verText && ver === null) throw new FsiError(`${at}.ver ${verText} 应为版本号（如 v0000）`);
  dateTimeField(d, at, 'opt_begn_time', false);
  dateTimeField(d, at, 'opt_end_time', false);
  const region = await regionOf(db, c.hospital);
  const today = dayOf(c.received);
  const f: CatalogueFilter = { code, name, region, listType: '104', updatedSince: new Date(updt.replace(' ', 'T') + '+08:00'), aboveVer: ver, ...(vali === '1' ? { validOn: today } : vali === '0' ? { endedBefore: today } : {}) };
  const { total, items } = await cataloguePage(db, f, page, size);
  const rows = items.map((i) => {
      const r = record(i);
      return {
        med_list_codg: i.medListCodg, drug_prodname: i.name, genname_codg: '', drug_genname: i.name, ethdrug_type: '', chemname: '', alis: '', eng_name: '', dosform: '', each_dos: '', used_frqu: '', nat_drug_no: '', used_mtd: '',
        ing: '', chrt: '', defs: '', tabo: '', mnan: '', stog: '', drug_spec: '', prcunt_type: '', otc_flag: '', pacmatl: '', pacspec: '', min_useunt: '', min_salunt: '', manl: '', rute: '',
        begndate: i.begndate, enddate: i.enddate ?? '', pham_type: '', memo: i.memo ?? '', pac_cnt: '', min_unt: '', min_pac_cnt: '', min_pacunt: '', min_prepunt: '', drug_expy: '', efcc_atd: '', min_prcunt: '', wubi: '', pinyin: '',
        vali_flag: r.vali_flag, rid: r.rid, crte_time: r.crte_time, updt_time: r.updt_time, crter_id: '', crter_name: '', crte_optins_no: '', opter_id: '', opter_name: '', opt_time: r.opt_time, optins_no: '', ver: String(i.ver),
      };
    });
  return { output: paged(page, size, total, rows) };
}
