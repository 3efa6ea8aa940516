/** Reversal through the platform: 2208 / 2305 settlement reversal, and 2601 冲正 of an earlier 2207, 2304 or 2401 by its msgid. */
import type { SettlementView } from '../../settlement/answers.js';
import type { Call, Db, FsiDeps } from './call.js';
import { chinese, dateTime, type Reply } from './envelope.js';
import { FsiError, node, reqStr, type Obj } from './fields.js';
import { personBy } from './persons.js';
import { setlOutput } from './settle.js';
import { mdtrt, refuseIfSettled } from './visits.js';

export async function reverseSetl(deps: FsiDeps, c: Call, setlId: string, mdtrtId: string | null, psnNo: string | null, kind: 'outpatient' | 'inpatient' | null) {
  const st = await deps.db.selectFrom('fsi_setl as s').innerJoin('fsi_mdtrt as m', 'm.mdtrt_id', 's.mdtrt_id').select(['s.setl_id', 's.mdtrt_id', 's.hospital_code', 's.settlement_id', 's.reversed_at', 'm.person_id', 'm.kind']).where('s.setl_id', '=', setlId).executeTakeFirst();
  if (!st || st.hospital_code !== c.hospital) throw new FsiError(`结算ID ${setlId} 不存在或不属于本机构`);
  if (mdtrtId !== null && st.mdtrt_id !== mdtrtId) throw new FsiError('结算ID与就诊ID不符');
  if (psnNo !== null && String(st.person_id) !== psnNo) throw new FsiError('人员编号与结算ID不符');
  if (kind && st.kind !== kind) throw new FsiError(kind === 'outpatient' ? '该结算是住院结算，请使用住院结算撤销【2305】' : '该结算是门诊结算，请使用门诊结算撤销【2208】');
  if (st.reversed_at) throw new FsiError(`结算ID ${setlId} 已撤销`);
  const row = await deps.db.selectFrom('settlement').select(['result']).where('id', '=', st.settlement_id).executeTakeFirstOrThrow();
  let r;
  try {
    r = await deps.settlements.reverse(c.actor, String(st.settlement_id), { trace: false });
  } catch (e) {
    throw chinese(e) ?? e;
  }
  const now = new Date();
  await deps.db.transaction().execute(async (tx) => {
    await tx.updateTable('fsi_setl').set({ reversed_at: now }).where('setl_id', '=', setlId).execute();
    await tx.updateTable('fsi_fee').set({ setl_id: null }).where('setl_id', '=', setlId).execute();
    for (const x of r.resettled) await tx.updateTable('fsi_setl').set({ settlement_id: x.to }).where('settlement_id', '=', x.from).execute();
  });
  return { st, result: row.result as SettlementView, now, resettled: r.resettled };
}

export async function reverse(deps: FsiDeps, _db: Db, c: Call, kind: 'outpatient' | 'inpatient') {
  const d = node(c.env.input, 'data');
  const setlId = reqStr(d, 'data', 'setl_id', 30);
  const mdtrtId = reqStr(d, 'data', 'mdtrt_id', 30);
  const psnNo = reqStr(d, 'data', 'psn_no', 30);
  const { st, result, now } = await reverseSetl(deps, c, setlId, mdtrtId, psnNo, kind);
  const p = (await personBy(deps.db, { psnNo: String(st.person_id) }))!;
  const m = (await deps.db.selectFrom('fsi_mdtrt').selectAll().where('mdtrt_id', '=', mdtrtId).executeTakeFirstOrThrow()) as { begntime: string; med_type: string | null; mdtrt_id: string };
  const s = { m, p, medType: m.med_type ?? '', encounter: { date: m.begntime.slice(0, 10) }, certType: '' } as never;
  const out = setlOutput(c, s, kind, result.setlinfo, result.setldetail, setlId, dateTime(now), -1);
  const { psn_cash_pay, ...info } = out.setlinfo as Obj;
  return { output: { setlinfo: { ...info, pdn_cash_pay: psn_cash_pay }, setldetail: out.setldetail }, effect: { setl_id: setlId } };
}

export async function correct(deps: FsiDeps, _db: Db, c: Call) {
  const d = node(c.env.input, 'data');
  const psnNo = reqStr(d, 'data', 'psn_no', 30);
  const omsgid = reqStr(d, 'data', 'omsgid', 30);
  const oinfno = reqStr(d, 'data', 'oinfno', 4);
  if (!['2207', '2304', '2401'].includes(oinfno)) throw new FsiError('只能冲正门诊结算【2207】、住院结算【2304】和入院办理【2401】');
  const o = await deps.db.selectFrom('fsi_message').select(['infno', 'reply', 'effect']).where('hospital_code', '=', c.hospital).where('msgid', '=', omsgid).executeTakeFirst();
  if (!o) throw new FsiError(`原报文 ${omsgid} 未被受理，无需冲正`);
  if (o.infno !== oinfno) throw new FsiError(`原报文 ${omsgid} 的交易编号是 ${o.infno}，不是 ${oinfno}`);
  const effect = o.effect as Obj | null;
  if (!o.reply || (o.reply as unknown as Reply).infcode !== 0 || !effect) throw new FsiError(`原报文 ${omsgid} 未成功，无需冲正`);
  if (oinfno === '2401') {
    const mdtrtId = String(effect.mdtrt_id);
    return deps.db.transaction().execute(async (tx) => {
      const m = await mdtrt(tx, c, mdtrtId, psnNo, 'inpatient', true);
      await refuseIfSettled(tx, m.mdtrt_id, '该住院已结算，请先撤销结算再冲正入院');
      const fees = await tx.selectFrom('fsi_fee').select('feedetl_sn').where('mdtrt_id', '=', m.mdtrt_id).where('cancelled_at', 'is', null).limit(1).execute();
      if (fees.length) throw new FsiError('该住院有未撤销的费用明细，请先撤销【2302】再冲正入院');
      await tx.updateTable('fsi_mdtrt').set({ state: 'cancelled' }).where('mdtrt_id', '=', m.mdtrt_id).execute();
      return { output: {}, effect: { omsgid, mdtrt_id: mdtrtId } };
    });
  }
  const setlId = String(effect.setl_id);
  await reverseSetl(deps, c, setlId, null, psnNo, null);
  return { output: {}, effect: { omsgid, setl_id: setlId } };
}
