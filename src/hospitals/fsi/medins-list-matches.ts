/**
 * 1317 医药机构目录匹配信息查询 (tables 45, 46): the institution's own list codes
 * (medins_list_codg, 定点医药机构目录编号) matched to the national codes (med_list_codg, 医疗目录编码),
 * paged by page_num / page_size as the other catalogue queries are.
 *
 * Where the matches come from: the catalogue (医保目录) holds national codes only, and this
 * service has no 目录对照上传 (3301). Every fee line a hospital uploads (2204 / 2301) names both
 * codes, so the matches are derived from the hospital's own live fee lines (not cancelled, of
 * any of its visits): one row per pair (medins_list_codg, med_list_codg) it has billed —
 *   medins_list_name  the latest name sent with the pair (some editions send one; else ''),
 *   begndate          the first day a line of the pair was billed (fee_ocur_time's day),
 *   list_type, insu_admdvs, enddate
 *                     the catalogue's row of the national code that applies in the hospital's
 *                     region (the most specific), else list_type from the code's form (X… / Z…
 *                     101 西药中成药, T… 102 中药饮片, C… 301 医用耗材, else 201 医疗服务项目) and
 *                     the hospital's region, no end,
 *   crte_time / updt_time
 *                     when the first / latest visit with a line of the pair was registered
 *                     (updt_time >= the input's updt_time selects the pairs billed since),
 *   rid               a digest of the hospital and the two codes (the same pair, the same rid).
 * The fields neither the fee lines nor the catalogue hold (aprvno, dosform, exct_cont, item_cont,
 * prcunt, spec, pacspec) and the record's persons and institutions are empty.
 */
import { sql } from 'kysely';
import { regionsOf } from '../catalogue/items.js';
import type { Call, Db } from './call.js';
import { paged, paging } from './catalogue-downloads.js';
import { dateTime } from './envelope.js';
import { FsiError, dateTimeField, dayText, node, str, type Obj } from './fields.js';

interface MatchRow {
  /** null: the page is past the last (the row carries only the total) */
  medins_list_codg: string | null;
  med_list_codg: string;
  medins_list_name: string | null;
  begndate: string;
  list_type: string;
  insu_admdvs: string;
  enddate: unknown;
  crte_time: unknown;
  updt_time: unknown;
  rid: string;
  total: string | number;
}

export async function medinsListMatches(db: Db, c: Call) {
  const at = 'data';
  const d = node(c.env.input, at);
  const { page, size } = paging(d, at);
  const updt = dateTimeField(d, at, 'updt_time')!;
  const fixmedins = str(d, at, 'fixmedins_code', 30, false);
  if (fixmedins && fixmedins !== c.hospital) throw new FsiError(`${at}.fixmedins_code ${fixmedins} 不是本机构（只能查询本机构的目录匹配信息）`);
  const medinsCode = str(d, at, 'medins_list_codg', 30, false);
  const medinsName = str(d, at, 'medins_list_name', 200, false);
  const region = str(d, at, 'insu_admdvs', 6, false);
  if (region && !/^\d{6}$/.test(region)) throw new FsiError(`${at}.insu_admdvs 应为 6 位医保区划代码`);
  const listType = str(d, at, 'list_type', 30, false);
  const code = str(d, at, 'med_list_codg', 30, false);
  const begndate = dateTimeField(d, at, 'begndate', false)?.slice(0, 10) ?? null;
  const queryDate = dateTimeField(d, at, 'query_date', false)?.slice(0, 10) ?? null;
  const vali = str(d, at, 'vali_flag', 3, false);
  if (vali && vali !== '1' && vali !== '0') throw new FsiError(`${at}.vali_flag 应为 0 或 1`);

  const own = (await db.selectFrom('hospital').select('region').where('code', '=', c.hospital).executeTakeFirst())?.region ?? '000000';
  const regions = regionsOf(own);
  const today = dateTime(c.received).slice(0, 10);
  const since = new Date(updt.replace(' ', 'T') + '+08:00').toISOString();
  const like = medinsName ? `%${medinsName.replace(/[\\%_]/g, (m) => `\\${m}`)}%` : null;
  const r = await sql<MatchRow>`
    WITH pair AS (
      SELECT f.line->>'medins_list_codg' AS medins_list_codg, f.med_list_codg,
             (array_agg(f.line->>'medins_list_name' ORDER BY m.created_at DESC, f.feedetl_sn DESC)
                FILTER (WHERE coalesce(f.line->>'medins_list_name', '') NOT IN ('', 'null', 'NULL')))[1] AS medins_list_name,
             min(left(f.fee_ocur_time, 10)) AS begndate,
             min(m.created_at) AS crte_time, max(m.created_at) AS updt_time
        FROM fsi_mdtrt m JOIN fsi_fee f ON f.mdtrt_id = m.mdtrt_id
       WHERE m.hospital_code = ${c.hospital} AND f.cancelled_at IS NULL
         AND coalesce(f.line->>'medins_list_codg', '') <> '' AND f.med_list_codg IS NOT NULL
       GROUP BY 1, 2
    ), matched AS (
      SELECT p.*,
             coalesce(ci.list_type, CASE WHEN upper(p.med_list_codg) LIKE 'X%' OR upper(p.med_list_codg) LIKE 'Z%' THEN '101'
                                         WHEN upper(p.med_list_codg) LIKE 'T%' THEN '102'
                                         WHEN upper(p.med_list_codg) LIKE 'C%' THEN '301' ELSE '201' END) AS list_type,
             coalesce(ci.region, ${own}) AS insu_admdvs,
             ci.enddate,
             'ML' || upper(left(md5(${c.hospital} || '|' || p.medins_list_codg || '|' || p.med_list_codg), 30)) AS rid
        FROM pair p
        LEFT JOIN LATERAL (
          SELECT list_type, region, enddate FROM catalogue_item i
           WHERE i.med_list_codg = p.med_list_codg AND i.region = ANY(${regions}::text[])
           ORDER BY array_position(${regions}::text[], i.region), i.begndate DESC LIMIT 1
        ) ci ON true
    ), hit AS (
      SELECT * FROM matched
     WHERE updt_time >= ${since}::timestamptz
       AND (${medinsCode}::text IS NULL OR medins_list_codg = ${medinsCode}::text)
       AND (${like}::text IS NULL OR medins_list_name LIKE ${like}::text)
       AND (${code}::text IS NULL OR med_list_codg = ${code}::text)
       AND (${listType}::text IS NULL OR list_type = ${listType}::text)
       AND (${region}::text IS NULL OR insu_admdvs = ANY(${region ? regionsOf(region) : []}::text[]))
       AND (${begndate}::text IS NULL OR begndate >= ${begndate}::text)
       AND (${queryDate}::text IS NULL OR (begndate <= ${queryDate}::text AND (enddate IS NULL OR enddate >= ${queryDate}::date)))
       AND (${vali}::text IS NULL OR (${vali}::text = '1') = (enddate IS NULL OR enddate >= ${today}::date))
    )
    SELECT t.total, h.* FROM (SELECT count(*) AS total FROM hit) t
      LEFT JOIN LATERAL (SELECT * FROM hit ORDER BY updt_time, medins_list_codg, med_list_codg LIMIT ${size} OFFSET ${(page - 1) * size}) h ON true`.execute(db);
  const total = Number(r.rows[0]?.total ?? 0);
  const rows: Obj[] = r.rows.filter((x) => x.medins_list_codg !== null).map((x) => {
    const enddate = x.enddate === null ? '' : dayText(x.enddate);
    const updtTime = dateTime(new Date(x.updt_time as string));
    return {
      fixmedins_code: c.hospital,
      medins_list_codg: x.medins_list_codg,
      medins_list_name: x.medins_list_name ?? '',
      insu_admdvs: x.insu_admdvs,
      list_type: x.list_type,
      med_list_codg: x.med_list_codg,
      begndate: x.begndate,
      enddate,
      aprvno: '',
      dosform: '',
      exct_cont: '',
      item_cont: '',
      prcunt: '',
      spec: '',
      pacspec: '',
      memo: '由本机构上传的费用明细（医药机构目录编码与医疗目录编码）生成',
      vali_flag: enddate === '' || enddate >= today ? '1' : '0',
      rid: x.rid,
      updt_time: updtTime,
      crter_id: '',
      crter_name: '',
      crte_time: dateTime(new Date(x.crte_time as string)),
      crte_optins_no: '',
      opter_id: '',
      opter_name: '',
      opt_time: updtTime,
      optins_no: '',
      poolarea_no: x.insu_admdvs,
    };
  });
  return { output: paged(page, size, total, rows) };
}
