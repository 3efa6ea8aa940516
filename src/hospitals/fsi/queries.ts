/**
 * The platform's queries (nothing written but the message's record): 2001 人员待遇享受检查,
 * 5203 结算信息查询, 5204 费用明细查询, 5205 人员慢特病用药记录查询, 1901 字典表查询.
 */
import { sql } from 'kysely';
import { CHRGITM_LV, CHRGITM_LV_OF, CLR_TYPE, INSUTYPE_RESIDENT, MED_TYPES, PSN_CERT_TYPE_ID, PSN_TYPE_RESIDENT } from './codes.js';
import type { Call, Db } from './call.js';
import { dateTime } from './envelope.js';
import { FsiError, dateTimeField, dayText, empty, node, reqStr, str, type Obj } from './fields.js';
import { bySetlId } from './platform-settlements.js';
import { personBy } from './persons.js';
import { setlOutput } from './settle.js';

/** 2001: the funds the person may draw on in the period (trtinfo), each with whether and why not. */
export async function benefitCheck(db: Db, c: Call) {
  const at = 'data';
  const d = node(c.env.input, at);
  const psnNo = reqStr(d, at, 'psn_no', 30);
  const medType = reqStr(d, at, 'med_type', 6);
  const begn = dateTimeField(d, at, 'begntime')!;
  const p = await personBy(db, { psnNo });
  if (!p) throw new FsiError(`人员编号 ${psnNo} 不存在`);
  const mt = MED_TYPES[medType];
  if (!mt) throw new FsiError(`data.med_type ${medType} 不是本地支持的医疗类别`);
  const day = begn.slice(0, 10);
  const e = await db.selectFrom('enrollment').select(['state', 'benefit_start', 'benefit_end']).where('person_id', '=', p.id).where('coverage_year', '=', Number(day.slice(0, 4))).executeTakeFirst();
  const start = e?.benefit_start ? dayText(e.benefit_start) : '';
  const end = e?.benefit_end ? dayText(e.benefit_end) : '';
  const why = !e || e.state !== 'paid' ? `${day.slice(0, 4)} 年度未参保缴费` : day < start || day > end ? `就诊日期不在待遇享受期（${start} 至 ${end}）内` : '';
  const funds = mt.kind === 'outpatient' && mt.type === 'general_outpatient' ? ['390102'] : ['390100', '390200', '610100'];
  return {
    output: { trtinfo: funds.map((f) => ({ psn_no: p.id, trt_chk_type: '1', fund_pay_type: f, trt_enjymnt_flag: why ? '0' : '1', begndate: start, enddate: end, trt_chk_rslt: why, exp_content: '' })) },
    effect: { person_id: p.id },
  };
}

async function settlementOf(db: Db, c: Call) {
  const at = 'data';
  const d = node(c.env.input, at);
  const setlId = reqStr(d, at, 'setl_id', 30);
  const ps = await bySetlId(db, setlId);
  if (!ps || ps.hospitalCode !== c.hospital) throw new FsiError(`结算ID ${setlId} 不存在或不属于本机构`);
  const psnNo = str(d, at, 'psn_no', 30, false);
  if (psnNo && psnNo !== ps.personId) throw new FsiError('人员编号与结算ID不符');
  const mdtrtId = str(d, at, 'mdtrt_id', 30, false);
  if (mdtrtId && mdtrtId !== ps.mdtrtId) throw new FsiError('就诊ID与结算ID不符');
  const s = ps.live ?? ps.first;
  if (!s) throw new FsiError(`结算ID ${setlId} 尚未结算`);
  const m = await db.selectFrom('fsi_mdtrt').selectAll().where('mdtrt_id', '=', ps.mdtrtId).executeTakeFirstOrThrow();
  return { ps, s, m, setlId };
}

/** 5203: a settlement as table 269 lists it (refd_setl_flag 1 when it has been reversed). */
export async function settlementInfo(db: Db, c: Call) {
  const { ps, s, m, setlId } = await settlementOf(db, c);
  const p = (await personBy(db, { psnNo: ps.personId }))!;
  const h = await db.selectFrom('hospital').select(['name', 'level']).where('code', '=', c.hospital).executeTakeFirstOrThrow();
  const kind = m.kind as 'outpatient' | 'inpatient';
  const out = setlOutput({ ...c, env: { ...c.env, msgid: ps.msgid ?? c.env.msgid } }, { m, p, medType: m.med_type ?? '', encounter: { date: m.begntime.slice(0, 10) }, certType: '' }, kind, s.result.setlinfo, s.result.setldetail, setlId, dateTime(s.settledAt));
  const info = out.setlinfo;
  return {
    output: {
      setlinfo: {
        ...info,
        flxempe_flag: '0',
        nwb_flag: '0',
        insu_optins: p.region,
        emp_name: '',
        pay_loc: '2',
        fixmedins_code: c.hospital,
        fixmedins_name: h.name,
        hosp_lv: { tertiary: '1', secondary: '4', primary: '7' }[h.level as string] ?? '',
        fixmedins_poolarea: p.region,
        lmtpric_hosp_lv: '',
        dedc_hosp_lv: '',
        begndate: m.begntime.slice(0, 10),
        enddate: (m.endtime ?? m.begntime).slice(0, 10),
        psn_pay: info.psn_part_amt,
        cash_payamt: info.psn_cash_pay,
        refd_setl_flag: ps.live ? '0' : '1',
        year: m.begntime.slice(0, 4),
        dise_codg: m.dise_codg ?? '',
        dise_name: m.dise_name ?? '',
        invono: '',
        opter_id: '',
        opter_name: '',
        opt_time: dateTime(s.settledAt),
        pref_fund_pay: 0,
      },
      setldetail: out.setldetail,
    },
  };
}

/** A stored fee line in the fields of tables 272 / 274 (and the upload reply). */
export function feeRow(f: { feedetl_sn: string; amount_fen: string | number; line: unknown }, extra: Obj = {}): Obj {
  const l = f.line as Obj;
  const s = (k: string) => (empty(l[k]) ? '' : String(l[k]));
  const n = (k: string) => (empty(l[k]) ? 0 : Number(l[k]));
  return {
    ...extra,
    feedetl_sn: f.feedetl_sn,
    rx_drord_no: s('rx_drord_no'),
    med_type: s('med_type'),
    fee_ocur_time: s('fee_ocur_time'),
    cnt: n('cnt'),
    pric: n('pric'),
    sin_dos_dscr: s('sin_dos_dscr'),
    used_frqu_dscr: s('used_frqu_dscr'),
    prd_days: n('prd_days'),
    medc_way_dscr: s('medc_way_dscr'),
    det_item_fee_sumamt: Number(f.amount_fen) / 100,
    pric_uplmt_amt: n('pric_uplmt_amt'),
    selfpay_prop: n('selfpay_prop'),
    chrgitm_lv: CHRGITM_LV_OF[CHRGITM_LV[s('chrgitm_lv')] ?? 'A'],
    hilist_code: s('med_list_codg'),
    hilist_name: s('hilist_name') || s('medins_list_name'),
    list_type: s('list_type'),
    med_list_codg: s('med_list_codg'),
    medins_list_codg: s('medins_list_codg'),
    medins_list_name: s('medins_list_name'),
    med_chrgitm_type: s('med_chrgitm_type'),
    prodname: s('prodname'),
    spec: s('spec'),
    dosform_name: s('dosform_name'),
    bilg_dept_codg: s('bilg_dept_codg'),
    bilg_dept_name: s('bilg_dept_name'),
    bilg_dr_codg: s('bilg_dr_codg'),
    bilg_dr_name: s('bilg_dr_name'),
    acord_dept_codg: s('acord_dept_codg'),
    acord_dept_name: s('acord_dept_name'),
    orders_dr_code: s('orders_dr_code'),
    orders_dr_name: s('orders_dr_name'),
    lmt_used_flag: s('lmt_used_flag') || '0',
    hosp_prep_flag: s('hosp_prep_flag'),
    hosp_appr_flag: s('hosp_appr_flag'),
    tcmdrug_used_way: s('tcmdrug_used_way'),
    prodplac_type: s('prodplac_type'),
    bas_medn_flag: s('bas_medn_flag'),
    hi_nego_drug_flag: s('hi_nego_drug_flag'),
    chld_medc_flag: s('chld_medc_flag'),
    etip_flag: s('etip_flag'),
    etip_hosp_code: s('etip_hosp_code'),
    dscg_tkdrug_flag: s('dscg_tkdrug_flag'),
    list_sp_item_flag: s('list_sp_item_flag'),
    matn_fee_flag: s('matn_fee_flag'),
    drt_reim_flag: s('drt_reim_flag'),
    memo: s('memo'),
    opter_id: '',
    opter_name: '',
    opt_time: '',
  };
}

/** 5204: the fee lines a settlement settled (the encounter's lines), as uploaded, with their split. */
export async function settlementFees(db: Db, c: Call) {
  const { ps, m, setlId } = await settlementOf(db, c);
  const e = await db.selectFrom('encounter').select('lines').where('id', '=', ps.encounterId).executeTakeFirstOrThrow();
  const lines = ((e.lines ?? []) as { sn: string; total: number; fullOwnPay: number; overLimitSelfPay: number; preSelfPay: number; inScope: number }[]).filter((l) => l.sn);
  const bySn = new Map(lines.map((l) => [l.sn, l]));
  const rows = bySn.size ? await db.selectFrom('fsi_fee').select(['feedetl_sn', 'amount_fen', 'line']).where('mdtrt_id', '=', m.mdtrt_id).where('feedetl_sn', 'in', [...bySn.keys()]).orderBy('feedetl_sn').execute() : [];
  return {
    output: {
      output: rows.map((r) => {
        const l = bySn.get(r.feedetl_sn)!;
        return { ...feeRow(r, { mdtrt_id: m.mdtrt_id, setl_id: setlId }), med_type: m.med_type ?? '', det_item_fee_sumamt: l.total / 100, fulamt_ownpay_amt: l.fullOwnPay / 100, overlmt_amt: l.overLimitSelfPay / 100, preselfpay_amt: l.preSelfPay / 100, inscp_scp_amt: l.inScope / 100 };
      }),
    },
  };
}

/** 5205: the person's fee lines of 门诊慢特病 (med_type 14) visits in the period, at any hospital. */
export async function chronicDrugRecords(db: Db, c: Call) {
  const at = 'data';
  const d = node(c.env.input, at);
  const psnNo = reqStr(d, at, 'psn_no', 30);
  const begn = dateTimeField(d, at, 'begntime')!;
  const end = dateTimeField(d, at, 'endtime', false) ?? '9999-12-31 23:59:59';
  if (!/^[1-9]\d{0,17}$/.test(psnNo)) throw new FsiError(`人员编号 ${psnNo} 不存在`);
  const rows = await db
    .selectFrom('fsi_fee as f')
    .innerJoin('fsi_mdtrt as m', 'm.mdtrt_id', 'f.mdtrt_id')
    .innerJoin('hospital as h', 'h.code', 'm.hospital_code')
    .select(['f.feedetl_sn', 'f.amount_fen', 'f.line', 'm.hospital_code', 'h.name', 'm.med_type'])
    .where('m.person_id', '=', psnNo)
    .where('m.med_type', '=', '14')
    .where('m.state', '<>', 'cancelled')
    .where('f.cancelled_at', 'is', null)
    .where(sql<boolean>`f.line->>'fee_ocur_time' BETWEEN ${begn} AND ${end}`)
    .orderBy('f.mdtrt_id')
    .orderBy('f.feedetl_sn')
    .limit(1000)
    .execute();
  return { output: { feedetail: rows.map((r) => ({ ...feeRow(r), fixmedins_code: r.hospital_code, fixmedins_name: r.name, psn_no: psnNo, med_type: r.med_type ?? '14' })) } };
}

/** The code tables 1901 answers (chapter 6 of the spec, the values this system uses). */
const DICTIONARY: Record<string, [string, string][]> = {
  insutype: [[INSUTYPE_RESIDENT, '城乡居民基本医疗保险']],
  psn_type: [[PSN_TYPE_RESIDENT, '城乡居民']],
  psn_cert_type: [[PSN_CERT_TYPE_ID, '居民身份证（户口簿）']],
  mdtrt_cert_type: [['01', '医保电子凭证'], ['02', '居民身份证'], ['03', '社会保障卡']],
  med_type: [['11', '普通门诊'], ['14', '门诊慢特病'], ['9901', '门诊两病'], ['51', '生育门诊'], ['21', '住院'], ['2101', '普通住院'], ['52', '生育住院']],
  chrgitm_lv: [['01', '甲类'], ['02', '乙类'], ['03', '丙类']],
  clr_type: [[CLR_TYPE.outpatient, '门诊'], [CLR_TYPE.inpatient, '住院']],
  fund_pay_type: [['390100', '城乡居民基本医疗保险统筹基金'], ['390102', '城乡居民基本医疗保险门诊统筹基金'], ['390200', '城乡居民大病医疗保险基金'], ['610100', '医疗救助基金']],
  refd_setl_flag: [['0', '否'], ['1', '是']],
};

/** 1901: a code table by its type (data.type; empty: the list of types). */
export async function dictionary(_db: Db, c: Call) {
  const d = node(c.env.input, 'data');
  const type = (str(d, 'data', 'type', 30, false) ?? '').toLowerCase();
  const parent = str(d, 'data', 'parent_value', 10, false) ?? '';
  if (type && !DICTIONARY[type]) throw new FsiError(`字典类型 ${type} 不存在（可查询：${Object.keys(DICTIONARY).join('、')}）`);
  const types = type ? [type] : Object.keys(DICTIONARY);
  const list = types.flatMap((t) => DICTIONARY[t].map(([value, label], i) => ({ type: t, label, value, parentValue: parent, sort: i + 1, valiFlag: '1', createUser: 'yibao', createDate: '2024-10-01', version: 1 })));
  return { output: { list } };
}
