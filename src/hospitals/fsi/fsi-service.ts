/**
 * The national platform's interface for hospitals: one envelope in, one reply out, every
 * failure infcode -1 with a Chinese err_msg. Transactions are mapped onto the registers and
 * SettlementService (encounters, settle, reverse); this module keeps only the platform's own
 * records (sign-ins, msgid → reply, mdtrt_id, fee details, setl_id).
 *
 * Idempotency: a message is claimed by (hospital, msgid) before it runs; a retried msgid gets
 * the stored reply (success or business failure) and does nothing again. Messages that write
 * only platform records run with their reply in one transaction; settlement and reversal run in
 * SettlementService's own transactions, and the 2207/2304 encounter carries the msgid as its
 * external id, so a settlement can never be made twice for one message.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { ConflictError, ForbiddenError, InputError, NotFoundError } from '../../errors.js';
import { fenToYuan, parseRate } from '../../money.js';
import { classifyLines } from '../../rules/settlement/costs.js';
import { emptyAccumulators, type Accumulators, type FeeLine } from '../../rules/settlement/input.js';
import { NEEDY_STATUSES } from '../../policy/vocabulary.js';
import type { Database } from '../../store/db.js';
import type { DB } from '../../store/schema.js';
import { audit } from '../../access/audit.js';
import type { Actor } from '../../access/roles.js';
import type { QuoteService } from '../../quotes/quote-service.js';
import type { SettlementView } from '../../settlement/answers.js';
import { SettlementService } from '../../settlement/settlement-service.js';
import { accumulatorsJson } from '../../quotes/settlement-request.js';
import { CHRGITM_LV, CHRGITM_LV_OF, CLR_TYPE, INSUTYPE_RESIDENT, MED_TYPES, PSN_CERT_TYPE_ID, PSN_IDET_TYPE, PSN_TYPE_RESIDENT } from './codes.js';
import { sm3Verify } from './sign.js';

type Db = Kysely<DB> | Transaction<DB>;
type Obj = Record<string, unknown>;

/** A refusal: the reply is infcode -1 with this message. */
export class FsiError extends Error {}

export interface Reply {
  infcode: 0 | -1;
  inf_refmsgid: string;
  refmsg_time: string;
  respond_time: string;
  err_msg: string;
  warn_msg: string;
  output: unknown;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
/** yyyyMMddHHmmssSSS (China time) */
function stamp17(d: Date): string {
  const c = new Date(d.getTime() + 8 * 3600_000);
  return `${c.getUTCFullYear()}${pad(c.getUTCMonth() + 1)}${pad(c.getUTCDate())}${pad(c.getUTCHours())}${pad(c.getUTCMinutes())}${pad(c.getUTCSeconds())}${pad(c.getUTCMilliseconds(), 3)}`;
}
/** yyyy-MM-dd HH:mm:ss (China time) */
export function dateTime(d: Date): string {
  const s = stamp17(d);
  return `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)} ${s.slice(8, 10)}:${s.slice(10, 12)}:${s.slice(12, 14)}`;
}

let seq = 0;
function refMsgId(admdvs: string, now: Date): string {
  seq = (seq + 1) % 1e6;
  const area = /^\d{6}$/.test(admdvs) ? admdvs : '000000';
  return `${area}${stamp17(now).slice(0, 14)}${pad(seq, 6)}${randomBytes(2).toString('hex').slice(0, 4)}`;
}

export function replyOf(received: Date, admdvs: string, ok: boolean, output: unknown, err = ''): Reply {
  const now = new Date();
  return { infcode: ok ? 0 : -1, inf_refmsgid: refMsgId(admdvs, now), refmsg_time: stamp17(received), respond_time: stamp17(now), err_msg: ok ? '' : err.slice(0, 200), warn_msg: '', output: ok ? output : {} };
}

// ---- field checks ----

const empty = (v: unknown) => v === undefined || v === null || v === '' || v === 'null' || v === 'NULL';

function node(input: Obj, name: string): Obj {
  const v = input[name];
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new FsiError(`输入节点 ${name} 缺失或不是对象`);
  return v as Obj;
}
function list(input: Obj, name: string): Obj[] {
  const v = input[name];
  const arr = Array.isArray(v) ? v : v && typeof v === 'object' ? [v] : null;
  if (!arr || arr.length === 0) throw new FsiError(`输入节点 ${name} 缺失或为空`);
  arr.forEach((x, i) => {
    if (x === null || typeof x !== 'object' || Array.isArray(x)) throw new FsiError(`输入节点 ${name} 第 ${i + 1} 行不是对象`);
  });
  return arr as Obj[];
}
function str(o: Obj, at: string, field: string, max: number, required = true): string | null {
  const v = o[field];
  if (empty(v)) {
    if (required) throw new FsiError(`${at}.${field} 不能为空`);
    return null;
  }
  if (typeof v !== 'string' && typeof v !== 'number') throw new FsiError(`${at}.${field} 应为字符型`);
  const s = String(v);
  if (s.length > max) throw new FsiError(`${at}.${field} 长度不能超过 ${max} 位`);
  return s;
}
const reqStr = (o: Obj, at: string, field: string, max: number): string => str(o, at, field, max, true)!;

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
function dateTimeField(o: Obj, at: string, field: string, required = true): string | null {
  const s = str(o, at, field, 19, required);
  if (s === null) return null;
  const m = DATE_TIME.exec(s);
  const d = m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6])) : null;
  if (!m || !d || d.getUTCMonth() !== +m[2] - 1 || d.getUTCDate() !== +m[3] || +m[4] > 23 || +m[5] > 59 || +m[6] > 59) throw new FsiError(`${at}.${field} 格式应为 yyyy-MM-dd HH:mm:ss`);
  return s;
}
/** 数值型 16,2 → fen */
function money(o: Obj, at: string, field: string): number {
  const v = o[field];
  const s = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : '';
  if (!/^-?\d{1,14}(\.\d{1,2})?$/.test(s) && !(typeof v === 'number' && Number.isFinite(v) && Math.abs(v * 100 - Math.round(v * 100)) < 1e-6))
    throw new FsiError(`${at}.${field} 应为金额（元，最多两位小数）`);
  return Math.round(Number(s) * 100);
}
function decimal(o: Obj, at: string, field: string, places: number, required: boolean): number | null {
  const v = o[field];
  if (empty(v)) {
    if (required) throw new FsiError(`${at}.${field} 不能为空`);
    return null;
  }
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isFinite(n)) throw new FsiError(`${at}.${field} 应为数值`);
  if (Math.abs(n * 10 ** places - Math.round(n * 10 ** places)) > 1e-6) throw new FsiError(`${at}.${field} 最多 ${places} 位小数`);
  return n;
}

const yuan = (fen: number): number => fenToYuan(fen);

/** Translate the services' errors into refusals with Chinese messages. */
function chinese(e: unknown): FsiError | null {
  if (e instanceof FsiError) return e;
  if (e instanceof ConflictError) {
    if (e.code === 'ALREADY_SETTLED') return new FsiError('该就诊已结算，不能重复结算；如需重新结算请先撤销原结算');
    if (e.code === 'ALREADY_REVERSED') return new FsiError('该结算已撤销，不能重复撤销');
    if (e.code === 'NO_POLICY_PACK') return new FsiError('就医地该年度无可用的待遇政策，不能结算');
    if (e.code === 'DUPLICATE_ENCOUNTER') return new FsiError('该报文ID的结算已受理，请勿以同一报文ID重复结算');
    return new FsiError(`业务冲突：${e.message}`);
  }
  if (e instanceof InputError) {
    if (e.field.endsWith('coverageYear')) return new FsiError('就医地该年度无可用的待遇政策，不能结算');
    return new FsiError(`输入参数有误（${e.field}）：${e.message}`);
  }
  if (e instanceof ForbiddenError) return new FsiError('无权操作其他定点医药机构的数据');
  if (e instanceof NotFoundError) return new FsiError('记录不存在');
  return null;
}

export interface Envelope extends Obj {
  infno: string;
  msgid: string;
  mdtrtarea_admvs: string;
  fixmedins_code: string;
  input: Obj;
}

/** Check the envelope's fields (table 2 of the spec); input may be an object or its JSON text. */
export function checkEnvelope(body: unknown): Envelope {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new FsiError('报文应为 JSON 对象');
  const b = body as Obj;
  const at = '报文';
  reqStr(b, at, 'infno', 6);
  reqStr(b, at, 'msgid', 30);
  reqStr(b, at, 'mdtrtarea_admvs', 6);
  str(b, at, 'insuplc_admdvs', 6, false);
  reqStr(b, at, 'recer_sys_code', 10);
  str(b, at, 'dev_no', 100, false);
  str(b, at, 'dev_safe_info', 2000, false);
  str(b, at, 'cainfo', 1024, false);
  str(b, at, 'signtype', 10, false);
  reqStr(b, at, 'infver', 6);
  const ot = reqStr(b, at, 'opter_type', 3);
  if (!['1', '2', '3'].includes(ot)) throw new FsiError('报文.opter_type 应为 1-经办人、2-自助终端 或 3-移动终端');
  reqStr(b, at, 'opter', 30);
  reqStr(b, at, 'opter_name', 50);
  dateTimeField(b, at, 'inf_time');
  reqStr(b, at, 'fixmedins_code', 12);
  reqStr(b, at, 'fixmedins_name', 20);
  str(b, at, 'sign_no', 30, false);
  let input = b.input;
  if (typeof input === 'string') {
    if (input.length > 40000) throw new FsiError('报文.input 长度不能超过 40000');
    try {
      input = JSON.parse(input);
    } catch {
      throw new FsiError('报文.input 不是合法的 JSON');
    }
  }
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw new FsiError('报文.input 不能为空，应为 JSON 对象');
  return { ...(b as Envelope), infno: String(b.infno), msgid: String(b.msgid), mdtrtarea_admvs: String(b.mdtrtarea_admvs), fixmedins_code: String(b.fixmedins_code), input: input as Obj };
}

interface Call {
  env: Envelope;
  actor: Actor;
  hospital: string;
  received: Date;
}

type Handler = (db: Db, c: Call) => Promise<{ output: unknown; effect?: Obj }>;

interface PersonRow {
  id: string;
  id_number: string;
  name: string;
  gender: 'male' | 'female';
  birth_date: string;
  region: string;
}

const NO_SIGN_IN = new Set(['9001']);

export class FsiService {
  private readonly db: Kysely<DB>;
  private readonly settlements: SettlementService;
  private readonly handlers: Record<string, { run: Handler; own?: boolean }>;

  constructor(
    private readonly database: Database,
    private readonly quotes: QuoteService,
    settlements?: SettlementService,
  ) {
    this.db = database.db;
    this.settlements = settlements ?? new SettlementService(database, quotes);
    this.handlers = {
      '9001': { run: (db, c) => this.signIn(db, c) },
      '9002': { run: (db, c) => this.signOut(db, c) },
      '1101': { run: (db, c) => this.personInfo(db, c) },
      '2201': { run: (db, c) => this.register(db, c) },
      '2202': { run: (db, c) => this.cancelRegistration(db, c) },
      '2203': { run: (db, c) => this.encounterInfo(db, c) },
      '2204': { run: (db, c) => this.uploadFees(db, c, 'outpatient') },
      '2205': { run: (db, c) => this.cancelFees(db, c, 'outpatient') },
      '2206': { run: (db, c) => this.preSettle(db, c, 'outpatient') },
      '2207': { run: (db, c) => this.settle(db, c, 'outpatient'), own: true },
      '2208': { run: (db, c) => this.reverse(db, c, 'outpatient'), own: true },
      '2401': { run: (db, c) => this.admit(db, c) },
      '2402': { run: (db, c) => this.discharge(db, c) },
      '2301': { run: (db, c) => this.uploadFees(db, c, 'inpatient') },
      '2302': { run: (db, c) => this.cancelFees(db, c, 'inpatient') },
      '2303': { run: (db, c) => this.preSettle(db, c, 'inpatient') },
      '2304': { run: (db, c) => this.settle(db, c, 'inpatient'), own: true },
      '2305': { run: (db, c) => this.reverse(db, c, 'inpatient'), own: true },
      '2601': { run: (db, c) => this.correct(db, c), own: true },
    };
  }

  /** One envelope from an authenticated caller (null: no valid token) → the reply. Never throws. */
  async call(body: unknown, actor: Actor | null, received = new Date()): Promise<Reply> {
    const area = body && typeof body === 'object' ? String((body as Obj).mdtrtarea_admvs ?? '') : '';
    let env: Envelope;
    try {
      if (!actor) throw new FsiError('身份认证失败：缺少或无效的接口令牌（Authorization: Bearer）');
      if (actor.role !== 'hospital' || !actor.hospitalCode) throw new FsiError('只有定点医疗机构的接口账号可以调用本接口');
      env = checkEnvelope(body);
      if (env.fixmedins_code !== actor.hospitalCode) throw new FsiError(`定点医药机构编号 ${env.fixmedins_code} 与接口账号所属机构不符`);
      await this.checkSignature(env);
      if (!this.handlers[env.infno]) throw new FsiError(`不支持的交易编号 ${env.infno}`);
      const prev = await this.db.selectFrom('fsi_message').select(['infno', 'reply']).where('hospital_code', '=', env.fixmedins_code).where('msgid', '=', env.msgid).executeTakeFirst();
      if (prev?.reply && prev.infno === env.infno) return prev.reply as unknown as Reply;
      if (!NO_SIGN_IN.has(env.infno)) await this.checkSignedIn(env);
    } catch (e) {
      const f = chinese(e);
      return replyOf(received, area, false, null, f ? f.message : '系统内部错误，请稍后重试');
    }
    return this.run({ env, actor, hospital: actor.hospitalCode, received });
  }

  private async checkSignature(env: Envelope): Promise<void> {
    const cfg = await this.db.selectFrom('fsi_hospital').selectAll().where('hospital_code', '=', env.fixmedins_code).executeTakeFirst();
    if (!cfg?.sign_required) return;
    if (String(env.signtype ?? '').toUpperCase() !== 'SM3') throw new FsiError('本机构已启用报文签名，signtype 应为 SM3');
    if (!cfg.sign_key || !sm3Verify(env, cfg.sign_key, env.cainfo)) throw new FsiError('报文签名（cainfo）校验失败');
  }

  private async checkSignedIn(env: Envelope): Promise<void> {
    const signNo = empty(env.sign_no) ? null : String(env.sign_no);
    let q = this.db.selectFrom('fsi_sign_in').select(['sign_no', 'hospital_code']).where('hospital_code', '=', env.fixmedins_code).where('sign_out_time', 'is', null);
    if (signNo) q = q.where('sign_no', '=', signNo);
    const row = await q.limit(1).executeTakeFirst();
    if (!row) throw new FsiError(signNo ? `签到流水号 ${signNo} 无效或已签退，请先签到【9001】` : '未签到，请先签到【9001】');
  }

  private async run(c: Call): Promise<Reply> {
    const { env, hospital } = c;
    const h = this.handlers[env.infno];
    const claimed = await this.db
      .insertInto('fsi_message')
      .values({ hospital_code: hospital, msgid: env.msgid, infno: env.infno, input: JSON.stringify(env.input) })
      .onConflict((oc) => oc.columns(['hospital_code', 'msgid']).doNothing())
      .returning('msgid')
      .executeTakeFirst();
    if (!claimed) {
      const prev = await this.db.selectFrom('fsi_message').select(['infno', 'reply']).where('hospital_code', '=', hospital).where('msgid', '=', env.msgid).executeTakeFirstOrThrow();
      if (prev.infno !== env.infno) return replyOf(c.received, env.mdtrtarea_admvs, false, null, `报文ID ${env.msgid} 已被交易 ${prev.infno} 使用，不能用于交易 ${env.infno}`);
      if (prev.reply) return prev.reply as unknown as Reply;
      return replyOf(c.received, env.mdtrtarea_admvs, false, null, `报文ID ${env.msgid} 正在处理中，请稍后以同一报文ID重试`);
    }
    const store = async (db: Db, reply: Reply, effect: Obj | undefined) => {
      await db.updateTable('fsi_message').set({ reply: JSON.stringify(reply), effect: effect ? JSON.stringify(effect) : null }).where('hospital_code', '=', hospital).where('msgid', '=', env.msgid).execute();
      await audit(db, c.actor, `fsi_${env.infno}`, 'fsi_message', env.msgid, { infno: env.infno, infcode: reply.infcode, ...(reply.infcode ? { err_msg: reply.err_msg } : {}), ...(effect ?? {}) });
    };
    try {
      if (h.own) {
        const r = await h.run(this.db, c);
        const reply = replyOf(c.received, env.mdtrtarea_admvs, true, r.output);
        await this.db.transaction().execute((tx) => store(tx, reply, r.effect));
        return reply;
      }
      return await this.db.transaction().execute(async (tx) => {
        const r = await h.run(tx, c);
        const reply = replyOf(c.received, env.mdtrtarea_admvs, true, r.output);
        await store(tx, reply, r.effect);
        return reply;
      });
    } catch (e) {
      const f = chinese(e);
      if (!f) {
        // not an answer: free the msgid so that the same message can be sent again
        await this.db.deleteFrom('fsi_message').where('hospital_code', '=', hospital).where('msgid', '=', env.msgid).where('reply', 'is', null).execute().catch(() => undefined);
        return replyOf(c.received, env.mdtrtarea_admvs, false, null, '系统内部错误，交易未完成，请稍后以同一报文ID重试');
      }
      const reply = replyOf(c.received, env.mdtrtarea_admvs, false, null, f.message);
      await this.db.transaction().execute((tx) => store(tx, reply, undefined));
      return reply;
    }
  }

  // ---- 9001 / 9002 ----

  private async signIn(db: Db, c: Call) {
    const d = node(c.env.input, 'signIn');
    const opter = reqStr(d, 'signIn', 'opter_no', 20);
    const mac = reqStr(d, 'signIn', 'mac', 20);
    const ip = reqStr(d, 'signIn', 'ip', 20);
    const now = new Date();
    const signNo = `${stamp17(now)}${c.hospital.slice(-6)}${randomBytes(4).toString('hex')}`.slice(0, 30);
    await db.insertInto('fsi_sign_in').values({ sign_no: signNo, hospital_code: c.hospital, opter_no: opter, mac, ip, sign_time: now as never }).execute();
    return { output: { signinoutb: { sign_time: dateTime(now), sign_no: signNo } }, effect: { sign_no: signNo } };
  }

  private async signOut(db: Db, c: Call) {
    const d = node(c.env.input, 'signOut');
    const signNo = reqStr(d, 'signOut', 'sign_no', 30);
    reqStr(d, 'signOut', 'opter_no', 20);
    const now = new Date();
    const r = await db.updateTable('fsi_sign_in').set({ sign_out_time: now }).where('sign_no', '=', signNo).where('hospital_code', '=', c.hospital).where('sign_out_time', 'is', null).returning('sign_no').executeTakeFirst();
    if (!r) throw new FsiError(`签到编号 ${signNo} 不存在或已签退`);
    return { output: { signoutoutb: { sign_time: dateTime(now) } }, effect: { sign_no: signNo } };
  }

  // ---- persons ----

  private async personBy(db: Db, where: { certno?: string; psnNo?: string }): Promise<PersonRow | undefined> {
    let q = db.selectFrom('person as p').innerJoin('admin_area as a', 'a.code', 'p.village_code').select(['p.id', 'p.id_number', 'p.name', 'p.gender', 'p.birth_date', 'a.region']);
    if (where.certno) q = q.where('p.id_number', '=', where.certno.toUpperCase());
    if (where.psnNo) {
      if (!/^[1-9]\d{0,17}$/.test(where.psnNo)) return undefined;
      q = q.where('p.id', '=', where.psnNo);
    }
    const r = await q.executeTakeFirst();
    return r ? { ...r, id: String(r.id), birth_date: dayText(r.birth_date) } : undefined;
  }

  private async personInfo(db: Db, c: Call) {
    const d = node(c.env.input, 'data');
    const certType = reqStr(d, 'data', 'mdtrt_cert_type', 3);
    if (!['01', '02', '03'].includes(certType)) throw new FsiError('data.mdtrt_cert_type 应为 01、02 或 03');
    const certNo = str(d, 'data', 'certno', 50, false) ?? (certType === '02' ? reqStr(d, 'data', 'mdtrt_cert_no', 50) : null);
    if (!certNo) throw new FsiError('data.certno 不能为空（电子凭证、社保卡须同时传入证件号码）');
    const psnCertType = str(d, 'data', 'psn_cert_type', 6, false) ?? PSN_CERT_TYPE_ID;
    if (psnCertType !== PSN_CERT_TYPE_ID) throw new FsiError('本地仅支持人员证件类型 01 居民身份证');
    const p = await this.personBy(db, { certno: certNo });
    if (!p) throw new FsiError('未查询到该人员的参保信息');
    const name = str(d, 'data', 'psn_name', 50, false);
    if (name && name !== p.name) throw new FsiError('人员姓名与证件号码不符');
    const today = dayText(dateTime(c.received).slice(0, 10));
    const enr = await db.selectFrom('enrollment').select(['coverage_year', 'state', 'benefit_start', 'benefit_end', 'region']).where('person_id', '=', p.id).orderBy('coverage_year', 'desc').execute();
    const statuses = await db.selectFrom('needy_status').select(['status', 'valid_from', 'valid_to', 'reference']).where('person_id', '=', p.id).orderBy('valid_from').execute();
    const insuinfo = enr.map((e) => {
      const start = e.benefit_start ? dayText(e.benefit_start) : null;
      const end = e.benefit_end ? dayText(e.benefit_end) : null;
      const active = e.state === 'paid' && start !== null && end !== null && start <= today && today <= end;
      return {
        balc: 0,
        insutype: INSUTYPE_RESIDENT,
        psn_type: PSN_TYPE_RESIDENT,
        psn_insu_stas: e.state === 'paid' ? (active ? '1' : '2') : '0',
        psn_insu_date: start ?? '',
        paus_insu_date: end ?? '',
        cvlserv_flag: '0',
        insuplc_admdvs: e.region,
        emp_name: '',
        exp_content: JSON.stringify({ coverage_year: e.coverage_year, benefit_begn_date: start ?? '', benefit_end_date: end ?? '', benefit_flag: active ? '1' : '0' }),
      };
    });
    const idetinfo = statuses
      .filter((s) => PSN_IDET_TYPE[s.status])
      .map((s) => ({ psn_idet_type: PSN_IDET_TYPE[s.status], psn_type_lv: '', memo: s.reference ?? '', begntime: `${dayText(s.valid_from)} 00:00:00`, endtime: s.valid_to ? `${dayText(s.valid_to)} 23:59:59` : '' }));
    return {
      output: {
        baseinfo: { psn_no: p.id, psn_cert_type: PSN_CERT_TYPE_ID, certno: p.id_number, psn_name: p.name, gend: p.gender === 'male' ? '1' : '2', naty: '', brdy: p.birth_date, age: ageOn(p.birth_date, today), exp_content: '' },
        insuinfo,
        idetinfo,
      },
      effect: { person_id: p.id },
    };
  }

  // ---- encounters ----

  private async mdtrt(db: Db, c: Call, mdtrtId: string, psnNo: string | null, kind: 'outpatient' | 'inpatient', lock = false) {
    let q = db.selectFrom('fsi_mdtrt').selectAll().where('mdtrt_id', '=', mdtrtId);
    if (lock) q = q.forUpdate();
    const m = await q.executeTakeFirst();
    if (!m || m.hospital_code !== c.hospital) throw new FsiError(`就诊ID ${mdtrtId} 不存在或不属于本机构`);
    if (psnNo !== null && String(m.person_id) !== psnNo) throw new FsiError('人员编号与就诊ID不符');
    if (m.kind !== kind) throw new FsiError(kind === 'outpatient' ? `就诊ID ${mdtrtId} 是住院就诊，请使用住院交易` : `就诊ID ${mdtrtId} 是门诊就诊，请使用门诊交易`);
    if (m.state === 'cancelled') throw new FsiError(`就诊ID ${mdtrtId} 已撤销`);
    return m;
  }

  private async newMdtrt(db: Db, c: Call, v: { person: PersonRow; kind: 'outpatient' | 'inpatient'; iptOtpNo: string; insutype: string; medType: string | null; begntime: string; info: Obj; dise?: string | null; diseName?: string | null }) {
    const mdtrtId = `${c.received.getTime().toString(36).toUpperCase()}${randomBytes(6).toString('hex').toUpperCase()}`;
    const dup = await db.selectFrom('fsi_mdtrt').select('mdtrt_id').where('hospital_code', '=', c.hospital).where('ipt_otp_no', '=', v.iptOtpNo).where('state', '<>', 'cancelled').executeTakeFirst();
    if (dup) throw new FsiError(`住院/门诊号 ${v.iptOtpNo} 已有就诊记录（就诊ID ${dup.mdtrt_id}）`);
    await db
      .insertInto('fsi_mdtrt')
      .values({ mdtrt_id: mdtrtId, hospital_code: c.hospital, person_id: v.person.id, kind: v.kind, ipt_otp_no: v.iptOtpNo, insutype: v.insutype, med_type: v.medType, begntime: v.begntime, dise_codg: v.dise ?? null, dise_name: v.diseName ?? null, info: JSON.stringify(v.info), msgid: c.env.msgid })
      .execute();
    return mdtrtId;
  }

  private async personForVisit(db: Db, d: Obj, at: string, certField = 'certno') {
    const psnNo = reqStr(d, at, 'psn_no', 30);
    const insutype = reqStr(d, at, 'insutype', 6);
    if (insutype !== INSUTYPE_RESIDENT) throw new FsiError(`${at}.insutype 应为 390 城乡居民基本医疗保险`);
    const p = await this.personBy(db, { psnNo });
    if (!p) throw new FsiError(`人员编号 ${psnNo} 不存在`);
    const certno = str(d, at, certField, 20, false);
    if (certno && certno.toUpperCase() !== p.id_number) throw new FsiError('证件号码与人员编号不符');
    return { p, insutype };
  }

  private async register(db: Db, c: Call) {
    const at = 'data';
    const d = node(c.env.input, at);
    const { p, insutype } = await this.personForVisit(db, d, at);
    const begntime = dateTimeField(d, at, 'begntime')!;
    reqStr(d, at, 'mdtrt_cert_type', 3);
    reqStr(d, at, 'mdtrt_cert_no', 50);
    reqStr(d, at, 'psn_cert_type', 3);
    reqStr(d, at, 'certno', 20);
    reqStr(d, at, 'psn_type', 6); // the table says 3, but the codes (1701 …) and the output say 6
    reqStr(d, at, 'psn_name', 20);
    const no = reqStr(d, at, 'ipt_otp_no', 30);
    reqStr(d, at, 'dept_code', 30);
    reqStr(d, at, 'dept_name', 100);
    reqStr(d, at, 'caty', 10);
    const mdtrtId = await this.newMdtrt(db, c, { person: p, kind: 'outpatient', iptOtpNo: no, insutype, medType: null, begntime, info: d });
    return { output: { data: { mdtrt_id: mdtrtId, psn_no: p.id, ipt_otp_no: no, exp_content: '' } }, effect: { mdtrt_id: mdtrtId } };
  }

  private async cancelRegistration(db: Db, c: Call) {
    const d = node(c.env.input, 'data');
    const m = await this.mdtrt(db, c, reqStr(d, 'data', 'mdtrt_id', 30), reqStr(d, 'data', 'psn_no', 30), 'outpatient', true);
    if (reqStr(d, 'data', 'ipt_otp_no', 30) !== m.ipt_otp_no) throw new FsiError('住院/门诊号与就诊ID不符');
    await this.refuseIfSettled(db, m.mdtrt_id, '已结算的就诊不能撤销挂号，请先撤销结算');
    const fees = await db.selectFrom('fsi_fee').select('feedetl_sn').where('mdtrt_id', '=', m.mdtrt_id).where('cancelled_at', 'is', null).limit(1).execute();
    if (fees.length) throw new FsiError('该就诊有未撤销的费用明细，请先撤销费用明细【2205】');
    await db.updateTable('fsi_mdtrt').set({ state: 'cancelled' }).where('mdtrt_id', '=', m.mdtrt_id).execute();
    return { output: {}, effect: { mdtrt_id: m.mdtrt_id } };
  }

  private async refuseIfSettled(db: Db, mdtrtId: string, msg: string) {
    const s = await db.selectFrom('fsi_setl').select('setl_id').where('mdtrt_id', '=', mdtrtId).where('reversed_at', 'is', null).executeTakeFirst();
    if (s) throw new FsiError(msg);
  }

  private async encounterInfo(db: Db, c: Call) {
    const at = 'mdtrtinfo';
    const d = node(c.env.input, at);
    const m = await this.mdtrt(db, c, reqStr(d, at, 'mdtrt_id', 30), reqStr(d, at, 'psn_no', 30), 'outpatient', true);
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
    await this.refuseIfSettled(db, m.mdtrt_id, '已结算的就诊不能修改就诊信息');
    await db.updateTable('fsi_mdtrt').set({ med_type: medType, begntime, dise_codg: dise, dise_name: diseName, info: JSON.stringify({ ...(m.info as Obj | null), mdtrtinfo: d, diseinfo: diag }) }).where('mdtrt_id', '=', m.mdtrt_id).execute();
    return { output: {}, effect: { mdtrt_id: m.mdtrt_id } };
  }

  private async admit(db: Db, c: Call) {
    const at = 'mdtrtinfo';
    const d = node(c.env.input, at);
    const { p, insutype } = await this.personForVisit(db, d, at);
    const begntime = dateTimeField(d, at, 'begntime')!;
    const medType = reqStr(d, at, 'med_type', 6);
    const mt = MED_TYPES[medType];
    if (!mt || mt.kind !== 'inpatient') throw new FsiError(`mdtrtinfo.med_type ${medType} 不是本地支持的住院医疗类别（2101、21、52）`);
    const no = reqStr(d, at, 'ipt_no', 30);
    for (const [f, n] of [['mdtrt_cert_type', 3], ['cert_type', 3], ['certno', 20], ['adm_diag_dscr', 200], ['adm_dept_codg', 30], ['adm_dept_name', 100], ['adm_bed', 30], ['dscg_maindiag_code', 20], ['dscg_maindiag_name', 300]] as const) reqStr(d, at, f, n);
    const open = await db.selectFrom('fsi_mdtrt').select('mdtrt_id').where('person_id', '=', p.id).where('kind', '=', 'inpatient').where('state', '=', 'open').executeTakeFirst();
    if (open) throw new FsiError(`该人员已在院（就诊ID ${open.mdtrt_id}），不能重复办理入院`);
    const mdtrtId = await this.newMdtrt(db, c, { person: p, kind: 'inpatient', iptOtpNo: no, insutype, medType, begntime, info: { mdtrtinfo: d, diseinfo: c.env.input.diseinfo ?? [] }, dise: str(d, at, 'dise_codg', 30, false), diseName: str(d, at, 'dise_name', 500, false) });
    return { output: { result: { mdtrt_id: mdtrtId, psn_no: p.id, ipt_otp_no: no, exp_content: '' } }, effect: { mdtrt_id: mdtrtId } };
  }

  private async discharge(db: Db, c: Call) {
    const at = 'dscginfo';
    const d = node(c.env.input, at);
    const m = await this.mdtrt(db, c, reqStr(d, at, 'mdtrt_id', 30), reqStr(d, at, 'psn_no', 30), 'inpatient', true);
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

  // ---- fees ----

  private async uploadFees(db: Db, c: Call, kind: 'outpatient' | 'inpatient') {
    const rows = list(c.env.input, 'feedetail');
    const out: Obj[] = [];
    const seen = new Set<string>();
    let mdtrtId: string | null = null;
    for (let i = 0; i < rows.length; i++) {
      const x = rows[i];
      const at = `feedetail[${i}]`;
      const sn = reqStr(x, at, 'feedetl_sn', 30);
      if (!/^[1-9]\d{0,14}$/.test(sn)) throw new FsiError(`${at}.feedetl_sn 应为不超过15位的数字且不能为0`);
      if (seen.has(sn)) throw new FsiError(`${at}.feedetl_sn ${sn} 在本次上传中重复`);
      seen.add(sn);
      const id = reqStr(x, at, 'mdtrt_id', 30);
      if (mdtrtId && id !== mdtrtId) throw new FsiError('一次上传的费用明细应属于同一就诊ID');
      mdtrtId = id;
      const m = await this.mdtrt(db, c, id, reqStr(x, at, 'psn_no', 30), kind, i === 0);
      if (kind === 'inpatient') reqStr(x, at, 'med_type', 6);
      const bch = kind === 'outpatient' ? reqStr(x, at, 'chrg_bchno', 30) : str(x, at, 'chrg_bchno', 30, false);
      if (kind === 'outpatient') reqStr(x, at, 'rx_circ_flag', 3);
      dateTimeField(x, at, 'fee_ocur_time');
      reqStr(x, at, 'med_list_codg', 50);
      reqStr(x, at, 'medins_list_codg', 150);
      const amount = money(x, at, 'det_item_fee_sumamt');
      if (amount < 0) throw new FsiError(`${at}.det_item_fee_sumamt 不能为负数（退费请撤销明细）`);
      const cnt = decimal(x, at, 'cnt', 4, true)!;
      const pric = decimal(x, at, 'pric', 6, true)!;
      if (Math.abs(Math.round(cnt * pric * 100) - amount) > 1) throw new FsiError(`${at}.det_item_fee_sumamt ${yuan(amount)} 与数量×单价 ${Math.round(cnt * pric * 100) / 100} 不符`);
      for (const [f, n] of [['bilg_dept_codg', 30], ['bilg_dept_name', 100], ['bilg_dr_codg', 30], ['bilg_dr_name', 50]] as const) reqStr(x, at, f, n);
      if (kind === 'outpatient') reqStr(x, at, 'hosp_appr_flag', 3);
      const lv = str(x, at, 'chrgitm_lv', 3, false) ?? '01';
      const cls = CHRGITM_LV[lv];
      if (!cls) throw new FsiError(`${at}.chrgitm_lv 应为 01 甲类、02 乙类 或 03 丙类`);
      const ratio = decimal(x, at, 'selfpay_prop', 4, false);
      if (ratio !== null && (ratio < 0 || ratio > 1)) throw new FsiError(`${at}.selfpay_prop 应在 0 与 1 之间`);
      if (ratio && cls !== 'B') throw new FsiError(`${at}.selfpay_prop 只适用于乙类项目`);
      const limit = decimal(x, at, 'pric_uplmt_amt', 6, false);
      const prev = await db.selectFrom('fsi_fee').select(['setl_id', 'cancelled_at']).where('mdtrt_id', '=', m.mdtrt_id).where('feedetl_sn', '=', sn).executeTakeFirst();
      if (prev) throw new FsiError(`${at}.feedetl_sn ${sn} 在该就诊内已上传${prev.cancelled_at ? '（已撤销的流水号不能重复使用）' : ''}`);
      if (kind === 'outpatient') await this.refuseIfSettled(db, m.mdtrt_id, '该就诊已结算，不能再上传费用明细');
      if (kind === 'inpatient' && m.state !== 'open') await this.refuseIfSettled(db, m.mdtrt_id, '该住院已结算，不能再上传费用明细');
      const line: FeeLine = feeLineOf(sn, cls, amount, cnt, pric, limit, ratio);
      const split = classifyLines([line]).lines[0];
      await db.insertInto('fsi_fee').values({ mdtrt_id: m.mdtrt_id, feedetl_sn: sn, chrg_bchno: bch, amount_fen: amount, line: JSON.stringify({ ...x, chrgitm_lv: CHRGITM_LV_OF[cls] }) }).execute();
      out.push({
        feedetl_sn: sn,
        det_item_fee_sumamt: yuan(amount),
        cnt,
        pric,
        pric_uplmt_amt: limit ?? 0,
        selfpay_prop: ratio ?? (cls === 'C' ? 1 : 0),
        fulamt_ownpay_amt: yuan(split.fullOwnPay),
        overlmt_amt: yuan(split.overLimitSelfPay),
        preselfpay_amt: yuan(split.preSelfPay),
        inscp_scp_amt: yuan(split.inScope),
        chrgitm_lv: CHRGITM_LV_OF[cls],
        med_chrgitm_type: '',
        bas_medn_flag: '',
        hi_nego_drug_flag: '',
        chld_medc_flag: '',
        list_sp_item_flag: '',
        lmt_used_flag: '0',
        drt_reim_flag: '',
        memo: '',
        exp_content: '',
      });
    }
    return { output: { result: out }, effect: { mdtrt_id: mdtrtId, feedetl_sn: [...seen] } };
  }

  private async cancelFees(db: Db, c: Call, kind: 'outpatient' | 'inpatient') {
    const rows = kind === 'outpatient' ? [node(c.env.input, 'data')] : list(c.env.input, 'data');
    let n = 0;
    for (let i = 0; i < rows.length; i++) {
      const x = rows[i];
      const at = kind === 'outpatient' ? 'data' : `data[${i}]`;
      const m = await this.mdtrt(db, c, reqStr(x, at, 'mdtrt_id', 30), reqStr(x, at, 'psn_no', 30), kind, true);
      let q = db.updateTable('fsi_fee').set({ cancelled_at: new Date() }).where('mdtrt_id', '=', m.mdtrt_id).where('cancelled_at', 'is', null).where('setl_id', 'is', null);
      let settledQ = db.selectFrom('fsi_fee').select('feedetl_sn').where('mdtrt_id', '=', m.mdtrt_id).where('cancelled_at', 'is', null).where('setl_id', 'is not', null);
      if (kind === 'outpatient') {
        const b = reqStr(x, at, 'chrg_bchno', 30);
        if (b !== '0000') {
          q = q.where('chrg_bchno', '=', b);
          settledQ = settledQ.where('chrg_bchno', '=', b);
        }
      } else {
        const sn = reqStr(x, at, 'feedetl_sn', 30);
        if (sn !== '0000') {
          q = q.where('feedetl_sn', '=', sn);
          settledQ = settledQ.where('feedetl_sn', '=', sn);
        }
      }
      const settled = await settledQ.limit(1).execute();
      if (settled.length) throw new FsiError(`费用明细 ${settled[0].feedetl_sn} 已参与结算，不能撤销`);
      const r = await q.returning('feedetl_sn').execute();
      if (!r.length) throw new FsiError('没有可撤销的费用明细');
      n += r.length;
    }
    return { output: {}, effect: { cancelled: n } };
  }

  // ---- settlement ----

  /** What a settlement of the encounter would use: the encounter request for SettlementService, and checks of eligibility. */
  private async settlementInput(db: Db, c: Call, kind: 'outpatient' | 'inpatient') {
    const at = 'data';
    const d = node(c.env.input, at);
    const m = await this.mdtrt(db, c, reqStr(d, at, 'mdtrt_id', 30), reqStr(d, at, 'psn_no', 30), kind);
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
    const p = (await this.personBy(db, { psnNo: String(m.person_id) }))!;
    if (certno.toUpperCase() !== p.id_number) throw new FsiError('证件号码与人员编号不符');
    await this.refuseIfSettled(db, m.mdtrt_id, '该就诊已结算，不能重复结算；如需重新结算请先撤销原结算');
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

  private async preSettle(db: Db, c: Call, kind: 'outpatient' | 'inpatient') {
    const s = await this.settlementInput(db, c, kind);
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
      q = this.quotes.settlement({
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
    return { output: this.setlOutput(c, s, kind, q.setlinfo, q.setldetail, null, dateTime(new Date())) };
  }

  private setlOutput(c: Call, s: Awaited<ReturnType<FsiService['settlementInput']>>, kind: 'outpatient' | 'inpatient', info: SettlementView['setlinfo'], detail: SettlementView['setldetail'], setlId: string | null, setlTime: string, sign = 1) {
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

  private async settle(db: Db, c: Call, kind: 'outpatient' | 'inpatient') {
    const s = await this.settlementInput(db, c, kind);
    const externalId = `fsi:${c.env.msgid}`.slice(0, 64);
    const enc = await this.settlements.createEncounter(c.actor, { idNumber: s.p.id_number, coverageYear: s.year, ...s.encounter, externalId });
    let view: SettlementView;
    try {
      view = await this.settlements.settle(c.actor, String(enc.id), { trace: false });
    } catch (e) {
      throw chinese(e) ?? e;
    }
    const setlId = `S${view.settlementId}`;
    const now = new Date();
    try {
      await this.db.transaction().execute(async (tx) => {
        await tx.insertInto('fsi_setl').values({ setl_id: setlId, mdtrt_id: s.m.mdtrt_id, hospital_code: c.hospital, settlement_id: view.settlementId, encounter_id: view.encounterId, msgid: c.env.msgid, setl_time: now as never }).execute();
        await tx.updateTable('fsi_fee').set({ setl_id: setlId }).where('mdtrt_id', '=', s.m.mdtrt_id).where('feedetl_sn', 'in', s.fees.map((f) => f.feedetl_sn)).execute();
      });
    } catch (e) {
      // another settlement of this encounter got there first: undo ours
      await this.settlements.reverse(c.actor, view.settlementId, { trace: false }).catch(() => undefined);
      if ((e as { code?: string }).code === '23505') throw new FsiError('该就诊已结算，不能重复结算；如需重新结算请先撤销原结算');
      throw e;
    }
    return { output: this.setlOutput(c, s, kind, view.setlinfo, view.setldetail, setlId, dateTime(now)), effect: { mdtrt_id: s.m.mdtrt_id, setl_id: setlId, settlement_id: view.settlementId } };
  }

  /** Reverse a platform settlement (2208, 2305, 2601): SettlementService.reverse, then the platform's records. */
  private async reverseSetl(c: Call, setlId: string, mdtrtId: string | null, psnNo: string | null, kind: 'outpatient' | 'inpatient' | null) {
    const st = await this.db.selectFrom('fsi_setl as s').innerJoin('fsi_mdtrt as m', 'm.mdtrt_id', 's.mdtrt_id').select(['s.setl_id', 's.mdtrt_id', 's.hospital_code', 's.settlement_id', 's.reversed_at', 'm.person_id', 'm.kind']).where('s.setl_id', '=', setlId).executeTakeFirst();
    if (!st || st.hospital_code !== c.hospital) throw new FsiError(`结算ID ${setlId} 不存在或不属于本机构`);
    if (mdtrtId !== null && st.mdtrt_id !== mdtrtId) throw new FsiError('结算ID与就诊ID不符');
    if (psnNo !== null && String(st.person_id) !== psnNo) throw new FsiError('人员编号与结算ID不符');
    if (kind && st.kind !== kind) throw new FsiError(kind === 'outpatient' ? '该结算是住院结算，请使用住院结算撤销【2305】' : '该结算是门诊结算，请使用门诊结算撤销【2208】');
    if (st.reversed_at) throw new FsiError(`结算ID ${setlId} 已撤销`);
    const row = await this.db.selectFrom('settlement').select(['result']).where('id', '=', st.settlement_id).executeTakeFirstOrThrow();
    let r;
    try {
      r = await this.settlements.reverse(c.actor, String(st.settlement_id), { trace: false });
    } catch (e) {
      throw chinese(e) ?? e;
    }
    const now = new Date();
    await this.db.transaction().execute(async (tx) => {
      await tx.updateTable('fsi_setl').set({ reversed_at: now }).where('setl_id', '=', setlId).execute();
      await tx.updateTable('fsi_fee').set({ setl_id: null }).where('setl_id', '=', setlId).execute();
      for (const x of r.resettled) await tx.updateTable('fsi_setl').set({ settlement_id: x.to }).where('settlement_id', '=', x.from).execute();
    });
    return { st, result: row.result as SettlementView, now, resettled: r.resettled };
  }

  private async reverse(_db: Db, c: Call, kind: 'outpatient' | 'inpatient') {
    const d = node(c.env.input, 'data');
    const setlId = reqStr(d, 'data', 'setl_id', 30);
    const mdtrtId = reqStr(d, 'data', 'mdtrt_id', 30);
    const psnNo = reqStr(d, 'data', 'psn_no', 30);
    const { st, result, now } = await this.reverseSetl(c, setlId, mdtrtId, psnNo, kind);
    const p = (await this.personBy(this.db, { psnNo: String(st.person_id) }))!;
    const m = (await this.db.selectFrom('fsi_mdtrt').selectAll().where('mdtrt_id', '=', mdtrtId).executeTakeFirstOrThrow()) as { begntime: string; med_type: string | null; mdtrt_id: string };
    const s = { m, p, medType: m.med_type ?? '', encounter: { date: m.begntime.slice(0, 10) }, certType: '' } as never;
    const out = this.setlOutput(c, s, kind, result.setlinfo, result.setldetail, setlId, dateTime(now), -1);
    const { psn_cash_pay, ...info } = out.setlinfo as Obj;
    return { output: { setlinfo: { ...info, pdn_cash_pay: psn_cash_pay }, setldetail: out.setldetail }, effect: { setl_id: setlId } };
  }

  // ---- 2601 ----

  private async correct(_db: Db, c: Call) {
    const d = node(c.env.input, 'data');
    const psnNo = reqStr(d, 'data', 'psn_no', 30);
    const omsgid = reqStr(d, 'data', 'omsgid', 30);
    const oinfno = reqStr(d, 'data', 'oinfno', 4);
    if (!['2207', '2304', '2401'].includes(oinfno)) throw new FsiError('只能冲正门诊结算【2207】、住院结算【2304】和入院办理【2401】');
    const o = await this.db.selectFrom('fsi_message').select(['infno', 'reply', 'effect']).where('hospital_code', '=', c.hospital).where('msgid', '=', omsgid).executeTakeFirst();
    if (!o) throw new FsiError(`原报文 ${omsgid} 未被受理，无需冲正`);
    if (o.infno !== oinfno) throw new FsiError(`原报文 ${omsgid} 的交易编号是 ${o.infno}，不是 ${oinfno}`);
    const effect = o.effect as Obj | null;
    if (!o.reply || (o.reply as unknown as Reply).infcode !== 0 || !effect) throw new FsiError(`原报文 ${omsgid} 未成功，无需冲正`);
    if (oinfno === '2401') {
      const mdtrtId = String(effect.mdtrt_id);
      return this.db.transaction().execute(async (tx) => {
        const m = await this.mdtrt(tx, c, mdtrtId, psnNo, 'inpatient', true);
        await this.refuseIfSettled(tx, m.mdtrt_id, '该住院已结算，请先撤销结算再冲正入院');
        const fees = await tx.selectFrom('fsi_fee').select('feedetl_sn').where('mdtrt_id', '=', m.mdtrt_id).where('cancelled_at', 'is', null).limit(1).execute();
        if (fees.length) throw new FsiError('该住院有未撤销的费用明细，请先撤销【2302】再冲正入院');
        await tx.updateTable('fsi_mdtrt').set({ state: 'cancelled' }).where('mdtrt_id', '=', m.mdtrt_id).execute();
        return { output: {}, effect: { omsgid, mdtrt_id: mdtrtId } };
      });
    }
    const setlId = String(effect.setl_id);
    await this.reverseSetl(c, setlId, null, psnNo, null);
    return { output: {}, effect: { omsgid, setl_id: setlId } };
  }
}

/** A stored fee line (as uploaded, with its class) as the engine's fee line. */
function storedLine(sn: string, amount: number, l: Obj): FeeLine {
  const cls = CHRGITM_LV[String(l.chrgitm_lv)] ?? 'A';
  const num = (v: unknown): number | null => (empty(v) ? null : Number(v));
  return feeLineOf(sn, cls, amount, Number(l.cnt), Number(l.pric), num(l.pric_uplmt_amt), num(l.selfpay_prop));
}

function feeLineOf(sn: string, cls: 'A' | 'B' | 'C', amount: number, cnt: number, pric: number, limit: number | null, ratio: number | null): FeeLine {
  return {
    sn,
    catalogClass: cls,
    amount,
    quantity4: limit !== null ? Math.round(cnt * 10000) : null,
    unitPrice: limit !== null ? Math.round(pric * 100) : null,
    priceLimit: limit !== null ? Math.round(limit * 100) : null,
    selfPayRatio: ratio ? parseRate(ratio) : null,
  };
}

/** a date column (string or Date) as yyyy-MM-dd */
function dayText(v: unknown): string {
  if (v instanceof Date) return `${v.getFullYear()}-${pad(v.getMonth() + 1)}-${pad(v.getDate())}`;
  return String(v).slice(0, 10);
}
function ageOn(birth: string, day: string): number {
  let a = Number(day.slice(0, 4)) - Number(birth.slice(0, 4));
  if (day.slice(5) < birth.slice(5)) a -= 1;
  return a;
}
