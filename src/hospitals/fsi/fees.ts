/** Fee details (费用明细): 2204 / 2301 upload, split as the national fields do; 2205 / 2302 cancellation. */
import { parseRate } from '../../money.js';
import { classifyLines } from '../../rules/settlement/costs.js';
import type { FeeLine } from '../../rules/settlement/input.js';
import { CHRGITM_LV, CHRGITM_LV_OF } from './codes.js';
import type { Call, Db } from './call.js';
import { FsiError, dateTimeField, decimal, empty, list, money, node, reqStr, str, yuan, type Obj } from './fields.js';
import { mdtrt, refuseIfSettled } from './visits.js';
import { liveOfVisit, settledSns } from './platform-settlements.js';
import { sql } from 'kysely';
import { CLASS_NAMES, itemFor, type CatalogueItem } from '../catalogue/items.js';

export async function uploadFees(db: Db, c: Call, kind: 'outpatient' | 'inpatient') {
  const rows = list(c.env.input, 'feedetail');
  const out: Obj[] = [];
  const seen = new Set<string>();
  let mdtrtId: string | null = null;
  let region: string | null = null;
  const fromCatalogueSns: string[] = [];
  let claimedSet: Set<string> | undefined;
  for (let i = 0; i < rows.length; i++) {
    const x = rows[i];
    const at = `feedetail[${i}]`;
    const sn = reqStr(x, at, 'feedetl_sn', 30).trim();
    if (seen.has(sn)) throw new FsiError(`${at}.feedetl_sn ${sn} 在本次上传中重复`);
    seen.add(sn);
    const id = reqStr(x, at, 'mdtrt_id', 30);
    if (mdtrtId && id !== mdtrtId) throw new FsiError('一次上传的费用明细应属于同一就诊ID');
    mdtrtId = id;
    const m = await mdtrt(db, c, id, reqStr(x, at, 'psn_no', 30), kind, i === 0);
    claimedSet ??= await claimed(db, c, m);
    if (kind === 'inpatient') reqStr(x, at, 'med_type', 6);
    let bch = kind === 'outpatient' ? reqStr(x, at, 'chrg_bchno', 30) : str(x, at, 'chrg_bchno', 30, false);
    if (kind === 'outpatient') reqStr(x, at, 'rx_circ_flag', 3);
    const feeDay = dateTimeField(x, at, 'fee_ocur_time')!.slice(0, 10);
    const codg = reqStr(x, at, 'med_list_codg', 50)!.trim();
    reqStr(x, at, 'medins_list_codg', 150);
    const amount = money(x, at, 'det_item_fee_sumamt');
    const cnt = decimal(x, at, 'cnt', 4, true)!;
    const pric = decimal(x, at, 'pric', 6, true)!;
    if (pric < 0) throw new FsiError(`${at}.pric 不能为负数`);
    if (Math.abs(Math.round(cnt * pric * 100) - amount) > 1) throw new FsiError(`${at}.det_item_fee_sumamt ${yuan(amount)} 与数量×单价 ${Math.round(cnt * pric * 100) / 100} 不符`);
    // a refund line (退单时数量填写负数): negative cnt, naming the line it refunds by init_feedetl_sn
    const init = str(x, at, 'init_feedetl_sn', 30, false);
    if (cnt < 0 || amount < 0) {
      if (!init) throw new FsiError(`${at}.init_feedetl_sn 不能为空（退费明细须填写原费用明细流水号）`);
      const orig = await refundable(db, m.mdtrt_id, init, at);
      if (claimedSet.has(init)) throw new FsiError(`原费用明细 ${init} 已结算，请先撤销结算再退费`);
      if (-cnt > orig.left + 1e-9) throw new FsiError(`${at}.cnt 退费数量 ${-cnt} 超过原明细 ${init} 可退数量 ${orig.left}`);
      if (Math.abs(pric - Number((orig.line as Obj).pric)) > 1e-6) throw new FsiError(`${at}.pric 应与原明细 ${init} 的单价相同`);
      bch = orig.chrg_bchno; // the refund belongs to the original's batch
    } else if (init) throw new FsiError(`${at}.init_feedetl_sn 只用于退费明细（数量为负数）`);
    for (const [f, n] of [['bilg_dept_codg', 30], ['bilg_dept_name', 100], ['bilg_dr_codg', 30], ['bilg_dr_name', 50]] as const) reqStr(x, at, f, n);
    if (kind === 'outpatient') reqStr(x, at, 'hosp_appr_flag', 3);
    // the class, price cap and self-pay share: the catalogue's for a code it knows on the day
    // (what the client sends is then not taken), else as the client sends them (甲 when not sent)
    region ??= await hospitalRegion(db, c.hospital);
    const { item, cls, ratio, limit } = await lineClass(db, x, at, codg, region, feeDay);
    const prev = await db.selectFrom('fsi_fee').select(['cancelled_at']).where('mdtrt_id', '=', m.mdtrt_id).where('feedetl_sn', '=', sn).executeTakeFirst();
    if (prev) throw new FsiError(`${at}.feedetl_sn ${sn} 在该就诊内已上传${prev.cancelled_at ? '（已撤销的流水号不能重复使用）' : ''}`);
    if (kind === 'outpatient' && (await liveOfVisit(db, m.mdtrt_id, bch ?? ''))) throw new FsiError(`该就诊收费批次 ${bch} 已结算，不能再上传费用明细`);
    if (kind === 'inpatient' && m.state !== 'open') await refuseIfSettled(db, m.mdtrt_id, '该住院已结算，不能再上传费用明细');
    // a visit of a person insured elsewhere: settled through that area (its claims here)
    if (claimedSet.size) {
      if (kind === 'inpatient' && m.state !== 'open') throw new FsiError('该住院已结算，不能再上传费用明细');
      if (kind === 'outpatient' && (await db.selectFrom('fsi_fee').select('feedetl_sn').where('mdtrt_id', '=', m.mdtrt_id).where('chrg_bchno', '=', bch ?? '').where('feedetl_sn', 'in', [...claimedSet]).executeTakeFirst()))
        throw new FsiError(`该就诊收费批次 ${bch} 已结算，不能再上传费用明细`);
    }
    const line: FeeLine = feeLineOf(sn, cls, amount, cnt, pric, limit, ratio);
    const split = classifyLines([line]).lines[0];
    await db.insertInto('fsi_fee').values({ mdtrt_id: m.mdtrt_id, feedetl_sn: sn, chrg_bchno: bch, amount_fen: amount, line: JSON.stringify({ ...x, chrgitm_lv: CHRGITM_LV_OF[cls], ...(item ? { pric_uplmt_amt: limit, selfpay_prop: ratio, med_chrgitm_type: item.medChrgitmType, catalogue: catalogueRef(item) } : {}) }) }).execute();
    if (item) fromCatalogueSns.push(sn);
    out.push({
      feedetl_sn: sn,
      det_item_fee_sumamt: yuan(amount),
      cnt,
      pric,
      pric_uplmt_amt: limit ?? 0,
      selfpay_prop: ratio ?? (cls === 'C' ? 1 : 0),
      fulamt_ownpay_amt: yuan(split.fullOwnPay),
      overlmt_amt: yuan(split.overLimitSelfPay),
      preselfpay_amt: yuan(split.preSelfPay),
      inscp_scp_amt: yuan(split.inScope),
      chrgitm_lv: CHRGITM_LV_OF[cls],
      med_chrgitm_type: item ? item.medChrgitmType : chrgitmType(x),
      bas_medn_flag: '',
      hi_nego_drug_flag: '',
      chld_medc_flag: '',
      list_sp_item_flag: '',
      lmt_used_flag: '0',
      drt_reim_flag: '',
      memo: item ? `${CLASS_NAMES[item.chrgitmLv]}（医保目录 ${item.region} ${item.begndate} 起${item.example ? '，示例目录' : ''}）` : '',
      exp_content: '',
    });
  }
  return { output: { result: out }, effect: { mdtrt_id: mdtrtId, feedetl_sn: [...seen], classified_by_catalogue: fromCatalogueSns } };
}

/** The region whose catalogue (医保目录) classifies a hospital's fee lines: the hospital's own. */
export async function hospitalRegion(db: Db, hospital: string): Promise<string> {
  return (await db.selectFrom('hospital').select('region').where('code', '=', hospital).executeTakeFirst())?.region ?? '000000';
}

/**
 * A fee line's class (甲乙丙), price cap (yuan) and self-pay share: the catalogue's of `region` for
 * a code it knows on the day (what the client sends is then not taken), else as the client sends
 * them (甲 when not sent). The one classification of a line, local (2204 / 2301) or for a person
 * insured in another area (就医地目录, src/areas/treating.ts).
 */
export async function lineClass(db: Db, x: Obj, at: string, codg: string, region: string, feeDay: string): Promise<{ item: CatalogueItem | null; cls: 'A' | 'B' | 'C'; ratio: number | null; limit: number | null }> {
  const item = await itemFor(db, codg, region, feeDay);
  return { item, ...(item ? fromCatalogue(item) : fromClient(x, at)) };
}

/** A line's class, cap (yuan) and self-pay share from the catalogue's item. */
function fromCatalogue(item: CatalogueItem): { cls: 'A' | 'B' | 'C'; ratio: number | null; limit: number | null } {
  return { cls: CHRGITM_LV[item.chrgitmLv], ratio: item.selfpayProp === null ? null : Number(item.selfpayProp), limit: item.priceCapFen === null ? null : item.priceCapFen / 100 };
}

/** A line's class, cap and self-pay share as the client sends them (a code the catalogue does not know). */
function fromClient(x: Obj, at: string): { cls: 'A' | 'B' | 'C'; ratio: number | null; limit: number | null } {
  const lv = str(x, at, 'chrgitm_lv', 3, false) ?? '01';
  const cls = CHRGITM_LV[lv];
  if (!cls) throw new FsiError(`${at}.chrgitm_lv 应为 01 甲类、02 乙类 或 03 丙类`);
  const ratio = decimal(x, at, 'selfpay_prop', 4, false);
  if (ratio !== null && (ratio < 0 || ratio > 1)) throw new FsiError(`${at}.selfpay_prop 应在 0 与 1 之间`);
  if (ratio && cls !== 'B') throw new FsiError(`${at}.selfpay_prop 只适用于乙类项目`);
  const limit = decimal(x, at, 'pric_uplmt_amt', 6, false);
  return { cls, ratio, limit };
}

/** where a line's class came from, kept with the line (the catalogue's row and version) */
function catalogueRef(item: CatalogueItem) {
  return { med_list_codg: item.medListCodg, region: item.region, begndate: item.begndate, ver: item.ver, rid: item.rid, example: item.example };
}

/**
 * 医疗收费项目类别 (table 415) of a fee line: as sent, else from the national code's form —
 * X… 西药 (09), Z… 中成药 (11), T… 中药饮片 (10), C… 医用耗材 (08) — else 其他 (14).
 */
export function chrgitmType(x: Obj): string {
  const sent = str(x, 'feedetail', 'med_chrgitm_type', 6, false);
  if (sent) return sent;
  const code = String(x.med_list_codg ?? '').toUpperCase();
  return code.startsWith('X') ? '09' : code.startsWith('Z') ? '11' : code.startsWith('T') ? '10' : code.startsWith('C') ? '08' : '14';
}

/** The line a refund line refunds: in the visit, not cancelled, not settled, with what is left to refund. */
async function refundable(db: Db, mdtrtId: string, sn: string, at: string) {
  const o = await db.selectFrom('fsi_fee').select(['feedetl_sn', 'chrg_bchno', 'amount_fen', 'line', 'cancelled_at']).where('mdtrt_id', '=', mdtrtId).where('feedetl_sn', '=', sn).executeTakeFirst();
  if (!o || o.cancelled_at) throw new FsiError(`${at}.init_feedetl_sn 原费用明细 ${sn} 不存在或已撤销`);
  const line = o.line as Obj;
  if (!empty(line.init_feedetl_sn)) throw new FsiError(`${at}.init_feedetl_sn ${sn} 本身是退费明细`);
  const settled = await db.selectFrom('fsi_fee').select('feedetl_sn').where('mdtrt_id', '=', mdtrtId).where('feedetl_sn', '=', sn).where('feedetl_sn', 'in', settledSns(mdtrtId)).executeTakeFirst();
  if (settled) throw new FsiError(`原费用明细 ${sn} 已结算，请先撤销结算再退费`);
  const refunds = await db.selectFrom('fsi_fee').select('line').where('mdtrt_id', '=', mdtrtId).where('cancelled_at', 'is', null).where(sql<boolean>`line->>'init_feedetl_sn' = ${sn}`).execute();
  const left = Number(line.cnt) + refunds.reduce((t, r) => t + Number((r.line as Obj).cnt), 0);
  return { chrg_bchno: o.chrg_bchno, line, left: Math.round(left * 10000) / 10000 };
}

/**
 * The visit's uploaded lines as settled: each refund line netted into the line it refunds
 * (count and amount), lines refunded in full left out.
 */
export function netOfRefunds<T extends { feedetl_sn: string; amount_fen: string | number; line: unknown }>(rows: T[]): T[] {
  const byInit = new Map<string, { cnt: number; fen: number }>();
  for (const r of rows) {
    const init = (r.line as Obj).init_feedetl_sn;
    if (empty(init)) continue;
    const k = String(init);
    const t = byInit.get(k) ?? { cnt: 0, fen: 0 };
    t.cnt += Number((r.line as Obj).cnt);
    t.fen += Number(r.amount_fen);
    byInit.set(k, t);
  }
  const out: T[] = [];
  for (const r of rows) {
    if (!empty((r.line as Obj).init_feedetl_sn)) continue;
    const ref = byInit.get(r.feedetl_sn);
    if (!ref) {
      out.push(r);
      continue;
    }
    const fen = Number(r.amount_fen) + ref.fen;
    const cnt = Math.round((Number((r.line as Obj).cnt) + ref.cnt) * 10000) / 10000;
    if (fen > 0 && cnt > 0) out.push({ ...r, amount_fen: fen, line: { ...(r.line as Obj), cnt } });
  }
  return out;
}

export async function cancelFees(db: Db, c: Call, kind: 'outpatient' | 'inpatient') {
  const rows = kind === 'outpatient' ? [node(c.env.input, 'data')] : list(c.env.input, 'data');
  let n = 0;
  for (let i = 0; i < rows.length; i++) {
    const x = rows[i];
    const at = kind === 'outpatient' ? 'data' : `data[${i}]`;
    const m = await mdtrt(db, c, reqStr(x, at, 'mdtrt_id', 30), reqStr(x, at, 'psn_no', 30), kind, true);
    // (a visit of a person insured elsewhere: also the lines its cross-area claims carry)
    const cl = [...(await claimed(db, c, m))];
    let q = db.updateTable('fsi_fee').set({ cancelled_at: new Date() }).where('mdtrt_id', '=', m.mdtrt_id).where('cancelled_at', 'is', null).where('feedetl_sn', 'not in', settledSns(m.mdtrt_id)).$if(cl.length > 0, (u) => u.where('feedetl_sn', 'not in', cl));
    let settledQ = db
      .selectFrom('fsi_fee')
      .select('feedetl_sn')
      .where('mdtrt_id', '=', m.mdtrt_id)
      .where('cancelled_at', 'is', null)
      .where((w) => (cl.length ? w.or([w('feedetl_sn', 'in', settledSns(m.mdtrt_id)), w('feedetl_sn', 'in', cl)]) : w('feedetl_sn', 'in', settledSns(m.mdtrt_id))));
    if (kind === 'outpatient') {
      const b = reqStr(x, at, 'chrg_bchno', 30);
      if (b !== '0000') {
        q = q.where('chrg_bchno', '=', b);
        settledQ = settledQ.where('chrg_bchno', '=', b);
      }
    } else {
      const sn = reqStr(x, at, 'feedetl_sn', 30);
      if (sn !== '0000') {
        q = q.where('feedetl_sn', '=', sn);
        settledQ = settledQ.where('feedetl_sn', '=', sn);
      }
    }
    const settled = await settledQ.limit(1).execute();
    if (settled.length) throw new FsiError(`费用明细 ${settled[0].feedetl_sn} 已参与结算，不能撤销`);
    const r = await q.returning('feedetl_sn').execute();
    if (!r.length) throw new FsiError('没有可撤销的费用明细');
    n += r.length;
  }
  return { output: {}, effect: { cancelled: n } };
}

/** The lines of a visit of a person insured elsewhere that a live cross-area claim carries (none for this area's own visits). */
async function claimed(db: Db, c: Call, m: { mdtrt_id: string; insuplc_admdvs: string | null }): Promise<Set<string>> {
  return m.insuplc_admdvs && c.away ? new Set(await c.away.claimedLines(db, c.hospital, m.mdtrt_id)) : new Set();
}

/** A stored fee line (as uploaded, with its class) as the engine's fee line. */
export function storedLine(sn: string, amount: number, l: Obj): FeeLine {
  const cls = CHRGITM_LV[String(l.chrgitm_lv)] ?? 'A';
  const num = (v: unknown): number | null => (empty(v) ? null : Number(v));
  return feeLineOf(sn, cls, amount, Number(l.cnt), Number(l.pric), num(l.pric_uplmt_amt), num(l.selfpay_prop));
}

/** A fee line as a settlement request's encounter takes it (yuan; the quantity, price and cap only for a capped item). */
export function encounterFee(sn: string, cls: 'A' | 'B' | 'C', amountFen: number, cnt: number, pric: number, limit: number | null, ratio: number | null) {
  return {
    sn,
    catalogClass: cls,
    amount: amountFen / 100,
    ...(limit !== null ? { quantity: cnt, unitPrice: pric, priceLimit: limit } : {}),
    ...(ratio ? { selfPayRatio: String(ratio) } : {}),
  };
}

export function feeLineOf(sn: string, cls: 'A' | 'B' | 'C', amount: number, cnt: number, pric: number, limit: number | null, ratio: number | null): FeeLine {
  return {
    sn,
    catalogClass: cls,
    amount,
    quantity4: limit !== null ? Math.round(cnt * 10000) : null,
    unitPrice: limit !== null ? Math.round(pric * 100) : null,
    priceLimit: limit !== null ? Math.round(limit * 100) : null,
    selfPayRatio: ratio ? parseRate(ratio) : null,
  };
}
