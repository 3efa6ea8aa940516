/**
 * The catalogue (医保目录): the item a national code (med_list_codg) names for a region on a
 * day, and the catalogue's rows page by page. The most specific region valid on the day
 * applies: the county's own row, else its city's, its province's, or the country's (000000).
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../../store/schema.js';

type Db = Kysely<DB> | Transaction<DB>;

/** 目录类别 list_type (table 421 of the interface spec) */
export const LIST_TYPES: Record<string, string> = {
  '101': '西药中成药',
  '102': '中药饮片',
  '103': '自制剂',
  '104': '民族药',
  '105': '其他',
  '106': '中药配方颗粒',
  '201': '医疗服务项目',
  '301': '医用耗材',
};
/** the brief kind of a list type: 药品 / 医疗服务项目 / 医用耗材 */
export function kindOf(listType: string): '药品' | '医疗服务项目' | '医用耗材' {
  return listType === '201' ? '医疗服务项目' : listType === '301' ? '医用耗材' : '药品';
}
/** 收费项目等级 chrgitm_lv (table 393) */
export const CLASS_NAMES: Record<string, string> = { '01': '甲类', '02': '乙类', '03': '丙类' };

export interface CatalogueItem {
  medListCodg: string;
  region: string;
  begndate: string;
  enddate: string | null;
  name: string;
  listType: string;
  chrgitmLv: '01' | '02' | '03';
  medChrgitmType: string;
  /** 医保目录定价上限金额, fen; null: no cap */
  priceCapFen: number | null;
  /** 先自付比例 of a 乙 item, as the decimal text stored ("0.1000"); null: none */
  selfpayProp: string | null;
  memo: string | null;
  example: boolean;
  ver: number;
  rid: string;
  crteTime: Date;
  updtTime: Date;
}

const day = (v: unknown): string => {
  if (v instanceof Date) return `${v.getFullYear()}-${String(v.getMonth() + 1).padStart(2, '0')}-${String(v.getDate()).padStart(2, '0')}`;
  return String(v).slice(0, 10);
};

export function itemOf(r: DB['catalogue_item'] extends infer T ? Record<keyof T, unknown> : never): CatalogueItem {
  return {
    medListCodg: String(r.med_list_codg),
    region: String(r.region),
    begndate: day(r.begndate),
    enddate: r.enddate === null ? null : day(r.enddate),
    name: String(r.name),
    listType: String(r.list_type),
    chrgitmLv: String(r.chrgitm_lv) as CatalogueItem['chrgitmLv'],
    medChrgitmType: String(r.med_chrgitm_type),
    priceCapFen: r.price_cap_fen === null ? null : Number(r.price_cap_fen),
    selfpayProp: r.selfpay_prop === null ? null : String(r.selfpay_prop),
    memo: r.memo === null ? null : String(r.memo),
    example: Boolean(r.example),
    ver: Number(r.ver),
    rid: String(r.rid),
    crteTime: new Date(r.crte_time as string),
    updtTime: new Date(r.updt_time as string),
  };
}

/** The regions whose rows apply in `region`, most specific first. */
export function regionsOf(region: string): string[] {
  const out = [region, `${region.slice(0, 4)}00`, `${region.slice(0, 2)}0000`, '000000'];
  return out.filter((r, i) => out.indexOf(r) === i);
}

/** The item of `code` valid on `on` (yyyy-MM-dd) in `region`, or null when the catalogue has none. */
export async function itemFor(db: Db, code: string, region: string, on: string): Promise<CatalogueItem | null> {
  const regions = regionsOf(region);
  const r = await db
    .selectFrom('catalogue_item')
    .selectAll()
    .where('med_list_codg', '=', code)
    .where('region', 'in', regions)
    .where('begndate', '<=', on)
    .where((eb) => eb.or([eb('enddate', 'is', null), eb('enddate', '>=', on)]))
    .orderBy(sql`array_position(${sql.val(regions)}::text[], region)`)
    .orderBy('begndate', 'desc')
    .limit(1)
    .executeTakeFirst();
  return r ? itemOf(r) : null;
}

export interface CatalogueFilter {
  code?: string | null;
  region?: string | null;
  listType?: string | null;
  chrgitmLv?: string | null;
  /** valid on this day */
  validOn?: string | null;
  /** no longer valid: ended before this day */
  endedBefore?: string | null;
  /** changed at or after this time (updt_time of 1312/1318/1319) */
  updatedSince?: Date | null;
  /** only rows whose version is above this (the downloads 1301–1306) */
  aboveVer?: number | null;
  /** only rows with a price cap / a self-pay share */
  withCap?: boolean;
  withSelfpay?: boolean;
  name?: string | null;
}

/** One page of the catalogue in a stable order (updt_time, then the key), with the total. */
export async function cataloguePage(db: Db, f: CatalogueFilter, page: number, size: number): Promise<{ total: number; items: CatalogueItem[] }> {
  let q = db.selectFrom('catalogue_item');
  if (f.code) q = q.where('med_list_codg', '=', f.code);
  if (f.region) q = q.where('region', 'in', regionsOf(f.region));
  if (f.listType) q = q.where('list_type', '=', f.listType);
  if (f.chrgitmLv) q = q.where('chrgitm_lv', '=', f.chrgitmLv as '01');
  if (f.validOn) {
    const on = f.validOn;
    q = q.where('begndate', '<=', on).where((eb) => eb.or([eb('enddate', 'is', null), eb('enddate', '>=', on)]));
  }
  if (f.endedBefore) q = q.where('enddate', '<', f.endedBefore);
  if (f.updatedSince) q = q.where(sql<boolean>`updt_time >= ${f.updatedSince.toISOString()}::timestamptz`);
  if (f.aboveVer !== null && f.aboveVer !== undefined) q = q.where(sql<boolean>`ver > ${f.aboveVer}::bigint`);
  if (f.withCap) q = q.where('price_cap_fen', 'is not', null);
  if (f.withSelfpay) q = q.where('selfpay_prop', 'is not', null);
  if (f.name) q = q.where('name', 'like', `%${f.name.replace(/[\\%_]/g, (m) => `\\${m}`)}%`);
  const [count, rows] = await Promise.all([
    q.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
    q.selectAll().orderBy('updt_time').orderBy('med_list_codg').orderBy('region').orderBy('begndate').limit(size).offset((page - 1) * size).execute(),
  ]);
  return { total: Number(count.n), items: rows.map(itemOf) };
}

/** The highest version in the catalogue (0 when empty). */
export async function catalogueVersion(db: Db): Promise<number> {
  const r = await db.selectFrom('catalogue_item').select((eb) => eb.fn.max('ver').as('v')).executeTakeFirst();
  return r?.v ? Number(r.v) : 0;
}
