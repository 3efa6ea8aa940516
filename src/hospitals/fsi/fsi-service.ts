/**
 * Room src/hospitals/ — the hospitals' interfaces: the national platform envelope (fsi/: envelope, fields, one module per transaction group) and FHIR R4 (fhir/).
 * May import: src/settlement and everything below it.
 *
 * The national platform's interface for hospitals: one envelope in, one reply out, every
 * failure infcode -1 with a Chinese err_msg. Transactions are mapped onto the registers and
 * SettlementService (encounters, settle, reverse); this module keeps only the platform's own
 * records (sign-ins, msgid → reply, mdtrt_id, fee details). A platform settlement is read from
 * the settlement table itself (platform-settlements.ts), never from a copy.
 *
 * Idempotency: a message is claimed by (hospital, msgid); a retried msgid gets the stored reply
 * (success or business failure) and does nothing again — see run() for how each kind of message
 * keeps that promise across a crash.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../store/db.js';
import { isConnectionError } from '../../store/pg-errors.js';
import type { DB } from '../../store/schema.js';
import { audit } from '../../access/audit.js';
import type { Actor } from '../../access/roles.js';
import type { QuoteService } from '../../quotes/quote-service.js';
import { SettlementService } from '../../settlement/settlement-service.js';
import type { AwayDesk, Call, Db, FsiDeps, Handler } from './call.js';
import { checkEnvelope, chinese, replyOf, type Envelope, type Reply } from './envelope.js';
import { FsiError, empty, type Obj } from './fields.js';
import { cancelFees, uploadFees } from './fees.js';
import { personInfo } from './persons.js';
import { correct, reverse } from './reverse.js';
import { preSettle, settle } from './settle.js';
import { signIn, signOut } from './sign-in.js';
import { sm3Verify } from './sign.js';
import { admit, cancelRegistration, discharge, encounterInfo, register } from './visits.js';

export { FsiError } from './fields.js';
export { checkEnvelope, dateTime, replyOf, type Envelope, type Reply } from './envelope.js';

const NO_SIGN_IN = new Set(['9001']);
/** The reply when the database cannot be reached (a restart, a fail-over): try the same msgid again. */
export const DATABASE_UNAVAILABLE = '医保数据库暂时无法访问，交易未完成或结果未知，请稍后以同一报文ID重试';

export class FsiService {
  private readonly db: Kysely<DB>;
  private readonly deps: FsiDeps;
  private readonly handlers: Record<string, { run: Handler; own?: boolean }>;

  /** `away`: the desk for persons insured in another area (src/areas), when this area is linked to others. */
  constructor(database: Database, quotes: QuoteService, settlements?: SettlementService, private readonly away?: AwayDesk) {
    this.db = database.db;
    this.deps = { db: database.db, quotes, settlements: settlements ?? new SettlementService(database, quotes) };
    const deps = this.deps;
    this.handlers = {
      '9001': { run: (db, c) => signIn(db, c) },
      '9002': { run: (db, c) => signOut(db, c) },
      '1101': { run: (db, c) => personInfo(db, c) },
      '2201': { run: (db, c) => register(db, c) },
      '2202': { run: (db, c) => cancelRegistration(db, c) },
      '2203': { run: (db, c) => encounterInfo(db, c) },
      '2204': { run: (db, c) => uploadFees(db, c, 'outpatient') },
      '2205': { run: (db, c) => cancelFees(db, c, 'outpatient') },
      '2206': { run: (db, c) => preSettle(deps, db, c, 'outpatient') },
      '2207': { run: (db, c) => settle(deps, db, c, 'outpatient'), own: true },
      '2208': { run: (db, c) => reverse(deps, db, c, 'outpatient'), own: true },
      '2401': { run: (db, c) => admit(db, c) },
      '2402': { run: (db, c) => discharge(db, c) },
      '2301': { run: (db, c) => uploadFees(db, c, 'inpatient') },
      '2302': { run: (db, c) => cancelFees(db, c, 'inpatient') },
      '2303': { run: (db, c) => preSettle(deps, db, c, 'inpatient') },
      '2304': { run: (db, c) => settle(deps, db, c, 'inpatient'), own: true },
      '2305': { run: (db, c) => reverse(deps, db, c, 'inpatient'), own: true },
      '2601': { run: (db, c) => correct(deps, db, c), own: true },
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
      if (this.away && (await this.away.claims(env))) {
        await this.checkSignedIn(env);
        return await this.away.call(env, actor, received);
      }
      const prev = await this.db.selectFrom('fsi_message').select(['infno', 'reply']).where('hospital_code', '=', env.fixmedins_code).where('msgid', '=', env.msgid).executeTakeFirst();
      if (prev?.reply && prev.infno === env.infno) return prev.reply as unknown as Reply;
      if (!NO_SIGN_IN.has(env.infno)) await this.checkSignedIn(env);
    } catch (e) {
      const f = chinese(e);
      return replyOf(received, area, false, null, f ? f.message : isConnectionError(e) ? DATABASE_UNAVAILABLE : '系统内部错误，请稍后重试');
    }
    try {
      return await this.run({ env, actor, hospital: actor.hospitalCode, received });
    } catch (e) {
      // the claim or the stored reply could not be written (the database went away): still a reply
      return replyOf(received, area, false, null, isConnectionError(e) ? DATABASE_UNAVAILABLE : '系统内部错误，交易未完成，请稍后以同一报文ID重试');
    }
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

  /**
   * A message's work and its stored reply. A message is claimed by (hospital, msgid); the reply
   * is written once and a message sent again gets it. Messages that write only the platform's
   * records run claim, work and reply in one transaction (all or nothing). Settlement and
   * reversal run in the settlement service's own transactions: a reversal stores its reply in
   * its own transaction (Call.keep); a settlement is found again by the message that made it
   * (its encounter's external id), so a claim left without a reply — the process died, or the
   * first sending is still at work — is simply worked again, and the work finds what was done.
   */
  private async run(c0: Omit<Call, 'keep'>): Promise<Reply> {
    const { env, hospital } = c0;
    const h = this.handlers[env.infno];
    const refuse = (message: string): Reply => replyOf(c0.received, env.mdtrtarea_admvs, false, null, message);
    const stored = async (db: Db): Promise<{ infno: string; reply: Reply | null } | undefined> => {
      const r = await db.selectFrom('fsi_message').select(['infno', 'reply']).where('hospital_code', '=', hospital).where('msgid', '=', env.msgid).executeTakeFirst();
      return r ? { infno: r.infno, reply: r.reply as unknown as Reply | null } : undefined;
    };
    // the reply is written once: a second writer (the same message sent twice at once) gets the first's
    const write = async (db: Db, reply: Reply, effect?: Obj): Promise<Reply> => {
      const done = await db
        .updateTable('fsi_message')
        .set({ reply: JSON.stringify(reply), effect: effect ? JSON.stringify(effect) : null })
        .where('hospital_code', '=', hospital)
        .where('msgid', '=', env.msgid)
        .where('reply', 'is', null)
        .returning('msgid')
        .executeTakeFirst();
      if (!done) return (await stored(db))!.reply!;
      await audit(db, c0.actor, `fsi_${env.infno}`, 'fsi_message', env.msgid, { infno: env.infno, infcode: reply.infcode, ...(reply.infcode ? { err_msg: reply.err_msg } : {}), ...(effect ?? {}) });
      return reply;
    };
    const c: Call = { ...c0, keep: async (tx, output, effect) => void (await write(tx, replyOf(c0.received, env.mdtrtarea_admvs, true, output), effect)) };
    /** 'work': the message is ours to work (new, or claimed earlier without a reply); otherwise its answer. */
    const claim = async (db: Db): Promise<'work' | Reply> => {
      const claimed = await db
        .insertInto('fsi_message')
        .values({ hospital_code: hospital, msgid: env.msgid, infno: env.infno, input: JSON.stringify(env.input) })
        .onConflict((oc) => oc.columns(['hospital_code', 'msgid']).doNothing())
        .returning('msgid')
        .executeTakeFirst();
      if (claimed) return 'work';
      const prev = (await stored(db))!;
      if (prev.infno !== env.infno) return refuse(`报文ID ${env.msgid} 已被交易 ${prev.infno} 使用，不能用于交易 ${env.infno}`);
      return prev.reply ?? 'work';
    };
    try {
      if (!h.own)
        return await this.db.transaction().execute(async (tx) => {
          const cl = await claim(tx);
          if (cl !== 'work') return cl;
          const r = await h.run(tx, c);
          return write(tx, replyOf(c0.received, env.mdtrtarea_admvs, true, r.output), r.effect);
        });
      const cl = await claim(this.db);
      if (cl !== 'work') return cl;
      const r = await h.run(this.db, c);
      if (r.kept) return (await stored(this.db))!.reply!;
      return await write(this.db, replyOf(c0.received, env.mdtrtarea_admvs, true, r.output), r.effect);
    } catch (e) {
      const f = chinese(e);
      // not an answer: nothing is stored, and the same message sent again does the work
      if (!f) return refuse(isConnectionError(e) ? DATABASE_UNAVAILABLE : '系统内部错误，交易未完成，请稍后以同一报文ID重试');
      // a refusal is the message's answer — unless the same message, sent twice at once, got its reply meanwhile
      return this.db.transaction().execute(async (tx) => {
        const cl = await claim(tx);
        return cl !== 'work' ? cl : write(tx, refuse(f.message));
      });
    }
  }
}
