/**
 * Daily reconciliation of a hospital's platform settlements: 3201 对总账 (the hospital's totals
 * against the live settlements of the period) and 3202 对明细账 (settlement by settlement).
 * Monthly clearing statements are another room's (src/fund/). The period is of settlement
 * dates in China time; clr_type 11 outpatient, 21 inpatient.
 *
 * 3202 names a detail file uploaded by 9101 (file_qury_no); this service takes no files, so the
 * hospital's rows may be sent inline as input.detail (setl_id, medfee_sumamt, fund_pay_sumamt,
 * cash_payamt), and the answer carries the service's rows, each with its stmt_rslt, inline too.
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { CLR_TYPE } from './codes.js';
import type { Call, Db } from './call.js';
import { dateTime } from './envelope.js';
import { detailRows } from './file-upload.js';
import { FsiError, empty, get, money, moneyOpt, node, reqStr, str, yuan, type Obj } from './fields.js';
import { setlIdOf } from './platform-settlements.js';

function period(d: Obj, at: string) {
  const b = reqStr(d, at, 'stmt_begndate', 19).slice(0, 10);
  const e = reqStr(d, at, 'stmt_enddate', 19).slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(b) || !/^\d{4}-\d{2}-\d{2}$/.test(e)) throw new FsiError(`${at}.stmt_begndate / stmt_enddate 格式应为 yyyy-MM-dd`);
  if (e < b) throw new FsiError('对账结束日期不能早于开始日期');
  return { b, e };
}

/** The hospital's settlements (live, and reversed when asked) of the period and clearing type. */
async function settlementsOf(db: Db, hospital: string, b: string, e: string, clrType: string | null, withReversed: boolean) {
  const kind = clrType === CLR_TYPE.outpatient ? 'outpatient' : clrType === CLR_TYPE.inpatient ? 'inpatient' : null;
  if (clrType && !kind) throw new FsiError(`清算类别 ${clrType} 不支持（11 门诊、21 住院）`);
  let q = db
    .selectFrom('settlement as s')
    .innerJoin('encounter as e', 'e.id', 's.encounter_id')
    .innerJoin('fsi_mdtrt as m', 'm.mdtrt_id', 's.visit')
    .select(['s.id', 's.total_fen', 's.basic_fund_fen', 's.critical_illness_fen', 's.medical_assistance_fen', 's.cash_fen', 's.reversed_at', 'e.id as encounter_id', 'e.setl_id', 'e.external_id', 'm.mdtrt_id', 'm.person_id', 'm.kind'])
    .where('s.hospital_code', '=', hospital)
    .where('s.visit', 'is not', null)
    .where(sql<boolean>`(s.settled_at AT TIME ZONE 'Asia/Shanghai')::date BETWEEN ${b}::date AND ${e}::date`);
  if (kind) q = q.where('m.kind', '=', kind);
  if (!withReversed) q = q.where('s.reversed_at', 'is', null);
  const rows = await q.orderBy('s.id').execute();
  return rows.map((r) => ({
    setlId: setlIdOf({ id: r.encounter_id, setl_id: r.setl_id }),
    mdtrtId: r.mdtrt_id,
    psnNo: String(r.person_id),
    msgid: r.external_id?.startsWith('fsi:') ? r.external_id.slice(4) : '',
    total: Number(r.total_fen),
    fund: Number(r.basic_fund_fen) + Number(r.critical_illness_fen) + Number(r.medical_assistance_fen),
    cash: Number(r.cash_fen),
    reversed: r.reversed_at !== null,
  }));
}

/** 3201: totals and count against the hospital's; stmt_rslt 0 平 / 1 不平, with what differs. */
export async function reconcileTotals(db: Db, c: Call) {
  const at = 'data';
  const d = node(c.env.input, at);
  const { b, e } = period(d, at);
  const clr = str(d, at, 'clr_type', 6, false);
  const sent = { total: money(d, at, 'medfee_sumamt'), fund: money(d, at, 'fund_pay_sumamt'), acct: moneyOpt(d, at, 'acct_pay') ?? 0, cnt: Number(reqStr(d, at, 'fixmedins_setl_cnt', 10)) };
  if (!Number.isInteger(sent.cnt) || sent.cnt < 0) throw new FsiError('data.fixmedins_setl_cnt 应为非负整数');
  const rows = await settlementsOf(db, c.hospital, b, e, clr, false);
  const ours = { total: rows.reduce((t, r) => t + r.total, 0), fund: rows.reduce((t, r) => t + r.fund, 0), acct: 0, cnt: rows.length };
  const diffs = [
    ours.total !== sent.total ? `医疗费总额 医保 ${yuan(ours.total)} / 机构 ${yuan(sent.total)}` : '',
    ours.fund !== sent.fund ? `基金支付总额 医保 ${yuan(ours.fund)} / 机构 ${yuan(sent.fund)}` : '',
    ours.acct !== sent.acct ? `个人账户支付 医保 ${yuan(ours.acct)} / 机构 ${yuan(sent.acct)}` : '',
    ours.cnt !== sent.cnt ? `结算笔数 医保 ${ours.cnt} / 机构 ${sent.cnt}` : '',
  ].filter(Boolean);
  return {
    output: { stmtinfo: { setl_optins: str(d, at, 'setl_optins', 6, false) ?? c.env.mdtrtarea_admvs, stmt_rslt: diffs.length ? '1' : '0', stmt_rslt_dscr: diffs.length ? `对账不平：${diffs.join('；')}`.slice(0, 200) : '对账平' } },
    effect: { stmt_begndate: b, stmt_enddate: e, clr_type: clr, stmt_rslt: diffs.length ? '1' : '0' },
  };
}

/** the file_qury_no of a 3202 answer's result file (9102 gives the file): its message, hashed */
export const stmtFileNo = (hospital: string, msgid: string): string => `STMT${createHash('sha256').update(`${hospital}|${msgid}`).digest('hex').slice(0, 26).toUpperCase()}`;

/** 3202: settlement by settlement (the hospital's rows inline as input.detail, when sent). */
export async function reconcileDetails(db: Db, c: Call) {
  const at = 'data';
  const d = node(c.env.input, at);
  const { b, e } = period(d, at);
  const clr = str(d, at, 'clr_type', 6, false);
  const fileNo = str(d, at, 'file_qury_no', 30, false);
  const withReversed = (str(d, at, 'refd_setl_flag', 3, false) ?? '0') === '1';
  const rows = await settlementsOf(db, c.hospital, b, e, clr, withReversed);
  // the hospital's rows: those of the file it uploaded (9101) under file_qury_no, else inline as input.detail
  const uploaded = fileNo ? await detailRows(db, c.hospital, fileNo) : null;
  const detail = uploaded ? uploaded.map((r) => ({ setl_id: r.setl_id, medfee_sumamt: r.total / 100, fund_pay_sumamt: r.fund / 100 })) : get(c.env.input, 'detail');
  const theirs = new Map<string, { total: number; fund: number; cash: number | null }>();
  if (Array.isArray(detail))
    detail.forEach((x, i) => {
      const a = `detail[${i}]`;
      if (!x || typeof x !== 'object') throw new FsiError(`${a} 不是对象`);
      const o = x as Obj;
      theirs.set(reqStr(o, a, 'setl_id', 30), { total: money(o, a, 'medfee_sumamt'), fund: money(o, a, 'fund_pay_sumamt'), cash: empty(o.cash_payamt) ? null : money(o, a, 'cash_payamt') });
    });
  const out = rows.map((r) => {
    const t = theirs.get(r.setlId);
    theirs.delete(r.setlId);
    const same = !Array.isArray(detail) || (t !== undefined && t.total === r.total && t.fund === r.fund && (t.cash === null || t.cash === r.cash));
    return {
      psn_no: r.psnNo,
      mdtrt_id: r.mdtrtId,
      setl_id: r.setlId,
      msgid: r.msgid,
      stmt_rslt: same ? '0' : '1',
      refd_setl_flag: r.reversed ? '1' : '0',
      memo: !Array.isArray(detail) ? '' : t === undefined ? '机构未上报该结算' : same ? '' : `医保 ${yuan(r.total)}/${yuan(r.fund)} 机构 ${yuan(t.total)}/${yuan(t.fund)}`,
      medfee_sumamt: yuan(r.total),
      fund_pay_sumamt: yuan(r.fund),
      acct_pay: 0,
    };
  });
  for (const [setlId, t] of theirs) out.push({ psn_no: '', mdtrt_id: '', setl_id: setlId, msgid: '', stmt_rslt: '1', refd_setl_flag: '0', memo: '医保无此结算', medfee_sumamt: yuan(t.total), fund_pay_sumamt: yuan(t.fund), acct_pay: 0 });
  const total = rows.filter((r) => !r.reversed).reduce((s, r) => s + r.total, 0);
  const fund = rows.filter((r) => !r.reversed).reduce((s, r) => s + r.fund, 0);
  const cash = rows.filter((r) => !r.reversed).reduce((s, r) => s + r.cash, 0);
  const until = new Date(c.received.getTime() + 24 * 3600_000);
  return {
    output: {
      fileinfo: { file_qury_no: stmtFileNo(c.hospital, c.env.msgid), filename: `stmt_${c.hospital}_${b}_${e}.txt`, dld_endtime: dateTime(until) },
      stmtinfo: {
        stmt_rslt: out.some((x) => x.stmt_rslt === '1') ? '1' : '0',
        medfee_sumamt: yuan(total),
        fund_pay_sumamt: yuan(fund),
        cash_payamt: yuan(cash),
        fixmedins_setl_cnt: rows.filter((r) => !r.reversed).length,
        sent: { medfee_sumamt: yuan(money(d, at, 'medfee_sumamt')), fund_pay_sumamt: yuan(money(d, at, 'fund_pay_sumamt')), cash_payamt: yuan(moneyOpt(d, at, 'cash_payamt') ?? 0) },
      },
      detail: out,
    },
    effect: { stmt_begndate: b, stmt_enddate: e, rows: out.length },
  };
}
