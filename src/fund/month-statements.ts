/**
 * All hospitals' statements of a month (issue #17 item 7, the 基金运行 page's table), paged on
 * the server by hospital code: the hospitals with settlements, and for the page's hospitals each
 * statement exactly as GET /api/v1/fund/statements?hospital=&month= gives it (as approved, or
 * drawn now from the live settlements), without the settlement ids. A hospital account sees its own.
 */
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import type { Actor } from '../access/roles.js';
import { fenToYuan } from '../money.js';
import { parseBody } from '../request-input.js';
import type { DB } from '../store/schema.js';
import { month, statement, type Statement } from './clearing.js';

export const monthStatementsQuerySchema = z
  .object({
    month,
    page: z.coerce.number().int().min(1).max(100_000).default(1),
    pageSize: z.coerce.number().int().min(1).max(100).default(20),
  })
  .strict();

export interface MonthStatementRow extends Omit<Statement, 'items' | 'lines'> {
  totals: { total: number; basicFund: number; criticalIllness: number; medicalAssistance: number };
}

export async function monthStatements(db: Kysely<DB>, actor: Actor, query: unknown): Promise<{ month: string; total: number; page: number; pageSize: number; statements: MonthStatementRow[] }> {
  const q = parseBody(monthStatementsQuerySchema, query ?? {});
  const own = actor.role === 'hospital' ? actor.hospitalCode : null;
  const { rows } = await sql<{ code: string; n: string }>`
    SELECT h.code, count(*) OVER ()::text AS n
      FROM hospital h
     WHERE EXISTS (SELECT 1 FROM settlement s WHERE s.hospital_code = h.code)
       ${own ? sql`AND h.code = ${own}` : sql``}
     ORDER BY h.code
     LIMIT ${q.pageSize} OFFSET ${(q.page - 1) * q.pageSize}`.execute(db);
  const statements: MonthStatementRow[] = [];
  for (const r of rows) {
    const { items: _items, lines: _lines, ...s } = await statement(db, actor, { hospital: r.code, month: q.month });
    statements.push({ ...s, totals: { total: fenToYuan(s.totalFen), basicFund: fenToYuan(s.byFund.basicFundFen), criticalIllness: fenToYuan(s.byFund.criticalIllnessFen), medicalAssistance: fenToYuan(s.byFund.medicalAssistanceFen) } });
  }
  let total = rows.length ? Number(rows[0].n) : 0;
  if (!rows.length && q.page > 1) {
    const c = await sql<{ n: string }>`SELECT count(*)::text AS n FROM hospital h WHERE EXISTS (SELECT 1 FROM settlement s WHERE s.hospital_code = h.code) ${own ? sql`AND h.code = ${own}` : sql``}`.execute(db);
    total = Number(c.rows[0].n);
  }
  return { month: q.month, total, page: q.page, pageSize: q.pageSize, statements };
}
