/**
 * Money received (资金到位): what governments owe the fund and what they have paid.
 *
 * - A fiscal subsidy accrues when an enrollment is paid (Dr subsidy_receivable_<level> / Cr
 *   basic_fund, src/campaign/person-quote.ts subsidyLines); a receipt from one level for a
 *   coverage year posts Dr fund_bank / Cr subsidy_receivable_<level>. Receipts may be partial;
 *   what is outstanding is accrued less received, per level and year, and its age is counted from
 *   the months it accrued in, the oldest covered first (各级财政部门要按规定及时拨付).
 * - The medical-assistance fund's appropriation is recorded as a transfer (fund-transfers.ts:
 *   Dr medical_assistance_appropriation_receivable / Cr medical_assistance_fund); its receipt posts
 *   Dr fund_bank / Cr medical_assistance_appropriation_receivable.
 * - The transfer to 大病保险 is the ledger's critical_illness_allocation transfer.
 *
 * Idempotent by reference: the same receipt again returns the first with `replayed: true` and
 * writes nothing; another receipt under a used reference is 409 RECEIPT_REFERENCE_REUSED. In one
 * transaction: the fund_receipt row, its journal entry (source 'fund_receipt') and the audit row.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { z } from 'zod';
import { ConflictError } from '../errors.js';
import { MAX_YUAN, fenToYuan, formatYuan, type Fen } from '../money.js';
import { parseBody, positiveFen } from '../request-input.js';
import { onceMoreIfRaced } from '../store/pg-errors.js';
import type { DB } from '../store/schema.js';
import { audit } from '../access/audit.js';
import type { Actor } from '../access/roles.js';
import { ACCOUNTS, post } from '../ledger/ledger.js';
import { FUND_BANK } from './clearing.js';

type Db = Kysely<DB> | Transaction<DB>;

export const SUBSIDY_LEVELS = ['central', 'provincial', 'prefecture', 'county', 'local', 'unallocated'] as const;
export const LEVEL_LABELS: Record<string, string> = { central: '中央', provincial: '省级', prefecture: '市级', county: '县级', local: '地方', unallocated: '未分级', medical_assistance: '医疗救助财政资金' };

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date written YYYY-MM-DD');

export const receiptSchema = z
  .object({
    kind: z.enum(['fiscal_subsidy', 'assistance_appropriation']).default('fiscal_subsidy'),
    level: z.enum(SUBSIDY_LEVELS).optional().describe('the level of government paying (fiscal_subsidy only)'),
    reference: z.string().trim().min(1).max(100).describe('the receipt’s document or bank reference: the same reference twice is one receipt'),
    coverageYear: z.number().int().min(2000).max(2100),
    amountYuan: z.union([z.number(), z.string()]),
    receivedOn: day,
    memo: z.string().trim().max(500).optional(),
  })
  .strict()
  .superRefine((v, c) => {
    if (v.kind === 'fiscal_subsidy' && !v.level) c.addIssue({ code: 'custom', path: ['level'], message: 'a fiscal subsidy receipt names the level of government' });
    if (v.kind === 'assistance_appropriation' && v.level) c.addIssue({ code: 'custom', path: ['level'], message: 'an appropriation of the medical-assistance fund has no subsidy level' });
  });

export interface ReceiptView {
  id: string;
  reference: string;
  kind: 'fiscal_subsidy' | 'assistance_appropriation';
  level: string | null;
  coverageYear: number;
  amountFen: Fen;
  amountYuan: number;
  receivedOn: string;
  memo: string | null;
  entryId: string;
  recordedBy: string;
  replayed?: boolean;
}

interface Row {
  id: string;
  reference: string;
  kind: 'fiscal_subsidy' | 'assistance_appropriation';
  level: string | null;
  coverage_year: number;
  amount_fen: string;
  received_on: string;
  memo: string | null;
  entry_id: string;
  recorded_by: string;
}

const view = (r: Row): ReceiptView => ({
  id: r.id,
  reference: r.reference,
  kind: r.kind,
  level: r.level,
  coverageYear: r.coverage_year,
  amountFen: Number(r.amount_fen),
  amountYuan: fenToYuan(Number(r.amount_fen)),
  receivedOn: r.received_on,
  memo: r.memo,
  entryId: r.entry_id,
  recordedBy: r.recorded_by,
});

const SELECT = sql`SELECT id::text, reference, kind, level, coverage_year, amount_fen::text, to_char(received_on, 'YYYY-MM-DD') AS received_on, memo, entry_id::text, recorded_by FROM fund_receipt`;

/** Record money received (see the module comment). */
export async function recordReceipt(db: Kysely<DB>, actor: Actor, input: unknown): Promise<ReceiptView> {
  const r = parseBody(receiptSchema, input);
  const amountFen = positiveFen('amountYuan', r.amountYuan, MAX_YUAN.transfer);
  const level = r.kind === 'fiscal_subsidy' ? r.level! : null;
  return onceMoreIfRaced('fund_receipt_reference_key', () =>
    db.transaction().execute(async (tx) => {
      const prior = (await sql<Row>`${SELECT} WHERE reference = ${r.reference}`.execute(tx)).rows[0];
      if (prior) {
        const same = prior.kind === r.kind && prior.level === level && prior.coverage_year === r.coverageYear && Number(prior.amount_fen) === amountFen && prior.received_on === r.receivedOn;
        if (!same) throw new ConflictError('RECEIPT_REFERENCE_REUSED', `receipt reference ${r.reference} was recorded for another receipt (${prior.kind} ${prior.level ?? ''} ${prior.coverage_year}, ${formatYuan(Number(prior.amount_fen))} yuan on ${prior.received_on})`);
        return { ...view(prior), replayed: true };
      }
      const credit = level ? ACCOUNTS.subsidyReceivable(level) : ACCOUNTS.medicalAssistanceAppropriationReceivable;
      const what = level ? `${LEVEL_LABELS[level]}财政补助到账` : '医疗救助财政资金到账';
      const entryId = await post(tx, `${what} ${r.coverageYear} ${r.reference}${r.memo ? `（${r.memo}）` : ''}`, 'fund_receipt', null, [
        { account: FUND_BANK, fen: amountFen },
        { account: credit, fen: -amountFen },
      ], r.coverageYear);
      const row = (
        await sql<Row>`INSERT INTO fund_receipt (reference, kind, level, coverage_year, amount_fen, received_on, memo, entry_id, recorded_by)
          VALUES (${r.reference}, ${r.kind}, ${level}, ${r.coverageYear}, ${amountFen}, ${r.receivedOn}::date, ${r.memo ?? null}, ${entryId}, ${actor.username})
          RETURNING id::text, reference, kind, level, coverage_year, amount_fen::text, to_char(received_on, 'YYYY-MM-DD') AS received_on, memo, entry_id::text, recorded_by`.execute(tx)
      ).rows[0];
      await audit(tx, actor, 'record_fund_receipt', 'fund_receipt', row.id, { reference: r.reference, kind: r.kind, level, coverageYear: r.coverageYear, amountFen, receivedOn: r.receivedOn, entryId });
      return { ...view(row), replayed: false };
    }),
  );
}

export async function listReceipts(db: Db, year?: number): Promise<ReceiptView[]> {
  const rows = (await sql<Row>`${SELECT} WHERE (${year ?? null}::int IS NULL OR coverage_year = ${year ?? null}) ORDER BY id`.execute(db)).rows;
  return rows.map(view);
}

export interface OutstandingLine {
  /** a subsidy level, or 'medical_assistance' for the assistance fund's appropriation */
  level: string;
  label: string;
  coverageYear: number;
  accruedFen: Fen;
  receivedFen: Fen;
  /** accrued less received (negative: received ahead of what accrued) */
  outstandingFen: Fen;
  outstanding: number;
  /** share received, 0..1 (null when nothing accrued) */
  receivedShare: number | null;
  /** the outstanding amount by age, counted from the month it accrued in (oldest received first) */
  aging: { days0to90: Fen; days91to180: Fen; days181to365: Fen; over365: Fen };
  /** days since the start of the oldest month with money still outstanding */
  oldestDays: number | null;
}

/** Outstanding by accrual month after receipts covered the oldest first: FIFO, pure. */
export function ageOutstanding(accruals: readonly { month: string; fen: Fen }[], receivedFen: Fen, asOf: string): Pick<OutstandingLine, 'aging' | 'oldestDays'> {
  const aging = { days0to90: 0, days91to180: 0, days181to365: 0, over365: 0 };
  let left = receivedFen;
  let oldest: number | null = null;
  const asOfMs = Date.parse(`${asOf}T00:00:00Z`);
  for (const a of [...accruals].sort((x, y) => x.month.localeCompare(y.month))) {
    const covered = Math.min(Math.max(left, 0), a.fen);
    left -= covered;
    const rest = a.fen - covered;
    if (rest <= 0) continue;
    const days = Math.max(0, Math.floor((asOfMs - Date.parse(`${a.month}-01T00:00:00Z`)) / 86_400_000));
    if (oldest === null) oldest = days;
    if (days <= 90) aging.days0to90 += rest;
    else if (days <= 180) aging.days91to180 += rest;
    else if (days <= 365) aging.days181to365 += rest;
    else aging.over365 += rest;
  }
  return { aging, oldestDays: oldest };
}

/**
 * What is outstanding per level and coverage year. Accrued: the subsidy postings of paid
 * enrollments (by the enrollment's year, in the month it was paid) and the assistance
 * appropriations recorded; received: the receipts.
 */
export async function outstanding(db: Db, query: { year?: number; asOf?: string } = {}): Promise<{ asOf: string; lines: OutstandingLine[]; byLevel: { level: string; label: string; outstandingFen: Fen; outstanding: number }[] }> {
  const asOf = query.asOf ?? new Date().toISOString().slice(0, 10);
  const year = query.year ?? null;
  const accr = await sql<{ level: string; year: number; month: string; fen: string }>`
    SELECT replace(p.account, 'subsidy_receivable_', '') AS level, enr.coverage_year AS year, to_char(coalesce(enr.paid_on, j.at::date), 'YYYY-MM') AS month, sum(p.amount_fen)::text AS fen
      FROM posting p JOIN journal_entry j ON j.id = p.entry_id JOIN enrollment enr ON enr.id = j.source_id
     WHERE j.source = 'subsidy' AND p.account LIKE 'subsidy_receivable_%' AND (${year}::int IS NULL OR enr.coverage_year = ${year})
     GROUP BY 1, 2, 3
    UNION ALL
    SELECT 'medical_assistance', t.coverage_year, to_char(t.recorded_at, 'YYYY-MM'), sum(t.amount_fen)::text
      FROM fund_transfer t WHERE t.kind = 'medical_assistance_appropriation' AND (${year}::int IS NULL OR t.coverage_year = ${year})
     GROUP BY 1, 2, 3`.execute(db);
  const rec = await sql<{ level: string; year: number; fen: string }>`
    SELECT coalesce(level, 'medical_assistance') AS level, coverage_year AS year, sum(amount_fen)::text AS fen FROM fund_receipt
     WHERE (${year}::int IS NULL OR coverage_year = ${year}) GROUP BY 1, 2`.execute(db);
  const key = (l: string, y: number) => `${l}|${y}`;
  const groups = new Map<string, { level: string; year: number; accruals: { month: string; fen: Fen }[]; received: Fen }>();
  const get = (l: string, y: number) => groups.get(key(l, y)) ?? groups.set(key(l, y), { level: l, year: y, accruals: [], received: 0 }).get(key(l, y))!;
  for (const a of accr.rows) get(a.level, a.year).accruals.push({ month: a.month, fen: Number(a.fen) });
  for (const r of rec.rows) get(r.level, r.year).received += Number(r.fen);
  const order = [...SUBSIDY_LEVELS, 'medical_assistance'] as string[];
  const lines = [...groups.values()]
    .sort((a, b) => a.year - b.year || order.indexOf(a.level) - order.indexOf(b.level))
    .map((g): OutstandingLine => {
      const accrued = g.accruals.reduce((s, a) => s + a.fen, 0);
      const out = accrued - g.received;
      return {
        level: g.level,
        label: LEVEL_LABELS[g.level] ?? g.level,
        coverageYear: g.year,
        accruedFen: accrued,
        receivedFen: g.received,
        outstandingFen: out,
        outstanding: fenToYuan(out),
        receivedShare: accrued > 0 ? g.received / accrued : null,
        ...ageOutstanding(g.accruals, g.received, asOf),
      };
    });
  const byLevel = new Map<string, Fen>();
  for (const l of lines) byLevel.set(l.level, (byLevel.get(l.level) ?? 0) + l.outstandingFen);
  return { asOf, lines, byLevel: [...byLevel].map(([level, fen]) => ({ level, label: LEVEL_LABELS[level] ?? level, outstandingFen: fen, outstanding: fenToYuan(fen) })) };
}
