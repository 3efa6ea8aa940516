/** Settlement through the platform: 2206 / 2303 pre-settlement (nothing written), 2207 / 2304 settlement, and the setlinfo / setldetail output. */
import { NEEDY_STATUSES } from '../../policy/vocabulary.js';
import { classifyLines } from '../../rules/settlement/costs.js';
import { emptyAccumulators, type Accumulators } from '../../rules/settlement/input.js';
import { accumulatorsJson } from '../../quotes/settlement-request.js';
import type { SettlementView } from '../../settlement/answers.js';
import { CHRGITM_LV, CLR_TYPE, INSUTYPE_RESIDENT, MED_TYPES, PSN_CERT_TYPE_ID, PSN_TYPE_RESIDENT } from './codes.js';
import type { Call, Db, FsiDeps, PersonRow } from './call.js';
import { chinese, dateTime } from './envelope.js';
import { FsiError, ageOn, dayText, empty, money, node, reqStr, str, yuan, type Obj } from './fields.js';
import { encounterFee, netOfRefunds, storedLine } from './fees.js';
import { checkPerson, checkVoucher, personBy } from './persons.js';
import { checkMdtrt, mdtrt } from './visits.js';
import { byMessage, liveOfVisit, setlIdOf, settledSns, stayBefore, type PlatformSettlement } from './platform-settlements.js';
import { ConflictError } from '../../errors.js';

/** The visit a settlement message names, checked: its mdtrt, the person, the medical type, the part (outpatient: the fee batch) and the total sent. */
export async function visitInput(db: Db, c: Call, kind: 'outpatient' | 'inpatient', pre = false, got?: Gathered) {
  const at = 'data';
  const d = node(c.env.input, at);
  const psnNo = reqStr(d, at, 'psn_no', 30);
  const mdtrtId = reqStr(d, at, 'mdtrt_id', 30);
  // the visit and the person it names read at once (mdtrt checks that psn_no is the visit's), or read already with the fee lines (gather)
  const [m, person] = got ? [checkMdtrt(c, got.m, mdtrtId, psnNo, kind), got.person] : await Promise.all([mdtrt(db, c, mdtrtId, psnNo, kind), personBy(db, { psnNo })]);
  // a visit of a person insured in another area is settled by that area (src/areas/treating.ts), never here
  if (m.insuplc_admdvs) throw new FsiError(`该就诊人员的参保地为 ${m.insuplc_admdvs}，结算报文应填写参保地医保区划 insuplc_admdvs ${m.insuplc_admdvs}（异地就医直接结算）`);
  const insutype = str(d, at, 'insutype', 6, false) ?? m.insutype;
  if (insutype !== m.insutype) throw new FsiError('data.insutype 与就诊登记不符');
  // the person is the visit's: certificate fields are optional, and checked against the register when sent
  const certType = str(d, at, 'mdtrt_cert_type', 3, false) ?? '02';
  str(d, at, 'psn_setlway', 6, false);
  const sum = money(d, at, 'medfee_sumamt');
  let medType: string;
  let part = '';
  if (kind === 'outpatient') {
    part = reqStr(d, at, 'chrg_bchno', 30);
    medType = reqStr(d, at, 'med_type', 6);
    if (m.med_type && medType !== m.med_type) throw new FsiError(`data.med_type ${medType} 与就诊信息上传【2203】的 ${m.med_type} 不符`);
  } else {
    medType = m.med_type!;
    // mid_setl_flag 1: a mid-stay settlement (中途结算) of the lines uploaded so far, the stay still open; 0: the discharge settlement of the rest
    const mid = str(d, at, 'mid_setl_flag', 3, false) ?? '0';
    if (mid !== '0' && mid !== '1') throw new FsiError('data.mid_setl_flag 应为 0（出院结算）或 1（中途结算）');
    if (mid === '1') {
      if (m.state !== 'open') throw new FsiError('中途结算只适用于在院人员；已出院请以 mid_setl_flag 0 办理出院结算');
      part = await nextMidPart(db, m.mdtrt_id);
    } else if (!pre && m.state !== 'discharged') throw new FsiError('该人员尚未办理出院【2402】，不能结算（在院期间可中途结算：mid_setl_flag 1；出院前可试算【2303】）');
  }
  const mt = MED_TYPES[medType];
  if (!mt || mt.kind !== kind) throw new FsiError(`医疗类别 ${medType} 不支持${kind === 'outpatient' ? '门诊' : '住院'}结算`);
  const p = person!;
  checkPerson(d, at, p);
  await checkVoucher(db, d, at, p);
  const date = m.begntime.slice(0, 10);
  return { d, m, p, medType, mt, sum, part, date, year: Number(date.slice(0, 4)), encounter: { date }, certType };
}
export type VisitInput = Awaited<ReturnType<typeof visitInput>>;

/** The part a new mid-stay settlement of the stay settles: M1, M2, … (one past the highest live one). */
async function nextMidPart(db: Db, mdtrtId: string): Promise<string> {
  const rows = await db.selectFrom('settlement').select('visit_part').where('visit', '=', mdtrtId).where('reversed_at', 'is', null).where('visit_part', 'like', 'M%').execute();
  const n = rows.reduce((mx, r) => Math.max(mx, Number(String(r.visit_part).slice(1)) || 0), 0);
  return `M${n + 1}`;
}

/** What a settlement of the visit's part would settle: its fee lines not yet settled (their total must be the one sent), and the person's enrollment. */
export async function settlementInput(db: Db, c: Call, kind: 'outpatient' | 'inpatient', v?: VisitInput) {
  const vi = v ?? (await visitInput(db, c, kind));
  const { m, p, part, year } = vi;
  let feeQ = db.selectFrom('fsi_fee').select(['feedetl_sn', 'amount_fen', 'line']).where('mdtrt_id', '=', m.mdtrt_id).where('cancelled_at', 'is', null).where('feedetl_sn', 'not in', settledSns(m.mdtrt_id));
  if (kind === 'outpatient') feeQ = feeQ.where('chrg_bchno', '=', part);
  // the fee lines and the enrollment read at once; checked in this order
  const [feeRows, enr] = await Promise.all([
    feeQ.orderBy('feedetl_sn').execute(),
    db.selectFrom('enrollment').select(['state', 'benefit_start', 'benefit_end', 'tier']).where('person_id', '=', p.id).where('coverage_year', '=', year).executeTakeFirst(),
  ]);
  const { fees, encounter } = feeInput(c, kind, vi, feeRows);
  const { start, end } = lastChecks(vi, enr);
  return { ...vi, encounter, tier: enr!.tier, period: start && end ? { start, end } : undefined, fees };
}
export type SettlementInput = Awaited<ReturnType<typeof settlementInput>>;

/** The part's fee lines not yet settled, checked: some there, their total the one sent, the hospital's split (when sent) theirs; the encounter they make. */
export function feeInput(c: Call, kind: 'outpatient' | 'inpatient', vi: VisitInput, feeRows: { feedetl_sn: string; amount_fen: string | number; line: unknown }[]) {
  const at = 'data';
  const { d, m, mt, sum, part, date } = vi;
  const fees = netOfRefunds(feeRows);
  if (!fees.length) throw new FsiError(kind === 'outpatient' ? `该就诊收费批次 ${part} 没有可结算的费用明细，请先上传费用明细` : '该就诊没有可结算的费用明细，请先上传费用明细');
  const total = fees.reduce((s, f) => s + Number(f.amount_fen), 0);
  if (total !== sum) throw new FsiError(`医疗费总额 ${yuan(sum)} 与已上传费用明细合计 ${yuan(total)} 不符`);
  // the hospital's own split (2207 sends it), when given, must be the split of the uploaded lines
  const split = classifyLines(fees.map((f) => storedLine(f.feedetl_sn, Number(f.amount_fen), f.line as Obj))).costs;
  // (0 is what a client that does not compute the split sends: not an assertion)
  for (const [f, val] of [['fulamt_ownpay_amt', split.fullOwnPay], ['overlmt_selfpay', split.overLimitSelfPay], ['preselfpay_amt', split.preSelfPay], ['inscp_scp_amt', split.inScope]] as const)
    if (!empty(d[f]) && money(d, at, f) !== 0 && money(d, at, f) !== val) throw new FsiError(`data.${f} ${yuan(money(d, at, f))} 与费用明细分割结果 ${yuan(val)} 不符`);
  const feeLines = fees.map((f) => {
    const l = f.line as Obj;
    const cls = CHRGITM_LV[String(l.chrgitm_lv)] ?? 'A';
    return encounterFee(f.feedetl_sn, cls, Number(f.amount_fen), Number(l.cnt), Number(l.pric), empty(l.pric_uplmt_amt) ? null : Number(l.pric_uplmt_amt), empty(l.selfpay_prop) ? null : Number(l.selfpay_prop));
  });
  const encounter = {
    type: mt.type,
    ...(mt.setting ? { setting: mt.setting } : {}),
    date,
    ...(mt.type === 'chronic_special_outpatient' ? { disease: m.dise_codg! } : {}),
    fees: feeLines,
  };
  return { fees, encounter };
}

/** The person's enrollment for the visit's year (paid, the visit's date in its benefit period) and, for 门诊慢特病, the disease uploaded: checked after the fee lines. */
export function lastChecks(vi: VisitInput, enr: { state: string | null; benefit_start: unknown; benefit_end: unknown } | undefined) {
  const { m, mt, date, year } = vi;
  if (!enr || enr.state !== 'paid') throw new FsiError(`该人员 ${year} 年度未参保缴费，不能享受医保待遇`);
  const start = enr.benefit_start ? dayText(enr.benefit_start) : null;
  const end = enr.benefit_end ? dayText(enr.benefit_end) : null;
  if ((start && date < start) || (end && date > end)) throw new FsiError(`就诊日期 ${date} 不在待遇享受期（${start ?? ''} 至 ${end ?? ''}）内，不能结算`);
  if (mt.type === 'chronic_special_outpatient' && !m.dise_codg) throw new FsiError('门诊慢特病就诊须先上传病种编码【2203】');
  return { start, end };
}

/** What a settlement message's visit is read with: the visit row, the person, the part's fee lines not yet settled. */
export interface Gathered {
  m: (Omit<Awaited<ReturnType<typeof mdtrt>>, never>) | undefined;
  person: PersonRow | undefined;
  fees: { feedetl_sn: string; amount_fen: number; line: unknown }[];
}

const gatherSql = (outpatient: boolean) => `
  SELECT m.*, p.id::text AS p_id, p.id_number AS p_id_number, p.name AS p_name, p.gender AS p_gender, p.birth_date AS p_birth_date, p.region AS p_region, p.kind AS p_kind,
         (SELECT COALESCE(json_agg(json_build_object('feedetl_sn', f.feedetl_sn, 'amount_fen', f.amount_fen, 'line', f.line) ORDER BY f.feedetl_sn), '[]'::json)
            FROM fsi_fee f
           WHERE f.mdtrt_id = $1::text AND f.cancelled_at IS NULL${outpatient ? ' AND f.chrg_bchno = $3::text' : ''}
             AND f.feedetl_sn NOT IN (SELECT l->>'sn' FROM settlement s JOIN encounter e ON e.id = s.encounter_id CROSS JOIN LATERAL jsonb_array_elements(COALESCE(e.lines, '[]'::jsonb)) l
                                       WHERE s.visit = $1::text AND s.reversed_at IS NULL)) AS p_fees
    FROM (SELECT 1) AS one
    LEFT JOIN fsi_mdtrt m ON m.mdtrt_id = $1::text
    LEFT JOIN (SELECT pp.id, pp.id_number, pp.name, pp.gender, pp.birth_date, pp.kind, a.region FROM person pp JOIN admin_area a ON a.code = pp.village_code WHERE pp.id = $2::bigint) p ON true`;
const GATHER = { outpatient: gatherSql(true), inpatient: gatherSql(false) };

/**
 * One statement (named, prepared once per connection) for what a 2207 / 2304 reads of the
 * platform's records: the visit, the person it names, and the part's fee lines not yet settled
 * (outpatient: the fee batch sent; inpatient: the stay's) — what visitInput and settlementInput
 * read in four queries.
 */
async function gather(deps: FsiDeps, c: Call, kind: 'outpatient' | 'inpatient'): Promise<Gathered> {
  const at = 'data';
  const d = node(c.env.input, at);
  const psnNo = reqStr(d, at, 'psn_no', 30);
  const mdtrtId = reqStr(d, at, 'mdtrt_id', 30);
  const values: unknown[] = [mdtrtId, /^[1-9]\d{0,17}$/.test(psnNo) ? psnNo : null];
  if (kind === 'outpatient') values.push(reqStr(d, at, 'chrg_bchno', 30));
  const { rows } = await deps.pool.query({ name: `yibao_fsi_gather_${kind}`, text: GATHER[kind], values });
  const r = rows[0] as Record<string, unknown>;
  const person: PersonRow | undefined = r.p_id == null ? undefined : { id: String(r.p_id), id_number: String(r.p_id_number), name: String(r.p_name), gender: r.p_gender as PersonRow['gender'], birth_date: dayText(r.p_birth_date), region: String(r.p_region), kind: String(r.p_kind) };
  const fees = r.p_fees as Gathered['fees'];
  const m = Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('p_')));
  return { m: m.mdtrt_id == null ? undefined : (m as unknown as Gathered['m']), person, fees };
}

export async function preSettle(deps: FsiDeps, db: Db, c: Call, kind: 'outpatient' | 'inpatient') {
  const v = await visitInput(db, c, kind, true);
  if (await liveOfVisit(db, v.m.mdtrt_id, v.part)) throw new FsiError(ALREADY_SETTLED);
  const s = await settlementInput(db, c, kind, v);
  const hosp = await db.selectFrom('hospital').select('level').where('code', '=', c.hospital).executeTakeFirstOrThrow();
  const statuses = await db
    .selectFrom('needy_status')
    .select('status')
    .where('person_id', '=', s.p.id)
    .where('valid_from', '<=', s.encounter.date)
    .where((w) => w.or([w('valid_to', 'is', null), w('valid_to', '>=', s.encounter.date)]))
    .execute();
  const acc = await db.selectFrom('accumulator').select('data').where('person_id', '=', s.p.id).where('coverage_year', '=', s.year).executeTakeFirst();
  // the discharge (or a later mid-stay) settlement of a stay settled in part shares its deductible
  const stay = kind === 'inpatient' ? await stayBefore(db, s.m.mdtrt_id, s.part) : undefined;
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
      encounter: { ...s.encounter, hospitalLevel: hosp.level, ...(stay ? { stay } : {}) },
      ...(accumulators ? { accumulators } : {}),
      trace: false,
    });
  } catch (e) {
    const f = chinese(e);
    throw f ?? e;
  }
  return { output: setlOutput(c, s, kind, q.setlinfo, q.setldetail, null, dateTime(new Date())) };
}

export function setlOutput(c: Call, s: { m: { mdtrt_id: string }; p: PersonRow; medType: string; encounter: { date: string }; certType: string }, kind: 'outpatient' | 'inpatient', info: SettlementView['setlinfo'], detail: SettlementView['setldetail'], setlId: string | null, setlTime: string, sign = 1) {
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

const ALREADY_SETTLED = '该就诊已结算，不能重复结算；如需重新结算请先撤销原结算';

/** The answer of a settlement already made: the setlinfo and setldetail stored with it, as the message that made it was answered. */
function answerOf(c: Call, v: VisitInput, kind: 'outpatient' | 'inpatient', ps: PlatformSettlement, which: 'live' | 'first') {
  const s = ps[which]!;
  return {
    output: setlOutput({ ...c, env: { ...c.env, msgid: ps.msgid ?? c.env.msgid } }, v, kind, s.result.setlinfo, s.result.setldetail, ps.setlId, dateTime(s.settledAt)),
    effect: { mdtrt_id: v.m.mdtrt_id, setl_id: ps.setlId, settlement_id: s.id, encounter_id: ps.encounterId },
  };
}

/**
 * 2207 / 2304: settle a visit's part once, whatever the hospital sends. The same message again
 * (after a crash, or while the first is still running) finds the settlement it made and
 * answers it; another message for a part already settled gets that settlement when it asks for
 * the same total, and is refused otherwise. Two messages at once for one part: the database
 * lets one settlement of the part live (settlement_live_visit) in the statement that writes
 * it, and the other is answered with it. Nothing is undone to make this so.
 */
export async function settle(deps: FsiDeps, _db: Db, c: Call, kind: 'outpatient' | 'inpatient') {
  const db = deps.db;
  // a message claimed afresh cannot have made a settlement yet; one sent again may have (a crash before its reply)
  const [g, mine] = await Promise.all([gather(deps, c, kind), c.fresh ? undefined : byMessage(db, c.hospital, c.env.msgid)]);
  const v = await visitInput(db, c, kind, false, g);
  if (mine?.first) return answerOf(c, v, kind, mine, 'first');
  if (mine && kind === 'inpatient') v.part = mine.part; // a mid-stay settlement this message began (a crash before it settled)
  const existing = async () => {
    const live = await liveOfVisit(db, v.m.mdtrt_id, v.part);
    if (!live) return null;
    if (Math.round(live.live!.result.setlinfo.medfee_sumamt * 100) !== v.sum) throw new FsiError(ALREADY_SETTLED);
    return answerOf(c, v, kind, live, 'live');
  };
  // a part already settled has no fee lines left to settle: settlementInput refuses, and the catch below answers with it
  let s: ReturnType<typeof feeInput>;
  let level: string;
  try {
    s = feeInput(c, kind, v, g.fees);
    level = await deps.levels.of(db, c.hospital);
  } catch (e) {
    // another message for the part may have settled its fee lines since we looked: then that is the answer
    const other = e instanceof FsiError ? await existing() : null;
    if (other) return other;
    throw e;
  }
  const externalId = `fsi:${c.env.msgid}`;
  const visit = { id: v.m.mdtrt_id, part: v.part };
  let made: { view: SettlementView; settledAt: Date; encounterId: string };
  try {
    // the settlement's context read (the enrollment checked on it), then the encounter, its audit row and the settlement in one statement
    made = await deps.settlements.settleNewEncounter(c.actor, { idNumber: v.p.id_number, coverageYear: v.year, ...s.encounter, externalId }, visit, { person: { id: v.p.id, region: v.p.region }, hospitalLevel: level }, (ctx) =>
      void lastChecks(v, { state: ctx.enrollmentState, benefit_start: ctx.benefitStart, benefit_end: ctx.benefitEnd }),
    );
  } catch (e) {
    if (e instanceof ConflictError && (e.code === 'ALREADY_SETTLED' || e.code === 'VISIT_SETTLED')) {
      const again = await byMessage(db, c.hospital, c.env.msgid);
      if (again?.first) return answerOf(c, v, kind, again, 'first');
      const other = await existing();
      if (other) return other;
    }
    throw chinese(e) ?? e;
  }
  // the answer from the settlement just made (as byMessage would read it back: setl_id S<encounter>, its settled_at)
  const first = { id: made.view.settlementId, result: made.view, settledAt: made.settledAt, reversalRef: null };
  const encounterId = made.encounterId;
  const ps: PlatformSettlement = { setlId: setlIdOf({ id: encounterId, setl_id: null }), encounterId, mdtrtId: visit.id, part: visit.part, hospitalCode: c.hospital, personId: v.p.id, live: first, first, msgid: c.env.msgid };
  return answerOf(c, v, kind, ps, 'first');
}
