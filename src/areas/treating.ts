/**
 * The treating area's side (就医地): a hospital here sends an ordinary 2207 / 2304 for a person
 * whose insuplc_admdvs is another area. This desk splits the fee lines by this area's catalogue
 * (the same split as a local settlement), asks the insured area to settle them by its own pack,
 * records the answer by the cross-area settlement id and answers the hospital in the same
 * envelope as a local settlement. The claim is written (pending) before the insured area is
 * asked: the same message again finds it and asks again with the same id (the insured area
 * answers what it stored), and recovery.ts resolves a claim left pending (recorded if the insured
 * area settled it, else cancelled there and abandoned here). 2208 / 2305 of such a
 * settlement reverse it in the insured area first, then here.
 *
 * The ordinary sequence works for such a person as for a local one: 1101 is answered by the
 * insured area (request/reply), 2201 / 2401 register the visit here for the insured area's person
 * (after the filing check here), 2204 / 2301 store its fee lines here, classified by this area's
 * catalogue (就医地目录, fees.ts lineClass), and 2207 / 2304 settle the stored lines through the
 * insured area. A message may also carry its lines itself (feedetail, with data.begntime and the
 * person's certno): they are classified by the same catalogue. Either way the insured area gets
 * the classified lines (class, price cap, self-pay share), never a class the client chose for a
 * code the catalogue knows.
 */
import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { audit } from '../access/audit.js';
import type { Actor } from '../access/roles.js';
import { classifyLines } from '../rules/settlement/costs.js';
import type { AwayDesk, Call, Db as FsiDb, PersonRow } from '../hospitals/fsi/call.js';
import type { DB } from '../store/schema.js';
import { MED_TYPES } from '../hospitals/fsi/codes.js';
import { dateTime, replyOf, type Envelope, type Reply } from '../hospitals/fsi/envelope.js';
import { feeLineOf, hospitalRegion, lineClass, netOfRefunds, storedLine } from '../hospitals/fsi/fees.js';
import { FsiError, dateTimeField, decimal, empty, list, money, node, reqStr, str, type Obj } from '../hospitals/fsi/fields.js';
import { awayOf, checkMdtrt } from '../hospitals/fsi/visits.js';
import { filingInForce } from './filing.js';
import { setlOutput } from '../hospitals/fsi/settle.js';
import { AreaUnreachableError, type AreaLink } from './link.js';
import type { ClaimAnswer, ClassifiedLine, PersonAnswer, PersonRequest, ReverseAnswer, SettleAnswer, SettleRequest } from './protocol.js';
import type { PhaseLog, PhaseTimer } from './phases.js';
import { plain, withAreas, type AreasDB } from './tables.js';

const SETTLE = new Set(['2207', '2304']);
const REVERSE = new Set(['2208', '2305']);

export const unreachable = (area: string) => `参保地 ${area} 医保系统暂时无法访问，交易未完成、未记账；可稍后以同一报文ID重试，或按全自费（现金）结算`;

/** The cross-area settlement id of a hospital's message: the same message always names the same id. */
export const setlIdOf = (area: string, hospital: string, msgid: string) => `XA${area}${createHash('sha256').update(`${area}|${hospital}|${msgid}`).digest('hex').slice(0, 20).toUpperCase()}`;

/** A hospital of this area as its register holds it. */
interface Hospital {
  code: string;
  name: string;
  level: string;
}

/** What the hospital's answer shows of the visit (kept with the claim). */
interface View {
  mdtrtId: string;
  certType: string;
  medType: string;
  date: string;
}

/** A visit to settle: the person as the insured area knows them, and its classified lines. */
interface Visit {
  certType: string;
  idNumber: string;
  name: string;
  medType: string;
  begntime: string;
  disease: string | null;
  lines: ClassifiedLine[];
}

/** The fee lines (feedetl_sn) of a visit that a live claim (pending or settled) of the hospital carries. */
const claimedSns = (hospital: string, mdtrtId: string) =>
  sql<string>`(SELECT l->>'sn' FROM area_claim c CROSS JOIN LATERAL jsonb_array_elements(COALESCE(c.request->'lines', '[]'::jsonb)) l
                WHERE c.hospital_code = ${hospital} AND c.request->'view'->>'mdtrtId' = ${mdtrtId} AND c.state IN ('pending', 'settled'))`;

interface Parsed {
  req: SettleRequest;
  mdtrtId: string;
  certType: string;
}

export class TreatingDesk implements AwayDesk {
  constructor(
    readonly area: string,
    private readonly db: Kysely<AreasDB>,
    private readonly link: AreaLink,
    /** the bench's phase timings (phases.ts); none in service */
    private readonly phases: PhaseLog | null = null,
  ) {}

  insuredElsewhere(env: Envelope): string | null {
    const b = env.insuplc_admdvs;
    return typeof b === 'string' && /^\d{6}$/.test(b) && b !== this.area ? b : null;
  }

  /** 1101 for a person of another area: that area's own 1101 answer (request/reply). */
  async personInfo(env: Envelope, received: Date): Promise<Obj> {
    const area = this.insuredElsewhere(env)!;
    const a = await this.ask(area, { input: env.input, received: received.toISOString(), treatArea: this.area });
    return a.output!;
  }

  /** The person a visit registration names by the insured area's psn_no, and the filing in force here for them on the day. */
  async visitPerson(db: FsiDb, env: Envelope, psnNo: string, kind: 'outpatient' | 'inpatient', day: string): Promise<{ person: PersonRow; filingId: string | null }> {
    const area = this.insuredElsewhere(env)!;
    const p = (await this.ask(area, { psnNo, treatArea: this.area })).person!;
    const f = await filingInForce(withAreas(db as Kysely<DB>), { insuredArea: area, treatArea: this.area, idNumber: p.id_number, kind, date: day }).executeTakeFirst();
    return { person: { ...p, birth_date: String(p.birth_date) }, filingId: f?.filing_id ?? null };
  }

  async claimedLines(db: FsiDb, hospital: string, mdtrtId: string): Promise<string[]> {
    const { rows } = await sql<{ sn: string }>`SELECT sn FROM ${claimedSns(hospital, mdtrtId)} AS c(sn)`.execute(db);
    return rows.map((r) => r.sn);
  }

  /** A person request to the insured area; its refusal or its being unreachable as the envelope's error. */
  private async ask(area: string, body: PersonRequest): Promise<Extract<PersonAnswer, { ok: true }>> {
    let a: PersonAnswer;
    try {
      a = await this.link.request<PersonAnswer>(area, 'person', body);
    } catch (e) {
      if (e instanceof AreaUnreachableError) throw new FsiError(unreachable(e.area));
      throw e;
    }
    if (!a.ok) throw new FsiError(a.refused);
    return a;
  }

  async claims(env: Envelope): Promise<boolean> {
    if (SETTLE.has(env.infno)) return typeof env.insuplc_admdvs === 'string' && /^\d{6}$/.test(env.insuplc_admdvs) && env.insuplc_admdvs !== this.area;
    if (REVERSE.has(env.infno)) {
      const d = env.input?.data as Obj | undefined;
      const id = d && typeof d === 'object' ? d.setl_id : undefined;
      if (typeof id !== 'string' || !id.startsWith('XA')) return false;
      return !!(await this.db.selectFrom('area_claim').select('setl_id').where('setl_id', '=', id).executeTakeFirst());
    }
    return false;
  }

  async call(env: Envelope, actor: Actor, received: Date, hospital?: Hospital | null): Promise<Reply> {
    const refuse = (m: string) => replyOf(received, env.mdtrtarea_admvs, false, null, m);
    try {
      return SETTLE.has(env.infno) ? await this.settle(env, actor, received, hospital) : await this.reverse(env, actor, received);
    } catch (e) {
      if (e instanceof FsiError) return refuse(e.message);
      if (e instanceof AreaUnreachableError) return refuse(unreachable(e.area));
      return refuse('系统内部错误，交易未完成，请稍后以同一报文ID重试');
    }
  }

  /** The sending hospital (`hospital`: as the gateway's preflight read it; undefined: read here; null: not registered). */
  private async hospitalOf(env: Envelope, hospital: Hospital | null | undefined): Promise<Hospital> {
    const h = hospital !== undefined ? hospital : await this.db.selectFrom('hospital').select(['code', 'name', 'level']).where('code', '=', String(env.fixmedins_code)).executeTakeFirst();
    if (!h) throw new FsiError(`定点医药机构 ${env.fixmedins_code} 未在就医地登记`);
    return h;
  }

  private async parse(env: Envelope, kind: 'outpatient' | 'inpatient', h: Hospital): Promise<Parsed> {
    const at = 'data';
    const d = node(env.input, at);
    const mdtrtId = reqStr(d, at, 'mdtrt_id', 30);
    const insutype = str(d, at, 'insutype', 6, false) ?? '390';
    if (insutype !== '390') throw new FsiError('data.insutype 应为 390 城乡居民基本医疗保险');
    reqStr(d, at, 'psn_setlway', 6);
    if (kind === 'inpatient' && (str(d, at, 'mid_setl_flag', 3, false) ?? '0') !== '0') throw new FsiError('暂不支持中途结算（mid_setl_flag 应为 0）');
    const sum = money(d, at, 'medfee_sumamt');
    // the visit and its lines: registered here (2201 / 2401, 2204 / 2301: the ordinary sequence), or sent in the message (feedetail)
    const v = Array.isArray(env.input.feedetail) ? await this.sentVisit(env, d, h) : await this.storedVisit(env, d, kind, h, mdtrtId);
    const mt = MED_TYPES[v.medType];
    if (!mt || mt.kind !== kind) throw new FsiError(`医疗类别 ${v.medType} 不支持${kind === 'outpatient' ? '门诊' : '住院'}结算`);
    if (mt.type === 'chronic_special_outpatient' && !v.disease) throw new FsiError('门诊慢特病异地结算须传入病种编码 data.dise_codg');
    const total = v.lines.reduce((t, l) => t + l.amount, 0);
    if (!v.lines.length) throw new FsiError('该就诊没有可结算的费用明细，请先上传费用明细');
    if (total !== sum) throw new FsiError(`医疗费总额 ${(sum / 100).toFixed(2)} 与费用明细合计 ${(total / 100).toFixed(2)} 不符`);
    const split = classifyLines(v.lines.map((l) => feeLineOf(l.sn, l.catalogClass, l.amount, l.cnt, l.pric, l.priceLimitFen === null ? null : l.priceLimitFen / 100, l.selfPayRatio))).costs;
    const req: SettleRequest = {
      setlId: setlIdOf(this.area, h.code, env.msgid),
      treatArea: this.area,
      hospital: { code: h.code, name: h.name, level: h.level as SettleRequest['hospital']['level'] },
      kind,
      medType: v.medType,
      type: mt.type,
      setting: mt.setting ?? null,
      date: v.begntime.slice(0, 10),
      idNumber: v.idNumber,
      name: v.name,
      disease: v.disease,
      costs: { total: sum, fullOwnPay: split.fullOwnPay, overLimitSelfPay: split.overLimitSelfPay, preSelfPay: split.preSelfPay, inScope: split.inScope },
      lines: v.lines,
    };
    return { req, mdtrtId, certType: v.certType };
  }

  /**
   * The visit as the message itself carries it (data and feedetail; the person not registered
   * here): each line classified by this area's catalogue as a local 2204 line is (fees.ts lineClass).
   */
  private async sentVisit(env: Envelope, d: Obj, h: Hospital): Promise<Visit> {
    const at = 'data';
    const certType = reqStr(d, at, 'mdtrt_cert_type', 3);
    reqStr(d, at, 'psn_cert_type', 3);
    const idNumber = reqStr(d, at, 'certno', 20).toUpperCase();
    const name = str(d, at, 'psn_name', 50, false) ?? '';
    const medType = reqStr(d, at, 'med_type', 6);
    const begntime = dateTimeField(d, at, 'begntime')!;
    const region = await hospitalRegion(plain(this.db), h.code);
    const seen = new Set<string>();
    const lines: ClassifiedLine[] = [];
    for (const [i, x] of list(env.input, 'feedetail').entries()) {
      const a = `feedetail[${i}]`;
      const sn = reqStr(x, a, 'feedetl_sn', 30);
      if (seen.has(sn)) throw new FsiError(`${a}.feedetl_sn ${sn} 重复`);
      seen.add(sn);
      const amount = money(x, a, 'det_item_fee_sumamt');
      if (amount < 0) throw new FsiError(`${a}.det_item_fee_sumamt 不能为负数`);
      const cnt = decimal(x, a, 'cnt', 4, true)!;
      const pric = decimal(x, a, 'pric', 6, true)!;
      if (Math.abs(Math.round(cnt * pric * 100) - amount) > 1) throw new FsiError(`${a}.det_item_fee_sumamt 与数量×单价不符`);
      const code = reqStr(x, a, 'med_list_codg', 50).trim();
      const day = (dateTimeField(x, a, 'fee_ocur_time', false) ?? begntime).slice(0, 10);
      const { cls, ratio, limit } = await lineClass(plain(this.db), x, a, code, region, day);
      lines.push({ sn, code, catalogClass: cls, amount, cnt, pric, priceLimitFen: limit === null ? null : Math.round(limit * 100), selfPayRatio: ratio });
    }
    return { certType, idNumber, name, medType, begntime, disease: str(d, at, 'dise_codg', 30, false), lines };
  }

  /**
   * The visit registered here for the person insured elsewhere (2201 / 2401, migration 054) and
   * its uploaded lines (2204 / 2301, classified by this area's catalogue when uploaded) not yet
   * in a live claim: an outpatient visit's fee batch (chrg_bchno), an inpatient stay's lines
   * once discharged (2402).
   */
  private async storedVisit(env: Envelope, d: Obj, kind: 'outpatient' | 'inpatient', h: Hospital, mdtrtId: string): Promise<Visit> {
    const at = 'data';
    const db = plain(this.db);
    const m = await db.selectFrom('fsi_mdtrt').selectAll().where('mdtrt_id', '=', mdtrtId).executeTakeFirst();
    const c = { hospital: h.code } as Call;
    checkMdtrt(c, m, mdtrtId, reqStr(d, at, 'psn_no', 30), kind);
    const away = awayOf(m!);
    if (!away || away.area !== String(env.insuplc_admdvs)) throw new FsiError(`就诊ID ${mdtrtId} 的参保地不是 ${String(env.insuplc_admdvs)}`);
    const certType = str(d, at, 'mdtrt_cert_type', 3, false) ?? '02';
    let medType: string;
    let part = '';
    if (kind === 'outpatient') {
      part = reqStr(d, at, 'chrg_bchno', 30);
      medType = reqStr(d, at, 'med_type', 6);
      if (m!.med_type && medType !== m!.med_type) throw new FsiError(`data.med_type ${medType} 与就诊信息上传【2203】的 ${m!.med_type} 不符`);
    } else {
      medType = m!.med_type!;
      if (m!.state !== 'discharged') throw new FsiError('该人员尚未办理出院【2402】，不能结算');
    }
    const rows = await this.db
      .selectFrom('fsi_fee')
      .select(['feedetl_sn', 'amount_fen', 'line'])
      .where('mdtrt_id', '=', mdtrtId)
      .where('cancelled_at', 'is', null)
      .$if(kind === 'outpatient', (q) => q.where('chrg_bchno', '=', part))
      .where('feedetl_sn', 'not in', claimedSns(h.code, mdtrtId))
      .orderBy('feedetl_sn')
      .execute();
    const lines = netOfRefunds(rows).map((r): ClassifiedLine => {
      const l = r.line as Obj;
      const f = storedLine(r.feedetl_sn, Number(r.amount_fen), l);
      const cap = empty(l.pric_uplmt_amt) ? null : Math.round(Number(l.pric_uplmt_amt) * 100);
      return { sn: f.sn, code: String(l.med_list_codg ?? ''), catalogClass: f.catalogClass, amount: f.amount, cnt: Number(l.cnt), pric: Number(l.pric), priceLimitFen: cap, selfPayRatio: empty(l.selfpay_prop) ? null : Number(l.selfpay_prop) };
    });
    return { certType, idNumber: away.person.id_number, name: away.person.name, medType, begntime: m!.begntime, disease: str(d, at, 'dise_codg', 30, false) ?? m!.dise_codg, lines };
  }

  private output(env: Envelope, p: { mdtrtId: string; certType: string; medType: string; date: string }, kind: 'outpatient' | 'inpatient', a: Extract<SettleAnswer, { ok: true }>, sign = 1, at?: Date) {
    const person: PersonRow = { id: a.person.psnNo, id_number: a.person.idNumber, name: a.person.name, gender: a.person.gender, birth_date: a.person.birthDate, region: '' };
    const c = { env } as Call;
    const out = setlOutput(c, { m: { mdtrt_id: p.mdtrtId }, p: person, medType: p.medType, encounter: { date: p.date }, certType: p.certType }, kind, a.setlinfo, a.setldetail, a.setlId, dateTime(at ?? new Date(a.setlTime)), sign);
    const info = out.setlinfo as Obj;
    info.insuplc_admdvs = String(env.insuplc_admdvs ?? '');
    info.exp_content = JSON.stringify({ cross_area: true, basis: a.basis });
    return out;
  }

  private async settle(env: Envelope, actor: Actor, received: Date, hospital: Hospital | null | undefined): Promise<Reply> {
    const t = this.phases?.begin('treating', '', { envelope: Date.now() - received.getTime() }) ?? null;
    try {
      return await this.settleTimed(env, actor, received, hospital, t);
    } finally {
      t?.end({ msgid: env.msgid });
    }
  }

  private async settleTimed(env: Envelope, actor: Actor, received: Date, hospital: Hospital | null | undefined, t: PhaseTimer | null): Promise<Reply> {
    const kind = env.infno === '2207' ? 'outpatient' : 'inpatient';
    const insured = String(env.insuplc_admdvs);
    const h = await this.hospitalOf(env, hospital);
    const setlId = setlIdOf(this.area, h.code, env.msgid);
    if (t) t.id = setlId;
    const fail = (m: string) => replyOf(received, env.mdtrtarea_admvs, false, null, m);
    // the same message again: its claim (its lines are in it, so they are not read again)
    let claim = await this.db.selectFrom('area_claim').selectAll().where('setl_id', '=', setlId).executeTakeFirst();
    let req: SettleRequest;
    let view: View;
    if (claim) ({ view, ...req } = claim.request as SettleRequest & { view: View });
    else {
      const parsed = await this.parse(env, kind, h);
      req = parsed.req;
      view = { mdtrtId: parsed.mdtrtId, certType: parsed.certType, medType: req.medType, date: req.date };
    }
    t?.lap('parse');
    const ok = (a: Extract<SettleAnswer, { ok: true }>) => replyOf(received, env.mdtrtarea_admvs, true, this.output(env, view, kind, a));

    // the claim, or the one the same message made meanwhile (one round trip when new)
    claim ??=
      (await this.db
        .insertInto('area_claim')
        .values({ setl_id: req.setlId, hospital_code: req.hospital.code, msgid: env.msgid, insured_area: insured, kind, state: 'pending', request: JSON.stringify({ ...req, view }) })
        .onConflict((oc) => oc.column('setl_id').doNothing())
        .returningAll()
        .executeTakeFirst()) ?? (await this.db.selectFrom('area_claim').selectAll().where('setl_id', '=', req.setlId).executeTakeFirstOrThrow());
    t?.lap('claim');
    const answered = this.answered(claim);
    if (answered) return answered.ok ? ok(answered) : fail(answered.refused);

    const a = await this.link.request<SettleAnswer>(insured, 'settle', req);
    t?.lap('request');
    const done = await this.record(req.setlId, insured, a, actor, t);
    const out = done.ok ? ok(done) : fail(done.refused);
    t?.lap('output');
    return out;
  }

  /** Claims still pending `graceMs` after they were last touched (for recovery.ts). */
  async pending(graceMs: number) {
    return this.db.selectFrom('area_claim').select(['setl_id', 'insured_area', 'hospital_code']).where('state', '=', 'pending').where('updated_at', '<', new Date(Date.now() - graceMs)).orderBy('updated_at').limit(100).execute();
  }

  /** This side's state of a claim, for the insured area's recovery. */
  async claimState(setlId: string): Promise<ClaimAnswer> {
    const c = await this.db.selectFrom('area_claim').select('state').where('setl_id', '=', String(setlId)).executeTakeFirst();
    return { setlId, state: c?.state ?? 'none' };
  }

  /** What a claim was answered (null: still pending). */
  private answered(claim: { state: string; result: unknown; setl_id: string }): SettleAnswer | null {
    if (claim.state === 'pending') return null;
    if (claim.state === 'abandoned') return { ok: false, setlId: claim.setl_id, refused: '该异地就医结算因参保地长时间未应答已取消，未记账；请以新的报文ID重新结算' };
    return claim.result as SettleAnswer;
  }

  /**
   * Record the insured area's answer on a pending claim (once: a claim answered or given up
   * meanwhile keeps its state), then tell the insured area it is recorded. Returns the claim's answer.
   */
  async record(setlId: string, insured: string, a: SettleAnswer, actor: Actor, t: PhaseTimer | null = null): Promise<SettleAnswer> {
    const now = new Date().toISOString();
    const detail = { insured, ...(a.ok ? { fundFen: a.fundFen } : { refused: a.refused }) };
    // the answer and its audit row in one statement (both or neither); a claim answered or given
    // up meanwhile is left as it is and read back
    const claim =
      (await this.db
        .with('u', (db) =>
          db
            .updateTable('area_claim')
            .set(a.ok ? { state: 'settled', result: JSON.stringify(a), fund_fen: a.fundFen, setl_time: a.setlTime, updated_at: now } : { state: 'refused', result: JSON.stringify(a), updated_at: now })
            .where('setl_id', '=', setlId)
            .where('state', '=', 'pending')
            .returningAll(),
        )
        .with('l', (db) =>
          db
            .insertInto('audit_log')
            .columns(['actor', 'role', 'action', 'entity', 'entity_id', 'detail'])
            .expression(db.selectFrom('u').select([sql<string>`${actor.username}::text`.as('actor'), sql<string>`${actor.role}::text`.as('role'), sql<string>`${a.ok ? 'xa_settle' : 'xa_refused'}::text`.as('action'), sql<string>`'area_claim'`.as('entity'), 'u.setl_id', sql<string>`${JSON.stringify(detail)}::jsonb`.as('detail')])),
        )
        .selectFrom('u')
        .selectAll()
        .executeTakeFirst()) ?? (await this.db.selectFrom('area_claim').selectAll().where('setl_id', '=', setlId).executeTakeFirstOrThrow());
    t?.lap('record');
    const ans = this.answered(claim)!;
    if (claim.state === 'settled' || claim.state === 'reversed') this.confirm(insured, setlId);
    return ans;
  }

  private readonly confirming = new Set<Promise<void>>();

  /**
   * Tell the insured area its settlement is recorded here (its stream, the id as message id).
   * Not waited for by the hospital: until it lands the insured area's record is merely
   * 'settled', and if it is lost (this process killed, JetStream away) the insured area's
   * recovery asks this area's claim (recovery.ts) and confirms it then.
   */
  private confirm(insured: string, setlId: string): void {
    const p = this.link.publish(insured, 'confirm', `confirm:${setlId}`, { setlId, treatArea: this.area }).catch(() => undefined);
    this.confirming.add(p);
    void p.finally(() => this.confirming.delete(p));
  }

  /** The confirmations still on their way (waited for on close, at most `ms`). */
  async drain(ms = 5000): Promise<void> {
    if (!this.confirming.size) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all([...this.confirming]), new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
    clearTimeout(timer);
  }

  private async reverse(env: Envelope, actor: Actor, received: Date): Promise<Reply> {
    const kind = env.infno === '2208' ? 'outpatient' : 'inpatient';
    const d = node(env.input, 'data');
    const setlId = reqStr(d, 'data', 'setl_id', 30);
    const mdtrtId = reqStr(d, 'data', 'mdtrt_id', 30);
    reqStr(d, 'data', 'psn_no', 30);
    const claim = await this.db.selectFrom('area_claim').selectAll().where('setl_id', '=', setlId).executeTakeFirstOrThrow();
    if (claim.hospital_code !== env.fixmedins_code) throw new FsiError(`结算ID ${setlId} 不存在或不属于本机构`);
    const req = claim.request as SettleRequest & { view: { mdtrtId: string; certType: string; medType: string; date: string } };
    if (req.view.mdtrtId !== mdtrtId) throw new FsiError('结算ID与就诊ID不符');
    if (claim.kind !== kind) throw new FsiError(kind === 'outpatient' ? '该结算是住院结算，请使用住院结算撤销【2305】' : '该结算是门诊结算，请使用门诊结算撤销【2208】');
    const a = claim.result as SettleAnswer | null;
    const answer = (at: Date) => {
      const out = this.output(env, req.view, kind, a as Extract<SettleAnswer, { ok: true }>, -1, at);
      const { psn_cash_pay, ...info } = out.setlinfo as Obj;
      return replyOf(received, env.mdtrtarea_admvs, true, { setlinfo: { ...info, pdn_cash_pay: psn_cash_pay }, setldetail: out.setldetail });
    };
    if (claim.state === 'reversed') {
      if (claim.reversed_by === env.msgid) return answer(claim.updated_at);
      throw new FsiError(`结算ID ${setlId} 已撤销`);
    }
    if (claim.state !== 'settled' || !a?.ok) throw new FsiError(`结算ID ${setlId} 未结算成功，无需撤销`);
    const r = await this.link.request<ReverseAnswer>(claim.insured_area, 'reverse', { setlId, treatArea: this.area, reference: `fsi:${env.fixmedins_code}:${env.msgid}` });
    if (!r.ok) throw new FsiError(`参保地 ${claim.insured_area} 拒绝撤销：${r.refused}`);
    const now = new Date();
    await this.db.transaction().execute(async (tx) => {
      const done = await tx.updateTable('area_claim').set({ state: 'reversed', reversed_by: env.msgid, updated_at: now.toISOString() }).where('setl_id', '=', setlId).where('state', '=', 'settled').returning('setl_id').executeTakeFirst();
      if (done) await audit(plain(tx), actor, 'xa_reverse', 'area_claim', setlId, { insured: claim.insured_area, msgid: env.msgid });
    });
    const after = await this.db.selectFrom('area_claim').select(['reversed_by', 'updated_at']).where('setl_id', '=', setlId).executeTakeFirstOrThrow();
    if (after.reversed_by !== env.msgid) throw new FsiError(`结算ID ${setlId} 已撤销`);
    return answer(after.updated_at);
  }
}
