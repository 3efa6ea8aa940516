/**
 * 4101 医疗保障基金结算清单信息上传: the settlement list of an inpatient stay (tables 206–213 of
 * the spec: setlinfo, one row; diseinfo, oprninfo, icuinfo, payinfo, bldinfo, opspdiseinfo,
 * rows), checked field by field, and grouped by CHS-DRG 1.1: the record's sex and age come
 * from the register (the person of psn_no, age on the admission day; 新生儿天龄 age_days and
 * 新生儿出生体重 nwb_bir_wt from the list), the diagnoses are the western-medicine ones
 * (diag_type 1 西医诊断) with the one of maindiag_flag 1 first, the procedures those of
 * oprninfo with the one of oprn_oprt_type 1 (主要手术及操作) first, the length of stay from
 * adm_time / dscg_time (else the settlement dates), 离院方式 dscg_way and 出院科别 dscg_caty.
 * The grouping is stored with the stay (src/settlement/drg-grouping.ts); a corrected list
 * groups it again until the stay has been paid by group. The reply is the spec's (table 213:
 * setl_list_id).
 */
import { storeGrouping } from '../../settlement/drg-grouping.js';
import type { DrgRecord } from '../../rules/drg/record.js';
import type { Call, Db } from './call.js';
import { chinese } from './envelope.js';
import { FsiError, ageOn, dateTimeField, decimal, dayText, empty, list, node, reqStr, str, type Obj } from './fields.js';
import { personBy } from './persons.js';
import { bySetlId } from './platform-settlements.js';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function dateField(o: Obj, at: string, field: string, required: boolean): string | null {
  const s = str(o, at, field, 19, required);
  if (s === null) return null;
  const day = s.slice(0, 10);
  const m = DATE.exec(day);
  const d = m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])) : null;
  if (!m || !d || d.getUTCMonth() !== +m[2] - 1 || d.getUTCDate() !== +m[3] || (s.length > 10 && !/^ \d{2}:\d{2}:\d{2}$/.test(s.slice(10)))) throw new FsiError(`${at}.${field} 格式应为 yyyy-MM-dd`);
  return day;
}

const dayNumber = (d: string): number => Date.UTC(+d.slice(0, 4), +d.slice(5, 7) - 1, +d.slice(8, 10)) / 86_400_000;

/** Table 206's fields that the list must carry (Y), and their lengths. */
const SETLINFO_REQUIRED: [string, number][] = [
  ['ntly', 6],
  ['prfs', 6],
  ['dscg_caty', 6],
  ['bill_code', 50],
  ['bill_no', 30],
  ['biz_sn', 50],
  ['medins_fill_dept', 100],
  ['medins_fill_psn', 50],
];
const SETLINFO_OPTIONAL: [string, number][] = [
  ['medcasno', 30],
  ['curr_addr', 200],
  ['emp_name', 200],
  ['nwb_adm_type', 3],
  ['adm_way', 30],
  ['trt_type', 3],
  ['adm_dept_code', 30],
  ['adm_dept_name', 100],
  ['refldept_dept', 50],
  ['dscg_dept_code', 30],
  ['dscg_dept_name', 100],
  ['wm_dise_code', 30],
  ['tcm_dise_code', 30],
  ['dscg_way', 3],
  ['chfpdr_code', 30],
  ['stas_type', 10],
  ['hi_paymtd', 3],
  ['adm_caty', 10],
];

/** The rows of an optional many-row node (absent or empty: none). */
const rows = (input: Obj, name: string): Obj[] => (empty(input[name]) || (Array.isArray(input[name]) && (input[name] as unknown[]).length === 0) ? [] : list(input, name));

export async function uploadSettlementList(db: Db, c: Call) {
  const input = c.env.input;
  const s = node(input, 'setlinfo');
  const at = 'setlinfo';
  const psnNo = reqStr(s, at, 'psn_no', 30);
  const mdtrtId = reqStr(s, at, 'mdtrt_id', 30);
  const setlId = reqStr(s, at, 'setl_id', 30);
  for (const [f, n] of SETLINFO_REQUIRED) reqStr(s, at, f, n);
  for (const [f, n] of SETLINFO_OPTIONAL) str(s, at, f, n, false);
  if (!empty(s.coner_name)) for (const f of ['patn_rlts', 'coner_addr', 'coner_tel']) reqStr(s, at, f, f === 'patn_rlts' ? 6 : f === 'coner_tel' ? 50 : 200);
  const begin = dateField(s, at, 'setl_begn_date', true)!;
  const end = dateField(s, at, 'setl_end_date', true)!;
  if (end < begin) throw new FsiError('setlinfo.setl_end_date 不能早于 setl_begn_date');
  const admTime = dateTimeField(s, at, 'adm_time', false);
  const dscgTime = dateTimeField(s, at, 'dscg_time', false);
  const ageDaysListed = decimal(s, at, 'age_days', 0, false);
  const birthWeight = decimal(s, at, 'nwb_bir_wt', 2, false);
  if (birthWeight !== null && (birthWeight < 0 || birthWeight > 9999.99)) throw new FsiError('setlinfo.nwb_bir_wt 超出范围（克）');
  if (ageDaysListed !== null && (ageDaysListed < 0 || ageDaysListed > 999)) throw new FsiError('setlinfo.age_days 超出范围（天）');

  // 表 208 住院诊断信息: the western-medicine diagnoses, the main one first
  const dis = list(input, 'diseinfo');
  let main: string | null = null;
  const others: string[] = [];
  dis.forEach((d, i) => {
    const a = `diseinfo[${i}]`;
    const type = reqStr(d, a, 'diag_type', 3);
    const code = reqStr(d, a, 'diag_code', 30);
    reqStr(d, a, 'diag_name', 500);
    reqStr(d, a, 'adm_cond_type', 3);
    const flag = reqStr(d, a, 'maindiag_flag', 3);
    if (!['1', '2', '3'].includes(type)) throw new FsiError(`${a}.diag_type 应为 1（西医诊断）、2（中医主病诊断）或 3（中医主证诊断）`);
    if (flag !== '0' && flag !== '1') throw new FsiError(`${a}.maindiag_flag 应为 0 或 1`);
    if (type !== '1') return; // CHS-DRG groups by the western-medicine diagnoses
    if (flag === '1') {
      if (main !== null) throw new FsiError(`diseinfo 有两条西医主诊断（maindiag_flag=1）：${main}、${code}`);
      main = code;
    } else others.push(code);
  });
  if (main === null) throw new FsiError('diseinfo 缺少西医主诊断（diag_type=1 且 maindiag_flag=1）');

  // 表 209 手术操作信息: the main procedure first
  let mainProc: string | null = null;
  const otherProcs: string[] = [];
  rows(input, 'oprninfo').forEach((o, i) => {
    const a = `oprninfo[${i}]`;
    const type = reqStr(o, a, 'oprn_oprt_type', 3);
    reqStr(o, a, 'oprn_oprt_name', 500);
    const code = reqStr(o, a, 'oprn_oprt_code', 30);
    reqStr(o, a, 'oper_dr_code', 20);
    str(o, a, 'anst_way', 6, false);
    for (const f of ['oprn_oprt_begntime', 'oprn_oprt_endtime', 'anst_begntime', 'anst_endtime']) dateTimeField(o, a, f, false);
    if (type !== '1' && type !== '2') throw new FsiError(`${a}.oprn_oprt_type 应为 1（主要手术及操作）或 2（其他手术及操作）`);
    if (type === '1') {
      if (mainProc !== null) throw new FsiError(`oprninfo 有两条主要手术及操作（oprn_oprt_type=1）：${mainProc}、${code}`);
      mainProc = code;
    } else otherProcs.push(code);
  });
  if (mainProc === null && otherProcs.length) throw new FsiError('oprninfo 有其他手术及操作而缺少主要手术及操作（oprn_oprt_type=1）');
  rows(input, 'icuinfo').forEach((o, i) => {
    const a = `icuinfo[${i}]`;
    reqStr(o, a, 'scs_cutd_ward_type', 6);
    dateTimeField(o, a, 'scs_cutd_inpool_time', true);
    dateTimeField(o, a, 'scs_cutd_exit_time', true);
    reqStr(o, a, 'scs_cutd_sum_dura', 10);
  });
  rows(input, 'payinfo').forEach((o, i) => {
    reqStr(o, `payinfo[${i}]`, 'fund_pay_type', 6);
    decimal(o, `payinfo[${i}]`, 'fund_payamt', 2, true);
  });

  // the stay: this hospital's live inpatient settlement of that visit and person
  const ps = await bySetlId(db, setlId);
  if (!ps || ps.hospitalCode !== c.hospital) throw new FsiError(`结算ID ${setlId} 不存在或不属于本机构`);
  if (ps.mdtrtId !== mdtrtId) throw new FsiError('结算ID与就诊ID不符');
  if (ps.personId !== psnNo) throw new FsiError('人员编号与结算ID不符');
  const m = await db.selectFrom('fsi_mdtrt').select(['kind', 'begntime', 'endtime']).where('mdtrt_id', '=', mdtrtId).executeTakeFirstOrThrow();
  if (m.kind !== 'inpatient') throw new FsiError('结算清单【4101】上传住院结算的清单；该结算是门诊结算');
  if (!ps.live) throw new FsiError(`结算ID ${setlId} 已撤销`);
  const person = await personBy(db, { psnNo });
  if (!person) throw new FsiError(`人员编号 ${psnNo} 不存在`);

  const admDay = admTime?.slice(0, 10) ?? dayText(m.begntime);
  const dscgDay = dscgTime?.slice(0, 10) ?? (m.endtime ? dayText(m.endtime) : end);
  if (dscgDay < admDay) throw new FsiError('setlinfo.dscg_time 不能早于入院时间');
  const ageYears = Math.max(0, ageOn(person.birth_date, admDay));
  const ageDays = ageDaysListed ?? (ageYears < 1 ? Math.max(0, dayNumber(admDay) - dayNumber(person.birth_date)) : null);
  const record: DrgRecord = {
    id: setlId,
    sex: person.gender === 'male' ? '1' : '2',
    ageYears,
    ageDays,
    birthWeightGrams: birthWeight === null ? null : Math.round(birthWeight),
    dept: String(s.dscg_caty),
    losDays: Math.max(0, dayNumber(dscgDay) - dayNumber(admDay)),
    dischargeMethod: empty(s.dscg_way) ? null : String(s.dscg_way),
    diagnoses: [main, ...others],
    procedures: mainProc === null ? [] : [mainProc, ...otherProcs],
  };
  let g;
  try {
    g = await storeGrouping(db, c.actor, { settlementId: ps.live.id, record, dischargeDate: dscgDay, source: `fsi:${c.hospital}:${c.env.msgid}` });
  } catch (e) {
    throw chinese(e) ?? e;
  }
  return { output: { setl_list_id: g.encounterId }, effect: { setl_id: setlId, settlement_id: ps.live.id, drg_status: g.status, drg: g.drg } };
}
