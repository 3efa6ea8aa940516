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
  /** the same, exact, as decimal text (taken in the database's numeric) */
  sumFenExact: string;
  balanced: boolean;
  unbalancedEntries: string[];
  payableByHospital: HospitalPayable[];
  /** payable_hospitals postings not from a settlement, its reversal or a hospital's recovery (e.g. payments to hospitals), yuan, natural sign */
  payableOther: number;
}

/**
 * What each hospital is owed: payable_hospitals postings grouped by the settlement they come from
 * (journal_entry.source/source_id), less the recoveries it owes back (source 'recovery', the
 * hospital on the entry: journal_entry.hospital_code, 043).
 */
export async function payableByHospital(db: Kysely<DB>): Promise<HospitalPayable[]> {
  const { rows } = await sql<{ hospital_code: string; name: string; fen: string }>`
    WITH owed AS (
      SELECT s.hospital_code, p.amount_fen FROM posting p JOIN journal_entry j ON j.id = p.entry_id JOIN settlement s ON s.id = j.source_id
       WHERE p.account = ${ACCOUNTS.payableHospitals} AND j.source IN ('settlement', 'reversal')
      UNION ALL
      SELECT j.hospital_code, p.amount_fen FROM posting p JOIN journal_entry j ON j.id = p.entry_id
       WHERE p.account = ${ACCOUNTS.payableHospitals} AND j.source = 'recovery' AND j.hospital_code IS NOT NULL)
    SELECT o.hospital_code, h.name, sum(o.amount_fen)::text AS fen FROM owed o JOIN hospital h ON h.code = o.hospital_code
     GROUP BY o.hospital_code, h.name ORDER BY o.hospital_code`.execute(db);
  return rows.map((r) => ({ hospitalCode: r.hospital_code, name: r.name, payableFen: -Number(r.fen), payable: fenToYuan(-Number(r.fen)) }));
}

/**
 * The sums over the whole ledger, taken in the database's numeric (exact whatever their size):
 * all postings, and the debit and credit sides of the accounts' balances, as decimal text of fen.
 */
async function ledgerTotals(db: Kysely<DB>): Promise<{ sum: string; debit: string; credit: string }> {
  const r = await sql<{ sum: string; debit: string; credit: string }>`
    WITH b AS (SELECT account, sum(amount_fen) AS bal FROM posting GROUP BY account)
    SELECT coalesce(sum(bal), 0)::text AS sum,
           coalesce(sum(bal) FILTER (WHERE bal > 0), 0)::text AS debit,
           coalesce(-sum(bal) FILTER (WHERE bal < 0), 0)::text AS credit
      FROM b`.execute(db);
  return r.rows[0];
}

export async function trialBalance(db: Kysely<DB>): Promise<TrialBalance> {
  const [accounts, unbalanced, byHospital, totals] = await Promise.all([balances(db), unbalancedEntries(db), payableByHospital(db), ledgerTotals(db)]);
  const lines = accounts.map((a) => {
    const b = a.balanceFen;
    return { account: a.account, name: a.name, kind: a.kind, balance: fenToYuan(b), natural: fenToYuan(CREDIT_KINDS.has(a.kind) ? -b : b), debit: fenToYuan(b > 0 ? b : 0), credit: fenToYuan(b < 0 ? -b : 0) };
  });
  const payable = -(accounts.find((a) => a.account === ACCOUNTS.payableHospitals)?.balanceFen ?? 0);
  const attributed = byHospital.reduce((s, h) => s + h.payableFen, 0);
  return {
    accounts: lines,
    totalDebit: fenToYuan(Number(totals.debit)),
    totalCredit: fenToYuan(Number(totals.credit)),
    sumFen: Number(totals.sum),
    sumFenExact: totals.sum,
    // decided on the exact sums, never on rounded floats
    balanced: totals.sum === '0' && totals.debit === totals.credit && unbalanced.length === 0,
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
