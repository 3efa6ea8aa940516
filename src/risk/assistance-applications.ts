/**
 * 依申请救助 (issue #18 item 2; 医保发〔2022〕20号 三): a person — warned of a high burden or not —
 * applies for medical assistance with documents; the medical-assistance role (or an admin)
 * approves or refuses with a reason. An approved application pays 医疗救助 after the fact through
 * the ledger: Dr medical_assistance_fund, Cr payable_assistance_recipients (owed to the person
 * until paid out). The amount is the settlement engine's own rule (src/rules/settlement/
 * medical-assistance.ts: the class's deductible and ratio, the annual limit shared by outpatient
 * and inpatient care), run on the person's year-to-date accumulators, which the payment then
 * moves — so settlements after it see the limit used. The decision keeps the computation and
 * its citations. A decided application is never paid twice: deciding it again returns the
 * decision made. Persons whose burden after the three tiers and this assistance stays above the
 * pack's referral thresholds are listed for 临时救助 / 慈善救助 (risk.referral).
 * The medical-assistance officer then records the disbursement to the person (payOut): Dr
 * payable_assistance_recipients / Cr fund_bank (基金专户银行存款), once per application — the same
 * payment again (same reference and date) is a replay and writes nothing; the payment is kept in
 * the decision (decision.payout) and audited.
 */
import { sql, type Kysely } from 'kysely';
import { audit } from '../access/audit.js';
import { maskIdNumber, maskName } from '../access/privacy.js';
import { requirePermission, type Actor } from '../access/roles.js';
import { parseDay } from '../dates.js';
import { ConflictError, InputError, NotFoundError } from '../errors.js';
import { ACCOUNTS, post } from '../ledger/ledger.js';
import { fenToYuan, formatYuan, yuanToFen, type Fen } from '../money.js';
import type { PolicyLibrary } from '../policy/loader.js';
import { referralParamsSchema } from '../policy/risk-params.js';
import { ENCOUNTER_TYPES, type EncounterType } from '../policy/vocabulary.js';
import { citationOf, type Citation } from '../rules/risk/burden.js';
import { compileBenefits, type CompiledBenefits } from '../rules/settlement/compile.js';
import { addAccumulators, emptyAccumulators, type Accumulators, type Encounter } from '../rules/settlement/input.js';
import { assistanceClass, medicalAssistance } from '../rules/settlement/medical-assistance.js';
import { personMask } from '../rules/status-mask.js';
import { Trace } from '../rules/trace.js';
import type { DB } from '../store/schema.js';
import { villageScope } from './scope.js';
import { riskDb } from './tables.js';

/** the liability of migration 027: assistance decided on application, owed to the person */
export const PAYABLE_ASSISTANCE_RECIPIENTS = 'payable_assistance_recipients';
export const REFERRALS = { temporary_assistance: '临时救助', charity_assistance: '慈善救助' } as const;
export type Referral = keyof typeof REFERRALS;

export interface ApplicationInput {
  personId: string;
  coverageYear: number;
  reason: string;
  /** the documented policy-scope burden (yuan) the person asks assistance on */
  requested: string | number;
  /** which care the burden is for (the assistance covers the pack's encounter types); default inpatient */
  careType?: string;
  warningId?: string;
  documents?: { name: string; reference?: string }[];
}

type Row = {
  id: string; person_id: string; coverage_year: number; warning_id: string | null; reason: string; documents: { name: string; reference?: string }[];
  state: 'open' | 'approved' | 'rejected'; requested_fen: string | null; approved_fen: string | null; decision: unknown; referrals: string[];
  entry_id: string | null; created_by: string; created_at: unknown; decided_by: string | null; decided_at: unknown;
};

const view = (r: Row, p?: { name: string; id_number: string; village_code: string }) => ({
  id: r.id,
  personId: String(r.person_id),
  ...(p ? { person: { name: maskName(p.name), idNumber: maskIdNumber(p.id_number), villageCode: p.village_code } } : {}),
  coverageYear: r.coverage_year,
  warningId: r.warning_id,
  reason: r.reason,
  documents: r.documents,
  state: r.state,
  requested: r.requested_fen === null ? null : fenToYuan(Number(r.requested_fen)),
  approved: r.approved_fen === null ? null : fenToYuan(Number(r.approved_fen)),
  decision: r.decision,
  referrals: r.referrals.map((x) => ({ code: x, name: REFERRALS[x as Referral] ?? x })),
  entryId: r.entry_id,
  createdBy: r.created_by,
  createdAt: new Date(r.created_at as string).toISOString(),
  decidedBy: r.decided_by,
  decidedAt: r.decided_at ? new Date(r.decided_at as string).toISOString() : null,
  /** the disbursement to the person, once recorded */
  payout: payoutOf(r),
});

export interface Payout {
  reference: string;
  paidOn: string;
  amountFen: number;
  entryId: string | null;
  recordedBy: string;
  recordedAt: string;
}
const payoutOf = (r: Row): Payout | null => ((r.decision as { payout?: Payout } | null)?.payout ?? null);

function checkDocuments(docs: unknown, field = 'documents'): { name: string; reference?: string }[] {
  if (docs === undefined) return [];
  if (!Array.isArray(docs)) throw new InputError(field, 'must be a list of {name, reference}');
  if (docs.length > 50) throw new InputError(field, 'at most 50 documents');
  return docs.map((d, i) => {
    const o = d as { name?: unknown; reference?: unknown };
    if (typeof o?.name !== 'string' || o.name.trim() === '' || o.name.length > 200) throw new InputError(`${field}.${i}.name`, 'must be a non-empty text of at most 200 characters');
    if (o.reference !== undefined && (typeof o.reference !== 'string' || o.reference.length > 500)) throw new InputError(`${field}.${i}.reference`, 'must be a text of at most 500 characters');
    return { name: o.name.trim(), ...(o.reference !== undefined ? { reference: o.reference } : {}) };
  });
}

function requestedFen(x: unknown): Fen {
  if (typeof x !== 'number' && typeof x !== 'string') throw new InputError('requested', 'must be an amount in yuan');
  let f: Fen;
  try {
    f = yuanToFen(x);
  } catch {
    throw new InputError('requested', 'must be an amount in yuan with at most 2 decimals');
  }
  if (!(f > 0)) throw new InputError('requested', 'must be more than 0');
  if (f > 100_000_000_00) throw new InputError('requested', 'must be at most 100000000 yuan');
  return f;
}

export class AssistanceApplications {
  private readonly benefits = new Map<string, CompiledBenefits>();
  constructor(
    private readonly db: Kysely<DB>,
    private readonly lib: PolicyLibrary,
  ) {}

  private cb(packId: string): CompiledBenefits {
    let cb = this.benefits.get(packId);
    if (!cb) this.benefits.set(packId, (cb = compileBenefits(this.lib.resolve(packId))));
    return cb;
  }

  /** The person, if the actor may act for them (a clerk: their villages only); else not found. */
  private async person(actor: Actor, personId: string) {
    const scope = villageScope(actor, 'p.village_code');
    const p = await this.db
      .selectFrom('person as p')
      .innerJoin('admin_area as a', 'a.code', 'p.village_code')
      .select(['p.id', 'p.name', 'p.id_number', 'p.village_code', 'a.region'])
      .where('p.id', '=', personId)
      .$if(!!scope, (b) => b.where(scope!))
      .executeTakeFirst();
    if (!p) throw new NotFoundError('person', personId);
    return p;
  }

  /** Apply for a person (any person, or one warned: warningId); audited. */
  async apply(actor: Actor, input: ApplicationInput) {
    requirePermission(actor, 'assistance.apply');
    if (typeof input.personId !== 'string' || !/^\d{1,18}$/.test(input.personId)) throw new InputError('personId', 'must be a person id');
    if (!Number.isInteger(input.coverageYear) || input.coverageYear < 2000 || input.coverageYear > 2100) throw new InputError('coverageYear', 'must be a year between 2000 and 2100');
    if (typeof input.reason !== 'string' || input.reason.trim() === '' || input.reason.length > 1000) throw new InputError('reason', 'must be a non-empty text of at most 1000 characters');
    const requested = requestedFen(input.requested);
    const careType = input.careType ?? 'inpatient';
    if (!(ENCOUNTER_TYPES as readonly string[]).includes(careType)) throw new InputError('careType', `must be one of ${ENCOUNTER_TYPES.join(', ')}`);
    if (input.warningId !== undefined && (typeof input.warningId !== 'string' || !/^\d{1,18}$/.test(input.warningId))) throw new InputError('warningId', 'must be a warning id');
    const documents = checkDocuments(input.documents);
    const p = await this.person(actor, input.personId);
    if (input.warningId !== undefined) {
      const w = await riskDb(this.db).selectFrom('risk_warning').select(['person_id', 'coverage_year']).where('id', '=', input.warningId).executeTakeFirst();
      if (!w || String(w.person_id) !== String(p.id)) throw new InputError('warningId', `warning ${input.warningId} is not a warning of person ${p.id}`);
    }
    const row = await this.db.transaction().execute(async (tx) => {
      const r = await riskDb(tx)
        .insertInto('assistance_application')
        .values({
          person_id: p.id,
          coverage_year: input.coverageYear,
          warning_id: input.warningId ?? null,
          reason: input.reason.trim(),
          documents: JSON.stringify(documents),
          requested_fen: requested,
          decision: JSON.stringify({ careType }),
          created_by: actor.username,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await audit(tx, actor, 'assistance.apply', 'assistance_application', r.id, { personId: String(p.id), coverageYear: input.coverageYear, requestedFen: requested, careType, warningId: input.warningId ?? null, documents: documents.length });
      return r;
    });
    return view(row as Row, p);
  }

  /** Attach more document references to an open application; audited. */
  async attach(actor: Actor, id: string, documents: unknown) {
    requirePermission(actor, 'assistance.apply');
    const docs = checkDocuments(documents);
    if (docs.length === 0) throw new InputError('documents', 'must name at least one document');
    const row = await this.db.transaction().execute(async (tx) => {
      const a = await this.locked(tx, actor, id);
      if (a.state !== 'open') throw new ConflictError('APPLICATION_DECIDED', `application ${id} is ${a.state}; documents are attached before the decision`);
      const r = await riskDb(tx)
        .updateTable('assistance_application')
        .set({ documents: JSON.stringify([...a.documents, ...docs]) })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await audit(tx, actor, 'assistance.documents', 'assistance_application', id, { added: docs.map((d) => d.name) });
      return r;
    });
    return view(row as Row);
  }

  private async locked(tx: Kysely<DB>, actor: Actor, id: string): Promise<Row> {
    if (typeof id !== 'string' || !/^\d{1,18}$/.test(id)) throw new InputError('id', 'must be an application id');
    const scope = villageScope(actor, 'p.village_code');
    const a = await riskDb(tx)
      .selectFrom('assistance_application as x')
      .innerJoin('person as p', 'p.id', 'x.person_id')
      .selectAll('x')
      .where('x.id', '=', id)
      .$if(!!scope, (b) => b.where(scope!))
      .forUpdate('x')
      .executeTakeFirst();
    if (!a) throw new NotFoundError('assistance_application', id);
    return a as unknown as Row;
  }

  /**
   * Approve (pays, within the remaining annual limit) or refuse, with a reason. Deciding an
   * application already decided the same way returns that decision and pays nothing more; the
   * other way is a conflict.
   */
  async decide(actor: Actor, id: string, d: { approve: boolean; reason: string }) {
    requirePermission(actor, 'assistance.decide');
    if (typeof d.approve !== 'boolean') throw new InputError('approve', 'must be true (approve) or false (refuse)');
    if (typeof d.reason !== 'string' || d.reason.trim() === '' || d.reason.length > 1000) throw new InputError('reason', 'must be a non-empty text of at most 1000 characters');
    const to = d.approve ? 'approved' : 'rejected';
    const out = await this.db.transaction().execute(async (tx) => {
      const a = await this.locked(tx, actor, id);
      if (a.state !== 'open') {
        if (a.state === to) return { row: a, again: true };
        throw new ConflictError('APPLICATION_DECIDED', `application ${id} is already ${a.state}`);
      }
      const person = await tx
        .selectFrom('person as p')
        .innerJoin('admin_area as ar', 'ar.code', 'p.village_code')
        .leftJoin('enrollment as e', (j) => j.onRef('e.person_id', '=', 'p.id').on('e.coverage_year', '=', a.coverage_year))
        .select(['p.id', 'ar.region', 'e.region as enrolled_region', 'e.state as enrollment_state', 'e.tier'])
        .where('p.id', '=', a.person_id)
        .executeTakeFirstOrThrow();
      const region = person.enrolled_region ?? person.region;
      const packId = region ? this.lib.packIdFor(region, a.coverage_year) : null;
      if (!packId) throw new ConflictError('NO_POLICY_PACK', `no policy pack covers region ${region} in ${a.coverage_year}`);
      const pack = this.lib.resolve(packId);
      const careType = ((a.decision as { careType?: string } | null)?.careType ?? 'inpatient') as EncounterType;
      let pay: Fen = 0;
      let computation: Record<string, unknown> = { careType, pack: packId };
      let entry: string | null = null;
      if (to === 'approved') {
        const yearEnd = `${a.coverage_year}-12-31`;
        const yearStart = `${a.coverage_year}-01-01`;
        const statuses = (
          await tx
            .selectFrom('needy_status')
            .select('status')
            .distinct()
            .where('person_id', '=', a.person_id)
            .where('valid_from', '<=', yearEnd)
            .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>=', yearStart)]))
            .orderBy('status')
            .execute()
        ).map((s) => s.status);
        if (person.enrollment_state !== 'paid') throw new ConflictError('NOT_ENROLLED', `person ${a.person_id} is not enrolled (paid) for ${a.coverage_year}; 医疗救助 pays on the burden left after the basic insurance`);
        const cb = this.cb(packId);
        if (!cb.assistance) throw new ConflictError('NO_ASSISTANCE_RULES', `pack ${packId} has no medical-assistance rules`);
        // the person's year-to-date figures, locked as a settlement locks them (created when missing)
        await tx.insertInto('accumulator').values({ person_id: a.person_id, coverage_year: a.coverage_year, data: JSON.stringify(emptyAccumulators()) }).onConflict((oc) => oc.doNothing()).execute();
        const accRow = await tx.selectFrom('accumulator').select(['data', 'version']).where('person_id', '=', a.person_id).where('coverage_year', '=', a.coverage_year).forUpdate().executeTakeFirstOrThrow();
        const acc = { ...emptyAccumulators(), ...(accRow.data as Partial<Accumulators>) } as Accumulators;
        const mask = personMask(statuses);
        const cls = assistanceClass(cb, mask);
        const trace = new Trace(true);
        const encounter: Encounter = {
          type: careType,
          setting: null,
          date: parseDay(yearEnd),
          level: 'primary',
          location: 'in_area',
          referred: false,
          disease: null,
          costs: { total: Number(a.requested_fen), fullOwnPay: 0, overLimitSelfPay: 0, preSelfPay: 0, inScope: Number(a.requested_fen) },
          lines: null,
        };
        const delta = emptyAccumulators();
        // the burden is already counted in burdenAfterThreeTiers by the settlements it came from: the engine's
        // delta of that accumulator is not applied again below
        const r = medicalAssistance(cb, careType, { tier: person.tier as never, statusMask: mask, statuses, benefitStart: cb.coverageStart, benefitEnd: cb.coverageEnd, periodAssumed: true }, encounter, Number(a.requested_fen), acc, delta, trace);
        pay = r.pay;
        delta.burdenAfterThreeTiers = 0;
        const limitLeft = Math.max(0, cb.assistance.limit - acc.assistancePaid);
        const cap: Citation = citationOf(cb.assistance.limitParam);
        computation = {
          careType,
          pack: packId,
          statuses,
          class: cls ? { label: cls.label, deductible: fenToYuan(cls.deductible), ratio: cls.rate.text, citation: citationOf(cb.assistance.classesParam) } : null,
          requested: fenToYuan(Number(a.requested_fen)),
          annualLimit: { amount: fenToYuan(cb.assistance.limit), paidBefore: fenToYuan(acc.assistancePaid), left: fenToYuan(limitLeft), citation: cap, shared: cb.assistance.sharedParam ? citationOf(cb.assistance.sharedParam) : null },
          // the class ratio on the burden would have paid more than the annual limit leaves
          capped: Math.round(Number(trace.steps.find((x) => x.step === 'medicalAssistance.computed')?.value ?? 0) * 100) > limitLeft,
          ...(cls ? {} : { note: '无医疗救助对象身份（分类救助类别），医疗救助不予支付；负担仍重者转介临时救助、慈善救助' }),
          pay: fenToYuan(pay),
          trace: trace.steps,
        };
        if (pay > 0) {
          await tx.updateTable('accumulator').set({ data: JSON.stringify(addAccumulators(acc, delta)), version: sql`version + 1` }).where('person_id', '=', a.person_id).where('coverage_year', '=', a.coverage_year).execute();
          entry = await post(tx, `依申请医疗救助：申请 ${id}（人员 ${a.person_id}，${a.coverage_year} 年度）${formatYuan(pay)} 元`, 'assistance_application', id, [
            { account: ACCOUNTS.medicalAssistanceFund, fen: pay },
            { account: PAYABLE_ASSISTANCE_RECIPIENTS, fen: -pay },
          ], a.coverage_year);
        }
      }
      const referrals = await this.referralsOf(tx, pack, String(a.person_id), a.coverage_year, pay);
      const row = await riskDb(tx)
        .updateTable('assistance_application')
        .set({
          state: to,
          approved_fen: to === 'approved' ? pay : null,
          decision: JSON.stringify({ ...computation, reason: d.reason.trim(), referral: referrals.detail }),
          referrals: referrals.codes,
          entry_id: entry,
          decided_by: actor.username,
          decided_at: new Date(),
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await audit(tx, actor, `assistance.${to}`, 'assistance_application', id, { reason: d.reason.trim(), paidFen: pay, entry, referrals: referrals.codes });
      return { row: row as Row, again: false };
    });
    return { ...view(out.row), alreadyDecided: out.again };
  }

  /**
   * Record the disbursement of an approved application to the person (permission
   * assistance.decide): Dr payable_assistance_recipients / Cr fund_bank, the amount approved.
   * Once: the same reference and date again is a replay (`replayed: true`, nothing written);
   * another payment of a paid application, or a reference used for another one, is a conflict.
   */
  async payOut(actor: Actor, id: string, p: { reference: unknown; paidOn: unknown }) {
    requirePermission(actor, 'assistance.decide');
    if (typeof p.reference !== 'string' || p.reference.trim() === '' || p.reference.length > 100) throw new InputError('reference', 'must be the payment’s bank reference (1 to 100 characters)');
    if (typeof p.paidOn !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(p.paidOn)) throw new InputError('paidOn', 'must be a date written YYYY-MM-DD');
    try {
      parseDay(p.paidOn);
    } catch {
      throw new InputError('paidOn', `${p.paidOn} is not a date`);
    }
    const reference = p.reference.trim();
    const paidOn = p.paidOn;
    const out = await this.db.transaction().execute(async (tx) => {
      const a = await this.locked(tx, actor, id);
      if (a.state !== 'approved') throw new ConflictError('APPLICATION_NOT_APPROVED', `application ${id} is ${a.state}; only an approved application is paid out`);
      const amount = Number(a.approved_fen ?? 0);
      if (!(amount > 0)) throw new ConflictError('NOTHING_TO_PAY', `application ${id} was approved with 0 元: there is nothing to pay out`);
      const prior = payoutOf(a);
      if (prior) {
        if (prior.reference === reference && prior.paidOn === paidOn) return { row: a, replayed: true };
        throw new ConflictError('APPLICATION_PAID', `application ${id} was paid out already (reference ${prior.reference}, ${prior.paidOn})`);
      }
      const decided = a.decided_at ? new Date(a.decided_at as string).toISOString().slice(0, 10) : null;
      if (decided && paidOn < decided) throw new InputError('paidOn', `${paidOn} is before the decision of ${decided}`);
      const reused = await sql<{ id: string }>`SELECT id::text FROM assistance_application WHERE decision -> 'payout' ->> 'reference' = ${reference} AND id <> ${id} LIMIT 1`.execute(tx);
      if (reused.rows.length) throw new ConflictError('PAYMENT_REFERENCE_REUSED', `payment reference ${reference} was used for application ${reused.rows[0]!.id}`);
      const entryId = await post(tx, `支付依申请医疗救助：申请 ${id}（人员 ${a.person_id}）${formatYuan(amount)} 元 ${reference}`, 'assistance_payout', id, [
        { account: PAYABLE_ASSISTANCE_RECIPIENTS, fen: amount },
        { account: ACCOUNTS.fundBank, fen: -amount },
      ], a.coverage_year);
      const payout: Payout = { reference, paidOn, amountFen: amount, entryId, recordedBy: actor.username, recordedAt: new Date().toISOString() };
      const row = await riskDb(tx)
        .updateTable('assistance_application')
        .set({ decision: JSON.stringify({ ...((a.decision as object | null) ?? {}), payout }) })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await audit(tx, actor, 'assistance.payout', 'assistance_application', id, { amountFen: amount, reference, paidOn, entryId });
      return { row: row as Row, replayed: false };
    });
    return { ...view(out.row), replayed: out.replayed };
  }

  /** The burden after the three tiers (cash of the live settlements) less assistance paid on application, against the pack's referral thresholds. */
  private async referralsOf(tx: Kysely<DB>, pack: ReturnType<PolicyLibrary['resolve']>, personId: string, year: number, paying: Fen) {
    const p = pack.params.get('risk.referral');
    if (!p) return { codes: [] as string[], detail: null };
    const v = referralParamsSchema.parse(p.value);
    const r = await sql<{ cash: string; paid: string }>`
      SELECT (SELECT coalesce(sum(cash_fen), 0) FROM settlement WHERE person_id = ${personId} AND coverage_year = ${year} AND reversed_at IS NULL) AS cash,
             (SELECT coalesce(sum(approved_fen), 0) FROM assistance_application WHERE person_id = ${personId} AND coverage_year = ${year} AND state = 'approved') AS paid`.execute(tx);
    const remaining = Math.max(0, Number(r.rows[0]!.cash) - Number(r.rows[0]!.paid) - paying);
    const codes: string[] = [];
    if (remaining > yuanToFen(v.temporaryAssistance)) codes.push('temporary_assistance');
    if (remaining > yuanToFen(v.charityAssistance)) codes.push('charity_assistance');
    return { codes, detail: { remaining: fenToYuan(remaining), temporaryAssistance: fenToYuan(yuanToFen(v.temporaryAssistance)), charityAssistance: fenToYuan(yuanToFen(v.charityAssistance)), citation: citationOf(p) } };
  }

  async get(actor: Actor, id: string) {
    requirePermission(actor, 'assistance.apply');
    if (typeof id !== 'string' || !/^\d{1,18}$/.test(id)) throw new InputError('id', 'must be an application id');
    const scope = villageScope(actor, 'p.village_code');
    const r = await riskDb(this.db)
      .selectFrom('assistance_application as x')
      .innerJoin('person as p', 'p.id', 'x.person_id')
      .selectAll('x')
      .select(['p.name', 'p.id_number', 'p.village_code'])
      .where('x.id', '=', id)
      .$if(!!scope, (b) => b.where(scope!))
      .executeTakeFirst();
    if (!r) throw new NotFoundError('assistance_application', id);
    return view(r as unknown as Row, r);
  }

  async list(actor: Actor, q: { year?: number; state?: 'open' | 'approved' | 'rejected'; limit?: number } = {}) {
    requirePermission(actor, 'assistance.apply');
    const scope = villageScope(actor, 'p.village_code');
    const rows = await riskDb(this.db)
      .selectFrom('assistance_application as x')
      .innerJoin('person as p', 'p.id', 'x.person_id')
      .selectAll('x')
      .select(['p.name', 'p.id_number', 'p.village_code'])
      .$if(!!scope, (b) => b.where(scope!))
      .$if(!!q.year, (b) => b.where('x.coverage_year', '=', q.year!))
      .$if(!!q.state, (b) => b.where('x.state', '=', q.state!))
      .orderBy('x.id')
      .limit(q.limit ?? 200)
      .execute();
    return { applications: rows.map((r) => view(r as unknown as Row, r)) };
  }

  /**
   * 转介名单: persons whose burden after the three tiers and the assistance paid on application
   * stays above the pack's referral thresholds (临时救助, 慈善救助), per village; a clerk sees their villages.
   */
  async referrals(actor: Actor, region: string, year: number) {
    requirePermission(actor, 'assistance.apply');
    const packId = this.lib.packIdFor(region, year);
    if (!packId) throw new InputError('region', `no policy pack covers region ${region} in ${year}`);
    const p = this.lib.resolve(packId).params.get('risk.referral');
    if (!p) return { pack: packId, citation: null, persons: [] };
    const v = referralParamsSchema.parse(p.value);
    const temp = yuanToFen(v.temporaryAssistance);
    const charity = yuanToFen(v.charityAssistance);
    const scope = villageScope(actor, 'p.village_code');
    const rows = await sql<{ person_id: string; name: string; id_number: string; village_code: string; cash: string; paid: string }>`
      SELECT p.id AS person_id, p.name, p.id_number, p.village_code, c.cash, coalesce(x.paid, 0) AS paid
        FROM (SELECT person_id, sum(cash_fen) AS cash FROM settlement WHERE coverage_year = ${year} AND reversed_at IS NULL GROUP BY person_id) c
        JOIN person p ON p.id = c.person_id
        JOIN admin_area a ON a.code = p.village_code AND a.region LIKE ${`${region.replace(/0+$/, '')}%`}
        LEFT JOIN (SELECT person_id, sum(approved_fen) AS paid FROM assistance_application WHERE coverage_year = ${year} AND state = 'approved' GROUP BY person_id) x ON x.person_id = c.person_id
       WHERE c.cash - coalesce(x.paid, 0) > ${temp} ${scope ? sql`AND ${scope}` : sql``}
       ORDER BY p.village_code, p.id`.execute(this.db);
    return {
      pack: packId,
      thresholds: { temporaryAssistance: fenToYuan(temp), charityAssistance: fenToYuan(charity) },
      citation: citationOf(p),
      persons: rows.rows.map((r) => {
        const remaining = Number(r.cash) - Number(r.paid);
        return {
          personId: String(r.person_id),
          person: { name: maskName(r.name), idNumber: maskIdNumber(r.id_number), villageCode: r.village_code },
          burden: fenToYuan(Number(r.cash)),
          assistancePaid: fenToYuan(Number(r.paid)),
          remaining: fenToYuan(remaining),
          referrals: (remaining > charity ? ['temporary_assistance', 'charity_assistance'] : ['temporary_assistance']).map((c) => ({ code: c, name: REFERRALS[c as Referral] })),
        };
      }),
    };
  }
}
