/** Settlement through the platform: 2206 / 2303 pre-settlement (nothing written), 2207 / 2304 settlement, and the setlinfo / setldetail output. */
import { NEEDY_STATUSES } from '../../policy/vocabulary.js';
import { classifyLines } from '../../rules/settlement/costs.js';
import { emptyAccumulators, type Accumulators } from '../../rules/settlement/input.js';
import { accumulatorsJson } from '../../quotes/settlement-request.js';
import type { SettlementView } from '../../settlement/answers.js';
import { CHRGITM_LV, CLR_TYPE, INSUTYPE_RESIDENT, MED_TYPES, PSN_CERT_TYPE_ID, PSN_TYPE_RESIDENT } from './codes.js';
import type { Call, Db, FsiDeps } from './call.js';
import { chinese, dateTime } from './envelope.js';
import { FsiError, ageOn, dayText, empty, money, node, reqStr, yuan, type Obj } from './fields.js';
import { storedLine } from './fees.js';
import { personBy } from './persons.js';
import { mdtrt, refuseIfSettled } from './visits.js';

export type SettlementInput = Awaited<ReturnType<typeof settlementInput>>;

export async function settlementInput(db: Db, c: Call, kind: 'outpatient' | 'inpatient') {
  const at = 'data';
  const d = node(c.env.input, at);
  const m = await mdtrt(db, c, reqStr(d, at, 'mdtrt_id', 30), reqStr(d, at, 'psn_no', 30), kind);
  const insutype = reqStr(d, at, 'insutype', 6);
  if (insutype !== m.insutype) throw new FsiError('data.insutype 与就诊登记不符');
  reqStr(d, at, 'mdtrt_cert_type', 3);
  reqStr(d, at, 'psn_cert_type', 3);
  const certno = reqStr(d, at, 'certno', 20);
  reqStr(d, at, 'psn_setlway', 6);
  const sum = money(d, at, 'medfee_sumamt');
  let medType: string;
  if (kind === 'outpatient') {
    reqStr(d, at, 'chrg_bchno', 30);
    medType = reqStr(d, at, 'med_type', 6);
    if (m.med_type && medType !== m.med_type) throw new FsiError(`data.med_type ${medType} 与就诊信息上传【2203】的 ${m.med_type} 不符`);
  } else {
    medType = m.med_type!;
    const mid = reqStr(d, at, 'mid_setl_flag', 3);
    if (mid !== '0') throw new FsiError('暂不支持中途结算（mid_setl_flag 应为 0）');
    if (m.state !== 'discharged') throw new FsiError('该人员尚未办理出院【2402】，不能结算');
  }
  const mt = MED_TYPES[medType];
  if (!mt || mt.kind !== kind) throw new FsiError(`医疗类别 ${medType} 不支持${kind === 'outpatient' ? '门诊' : '住院'}结算`);
  const p = (await personBy(db, { psnNo: String(m.person_id) }))!;
  if (certno.toUpperCase() !== p.id_number) throw new FsiError('证件号码与人员编号不符');
  await refuseIfSettled(db, m.mdtrt_id, '该就诊已结算，不能重复结算；如需重新结算请先撤销原结算');
  const fees = await db.selectFrom('fsi_fee').select(['feedetl_sn', 'amount_fen', 'line']).where('mdtrt_id', '=', m.mdtrt_id).where('cancelled_at', 'is', null).where('setl_id', 'is', null).orderBy('feedetl_sn').execute();
  if (!fees.length) throw new FsiError('该就诊没有可结算的费用明细，请先上传费用明细');
  const total = fees.reduce((s, f) => s + Number(f.amount_fen), 0);
  if (total !== sum) throw new FsiError(`医疗费总额 ${yuan(sum)} 与已上传费用明细合计 ${yuan(total)} 不符`);
  // the hospital's own split (2207 sends it), when given, must be the split of the uploaded lines
  const split = classifyLines(fees.map((f) => storedLine(f.feedetl_sn, Number(f.amount_fen), f.line as Obj))).costs;
  for (const [f, v] of [['fulamt_ownpay_amt', split.fullOwnPay], ['overlmt_selfpay', split.overLimitSelfPay], ['preselfpay_amt', split.preSelfPay], ['inscp_scp_amt', split.inScope]] as const)
    if (!empty(d[f]) && money(d, at, f) !== v) throw new FsiError(`data.${f} ${yuan(money(d, at, f))} 与费用明细分割结果 ${yuan(v)} 不符`);
  const date = m.begntime.slice(0, 10);
  const year = Number(date.slice(0, 4));
  const enr = await db.selectFrom('enrollment').select(['state', 'benefit_start', 'benefit_end', 'tier']).where('person_id', '=', p.id).where('coverage_year', '=', year).executeTakeFirst();
  if (!enr || enr.state !== 'paid') throw new FsiError(`该人员 ${year} 年度未参保缴费，不能享受医保待遇`);
  const start = enr.benefit_start ? dayText(enr.benefit_start) : null;
  const end = enr.benefit_end ? dayText(enr.benefit_end) : null;
  if ((start && date < start) || (end && date > end)) throw new FsiError(`就诊日期 ${date} 不在待遇享受期（${start ?? ''} 至 ${end ?? ''}）内，不能结算`);
  if (mt.type === 'chronic_special_outpatient' && !m.dise_codg) throw new FsiError('门诊慢特病就诊须先上传病种编码【2203】');
  const feeLines = fees.map((f) => {
    const l = f.line as Obj;
    const cls = CHRGITM_LV[String(l.chrgitm_lv)] ?? 'A';
    const ratio = empty(l.selfpay_prop) ? undefined : Number(l.selfpay_prop);
    const limit = empty(l.pric_uplmt_amt) ? undefined : Number(l.pric_uplmt_amt);
    return {
      sn: f.feedetl_sn,
      catalogClass: cls,
      amount: Number(f.amount_fen) / 100,
      ...(limit !== undefined ? { quantity: Number(l.cnt), unitPrice: Number(l.pric), priceLimit: limit } : {}),
      ...(ratio ? { selfPayRatio: String(ratio) } : {}),
    };
  });
  const encounter = {
    type: mt.type,
    ...(mt.setting ? { setting: mt.setting } : {}),
    date,
    ...(mt.type === 'chronic_special_outpatient' ? { disease: m.dise_codg! } : {}),
    fees: feeLines,
  };
  return { m, p, medType, encounter, year, tier: enr.tier, period: start && end ? { start, end } : undefined, fees, certType: String(d.mdtrt_cert_type) };
}

export async function preSettle(deps: FsiDeps, db: Db, c: Call, kind: 'outpatient' | 'inpatient') {
  const s = await settlementInput(db, c, kind);
  const hosp = await db.selectFrom('hospital').select('level').where('code', '=', c.hospital).executeTakeFirstOrThrow();
  const statuses = await db
    .selectFrom('needy_status')
    .select('status')
    .where('person_id', '=', s.p.id)
    .where('valid_from', '<=', s.encounter.date)
    .where((w) => w.or([w('valid_to', 'is', null), w('valid_to', '>=', s.encounter.date)]))
    .execute();
  const acc = await db.selectFrom('accumulator').select('data').where('person_id', '=', s.p.id).where('coverage_year', '=', s.year).executeTakeFirst();
  const stored = (acc?.data ?? {}) as Partial<Accumulators>;
  const accumulators = acc ? accumulatorsJson({ ...emptyAccumulators(), ...stored, chronicPaid: { ...(stored.chronicPaid ?? {}) } }) : undefined;
  const known = new Set<string>(NEEDY_STATUSES);
  let q;
  try {
    q = deps.quotes.settlement({
      region: s.p.region,
      coverageYear: s.year,
      ...(s.tier ? { tier: s.tier } : {}),
      person: { statuses: [...new Set(statuses.map((x) => x.status))].filter((x) => known.has(x)).sort(), ...(s.period ? { benefitPeriod: s.period } : {}) },
      encounter: { ...s.encounter, hospitalLevel: hosp.level },
      ...(accumulators ? { accumulators } : {}),
      trace: false,
    });
  } catch (e) {
    const f = chinese(e);
    throw f ?? e;
  }
  return { output: setlOutput(c, s, kind, q.setlinfo, q.setldetail, null, dateTime(new Date())) };
}

export function setlOutput(c: Call, s: SettlementInput, kind: 'outpatient' | 'inpatient', info: SettlementView['setlinfo'], detail: SettlementView['setldetail'], setlId: string | null, setlTime: string, sign = 1) {
  const n = (v: number) => (sign < 0 && v !== 0 ? -v : v);
  return {
    setlinfo: {
      mdtrt_id: s.m.mdtrt_id,
      ...(setlId ? { setl_id: setlId } : {}),
      psn_no: s.p.id,
      psn_name: s.p.name,
      psn_cert_type: PSN_CERT_TYPE_ID,
      certno: s.p.id_number,
      gend: s.p.gender === 'male' ? '1' : '2',
      naty: '',
      brdy: s.p.birth_date,
      age: ageOn(s.p.birth_date, s.encounter.date),
      insutype: INSUTYPE_RESIDENT,
      psn_type: PSN_TYPE_RESIDENT,
      cvlserv_flag: '0',
      setl_time: setlTime,
      mdtrt_cert_type: s.certType,
      med_type: s.medType,
      medfee_sumamt: n(info.medfee_sumamt),
      fulamt_ownpay_amt: n(info.fulamt_ownpay_amt),
      overlmt_selfpay: n(info.overlmt_selfpay),
      preselfpay_amt: n(info.preselfpay_amt),
      inscp_scp_amt: n(info.inscp_scp_amt),
      act_pay_dedc: n(info.act_pay_dedc),
      hifp_pay: n(info.hifp_pay),
      pool_prop_selfpay: info.pool_prop_selfpay,
      cvlserv_pay: 0,
      hifes_pay: 0,
      hifmi_pay: n(info.hifmi_pay),
      hifob_pay: 0,
      maf_pay: n(info.maf_pay),
      oth_pay: 0,
      fund_pay_sumamt: n(info.fund_pay_sumamt),
      psn_part_amt: n(info.psn_part_amt),
      acct_pay: 0,
      psn_cash_pay: n(info.psn_cash_pay),
      hosp_part_amt: 0,
      balc: 0,
      acct_mulaid_pay: 0,
      medins_setl_id: c.env.msgid,
      clr_optins: c.env.mdtrtarea_admvs,
      clr_way: '1',
      clr_type: CLR_TYPE[kind],
      hifdm_pay: 0,
      exp_content: '',
    },
    setldetail: detail.map((x) => ({ fund_pay_type: x.fund_pay_type, inscp_scp_amt: n(x.inscp_scp_amt), crt_payb_lmt_amt: x.crt_payb_lmt_amt ?? 0, fund_payamt: n(x.fund_payamt), fund_pay_type_name: x.fund_pay_type_name, setl_proc_info: x.setl_proc_info })),
  };
}

export async function settle(deps: FsiDeps, db: Db, c: Call, kind: 'outpatient' | 'inpatient') {
  const s = await settlementInput(db, c, kind);
  const externalId = `fsi:${c.env.msgid}`.slice(0, 64);
  const enc = await deps.settlements.createEncounter(c.actor, { idNumber: s.p.id_number, coverageYear: s.year, ...s.encounter, externalId });
  let view: SettlementView;
  try {
    view = await deps.settlements.settle(c.actor, String(enc.id), { trace: false });
  } catch (e) {
    throw chinese(e) ?? e;
  }
  const setlId = `S${view.settlementId}`;
  const now = new Date();
  try {
    await deps.db.transaction().execute(async (tx) => {
      await tx.insertInto('fsi_setl').values({ setl_id: setlId, mdtrt_id: s.m.mdtrt_id, hospital_code: c.hospital, settlement_id: view.settlementId, encounter_id: view.encounterId, msgid: c.env.msgid, setl_time: now as never }).execute();
      await tx.updateTable('fsi_fee').set({ setl_id: setlId }).where('mdtrt_id', '=', s.m.mdtrt_id).where('feedetl_sn', 'in', s.fees.map((f) => f.feedetl_sn)).execute();
    });
  } catch (e) {
    // another settlement of this encounter got there first: undo ours
    await deps.settlements.reverse(c.actor, view.settlementId, { trace: false }).catch(() => undefined);
    if ((e as { code?: string }).code === '23505') throw new FsiError('该就诊已结算，不能重复结算；如需重新结算请先撤销原结算');
    throw e;
  }
  return { output: setlOutput(c, s, kind, view.setlinfo, view.setldetail, setlId, dateTime(now)), effect: { mdtrt_id: s.m.mdtrt_id, setl_id: setlId, settlement_id: view.settlementId } };
}

