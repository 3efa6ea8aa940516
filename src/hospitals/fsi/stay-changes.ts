/** Changes to an inpatient stay: 2403 住院信息变更, 2404 入院撤销, 2405 出院撤销. */
import { MED_TYPES } from './codes.js';
import type { Call, Db } from './call.js';
import { FsiError, dateTimeField, node, reqStr, str, type Obj } from './fields.js';
import { mdtrt, refuseIfSettled } from './visits.js';

/** 2403: the admission's details changed while nothing of the stay is settled (a mid-stay settlement fixes them). */
export async function changeStay(db: Db, c: Call) {
  const at = 'adminfo';
  const d = node(c.env.input, at);
  const m = await mdtrt(db, c, reqStr(d, at, 'mdtrt_id', 30), reqStr(d, at, 'psn_no', 30), 'inpatient', true);
  if (m.state === 'cancelled') throw new FsiError('该住院已撤销');
  const live = await db.selectFrom('settlement').select('visit_part').where('visit', '=', m.mdtrt_id).where('reversed_at', 'is', null).execute();
  if (live.some((x) => x.visit_part === '')) throw new FsiError('该住院已出院结算，不能变更住院信息，请先撤销结算【2305】');
  const begntime = dateTimeField(d, at, 'begntime', false) ?? m.begntime;
  const medType = str(d, at, 'med_type', 6, false) ?? m.med_type;
  // a live mid-stay settlement was made on the admission's date and medical type: those stay as they are
  if (live.length && (begntime !== m.begntime || medType !== m.med_type)) throw new FsiError('该住院已中途结算，不能变更开始时间或医疗类别，请先撤销中途结算');
  if (medType && MED_TYPES[medType]?.kind !== 'inpatient') throw new FsiError(`adminfo.med_type ${medType} 不是本地支持的住院医疗类别（2101、21、52）`);
  const no = str(d, at, 'ipt_otp_no', 30, false) ?? m.ipt_otp_no;
  if (no !== m.ipt_otp_no) {
    const dup = await db.selectFrom('fsi_mdtrt').select('mdtrt_id').where('hospital_code', '=', c.hospital).where('ipt_otp_no', '=', no).where('state', '<>', 'cancelled').where('mdtrt_id', '<>', m.mdtrt_id).executeTakeFirst();
    if (dup) throw new FsiError(`住院号 ${no} 已有就诊记录（就诊ID ${dup.mdtrt_id}）`);
  }
  const info = (m.info as Obj | null) ?? {};
  const mdtrtinfo = { ...((info.mdtrtinfo as Obj | undefined) ?? {}), ...Object.fromEntries(Object.entries(d).filter(([, v]) => v !== null && v !== '' && v !== 'null')) };
  const diseinfo = Array.isArray(c.env.input.diseinfo) ? c.env.input.diseinfo : info.diseinfo ?? [];
  await db
    .updateTable('fsi_mdtrt')
    .set({ begntime, med_type: medType, ipt_otp_no: no, dise_codg: str(d, at, 'dise_codg', 30, false) ?? m.dise_codg, dise_name: str(d, at, 'dise_name', 500, false) ?? m.dise_name, info: JSON.stringify({ ...info, mdtrtinfo, diseinfo }) })
    .where('mdtrt_id', '=', m.mdtrt_id)
    .execute();
  return { output: {}, effect: { mdtrt_id: m.mdtrt_id } };
}

/** 2404: the admission cancelled — nothing settled, no fee lines left. */
export async function cancelAdmission(db: Db, c: Call) {
  const d = node(c.env.input, 'data');
  const m = await mdtrt(db, c, reqStr(d, 'data', 'mdtrt_id', 30), reqStr(d, 'data', 'psn_no', 30), 'inpatient', true);
  await refuseIfSettled(db, m.mdtrt_id, '该住院已结算，请先撤销结算【2305】再撤销入院');
  const fees = await db.selectFrom('fsi_fee').select('feedetl_sn').where('mdtrt_id', '=', m.mdtrt_id).where('cancelled_at', 'is', null).limit(1).execute();
  if (fees.length) throw new FsiError('该住院有未撤销的费用明细，请先撤销费用明细【2302】再撤销入院');
  await db.updateTable('fsi_mdtrt').set({ state: 'cancelled' }).where('mdtrt_id', '=', m.mdtrt_id).execute();
  return { output: {}, effect: { mdtrt_id: m.mdtrt_id } };
}

/** 2405: the discharge undone (the stay open again) while its discharge settlement is not live. */
export async function cancelDischarge(db: Db, c: Call) {
  const d = node(c.env.input, 'data');
  const m = await mdtrt(db, c, reqStr(d, 'data', 'mdtrt_id', 30), reqStr(d, 'data', 'psn_no', 30), 'inpatient', true);
  if (m.state !== 'discharged') throw new FsiError('该人员未办理出院，无需撤销出院');
  const final = await db.selectFrom('settlement').select('id').where('visit', '=', m.mdtrt_id).where('visit_part', '=', '').where('reversed_at', 'is', null).executeTakeFirst();
  if (final) throw new FsiError('该住院已出院结算，请先撤销结算【2305】再撤销出院');
  const info = { ...((m.info as Obj | null) ?? {}) };
  delete info.dscginfo;
  await db.updateTable('fsi_mdtrt').set({ state: 'open', endtime: null, info: JSON.stringify(info) }).where('mdtrt_id', '=', m.mdtrt_id).execute();
  return { output: {}, effect: { mdtrt_id: m.mdtrt_id } };
}
