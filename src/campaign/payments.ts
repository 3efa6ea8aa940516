/**
 * Payments of the campaign, from online, offline and tax-bureau channels, and from the
 * medical-assistance fund for persons it pays for in full. Idempotent by the channel's
 * payment reference: the same payment again returns the first result and changes nothing;
 * another payment under a used reference is refused (409 PAYMENT_REFERENCE_REUSED).
 *
 * A payment re-quotes the person with the actual payment date: a late payer gets the
 * waiting period and, past the pack's date, bears the fiscal subsidy himself; after the final
 * deadline the engine refuses and so do we (409 with the engine's code, nothing written).
 * The amount must be exactly what is due. On success, in one transaction: the payment row,
 * the enrollment paid with its benefit period, the ledger entries —
 *   person's payment       Dr contributions_received   / Cr basic_fund
 *   classified assistance  Dr medical_assistance_fund  / Cr basic_fund
 *   fiscal subsidy         Dr subsidy_receivable_<lvl> / Cr basic_fund   (per share)
 * — newborns of the household following the payer, and the audit row.
 *
 * Channel medical_assistance is for persons whose own due is 0 (the fund pays the whole
 * contribution): its amount is the assistance. For partly assisted persons the assistance is
 * posted together with the person's own payment.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { z } from 'zod';
import { isDateString } from '../dates.js';
import { ConflictError, InputError, NotFoundError } from '../errors.js';
import { MAX_YUAN, formatYuan } from '../money.js';
import { onceMoreIfRaced } from '../store/pg-errors.js';
import type { DB } from '../store/schema.js';
import { audit } from '../access/audit.js';
import { requireVillage, type Actor } from '../access/roles.js';
import { ACCOUNTS, post } from '../ledger/ledger.js';
import type { QuoteService } from '../quotes/quote-service.js';
import { parseBody, positiveFen } from '../request-input.js';
import { followGuardian } from './newborns.js';
import { type EnrollmentView, enrollmentView } from './enrollments.js';
import { personFacts, postSubsidy, quoteColumns, quotePerson, storedQuote } from './person-quote.js';

export const PAYMENT_CHANNELS = ['online', 'offline', 'tax_bureau', 'medical_assistance'] as const;
export type PaymentChannel = (typeof PAYMENT_CHANNELS)[number];

const dateStr = z.string().refine(isDateString, { message: 'must be a real date written YYYY-MM-DD' });

export const paymentSchema = z
  .object({
    reference: z.string().trim().min(1).max(100).describe("the channel's payment reference (流水号): the same reference twice is one payment"),
    channel: z.enum(PAYMENT_CHANNELS),
    enrollmentId: z.union([z.string().regex(/^\d{1,18}$/, 'must be an enrollment id'), z.number().int().positive().max(Number.MAX_SAFE_INTEGER)]).optional(),
    idNumber: z.string().trim().regex(/^\d{17}[\dXx]$/, 'must be an 18-character resident ID number').optional(),
    coverageYear: z.number().int().min(2000).max(2100).optional(),
    amountYuan: z.union([z.number(), z.string()]).describe(`yuan, at most two decimals, at most ${MAX_YUAN.payment}; must equal the amount due`),
    paidOn: dateStr,
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.enrollmentId === undefined && (v.idNumber === undefined || v.coverageYear === undefined))
      ctx.addIssue({ code: 'custom', path: v.idNumber === undefined ? ['enrollmentId'] : ['coverageYear'], message: 'give enrollmentId, or idNumber with coverageYear' });
  });
export type PaymentInput = z.input<typeof paymentSchema>;

export interface PaymentResult {
  paymentId: string;
  reference: string;
  channel: PaymentChannel;
  amountYuan: number;
  paidOn: string;
  /** true when this reference had been recorded before: nothing was changed */
  replayed: boolean;
  enrollment: EnrollmentView;
  /** newborns enrolled following this payer */
  newbornsFollowing: string[];
}

type Outcome =
  | { kind: 'done'; result: PaymentResult }
  | { kind: 'duplicate'; message: string };


function today(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

export async function recordPayment(db: Kysely<DB>, quotes: QuoteService, actor: Actor, input: PaymentInput): Promise<PaymentResult> {
  const p = parseBody(paymentSchema, input);
  const amountFen = positiveFen('amountYuan', p.amountYuan, MAX_YUAN.payment);
  if (p.paidOn > today()) throw new InputError('paidOn', 'is in the future');
  // the same reference recorded at the same moment by another request is read as a replay
  const out = await onceMoreIfRaced('payment_reference_key', () => db.transaction().execute((tx) => pay(tx, quotes, actor, p, amountFen)));
  if (out.kind === 'duplicate') throw new ConflictError('DUPLICATE_ENROLLMENT', out.message);
  return out.result;
}

async function pay(tx: Transaction<DB>, quotes: QuoteService, actor: Actor, p: z.infer<typeof paymentSchema>, amountFen: number): Promise<Outcome> {
  // the enrollment, locked: payments of one enrollment are serialised
  let q = tx
    .selectFrom('enrollment as e')
    .innerJoin('person as p', 'p.id', 'e.person_id')
    .select(['e.id', 'e.person_id', 'e.coverage_year', 'e.state', 'e.tier', 'e.block_reason', 'p.village_code', 'p.household_id', 'p.id_number'])
    .forUpdate('e' as never);
  if (p.enrollmentId !== undefined) q = q.where('e.id', '=', String(p.enrollmentId));
  else q = q.where('p.id_number', '=', p.idNumber!.toUpperCase()).where('e.coverage_year', '=', p.coverageYear!);
  const e = await q.executeTakeFirst();
  if (!e) {
    if (p.enrollmentId !== undefined) throw new NotFoundError('enrollment', String(p.enrollmentId));
    throw new NotFoundError('enrollment', `for this ID number in ${p.coverageYear} (assess the year first)`);
  }
  requireVillage(actor, e.village_code);
  const enrollmentId = String(e.id);
  if (p.coverageYear !== undefined && p.coverageYear !== e.coverage_year) throw new InputError('coverageYear', `the enrollment is for ${e.coverage_year}`);
  if (p.idNumber !== undefined && p.idNumber.toUpperCase() !== e.id_number.toUpperCase()) throw new InputError('idNumber', 'is not the ID number of the enrollment’s person');

  const prior = await tx.selectFrom('payment').selectAll().where('reference', '=', p.reference).executeTakeFirst();
  if (prior) {
    const same = prior.channel === p.channel && String(prior.enrollment_id) === enrollmentId && Number(prior.amount_fen) === amountFen && prior.paid_on === p.paidOn;
    if (!same)
      throw new ConflictError(
        'PAYMENT_REFERENCE_REUSED',
        `payment reference ${p.reference} was recorded on ${new Date(prior.recorded_at as unknown as string).toISOString()} for another payment (channel, enrollment, amount or date differ)`,
      );
    const followers = await tx.selectFrom('enrollment').select('id').where('guardian_person_id', '=', String(e.person_id)).where('coverage_year', '=', e.coverage_year).execute();
    return {
      kind: 'done',
      result: {
        paymentId: String(prior.id),
        reference: prior.reference,
        channel: prior.channel,
        amountYuan: Number(prior.amount_fen) / 100,
        paidOn: prior.paid_on,
        replayed: true,
        enrollment: (await enrollmentView(tx, enrollmentId))!,
        newbornsFollowing: followers.map((f) => String(f.id)),
      },
    };
  }

  if (e.state === 'blocked') throw new ConflictError('DUPLICATE_ENROLLMENT', e.block_reason ?? 'the enrollment is blocked as a duplicate enrollment');
  if (e.state === 'paid') {
    // the same ID number paid twice for the year: flag it, refuse the second payment
    const first = await tx.selectFrom('payment').select(['reference']).where('enrollment_id', '=', enrollmentId).orderBy('id').executeTakeFirst();
    const detail = `second payment ${p.reference} (${p.channel}, ${formatYuan(amountFen)} yuan, ${p.paidOn}) refused: already paid${first ? ` by ${first.reference}` : ' (following a guardian)'}`;
    const flag = await tx
      .insertInto('duplicate_flag')
      .values({ person_id: String(e.person_id), id_number: e.id_number, coverage_year: e.coverage_year, reason: 'same_id_twice', detail })
      .onConflict((oc) => oc.columns(['id_number', 'coverage_year', 'reason']).doUpdateSet({ detail, resolved_at: null }))
      .returning('id')
      .executeTakeFirstOrThrow();
    await audit(tx, actor, 'flag_duplicate', 'duplicate_flag', flag.id, { reason: 'same_id_twice', enrollmentId, reference: p.reference, channel: p.channel });
    return { kind: 'duplicate', message: `重复参保：enrollment ${enrollmentId} is already paid for ${e.coverage_year}${first ? ` (payment ${first.reference})` : ''}; the payment is refused and flagged` };
  }

  // re-quote with the actual payment date
  const f = await personFacts(tx, String(e.person_id), e.coverage_year);
  if (!f) throw new NotFoundError('person', String(e.person_id));
  const quote = quotePerson(quotes, f, e.coverage_year, { tier: e.tier, paidOn: p.paidOn, enrolledOn: p.paidOn });
  const r = quote.result;
  if (!r.accepted) throw new ConflictError(r.reason!.code, `${r.reason!.message}: payment on ${p.paidOn} is not accepted for ${e.coverage_year}`);
  const due = r.individualDue!;
  const assistance = r.assistance ?? 0;
  if (p.channel === 'medical_assistance') {
    if (due !== 0)
      throw new InputError('channel', `the person owes ${formatYuan(due)} yuan; the medical-assistance fund's part (${formatYuan(assistance)} yuan) is posted with the person's own payment`);
    if (amountFen !== assistance)
      throw new InputError('amountYuan', `${formatYuan(amountFen)} yuan is not the assistance due from the medical-assistance fund: ${formatYuan(assistance)} yuan`);
  } else {
    if (due === 0)
      throw new InputError('channel', `nothing is due from the person (the medical-assistance fund pays ${formatYuan(assistance)} yuan): record it with channel medical_assistance`);
    if (amountFen !== due)
      throw new InputError('amountYuan', `${formatYuan(amountFen)} yuan is not the amount due: ${formatYuan(due)} yuan (paid on ${p.paidOn}${r.subsidyBorneByPerson ? `, including the fiscal subsidy of ${formatYuan(r.subsidyBorneByPerson)} yuan the person bears` : ''})`);
  }

  const row = await tx
    .insertInto('payment')
    .values({ reference: p.reference, channel: p.channel, enrollment_id: enrollmentId, amount_fen: amountFen, paid_on: p.paidOn, recorded_by: actor.username })
    .returning('id')
    .executeTakeFirstOrThrow();
  const paymentId = String(row.id);
  await tx
    .updateTable('enrollment')
    .set({
      ...quoteColumns(r),
      tier: quote.tier,
      pack: quote.cp.pack.id,
      state: 'paid',
      block_reason: null,
      quote: JSON.stringify(storedQuote(quote)),
      paid_fen: sql`${amountFen}::bigint`,
      paid_on: p.paidOn,
      guardian_person_id: null,
      version: sql`version + 1`,
      updated_at: sql`now()`,
    })
    .where('id', '=', enrollmentId)
    .execute();
  const year = e.coverage_year;
  if (p.channel !== 'medical_assistance')
    await post(tx, `个人缴费 ${year} ${p.reference}`, 'payment', paymentId, [
      { account: ACCOUNTS.contributionsReceived, fen: amountFen },
      { account: ACCOUNTS.basicFund, fen: -amountFen },
    ], year);
  if (assistance > 0)
    await post(tx, `医疗救助资助参保 ${year} ${p.reference}`, 'assistance', paymentId, [
      { account: ACCOUNTS.medicalAssistanceFund, fen: assistance },
      { account: ACCOUNTS.basicFund, fen: -assistance },
    ], year);
  await postSubsidy(tx, enrollmentId, r, `财政补助 ${year} enrollment ${enrollmentId}`, year);
  await audit(tx, actor, 'record_payment', 'payment', paymentId, {
    enrollmentId,
    reference: p.reference,
    channel: p.channel,
    amountFen,
    paidOn: p.paidOn,
    assistanceFen: assistance,
    subsidyFen: r.subsidy?.total ?? 0,
    subsidyBorneByPersonFen: r.subsidyBorneByPerson ?? 0,
    benefitStart: quote.answer.benefitPeriod?.start ?? null,
    waitingDays: quote.answer.waitingDays,
  });
  const followers = await followGuardian(tx, quotes, actor, e.household_id === null ? null : String(e.household_id), year);
  return {
    kind: 'done',
    result: {
      paymentId,
      reference: p.reference,
      channel: p.channel,
      amountYuan: amountFen / 100,
      paidOn: p.paidOn,
      replayed: false,
      enrollment: (await enrollmentView(tx, enrollmentId))!,
      newbornsFollowing: followers,
    },
  };
}

/** Sum of payments, for reconciliation with contributions_received. */
export async function paymentTotals(db: Kysely<DB>, coverageYear?: number): Promise<{ channel: string; count: number; fen: number }[]> {
  let q = db
    .selectFrom('payment as p')
    .innerJoin('enrollment as e', 'e.id', 'p.enrollment_id')
    .select(['p.channel', sql<string>`count(*)`.as('n'), sql<string>`coalesce(sum(p.amount_fen), 0)`.as('fen')])
    .groupBy('p.channel')
    .orderBy('p.channel');
  if (coverageYear !== undefined) q = q.where('e.coverage_year', '=', coverageYear);
  return (await q.execute()).map((r) => ({ channel: r.channel, count: Number(r.n), fen: Number(r.fen) }));
}
