/** Reversal through the platform: 2208 / 2305 settlement reversal, and 2601 冲正 of an earlier 2207, 2304 or 2401 by its msgid. */
import { ConflictError } from '../../errors.js';
import type { Call, Db, FsiDeps } from './call.js';
import { chinese, dateTime, type Reply } from './envelope.js';
import { FsiError, node, reqStr, type Obj } from './fields.js';
import { personBy } from './persons.js';
import { setlOutput } from './settle.js';
import { byMessage, bySetlId, type PlatformSettlement } from './platform-settlements.js';
import { mdtrt, refuseIfSettled } from './visits.js';

/**
 * Reverse a platform settlement (2208, 2305, 2601): the live settlement of its encounter, by
 * SettlementService.reverse, with this message's reply stored in the reversal's own
 * transaction (Call.keep): after a crash either both are there or neither, and the message
 * sent again does the work or finds its reply.
 */
export async function reverseSetl(
  deps: FsiDeps,
  c: Call,
  setlId: string,
  check: { mdtrtId: string | null; psnNo: string | null; kind: 'outpatient' | 'inpatient' | null },
  answer: (ps: PlatformSettlement, live: NonNullable<PlatformSettlement['live']>, now: Date) => Promise<{ output: unknown; effect: Obj }>,
) {
  const ps = await bySetlId(deps.db, setlId);
  if (!ps || ps.hospitalCode !== c.hospital) throw new FsiError(`结算ID ${setlId} 不存在或不属于本机构`);
  if (check.mdtrtId !== null && ps.mdtrtId !== check.mdtrtId) throw new FsiError('结算ID与就诊ID不符');
  if (check.psnNo !== null && ps.personId !== check.psnNo) throw new FsiError('人员编号与结算ID不符');
  const m = await deps.db.selectFrom('fsi_mdtrt').select(['kind']).where('mdtrt_id', '=', ps.mdtrtId).executeTakeFirstOrThrow();
  if (check.kind && m.kind !== check.kind) throw new FsiError(check.kind === 'outpatient' ? '该结算是住院结算，请使用住院结算撤销【2305】' : '该结算是门诊结算，请使用门诊结算撤销【2208】');
  if (!ps.live) throw new FsiError(`结算ID ${setlId} 已撤销`);
  const built = await answer(ps, ps.live, new Date());
  try {
    await deps.settlements.reverse(c.actor, ps.live.id, { trace: false, reference: `fsi:${c.hospital}:${c.env.msgid}`, within: (tx) => c.keep(tx, built.output, built.effect) });
  } catch (e) {
    if (e instanceof ConflictError && e.code === 'ALREADY_REVERSED') throw new FsiError(`结算ID ${setlId} 已撤销`);
    throw chinese(e) ?? e;
  }
  return { ...built, kept: true as const };
}

export async function reverse(deps: FsiDeps, _db: Db, c: Call, kind: 'outpatient' | 'inpatient') {
  const d = node(c.env.input, 'data');
  const setlId = reqStr(d, 'data', 'setl_id', 30);
  const mdtrtId = reqStr(d, 'data', 'mdtrt_id', 30);
  const psnNo = reqStr(d, 'data', 'psn_no', 30);
  return reverseSetl(deps, c, setlId, { mdtrtId, psnNo, kind }, async (ps, live, now) => {
    const p = (await personBy(deps.db, { psnNo: ps.personId }))!;
    const m = await deps.db.selectFrom('fsi_mdtrt').select(['mdtrt_id', 'begntime', 'med_type']).where('mdtrt_id', '=', ps.mdtrtId).executeTakeFirstOrThrow();
    // the reversal is a settlement of its own (negated amounts) with a new setl_id; the original's is kept beside it
    const newSetlId = `${setlId}R${live.id}`.slice(0, 30);
    const out = setlOutput(c, { m, p, medType: m.med_type ?? '', encounter: { date: m.begntime.slice(0, 10) }, certType: '' }, kind, live.result.setlinfo, live.result.setldetail, newSetlId, dateTime(now), -1);
    const info = out.setlinfo as Obj;
    // 2305's table (住院结算撤销) lists more: the person's area, the stay's dates; what the service does not hold is empty (null for amounts)
    const more =
      kind === 'inpatient'
        ? { psn_insu_rlts_id: '', insu_admdvs: p.region, begndate: m.begntime.slice(0, 10), enddate: dateTime(now).slice(0, 10), mdtrt_cert_no: '', setl_type: '', crt_dedc: null, invono: '' }
        : {};
    return { output: { setlinfo: { ...info, init_setl_id: setlId, pdn_cash_pay: info.psn_cash_pay, ...more }, setldetail: out.setldetail }, effect: { setl_id: setlId, reversal_setl_id: newSetlId, settlement_id: live.id } };
  });
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
  if (oinfno === '2401') {
    const effect = o.effect as Obj | null;
    if (!o.reply || (o.reply as unknown as Reply).infcode !== 0 || !effect) throw new FsiError(`原报文 ${omsgid} 未成功，无需冲正`);
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
  // a settlement: the one its answer named; or, when a crash swallowed the answer, the one the message made
  const answered = o.reply && (o.reply as unknown as Reply).infcode === 0 ? ((o.effect as Obj | null)?.setl_id as string | undefined) : undefined;
  const made = answered ? undefined : await byMessage(deps.db, c.hospital, omsgid);
  const setlId = answered ?? (made?.first ? made.setlId : undefined);
  if (!setlId) throw new FsiError(`原报文 ${omsgid} 未成功，无需冲正`);
  return reverseSetl(deps, c, setlId, { mdtrtId: null, psnNo, kind: null }, async (_ps, live) => ({ output: {}, effect: { omsgid, setl_id: setlId, settlement_id: live.id } }));
}
