/**
 * Reports on the fund ledger, all derived from postings (nothing stored is ever edited):
 * the trial balance, what is owed to each hospital, and the journal paged by entry id.
 *
 * Signs: postings and `balance` are debit-positive (ledger.ts). `natural` is the balance as
 * the account's kind reads it: assets and expenses debit-positive; equity (the three funds),
 * liabilities (payable to hospitals) and income credit-positive. So a fund that has received
 * contributions and paid settlements shows what it still holds as a positive `natural`, and
 * `payable_hospitals` shows what is owed as a positive `natural`.
 */
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import { fromZodIssues } from '../errors.js';
import { fenToYuan, type Fen } from '../money.js';
import type { DB } from '../store/schema.js';
import { ACCOUNTS, balances, unbalancedEntries } from './ledger.js';

const CREDIT_KINDS = new Set(['equity', 'liability', 'income']);

export interface TrialBalanceLine {
  account: string;
  name: string;
  kind: string;
  /** debit-positive, yuan */
  balance: number;
  /** the balance in the account's natural sign, yuan */
  natural: number;
  debit: number;
  credit: number;
}

export interface HospitalPayable {
  hospitalCode: string;
  name: string;
  /** owed to the hospital (credit balance of payable_hospitals from its settlements and their reversals), yuan */
  payable: number;
  /** fen, for exact comparison */
  payableFen: Fen;
}

export interface TrialBalance {
  accounts: TrialBalanceLine[];
  totalDebit: number;
  totalCredit: number;
  /** sum of all postings (fen): zero in a sound ledger */
  sumFen: Fen;
  balanced: boolean;
  unbalancedEntries: string[];
  payableByHospital: HospitalPayable[];
  /** payable_hospitals postings not from a settlement or its reversal (e.g. payments to hospitals), yuan, natural sign */
  payableOther: number;
}

/** What each hospital is owed: payable_hospitals postings grouped by the settlement they come from (journal_entry.source/source_id). */
export async function payableByHospital(db: Kysely<DB>): Promise<HospitalPayable[]> {
  const rows = await db
    .selectFrom('posting as p')
    .innerJoin('journal_entry as j', 'j.id', 'p.entry_id')
    .innerJoin('settlement as s', 's.id', 'j.source_id')
    .innerJoin('hospital as h', 'h.code', 's.hospital_code')
    .select(['s.hospital_code', 'h.name', sql<string>`sum(p.amount_fen)`.as('fen')])
    .where('p.account', '=', ACCOUNTS.payableHospitals)
    .where('j.source', 'in', ['settlement', 'reversal'])
    .groupBy(['s.hospital_code', 'h.name'])
    .orderBy('s.hospital_code')
    .execute();
  return rows.map((r) => ({ hospitalCode: r.hospital_code, name: r.name, payableFen: -Number(r.fen), payable: fenToYuan(-Number(r.fen)) }));
}

export async function trialBalance(db: Kysely<DB>): Promise<TrialBalance> {
  const [accounts, unbalanced, byHospital] = await Promise.all([balances(db), unbalancedEntries(db), payableByHospital(db)]);
  let debit = 0;
  let credit = 0;
  let sum = 0;
  const lines = accounts.map((a) => {
    const b = a.balanceFen;
    sum += b;
    if (b > 0) debit += b;
    else credit -= b;
    return { account: a.account, name: a.name, kind: a.kind, balance: fenToYuan(b), natural: fenToYuan(CREDIT_KINDS.has(a.kind) ? -b : b), debit: fenToYuan(b > 0 ? b : 0), credit: fenToYuan(b < 0 ? -b : 0) };
  });
  const payable = -(accounts.find((a) => a.account === ACCOUNTS.payableHospitals)?.balanceFen ?? 0);
  const attributed = byHospital.reduce((s, h) => s + h.payableFen, 0);
  return {
    accounts: lines,
    totalDebit: fenToYuan(debit),
    totalCredit: fenToYuan(credit),
    sumFen: sum,
    balanced: sum === 0 && unbalanced.length === 0,
    unbalancedEntries: unbalanced,
    payableByHospital: byHospital,
    payableOther: fenToYuan(payable - attributed),
  };
}

export const entriesQuerySchema = z
  .object({
    after: z.string().regex(/^\d{1,18}$/, 'must be an entry id').optional().describe('paging: the last entry id of the previous page'),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    source: z.string().min(1).max(40).optional().describe("'payment', 'assistance', 'subsidy', 'settlement', 'reversal', 'fund_transfer'"),
    account: z.string().min(1).max(60).optional().describe('only entries with a posting on this account'),
  })
  .strict();

export interface EntryView {
  id: string;
  at: string;
  memo: string;
  source: string;
  sourceId: string | null;
  postings: { account: string; amount: number; amountFen: Fen }[];
}

/** Journal entries oldest first with their postings, paged by id (`next`: pass as `after`). */
export async function entries(db: Kysely<DB>, query: unknown): Promise<{ entries: EntryView[]; next: string | null }> {
  const r = entriesQuerySchema.safeParse(query ?? {});
  if (!r.success) throw fromZodIssues(r.error.issues);
  const q = r.data;
  let sel = db.selectFrom('journal_entry as j').select(['j.id', 'j.at', 'j.memo', 'j.source', 'j.source_id']).orderBy('j.id').limit(q.limit);
  if (q.after) sel = sel.where('j.id', '>', q.after);
  if (q.source) sel = sel.where('j.source', '=', q.source);
  if (q.account) {
    const account = q.account;
    sel = sel.where(({ exists, selectFrom }) => exists(selectFrom('posting as x').select('x.id').whereRef('x.entry_id', '=', 'j.id').where('x.account', '=', account)));
  }
  const rows = await sel.execute();
  const ids = rows.map((e) => String(e.id));
  const postings = ids.length ? await db.selectFrom('posting').select(['entry_id', 'account', 'amount_fen']).where('entry_id', 'in', ids).orderBy('id').execute() : [];
  const byEntry = new Map<string, EntryView['postings']>();
  for (const p of postings) {
    const k = String(p.entry_id);
    const fen = Number(p.amount_fen);
    (byEntry.get(k) ?? byEntry.set(k, []).get(k)!).push({ account: p.account, amount: fenToYuan(fen), amountFen: fen });
  }
  const out = rows.map((e) => ({ id: String(e.id), at: new Date(e.at as unknown as Date | string).toISOString(), memo: e.memo, source: e.source, sourceId: e.source_id === null ? null : String(e.source_id), postings: byEntry.get(String(e.id)) ?? [] }));
  return { entries: out, next: out.length === q.limit ? out[out.length - 1].id : null };
}
