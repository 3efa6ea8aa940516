/** Enrollments: a person's tier before payment, and the masked views of enrollments (one with its quote recomputed, lists paged). */
import { sql, type Kysely, type Transaction } from 'kysely';
import { ConflictError, InputError, NotFoundError } from '../errors.js';
import { REFUSAL_CODES, TIERS } from '../policy/vocabulary.js';
import type { DB } from '../store/schema.js';
import { audit } from '../access/audit.js';
import { inScope, requireVillage, type Actor } from '../access/roles.js';
import { type ContributionAnswer, type ContributionRequest } from '../quotes/contribution-request.js';
import { maskIdNumber, maskName } from '../access/privacy.js';
import type { QuoteService } from '../quotes/quote-service.js';
import { type StoredQuote, packFor, personFacts, quoteColumns, quotePerson, storedQuote } from './person-quote.js';

type Db = Kysely<DB> | Transaction<DB>;

// ---------------------------------------------------------------- tier before payment

export async function setTier(db: Kysely<DB>, quotes: QuoteService, actor: Actor, enrollmentId: string, tier: string): Promise<EnrollmentView> {
  if (!(TIERS as readonly string[]).includes(tier)) throw new InputError('tier', `must be one of ${TIERS.join(', ')}`);
  return db.transaction().execute(async (tx) => {
    const e = await tx.selectFrom('enrollment').selectAll().where('id', '=', enrollmentId).forUpdate().executeTakeFirst();
    if (!e) throw new NotFoundError('enrollment', enrollmentId);
    const f = await personFacts(tx, String(e.person_id), e.coverage_year);
    if (!f) throw new NotFoundError('person', String(e.person_id));
    requireVillage(actor, f.villageCode);
    if (e.state === 'paid') throw new ConflictError('ENROLLMENT_PAID', 'the enrollment is paid: its tier can no longer change');
    const cp = packFor(quotes, f.region, e.coverage_year);
    if (!cp.tiers.length) throw new InputError('tier', `region ${f.region} has no contribution tiers in ${e.coverage_year}`);
    if (!(cp.tiers as string[]).includes(tier)) throw new InputError('tier', `must be one of ${cp.tiers.join(', ')}`);
    const q = quotePerson(quotes, f, e.coverage_year, { tier });
    const state = e.state === 'blocked' ? 'blocked' : q.result.accepted ? 'assessed' : 'refused';
    await tx
      .updateTable('enrollment')
      .set({ ...quoteColumns(q.result), tier: q.tier, state, pack: q.cp.pack.id, quote: JSON.stringify(storedQuote(q)), version: sql`version + 1`, updated_at: sql`now()` })
      .where('id', '=', enrollmentId)
      .execute();
    await audit(tx, actor, 'set_tier', 'enrollment', enrollmentId, { from: e.tier, to: q.tier, dueFen: { from: e.due_fen === null ? null : Number(e.due_fen), to: q.result.individualDue } });
    return (await enrollmentView(tx, enrollmentId))!;
  });
}

// ---------------------------------------------------------------- views

export const yuan = (v: string | number | null): number | null => (v === null ? null : Number(v) / 100);

export interface EnrollmentView {
  id: string;
  personId: string;
  /** masked: 500230********1234 */
  idNumber: string;
  /** masked: 张* */
  name: string;
  villageCode: string;
  villageName: string;
  coverageYear: number;
  region: string;
  pack: string;
  tier: string | null;
  state: string;
  standardYuan: number;
  assistanceYuan: number | null;
  dueYuan: number | null;
  subsidyBorneByPersonYuan: number | null;
  fiscalSubsidyYuan: number | null;
  benefitPeriod: { start: string; end: string } | null;
  waitingDays: number | null;
  refusal: { code: string; message: string } | null;
  blockReason: string | null;
  paidYuan: number;
  paidOn: string | null;
  guardianPersonId: string | null;
  version: number;
  updatedAt: string;
}

export interface ViewRow {
  id: string;
  person_id: string;
  id_number: string;
  name: string;
  village_code: string;
  village_name: string;
  coverage_year: number;
  region: string;
  pack: string;
  tier: string | null;
  state: string;
  standard_fen: string;
  assistance_fen: string | null;
  due_fen: string | null;
  borne_fen: string | null;
  subsidy_fen: string | null;
  benefit_start: string | null;
  benefit_end: string | null;
  waiting_days: number | null;
  refusal_code: string | null;
  block_reason: string | null;
  paid_fen: string;
  paid_on: string | null;
  guardian_person_id: string | null;
  version: number;
  updated_at: Date | string;
}

export function viewSelect(db: Db) {
  return db
    .selectFrom('enrollment as e')
    .innerJoin('person as p', 'p.id', 'e.person_id')
    .innerJoin('admin_area as v', 'v.code', 'p.village_code')
    .select([
      'e.id', 'e.person_id', 'p.id_number', 'p.name', 'p.village_code', 'v.name as village_name', 'e.coverage_year', 'e.region', 'e.pack', 'e.tier',
      'e.state', 'e.standard_fen', 'e.assistance_fen', 'e.due_fen', 'e.borne_fen', 'e.subsidy_fen', 'e.benefit_start', 'e.benefit_end',
      'e.waiting_days', 'e.refusal_code', 'e.block_reason', 'e.paid_fen', 'e.paid_on', 'e.guardian_person_id', 'e.version', 'e.updated_at',
    ]);
}

export function toView(r: ViewRow): EnrollmentView {
  return {
    id: String(r.id),
    personId: String(r.person_id),
    idNumber: maskIdNumber(r.id_number),
    name: maskName(r.name),
    villageCode: r.village_code,
    villageName: r.village_name,
    coverageYear: r.coverage_year,
    region: r.region,
    pack: r.pack,
    tier: r.tier,
    state: r.state,
    standardYuan: Number(r.standard_fen) / 100,
    assistanceYuan: yuan(r.assistance_fen),
    dueYuan: yuan(r.due_fen),
    subsidyBorneByPersonYuan: yuan(r.borne_fen),
    fiscalSubsidyYuan: yuan(r.subsidy_fen),
    benefitPeriod: r.benefit_start && r.benefit_end ? { start: r.benefit_start, end: r.benefit_end } : null,
    waitingDays: r.waiting_days,
    refusal: r.refusal_code ? { code: r.refusal_code, message: (REFUSAL_CODES as Record<string, string>)[r.refusal_code] ?? r.refusal_code } : null,
    blockReason: r.block_reason,
    paidYuan: Number(r.paid_fen) / 100,
    paidOn: r.paid_on,
    guardianPersonId: r.guardian_person_id === null ? null : String(r.guardian_person_id),
    version: r.version,
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}

export async function enrollmentView(db: Db, id: string): Promise<EnrollmentView | null> {
  const r = await viewSelect(db).where('e.id', '=', id).executeTakeFirst();
  return r ? toView(r as unknown as ViewRow) : null;
}

export interface ListOptions {
  coverageYear?: number;
  village?: string;
  state?: string;
  /** one person's enrollments */
  person?: string;
  after?: string;
  limit?: number;
}

/** Enrollments, masked, paged by id; a clerk sees only their villages. */
export async function listEnrollments(db: Kysely<DB>, actor: Actor, o: ListOptions): Promise<{ items: EnrollmentView[]; next: string | null }> {
  if (o.village && !inScope(actor, o.village) && !(actor.role === 'clerk' && actor.villages.some((v) => v.startsWith(o.village!))))
    requireVillage(actor, o.village);
  const limit = o.limit ?? 100;
  let q = viewSelect(db).orderBy('e.id').limit(limit);
  if (o.after) q = q.where('e.id', '>', o.after);
  if (o.coverageYear !== undefined) q = q.where('e.coverage_year', '=', o.coverageYear);
  if (o.state) q = q.where('e.state', '=', o.state as 'assessed');
  if (o.village) q = q.where('p.village_code', 'like', `${o.village}%`);
  if (o.person) q = q.where('e.person_id', '=', o.person);
  if (actor.role === 'clerk') {
    const own = actor.villages;
    q = q.where((eb) => eb.or(own.map((v) => eb('p.village_code', 'like', `${v}%`))));
  }
  const rows = (await q.execute()) as unknown as ViewRow[];
  return { items: rows.map(toView), next: rows.length === limit ? String(rows[rows.length - 1].id) : null };
}

/**
 * One enrollment (masked), in scope, with its quote: the engine's answer with the trace
 * citing each rule, recomputed from the stored request; `matchesRecord` says whether it
 * still gives the amounts recorded (it does unless the pack was changed since).
 */
export async function enrollmentDetail(
  db: Kysely<DB>,
  quotes: QuoteService,
  actor: Actor,
  id: string,
): Promise<EnrollmentView & { quote: Partial<ContributionAnswer> & { request: ContributionRequest; matchesRecord: boolean } }> {
  const r = await viewSelect(db).select('e.quote').where('e.id', '=', id).executeTakeFirst();
  if (!r) throw new NotFoundError('enrollment', id);
  requireVillage(actor, r.village_code);
  const stored = (typeof r.quote === 'string' ? JSON.parse(r.quote) : r.quote) as StoredQuote;
  const view = toView(r as unknown as ViewRow);
  try {
    const answer = quotes.contribution({ ...stored.request, trace: true });
    const matches =
      answer.accepted === stored.answer.accepted &&
      answer.standardContribution === view.standardYuan &&
      answer.individualDue === view.dueYuan &&
      JSON.stringify(answer.fiscalSubsidy) === JSON.stringify(stored.answer.fiscalSubsidy);
    return { ...view, quote: { ...answer, request: stored.request, matchesRecord: matches } };
  } catch {
    // a pack that no longer quotes the stored request: show what was stored
    return { ...view, quote: { ...stored.answer, request: stored.request, matchesRecord: false } };
  }
}
