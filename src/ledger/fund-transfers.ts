/**
 * Money coming into the two funds that settlements and assistance draw on. Nothing else
 * credits them: settlements debit critical_illness_fund and medical_assistance_fund with what
 * 大病保险 and 医疗救助 paid, and payments debit medical_assistance_fund with the contributions
 * it pays for assisted persons. A transfer records what finances them:
 *
 *   critical_illness_allocation       Dr basic_fund                                   / Cr critical_illness_fund
 *     大病保险 is financed from the basic medical-insurance fund (医保发〔2022〕20号: 统筹安排
 *     城乡居民大病保险资金; 渝医保发〔2022〕25号: 统筹考虑确定大病保险筹资标准)
 *   medical_assistance_appropriation  Dr medical_assistance_appropriation_receivable  / Cr medical_assistance_fund
 *     the medical-assistance fund is financed by fiscal appropriations (鲁医保发〔2022〕24号:
 *     各级财政通过医疗救助资金代符合条件人员缴纳的个人缴费…财政部门拨付资金), owed by the
 *     treasury until received
 *
 * The notices give no amounts: the amount is what the finance officer records. Idempotent by
 * the transfer's reference (its document number): the same transfer again (same kind, year and
 * amount) returns the first result with `replayed: true` and writes nothing; another transfer
 * under a used reference is refused (409 TRANSFER_REFERENCE_REUSED). In one transaction: the
 * fund_transfer row, its journal entry (source 'fund_transfer', source_id the transfer's id)
 * and the audit row.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { z } from 'zod';
import { ConflictError, fromZodIssues } from '../errors.js';
import { MAX_YUAN, fenToYuan, formatYuan, type Fen } from '../money.js';
import { onceMoreIfRaced } from '../store/pg-errors.js';
import type { DB, FundTransferTable } from '../store/schema.js';
import { audit } from '../access/audit.js';
import type { Actor } from '../access/roles.js';
import { ACCOUNTS, post } from './ledger.js';
import { parseBody, positiveFen } from '../request-input.js';

export const TRANSFER_KINDS = ['critical_illness_allocation', 'medical_assistance_appropriation'] as const;
export type TransferKind = (typeof TRANSFER_KINDS)[number];

/** What each kind posts, and the journal memo it starts with. */
export const TRANSFER_POSTINGS: Record<TransferKind, { debit: string; credit: string; memo: string }> = {
  critical_illness_allocation: { debit: ACCOUNTS.basicFund, credit: ACCOUNTS.criticalIllnessFund, memo: '大病保险资金划转' },
  medical_assistance_appropriation: { debit: ACCOUNTS.medicalAssistanceAppropriationReceivable, credit: ACCOUNTS.medicalAssistanceFund, memo: '医疗救助财政资金拨入' },
};

const coverageYear = z.number().int().min(2000).max(2100);

export const transferSchema = z
  .object({
    kind: z
      .enum(TRANSFER_KINDS)
      .describe('critical_illness_allocation: from the basic fund to 大病保险 (Dr basic_fund / Cr critical_illness_fund); medical_assistance_appropriation: fiscal appropriation to the medical-assistance fund (Dr medical_assistance_appropriation_receivable / Cr medical_assistance_fund)'),
    reference: z.string().trim().min(1).max(100).describe('the transfer’s document number: the same reference twice is one transfer'),
    coverageYear: coverageYear.describe('the coverage year the money is for'),
    amountYuan: z.union([z.number(), z.string()]).describe(`yuan, more than 0, at most two decimals, at most ${MAX_YUAN.transfer}`),
    memo: z.string().trim().max(500).optional().describe('what the amount rests on (e.g. the decision or notice); kept with the transfer and in the journal memo'),
  })
  .strict();
export type TransferInput = z.input<typeof transferSchema>;

export interface FundTransferView {
  id: string;
  reference: string;
  kind: TransferKind;
  coverageYear: number;
  /** yuan */
  amountYuan: number;
  amountFen: Fen;
  memo: string | null;
  /** the account debited and the account credited */
  debit: string;
  credit: string;
  /** the journal entry */
  entryId: string;
  recordedBy: string;
  recordedAt: string;
}

export interface FundTransferResult extends FundTransferView {
  /** true when this reference had been recorded before: nothing was written */
  replayed: boolean;
}

type Row = Omit<FundTransferTable, 'id' | 'recorded_at' | 'amount_fen' | 'entry_id'> & { id: string; amount_fen: string; entry_id: string; recorded_at: Date | string };

function view(r: Row): FundTransferView {
  const fen = Number(r.amount_fen);
  const p = TRANSFER_POSTINGS[r.kind];
  return {
    id: String(r.id),
    reference: r.reference,
    kind: r.kind,
    coverageYear: r.coverage_year,
    amountYuan: fenToYuan(fen),
    amountFen: fen,
    memo: r.memo,
    debit: p.debit,
    credit: p.credit,
    entryId: String(r.entry_id),
    recordedBy: r.recorded_by,
    recordedAt: new Date(r.recorded_at).toISOString(),
  };
}

/** Record a transfer into the critical-illness or the medical-assistance fund (see the module comment). */
export async function recordTransfer(db: Kysely<DB>, actor: Actor, input: unknown): Promise<FundTransferResult> {
  const t = parseBody(transferSchema, input);
  const amountFen = positiveFen('amountYuan', t.amountYuan, MAX_YUAN.transfer);
  const memo = t.memo ? t.memo : null;
  // the same reference recorded at the same moment by another request is read as a replay (or a conflict)
  return onceMoreIfRaced('fund_transfer_reference_key', () => db.transaction().execute((tx) => write(tx, actor, t, amountFen, memo)));
}

async function write(tx: Transaction<DB>, actor: Actor, t: z.infer<typeof transferSchema>, amountFen: Fen, memo: string | null): Promise<FundTransferResult> {
  const prior = await tx.selectFrom('fund_transfer').selectAll().where('reference', '=', t.reference).executeTakeFirst();
  if (prior) {
    const same = prior.kind === t.kind && prior.coverage_year === t.coverageYear && Number(prior.amount_fen) === amountFen;
    if (!same)
      throw new ConflictError(
        'TRANSFER_REFERENCE_REUSED',
        `transfer reference ${t.reference} was recorded on ${new Date(prior.recorded_at as unknown as string).toISOString()} for another transfer (${prior.kind}, ${prior.coverage_year}, ${formatYuan(Number(prior.amount_fen))} yuan)`,
      );
    return { ...view(prior as unknown as Row), replayed: true };
  }
  // the transfer's id first, so that its journal entry can name it (source_id) and it the entry
  const next = await sql<{ id: string }>`SELECT nextval(pg_get_serial_sequence('fund_transfer', 'id'))::text AS id`.execute(tx);
  const id = next.rows[0].id;
  const p = TRANSFER_POSTINGS[t.kind];
  const entryMemo = `${p.memo} ${t.coverageYear} ${t.reference}${memo ? `（${memo}）` : ''}`;
  const entryId = await post(tx, entryMemo, 'fund_transfer', id, [
    { account: p.debit, fen: amountFen },
    { account: p.credit, fen: -amountFen },
  ], t.coverageYear);
  const row = await tx
    .insertInto('fund_transfer')
    .values({ id, reference: t.reference, kind: t.kind, coverage_year: t.coverageYear, amount_fen: amountFen, memo, entry_id: entryId!, recorded_by: actor.username })
    .returningAll()
    .executeTakeFirstOrThrow();
  await audit(tx, actor, 'record_transfer', 'fund_transfer', id, { reference: t.reference, kind: t.kind, coverageYear: t.coverageYear, amountFen, entryId, memo });
  return { ...view(row as unknown as Row), replayed: false };
}

export const transfersQuerySchema = z
  .object({
    year: z.coerce.number().int().min(2000).max(2100).optional().describe('only transfers for this coverage year'),
    kind: z.enum(TRANSFER_KINDS).optional(),
    after: z.string().regex(/^\d{1,18}$/, 'must be a transfer id').optional().describe('paging: the last transfer id of the previous page'),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

/** Transfers oldest first, paged by id (`next`: pass as `after`). */
export async function listTransfers(db: Kysely<DB>, query: unknown): Promise<{ transfers: FundTransferView[]; next: string | null }> {
  const r = transfersQuerySchema.safeParse(query ?? {});
  if (!r.success) throw fromZodIssues(r.error.issues);
  const q = r.data;
  let sel = db.selectFrom('fund_transfer').selectAll().orderBy('id').limit(q.limit);
  if (q.year !== undefined) sel = sel.where('coverage_year', '=', q.year);
  if (q.kind) sel = sel.where('kind', '=', q.kind);
  if (q.after) sel = sel.where('id', '>', q.after);
  const rows = (await sel.execute()).map((x) => view(x as unknown as Row));
  return { transfers: rows, next: rows.length === q.limit ? rows[rows.length - 1].id : null };
}
