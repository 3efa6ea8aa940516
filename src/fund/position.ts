/**
 * The fund's bottom lines and budget, read from the ledger: each fund's position by month
 * (src/rules/fund-position.ts) with the alerts of the area's pack, and the area's budget per year
 * (以收定支) entered by finance, each entry a new version (the latest counts), tracked against the
 * year's actual income and spending.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { z } from 'zod';
import { InputError } from '../errors.js';
import { MAX_YUAN, fenToYuan, yuanToFen, type Fen } from '../money.js';
import { parseBody } from '../request-input.js';
import type { PolicyLibrary } from '../policy/loader.js';
import type { DB } from '../store/schema.js';
import { audit } from '../access/audit.js';
import type { Actor } from '../access/roles.js';
import { FUND_ACCOUNTS, fundMonths } from '../ledger/fund-months.js';
import { bottomLinesOf, fundPositions, monthRange, trackBudget, type BottomLines, type BudgetTracking, type FundPosition, type MonthFlow } from '../rules/fund-position.js';

type Db = Kysely<DB> | Transaction<DB>;

const region = z.string().regex(/^\d{6}$/, 'must be a region code of six digits');

export const positionQuerySchema = z
  .object({
    region: region.describe('the coordinating area whose packs set the bottom lines'),
    account: z.enum(FUND_ACCOUNTS).optional(),
    from: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month written YYYY-MM').optional(),
    to: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month written YYYY-MM').optional(),
  })
  .strict();

const NONE: BottomLines = { minimumReserveMonths: null, noCurrentDeficit: null };

export function bottomLinesFor(lib: PolicyLibrary, regionCode: string): (year: number) => BottomLines {
  const cache = new Map<number, BottomLines>();
  return (year) => {
    let b = cache.get(year);
    if (!b) cache.set(year, (b = lib.packFor(regionCode, year) ? bottomLinesOf(lib.packFor(regionCode, year)!) : NONE));
    return b;
  };
}

/** The ledger's monthly flows of each fund (all sources together). */
export async function ledgerFlows(db: Kysely<DB>, account?: string): Promise<MonthFlow[]> {
  const { lines } = await fundMonths(db, account ? { account } : {});
  return lines.map((l) => ({ month: l.month, account: l.account, incomeFen: l.incomeFen, spendingFen: l.spendingFen }));
}

const yuanOf = (p: FundPosition) => ({
  ...p,
  income: fenToYuan(p.incomeFen),
  spending: fenToYuan(p.spendingFen),
  currentSurplus: fenToYuan(p.currentSurplusFen),
  balance: fenToYuan(p.balanceFen),
  reserveMonths: p.reserveMonths === null ? null : Math.round(p.reserveMonths * 100) / 100,
});

/** Each fund's position by month with the bottom-line alerts of the region's packs. */
export async function fundPosition(db: Kysely<DB>, lib: PolicyLibrary, query: unknown) {
  const q = parseBody(positionQuerySchema, query ?? {});
  if (!lib.regions.has(q.region)) throw new InputError('region', `unknown region ${q.region}`);
  const lines = bottomLinesFor(lib, q.region);
  const all = fundPositions(await ledgerFlows(db, q.account), lines).filter((p) => (!q.from || p.month >= q.from) && (!q.to || p.month <= q.to));
  const years = [...new Set(all.map((p) => Number(p.month.slice(0, 4))))];
  return {
    region: q.region,
    bottomLines: years.map((y) => {
      const b = lines(y);
      return { year: y, minimumReserveMonths: b.minimumReserveMonths?.months ?? null, noCurrentDeficit: b.noCurrentDeficit !== null, params: [b.minimumReserveMonths?.param, b.noCurrentDeficit?.param].filter(Boolean) };
    }),
    positions: all.map(yuanOf),
    alerts: all.flatMap((p) => p.alerts),
  };
}

export const budgetSchema = z
  .object({
    year: z.number().int().min(2000).max(2100),
    account: z.enum(FUND_ACCOUNTS),
    incomeYuan: z.union([z.number(), z.string()]),
    spendingYuan: z.union([z.number(), z.string()]),
    memo: z.string().trim().max(500).optional(),
  })
  .strict();

function nonNegativeFen(field: string, v: number | string): Fen {
  let fen: Fen;
  try {
    fen = yuanToFen(v);
  } catch (e) {
    throw new InputError(field, (e as Error).message);
  }
  if (fen < 0) throw new InputError(field, 'must not be negative');
  if (fen > MAX_YUAN.transfer * 100) throw new InputError(field, `must be at most ${MAX_YUAN.transfer} yuan`);
  return fen;
}

/** Enter (a new version of) a fund's budget for a year; audited. */
export async function recordBudget(db: Kysely<DB>, actor: Actor, input: unknown): Promise<{ id: string; year: number; account: string; incomeFen: Fen; spendingFen: Fen }> {
  const b = parseBody(budgetSchema, input);
  const incomeFen = nonNegativeFen('incomeYuan', b.incomeYuan);
  const spendingFen = nonNegativeFen('spendingYuan', b.spendingYuan);
  return db.transaction().execute(async (tx) => {
    const { rows } = await sql<{ id: string }>`INSERT INTO fund_budget (year, account, income_fen, spending_fen, memo, recorded_by)
      VALUES (${b.year}, ${b.account}, ${incomeFen}, ${spendingFen}, ${b.memo ?? null}, ${actor.username}) RETURNING id::text`.execute(tx);
    await audit(tx, actor, 'record_fund_budget', 'fund_budget', rows[0].id, { year: b.year, account: b.account, incomeFen, spendingFen, memo: b.memo ?? null });
    return { id: rows[0].id, year: b.year, account: b.account, incomeFen, spendingFen };
  });
}

export const budgetQuerySchema = z.object({ region, year: z.coerce.number().int().min(2000).max(2100) }).strict();

/** The year's budget (latest version of each fund) against the ledger's figures of that year. */
export interface BudgetMonth {
  month: string;
  incomeFen: Fen;
  spendingFen: Fen;
  /** the year to the month's end */
  yearIncomeFen: Fen;
  yearSpendingFen: Fen;
  income: number;
  spending: number;
  yearIncome: number;
  yearSpending: number;
  /** shares of the budget executed to the month's end (null when the budget line is 0) */
  incomeExecuted: number | null;
  spendingExecuted: number | null;
}

export async function budgetReport(
  db: Db & Kysely<DB>,
  lib: PolicyLibrary,
  query: unknown,
): Promise<{ year: number; region: string; principle: { cite: string | null; quote: string | null; value: string } | null; lines: (BudgetTracking & { income: number; spending: number; actualIncome: number; actualSpending: number; recordedBy: string; recordedAt: string; memo: string | null; months: BudgetMonth[] })[] }> {
  const q = parseBody(budgetQuerySchema, query ?? {});
  if (!lib.regions.has(q.region)) throw new InputError('region', `unknown region ${q.region}`);
  const { rows } = await sql<{ account: string; income_fen: string; spending_fen: string; recorded_by: string; recorded_at: Date | string; memo: string | null }>`
    SELECT DISTINCT ON (account) account, income_fen::text, spending_fen::text, recorded_by, recorded_at, memo FROM fund_budget WHERE year = ${q.year} ORDER BY account, id DESC`.execute(db);
  const flows = (await ledgerFlows(db)).filter((f) => f.month.startsWith(`${q.year}-`));
  const last = flows.reduce((m, f) => (f.month > m ? f.month : m), '');
  const principle = lib.packFor(q.region, q.year)?.params.get('fund.budgetPrinciple');
  return {
    year: q.year,
    region: q.region,
    principle: principle ? { cite: principle.cite ?? null, quote: principle.quote ?? null, value: String(principle.value) } : null,
    lines: rows.map((r) => {
      const mine = flows.filter((f) => f.account === r.account);
      const t = trackBudget(
        { year: q.year, account: r.account, incomeFen: Number(r.income_fen), spendingFen: Number(r.spending_fen) },
        { incomeFen: mine.reduce((s, f) => s + f.incomeFen, 0), spendingFen: mine.reduce((s, f) => s + f.spendingFen, 0), monthsElapsed: last ? Number(last.slice(5, 7)) : 0 },
        principle,
      );
      let yi = 0;
      let ys = 0;
      const months = last
        ? monthRange(`${q.year}-01`, last).map((month): BudgetMonth => {
            const f = mine.filter((x) => x.month === month);
            const i = f.reduce((s, x) => s + x.incomeFen, 0);
            const sp = f.reduce((s, x) => s + x.spendingFen, 0);
            yi += i;
            ys += sp;
            return { month, incomeFen: i, spendingFen: sp, yearIncomeFen: yi, yearSpendingFen: ys, income: fenToYuan(i), spending: fenToYuan(sp), yearIncome: fenToYuan(yi), yearSpending: fenToYuan(ys), incomeExecuted: t.incomeFen > 0 ? yi / t.incomeFen : null, spendingExecuted: t.spendingFen > 0 ? ys / t.spendingFen : null };
          })
        : [];
      const at = r.recorded_at instanceof Date ? r.recorded_at.toISOString() : new Date(r.recorded_at).toISOString();
      return { ...t, income: fenToYuan(t.incomeFen), spending: fenToYuan(t.spendingFen), actualIncome: fenToYuan(t.actualIncomeFen), actualSpending: fenToYuan(t.actualSpendingFen), recordedBy: r.recorded_by, recordedAt: at, memo: r.memo, months };
    }),
  };
}
