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
import { CompiledQuery, type Kysely } from 'kysely';
import type { Database } from '../../store/db.js';
import { isConnectionError } from '../../store/pg-errors.js';
import type { DB } from '../../store/schema.js';
import { audit } from '../../access/audit.js';
import { TokenBuckets, type BucketOptions } from '../../access/rate-limit.js';
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
import { uploadSettlementList } from './settle-list.js';
import { HospitalLevels } from './hospital-levels.js';

import { benefitCheck, chronicDrugRecords, dictionary, settlementFees, settlementInfo } from './queries.js';
import { cancelAdmission, cancelDischarge, changeStay } from './stay-changes.js';
import { analyseDetails } from './analysis.js';
import { reconcileDetails, reconcileTotals } from './reconcile.js';
import { catalogueDownload, catalogueInfo, catalogueLimits, catalogueMatch, catalogueSelfpay, ethnicDrugs, referenceDownload } from './catalogue-downloads.js';
import { catalogueFile, fileDownload, stmtFile } from './catalogue-files.js';
import { fileUpload } from './file-upload.js';
import { medinsListMatches } from './medins-list-matches.js';

export { FsiError } from './fields.js';
export { checkEnvelope, dateTime, replyOf, type Envelope, type Reply } from './envelope.js';

const NO_SIGN_IN = new Set(['9001']);
/**
 * 1101 look-ups per hospital: a burst of LOOKUPS_AT_ONCE, then LOOKUPS_PER_MINUTE. An example
 * (no notice gives a figure; an area sets its own with YIBAO_1101_PER_MINUTE / _AT_ONCE): a
 * busy county hospital's counters register a few patients a minute each; a hospital walking the register by ID number is stopped, and every look-up,
 * answered or refused, is in the audit log.
 */
export const LOOKUPS_AT_ONCE = 600;
export const LOOKUPS_PER_MINUTE = 300;
/** The reply when the database cannot be reached (a restart, a fail-over): try the same msgid again. */
export const DATABASE_UNAVAILABLE = '医保数据库暂时无法访问，交易未完成或结果未知，请稍后以同一报文ID重试';

/** FsiService.preflight's statement: $1 hospital, $2 msgid, $3 sign_no (null: any live sign-in), $4 claim, $5 infno, $6 input. */
const PREFLIGHT = `
  WITH pre AS (
    SELECT h.sign_required, h.sign_key, m.infno, m.reply,
           EXISTS (SELECT 1 FROM fsi_sign_in s WHERE s.hospital_code = $1::text AND s.sign_out_time IS NULL AND ($3::text IS NULL OR s.sign_no = $3::text)) AS signed_in,
           hh.name AS hospital_name, hh.level AS hospital_level
      FROM (SELECT 1) AS one
      LEFT JOIN fsi_hospital h ON h.hospital_code = $1::text
      LEFT JOIN hospital hh ON hh.code = $1::text
      LEFT JOIN fsi_message m ON m.hospital_code = $1::text AND m.msgid = $2::text
  ), c AS (
    INSERT INTO fsi_message (hospital_code, msgid, infno, input)
    SELECT $1::text, $2::text, $5::text, $6::jsonb FROM pre
     WHERE $4::boolean AND pre.signed_in AND NOT COALESCE(pre.sign_required, false) AND pre.infno IS NULL
    ON CONFLICT (hospital_code, msgid) DO NOTHING
    RETURNING msgid
  )
  SELECT pre.*, EXISTS (SELECT 1 FROM c) AS claimed FROM pre`;

/** A message's reply and its audit row, in one statement; written once (a second writer gets no row). */
const WRITE_REPLY = `
  WITH u AS (
    UPDATE fsi_message SET reply = $1::jsonb, effect = $2::jsonb
     WHERE hospital_code = $3::text AND msgid = $4::text AND reply IS NULL
    RETURNING msgid
  ), l AS (
    INSERT INTO audit_log (actor, role, action, entity, entity_id, detail)
    SELECT $5::text, $6::text, $7::text, 'fsi_message', msgid, $8::jsonb FROM u
  )
  SELECT msgid FROM u`;

export class FsiService {
  private readonly db: Kysely<DB>;
  private readonly deps: FsiDeps;
  private readonly handlers: Record<string, { run: Handler; own?: boolean }>;

  /** `away`: the desk for persons insured in another area (src/areas), when this area is linked to others. */
  private readonly lookups: TokenBuckets;
  private readonly lookupsPerMinute: number;

  constructor(database: Database, quotes: QuoteService, settlements?: SettlementService, private readonly away?: AwayDesk, lookupLimit?: BucketOptions) {
    this.db = database.db;
    this.lookups = new TokenBuckets(lookupLimit ?? { capacity: LOOKUPS_AT_ONCE, perSecond: LOOKUPS_PER_MINUTE / 60 });
    this.lookupsPerMinute = lookupLimit ? Math.max(1, Math.round(lookupLimit.perSecond * 60)) : LOOKUPS_PER_MINUTE;
    this.deps = { db: database.db, pool: database.pool, quotes, settlements: settlements ?? new SettlementService(database, quotes), levels: new HospitalLevels() };
    const deps = this.deps;
    this.handlers = {
      '9001': { run: (db, c) => signIn(db, c) },
      '9002': { run: (db, c) => signOut(db, c) },
      // a person insured in another area: that area answers (src/areas, request/reply)
      '1101': { run: async (db, c) => (c.away?.insuredElsewhere(c.env) ? { output: await c.away.personInfo(c.env, c.received), effect: { insuplc_admdvs: c.env.insuplc_admdvs } } : personInfo(db, c)) },
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
      '4101': { run: (db, c) => uploadSettlementList(db, c) },

      // issue #16: the everyday workflows (one line each; other transaction groups add theirs below)
      '1901': { run: (db, c) => dictionary(db, c) },
      '2001': { run: (db, c) => benefitCheck(db, c) },
      '2203A': { run: (db, c) => encounterInfo(db, c) },
      '2403': { run: (db, c) => changeStay(db, c) },
      '2404': { run: (db, c) => cancelAdmission(db, c) },
      '2405': { run: (db, c) => cancelDischarge(db, c) },
      '3201': { run: (db, c) => reconcileTotals(db, c) },
      '3202': { run: (db, c) => reconcileDetails(db, c) },
      '5203': { run: (db, c) => settlementInfo(db, c) },
      '5204': { run: (db, c) => settlementFees(db, c) },
      '5205': { run: (db, c) => chronicDrugRecords(db, c) },
      // issue #16 item 5: the catalogue (目录下载 / 查询)
      '1301': { run: catalogueDownload('1301') },
      '1302': { run: catalogueDownload('1302') },
      '1305': { run: catalogueDownload('1305') },
      '1306': { run: catalogueDownload('1306') },
      '1312': { run: (db, c) => catalogueInfo(db, c) },
      '1316': { run: (db, c) => catalogueMatch(db, c) },
      '1317': { run: (db, c) => medinsListMatches(db, c) },
      '1318': { run: (db, c) => catalogueLimits(db, c) },
      '1319': { run: (db, c) => catalogueSelfpay(db, c) },
      '9101': { run: (db, c) => fileUpload(db, c) },
      // issue #16: the other catalogue downloads (医疗机构制剂, 民族药品, and the reference lists 1307–1315)
      '1303': { run: catalogueDownload('1303') },
      '1304': { run: (db, c) => ethnicDrugs(db, c) },
      ...Object.fromEntries(['1307', '1308', '1309', '1310', '1311', '1313', '1314', '1315'].map((n) => [n, { run: referenceDownload(deps, n) }])),
      '9102': { run: (db, c) => fileDownload(db, c) },
      // issue #18 item 5: counter-time screening of the fee lines sent
      '3101': { run: (db, c) => analyseDetails(deps, db, c, '3101') },
      '3102': { run: (db, c) => analyseDetails(deps, db, c, '3102') },
    };
  }

  /**
   * One envelope from an authenticated caller (null: no valid credential) → the reply. Never
   * throws. `route`: the infno of the path (/callService/<infno>) and the gateway's _api_name,
   * when sent: both must name the body's transaction.
   */
  async call(body: unknown, actor: Actor | null, received = new Date(), route: { pathInfno?: string | null; apiName?: string | null } = {}): Promise<Reply> {
    const area = body && typeof body === 'object' ? String((body as Obj).mdtrtarea_admvs ?? '') : '';
    let env: Envelope;
    let claimed = false;
    try {
      if (!actor) throw new FsiError('身份认证失败：缺少或无效的网关签名或接口令牌（_api_* / x-tif-* 请求头，或 Authorization: Bearer）');
      if (actor.role !== 'hospital' || !actor.hospitalCode) throw new FsiError('只有定点医疗机构的接口账号可以调用本接口');
      env = checkEnvelope(body);
      if (route.pathInfno && route.pathInfno !== env.infno) throw new FsiError(`服务地址中的交易编号 ${route.pathInfno} 与报文 infno ${env.infno} 不符`);
      if (route.apiName && /^\d{4}[A-Za-z]?$/.test(route.apiName) && route.apiName !== env.infno) throw new FsiError(`网关请求头 _api_name ${route.apiName} 与报文 infno ${env.infno} 不符`);
      if (env.fixmedins_code !== actor.hospitalCode) throw new FsiError(`定点医药机构编号 ${env.fixmedins_code} 与接口账号所属机构不符`);
      // one round trip: the hospital's signing settings, this msgid's stored reply, and the sign-in; and for a
      // message that runs in the settlement's own statements, its claim, when nothing below can refuse it
      const signNo = empty(env.sign_no) ? null : String(env.sign_no);
      const own = this.handlers[env.infno]?.own === true;
      const away = own && this.away ? await this.away.claims(env) : null;
      const pre = await this.preflight(env, signNo, own && !away);
      this.checkSignature(env, body as Obj, pre);
      if (!this.handlers[env.infno]) throw new FsiError(`不支持的交易编号 ${env.infno}`);
      if (this.away && (away ?? (await this.away.claims(env)))) {
        if (!pre.signed_in) throw new FsiError(signNo ? `签到流水号 ${signNo} 无效或已签退，请先签到【9001】` : '未签到，请先签到【9001】');
        return await this.away.call(env, actor, received, pre.hospital_name === null ? null : { code: env.fixmedins_code, name: pre.hospital_name, level: pre.hospital_level! });
      }
      if (pre.reply && pre.infno === env.infno) return pre.reply as unknown as Reply;
      if (env.infno === '1101' && !this.lookups.take(actor.hospitalCode)) {
        const wait = this.lookups.waitFor(actor.hospitalCode);
        await audit(this.db, actor, 'fsi_1101_limited', 'fsi_message', env.msgid, { infno: env.infno, wait_seconds: wait });
        throw new FsiError(`人员信息获取【1101】过于频繁（每分钟至多 ${this.lookupsPerMinute} 次），请 ${wait} 秒后以同一报文ID重试`);
      }
      if (!NO_SIGN_IN.has(env.infno) && !pre.signed_in) throw new FsiError(signNo ? `签到流水号 ${signNo} 无效或已签退，请先签到【9001】` : '未签到，请先签到【9001】');
      claimed = pre.claimed === true;
    } catch (e) {
      const f = chinese(e);
      return replyOf(received, area, false, null, f ? f.message : isConnectionError(e) ? DATABASE_UNAVAILABLE : '系统内部错误，请稍后重试');
    }
    try {
      return await this.run({ env, actor, hospital: actor.hospitalCode, received, ...(this.away ? { away: this.away } : {}) }, claimed);
    } catch (e) {
      // the claim or the stored reply could not be written (the database went away): still a reply
      return replyOf(received, area, false, null, isConnectionError(e) ? DATABASE_UNAVAILABLE : '系统内部错误，交易未完成，请稍后以同一报文ID重试');
    }
  }

  /** 9102's file, once its message was answered (infcode 0): the ZIP its file_qury_no names. */
  async downloadFile(reply: Reply, hospital: string): Promise<{ name: string; zip: Buffer } | null> {
    const o = reply.output as { file_qury_no?: string } | null;
    if (reply.infcode !== 0 || !o?.file_qury_no) return null;
    if (o.file_qury_no.startsWith('STMT')) return stmtFile(this.db, hospital, o.file_qury_no);
    return catalogueFile(this.db, o.file_qury_no, this.deps.quotes);
  }

  /**
   * The hospital's signing settings, this msgid's stored reply and infno, whether the sign-in is
   * live, and the hospital's name and level (the away desk's, so it reads no more), in one statement (named: prepared once per connection). `claim`: also claim
   * the msgid (as run()'s claim does) when the hospital signs in and does not sign its messages
   * (so nothing after this can refuse the message): `claimed` says it was claimed afresh here.
   */
  private async preflight(env: Envelope, signNo: string | null, claim: boolean) {
    const r = await this.deps.pool.query<{ sign_required: boolean | null; sign_key: string | null; infno: string | null; reply: unknown; signed_in: boolean | null; claimed: boolean; hospital_name: string | null; hospital_level: string | null }>({
      name: 'yibao_fsi_preflight',
      text: PREFLIGHT,
      values: [env.fixmedins_code, env.msgid, signNo, claim, env.infno, claim ? JSON.stringify(env.input) : null],
    });
    return r.rows[0];
  }

  /** the SM3 signature is over the envelope as sent (`raw`), not as read */
  private checkSignature(env: Envelope, raw: Obj, cfg: { sign_required: boolean | null; sign_key: string | null }): void {
    if (!cfg.sign_required) return;
    if (String(env.signtype ?? '').toUpperCase() !== 'SM3') throw new FsiError('本机构已启用报文签名，signtype 应为 SM3');
    if (!cfg.sign_key || !sm3Verify(raw, cfg.sign_key, env.cainfo)) throw new FsiError('报文签名（cainfo）校验失败');
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
  private async run(c0: Omit<Call, 'keep'>, claimed = false): Promise<Reply> {
    const { env, hospital } = c0;
    const h = this.handlers[env.infno];
    const refuse = (message: string): Reply => replyOf(c0.received, env.mdtrtarea_admvs, false, null, message);
    const stored = async (db: Db): Promise<{ infno: string; reply: Reply | null } | undefined> => {
      const r = await db.selectFrom('fsi_message').select(['infno', 'reply']).where('hospital_code', '=', hospital).where('msgid', '=', env.msgid).executeTakeFirst();
      return r ? { infno: r.infno, reply: r.reply as unknown as Reply | null } : undefined;
    };
    // the reply is written once: a second writer (the same message sent twice at once) gets the first's
    // (the reply and its audit row in one statement: the audit row is written only with the reply)
    const write = async (db: Db, reply: Reply, effect?: Obj): Promise<Reply> => {
      const detail = { infno: env.infno, infcode: reply.infcode, ...(reply.infcode ? { err_msg: reply.err_msg } : {}), ...(effect ?? {}) };
      const values = [JSON.stringify(reply), effect ? JSON.stringify(effect) : null, hospital, env.msgid, c0.actor.username, c0.actor.role, `fsi_${env.infno}`, JSON.stringify(detail)];
      // outside a transaction: named, prepared once per connection
      const done = db === this.db ? (await this.deps.pool.query<{ msgid: string }>({ name: 'yibao_fsi_reply', text: WRITE_REPLY, values })).rows : (await db.executeQuery<{ msgid: string }>(CompiledQuery.raw(WRITE_REPLY, values))).rows;
      if (!done.length) return (await stored(db))!.reply!;
      return reply;
    };
    const c: Call = { ...c0, keep: async (tx, output, effect) => void (await write(tx, replyOf(c0.received, env.mdtrtarea_admvs, true, output), effect)) };
    /** 'new': claimed now for the first time; 'work': claimed earlier without a reply (ours to work again); otherwise its answer. */
    const claim = async (db: Db): Promise<'new' | 'work' | Reply> => {
      const claimed = await db
        .insertInto('fsi_message')
        .values({ hospital_code: hospital, msgid: env.msgid, infno: env.infno, input: JSON.stringify(env.input) })
        .onConflict((oc) => oc.columns(['hospital_code', 'msgid']).doNothing())
        .returning('msgid')
        .executeTakeFirst();
      if (claimed) return 'new';
      const prev = (await stored(db))!;
      if (prev.infno !== env.infno) return refuse(`报文ID ${env.msgid} 已被交易 ${prev.infno} 使用，不能用于交易 ${env.infno}`);
      return prev.reply ?? 'work';
    };
    try {
      if (!h.own)
        return await this.db.transaction().execute(async (tx) => {
          const cl = await claim(tx);
          if (typeof cl !== 'string') return cl;
          const r = await h.run(tx, c);
          return write(tx, replyOf(c0.received, env.mdtrtarea_admvs, true, r.output), r.effect);
        });
      const cl = claimed ? 'new' : await claim(this.db);
      if (typeof cl !== 'string') return cl;
      const r = await h.run(this.db, { ...c, fresh: cl === 'new' });
      if (r.kept) return (await stored(this.db))!.reply!;
      return await write(this.db, replyOf(c0.received, env.mdtrtarea_admvs, true, r.output), r.effect);
    } catch (e) {
      const f = chinese(e);
      // not an answer: nothing is stored, and the same message sent again does the work
      if (!f) return refuse(isConnectionError(e) ? DATABASE_UNAVAILABLE : '系统内部错误，交易未完成，请稍后以同一报文ID重试');
      // a refusal is the message's answer — unless the same message, sent twice at once, got its reply meanwhile
      return this.db.transaction().execute(async (tx) => {
        const cl = await claim(tx);
        return typeof cl !== 'string' ? cl : write(tx, refuse(f.message));
      });
    }
  }
}
