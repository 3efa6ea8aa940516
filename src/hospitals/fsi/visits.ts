/** The platform's visits (mdtrt_id): 2201 / 2202 outpatient registration and its cancellation, 2203 encounter details, 2401 admission, 2402 discharge. */
import { randomBytes } from 'node:crypto';
import { MED_TYPES } from './codes.js';
import type { Call, Db, PersonRow } from './call.js';
import { FsiError, dateTimeField, node, reqStr, str, type Obj } from './fields.js';
import { checkPerson, insutypeOf, personForVisit } from './persons.js';
import { visitSettled } from './platform-settlements.js';

export async function mdtrt(db: Db, c: Call, mdtrtId: string, psnNo: string | null, kind: 'outpatient' | 'inpatient', lock = false) {
  let q = db.selectFrom('fsi_mdtrt').selectAll().where('mdtrt_id', '=', mdtrtId);
  if (lock) q = q.forUpdate();
  return checkMdtrt(c, await q.executeTakeFirst(), mdtrtId, psnNo, kind);
}

/** The visit row read (undefined: none), checked: the caller's hospital's, the person's, of this kind, not cancelled. */
export function checkMdtrt<M extends { hospital_code: string; person_id: string | number | null; away_psn_no?: string | null; kind: string; state: string }>(c: Call, m: M | undefined, mdtrtId: string, psnNo: string | null, kind: 'outpatient' | 'inpatient'): M {
  if (!m || m.hospital_code !== c.hospital) throw new FsiError(`就诊ID ${mdtrtId} 不存在或不属于本机构`);
  // a person insured in another area: named by that area's psn_no (migration 054)
  if (psnNo !== null && String(m.person_id ?? m.away_psn_no) !== psnNo) throw new FsiError('人员编号与就诊ID不符');
  if (m.kind !== kind) throw new FsiError(kind === 'outpatient' ? `就诊ID ${mdtrtId} 是住院就诊，请使用住院交易` : `就诊ID ${mdtrtId} 是门诊就诊，请使用门诊交易`);
  if (m.state === 'cancelled') throw new FsiError(`就诊ID ${mdtrtId} 已撤销`);
  return m;
}

/** A visit's person: this area's (psn_no in its registers), or, for an envelope naming another insured area, that area's (after the filing check here). */
async function personOfVisit(db: Db, c: Call, d: Obj, at: string, kind: 'outpatient' | 'inpatient', begntime: string): Promise<{ p: PersonRow; insutype: string; away: Away | null }> {
  const elsewhere = c.away?.insuredElsewhere(c.env);
  if (!elsewhere) return { ...(await personForVisit(db, d, at)), away: null };
  const psnNo = reqStr(d, at, 'psn_no', 30);
  const insutype = insutypeOf(d, at);
  const { person, filingId } = await c.away!.visitPerson(db, c.env, psnNo, kind, begntime.slice(0, 10));
  checkPerson(d, at, person);
  return { p: person, insutype, away: { area: elsewhere, filingId } };
}

/** A visit of a person insured in another area: the area, and the filing (异地就医备案) in force here when registered. */
interface Away {
  area: string;
  filingId: string | null;
}

export async function newMdtrt(db: Db, c: Call, v: { person: PersonRow; away?: Away | null; kind: 'outpatient' | 'inpatient'; iptOtpNo: string; insutype: string; medType: string | null; begntime: string; info: Obj; dise?: string | null; diseName?: string | null }) {
  const mdtrtId = `${c.received.getTime().toString(36).toUpperCase()}${randomBytes(6).toString('hex').toUpperCase()}`;
  const dup = await db.selectFrom('fsi_mdtrt').select('mdtrt_id').where('hospital_code', '=', c.hospital).where('ipt_otp_no', '=', v.iptOtpNo).where('state', '<>', 'cancelled').executeTakeFirst();
  if (dup) throw new FsiError(`住院/门诊号 ${v.iptOtpNo} 已有就诊记录（就诊ID ${dup.mdtrt_id}）`);
  await db
    .insertInto('fsi_mdtrt')
    .values({ mdtrt_id: mdtrtId, hospital_code: c.hospital, ...whose(v.person, v.away), kind: v.kind, ipt_otp_no: v.iptOtpNo, insutype: v.insutype, med_type: v.medType, begntime: v.begntime, dise_codg: v.dise ?? null, dise_name: v.diseName ?? null, info: JSON.stringify(v.away ? { ...v.info, away: { ...v.away, person: v.person } } : v.info), msgid: c.env.msgid })
    .execute();
  return mdtrtId;
}

/** The visit row's person columns: person_id, or the insured area and its psn_no (migration 054). */
const whose = (p: PersonRow, away: Away | null | undefined) => (away ? { person_id: null, insuplc_admdvs: away.area, away_psn_no: p.id } : { person_id: p.id });

/** The person registered for an away visit (kept in its info by newMdtrt), or undefined for this area's own. */
export function awayOf(m: { insuplc_admdvs: string | null; info: unknown }): (Away & { person: PersonRow }) | undefined {
  if (!m.insuplc_admdvs) return undefined;
  return (m.info as { away: Away & { person: PersonRow } }).away;
}

export async function register(db: Db, c: Call) {
  const at = 'data';
  const d = node(c.env.input, at);
  const begntime = dateTimeField(d, at, 'begntime')!;
  const { p, insutype, away } = await personOfVisit(db, c, d, at, 'outpatient', begntime);
  str(d, at, 'mdtrt_cert_type', 3, false);
  str(d, at, 'mdtrt_cert_no', 50, false);
  const no = reqStr(d, at, 'ipt_otp_no', 30);
  reqStr(d, at, 'dept_code', 30);
  reqStr(d, at, 'dept_name', 100);
  reqStr(d, at, 'caty', 10);
  const mdtrtId = await newMdtrt(db, c, { person: p, away, kind: 'outpatient', iptOtpNo: no, insutype, medType: null, begntime, info: d });
  return { output: { data: { mdtrt_id: mdtrtId, psn_no: p.id, ipt_otp_no: no, exp_content: awayContent(away) } }, effect: { mdtrt_id: mdtrtId, ...(away ? { insuplc_admdvs: away.area } : {}) } };
}

/** exp_content of a registration: for a person insured elsewhere, the insured area and the filing found here. */
const awayContent = (away: Away | null) => (away ? JSON.stringify({ cross_area: true, insuplc_admdvs: away.area, filing_id: away.filingId ?? '', filed: away.filingId ? '1' : '0' }) : '');

export async function cancelRegistration(db: Db, c: Call) {
  const d = node(c.env.input, 'data');
  const m = await mdtrt(db, c, reqStr(d, 'data', 'mdtrt_id', 30), reqStr(d, 'data', 'psn_no', 30), 'outpatient', true);
  if (reqStr(d, 'data', 'ipt_otp_no', 30) !== m.ipt_otp_no) throw new FsiError('住院/门诊号与就诊ID不符');
  await refuseIfSettled(db, m.mdtrt_id, '已结算的就诊不能撤销挂号，请先撤销结算');
  const fees = await db.selectFrom('fsi_fee').select('feedetl_sn').where('mdtrt_id', '=', m.mdtrt_id).where('cancelled_at', 'is', null).limit(1).execute();
  if (fees.length) throw new FsiError('该就诊有未撤销的费用明细，请先撤销费用明细【2205】');
  await db.updateTable('fsi_mdtrt').set({ state: 'cancelled' }).where('mdtrt_id', '=', m.mdtrt_id).execute();
  return { output: {}, effect: { mdtrt_id: m.mdtrt_id } };
}

/** Refuse when any part of the visit has a live settlement. */
export async function refuseIfSettled(db: Db, mdtrtId: string, msg: string) {
  if (await visitSettled(db, mdtrtId)) throw new FsiError(msg);
}

export async function encounterInfo(db: Db, c: Call) {
  const at = 'mdtrtinfo';
  const d = node(c.env.input, at);
  const m = await mdtrt(db, c, reqStr(d, at, 'mdtrt_id', 30), reqStr(d, at, 'psn_no', 30), 'outpatient', true);
  const medType = reqStr(d, at, 'med_type', 6);
  const mt = MED_TYPES[medType];
  if (!mt || mt.kind !== 'outpatient') throw new FsiError(`mdtrtinfo.med_type ${medType} 不是本地支持的门诊医疗类别（11、14、9901、51）`);
  const begntime = dateTimeField(d, at, 'begntime')!;
  const dise = reqStr(d, at, 'dise_codg', 30);
  const diseName = reqStr(d, at, 'dise_name', 500);
  const diag = Array.isArray(c.env.input.diseinfo) ? (c.env.input.diseinfo as Obj[]) : [];
  diag.forEach((x, i) => {
    const a = `diseinfo[${i}]`;
    for (const [f, n] of [['diag_type', 3], ['diag_code', 20], ['diag_name', 100], ['diag_dept', 50], ['dise_dor_no', 30], ['dise_dor_name', 50], ['vali_flag', 3]] as const) reqStr(x, a, f, n);
    dateTimeField(x, a, 'diag_time');
  });
  await refuseIfSettled(db, m.mdtrt_id, '已结算的就诊不能修改就诊信息');
  await db.updateTable('fsi_mdtrt').set({ med_type: medType, begntime, dise_codg: dise, dise_name: diseName, info: JSON.stringify({ ...(m.info as Obj | null), mdtrtinfo: d, diseinfo: diag }) }).where('mdtrt_id', '=', m.mdtrt_id).execute();
  return { output: {}, effect: { mdtrt_id: m.mdtrt_id } };
}

export async function admit(db: Db, c: Call) {
  const at = 'mdtrtinfo';
  const d = node(c.env.input, at);
  const begntime = dateTimeField(d, at, 'begntime')!;
  const { p, insutype, away } = await personOfVisit(db, c, d, at, 'inpatient', begntime);
  const medType = reqStr(d, at, 'med_type', 6);
  const mt = MED_TYPES[medType];
  if (!mt || mt.kind !== 'inpatient') throw new FsiError(`mdtrtinfo.med_type ${medType} 不是本地支持的住院医疗类别（2101、21、52）`);
  const no = reqStr(d, at, 'ipt_no', 30);
  for (const [f, n] of [['adm_diag_dscr', 200], ['adm_dept_codg', 30], ['adm_dept_name', 100], ['adm_bed', 30], ['dscg_maindiag_code', 20], ['dscg_maindiag_name', 300]] as const) reqStr(d, at, f, n);
  const open = await db
    .selectFrom('fsi_mdtrt')
    .select('mdtrt_id')
    .$if(!away, (q) => q.where('person_id', '=', p.id))
    .$if(!!away, (q) => q.where('insuplc_admdvs', '=', away!.area).where('away_psn_no', '=', p.id))
    .where('kind', '=', 'inpatient')
    .where('state', '=', 'open')
    .executeTakeFirst();
  if (open) throw new FsiError(`该人员已在院（就诊ID ${open.mdtrt_id}），不能重复办理入院`);
  const mdtrtId = await newMdtrt(db, c, { person: p, away, kind: 'inpatient', iptOtpNo: no, insutype, medType, begntime, info: { mdtrtinfo: d, diseinfo: c.env.input.diseinfo ?? [] }, dise: str(d, at, 'dise_codg', 30, false), diseName: str(d, at, 'dise_name', 500, false) });
  return { output: { result: { mdtrt_id: mdtrtId, psn_no: p.id, ipt_otp_no: no, exp_content: awayContent(away) } }, effect: { mdtrt_id: mdtrtId, ...(away ? { insuplc_admdvs: away.area } : {}) } };
}

export async function discharge(db: Db, c: Call) {
  const at = 'dscginfo';
  const d = node(c.env.input, at);
  const m = await mdtrt(db, c, reqStr(d, at, 'mdtrt_id', 30), reqStr(d, at, 'psn_no', 30), 'inpatient', true);
  if (reqStr(d, at, 'insutype', 6) !== m.insutype) throw new FsiError('dscginfo.insutype 与入院登记不符');
  const endtime = dateTimeField(d, at, 'endtime')!;
  reqStr(d, at, 'dscg_dept_codg', 30);
  reqStr(d, at, 'dscg_dept_name', 100);
  reqStr(d, at, 'dscg_way', 3);
  if (m.state !== 'open') throw new FsiError('该人员已办理出院');
  if (endtime < m.begntime) throw new FsiError('出院时间不能早于入院时间');
  await db.updateTable('fsi_mdtrt').set({ state: 'discharged', endtime, info: JSON.stringify({ ...(m.info as Obj | null), dscginfo: d }) }).where('mdtrt_id', '=', m.mdtrt_id).execute();
  return { output: {}, effect: { mdtrt_id: m.mdtrt_id } };
}
