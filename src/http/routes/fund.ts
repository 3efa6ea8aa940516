/**
 * The fund over HTTP: GET /api/v1/fund/position (each fund's position by month and the
 * bottom-line alerts, 鲁医保发〔2022〕24号 九); clearing with hospitals — GET statements (one
 * hospital's month, drawn now or as approved, or the approved list), POST approve (finance),
 * POST payments (idempotent by reference); money received — GET/POST receipts with what is
 * outstanding per level. Thin wrappers over src/fund: each write is audited there.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { budgetReport, fundPosition, recordBudget } from '../../fund/position.js';
import { clearingReconciliation } from '../../fund/clearing-reconciliation.js';
import { approveStatement, hospitalsToClear, listStatements, payStatement, statement } from '../../fund/clearing.js';
import { listReceipts, outstanding, recordReceipt } from '../../fund/receipts.js';
import { parseBody } from '../../request-input.js';
import type { AppContext } from '../context.js';
import { monthStatements } from '../../fund/month-statements.js';
import { budgetWorkbook, positionWorkbook, receiptsWorkbook } from '../../fund/workbooks.js';
import { formatQuery, sendXlsx } from './sim-runs.js';

/** `?format=xlsx` apart from the report's own query (which is strict). */
function formatOf(query: unknown): { format: 'json' | 'xlsx'; rest: Record<string, unknown> } {
  const { format, ...rest } = (query ?? {}) as Record<string, unknown>;
  return { format: parseBody(formatQuery, format === undefined ? {} : { format }).format, rest };
}

const receiptsQuery = z
  .object({
    year: z.coerce.number().int().min(2000).max(2100).optional(),
    asOf: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date written YYYY-MM-DD').optional(),
  })
  .strict();

export async function fundRoutes(root: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = ctx.database.db;
  app.get(
    '/api/v1/fund/position',
    { config: { permission: 'fund.read' }, schema: { tags: ['fund'], summary: 'Each fund’s position by month (?region=, account, from, to): 当期结余, 累计结余, 可支付月数 and the bottom-line alerts with their citation; ?format=xlsx the workbook' } },
    async (req, reply) => {
      const { format, rest } = formatOf(req.query);
      const p = await fundPosition(db, ctx.quotes.lib, rest);
      return format === 'xlsx' ? sendXlsx(reply, `基金运行-${p.region}.xlsx`, await positionWorkbook(p)) : p;
    },
  );
  app.get(
    '/api/v1/fund/statements',
    {
      config: { permission: 'fund.read' },
      schema: {
        tags: ['fund'],
        summary:
          'Clearing statements (结算清算): with ?hospital=&month=YYYY-MM one hospital’s statement of the month — as approved, or drawn now from its live settlements (state open, with the settlement ids it would clear and the reversals it would carry); with neither or one of them, the approved statements, newest month first',
      },
    },
    async (req) => {
      const q = (req.query ?? {}) as Record<string, unknown>;
      if (q.hospital !== undefined && q.month !== undefined) return statement(db, req.actor!, q);
      return listStatements(db, req.actor!, q);
    },
  );
  app.get(
    '/api/v1/fund/statements/month',
    { config: { permission: 'fund.read' }, schema: { tags: ['fund'], summary: 'All hospitals’ statements of a month (?month=YYYY-MM), paged by hospital code (page, pageSize ≤ 100): each as GET /api/v1/fund/statements?hospital=&month= gives it, with its totals by fund' } },
    async (req) => monthStatements(db, req.actor!, req.query),
  );
  app.post(
    '/api/v1/fund/statements/approve',
    { config: { permission: 'fund.approve' }, schema: { tags: ['fund'], summary: 'Approve a hospital’s statement of a month (finance): written once with the settlements it clears; 409 STATEMENT_APPROVED when it was, EMPTY_STATEMENT when nothing is to clear', body: z.unknown() } },
    async (req, reply) => {
      const r = await approveStatement(db, req.actor!, req.body);
      reply.code(201);
      return r;
    },
  );
  app.post(
    '/api/v1/fund/payments',
    {
      config: { permission: 'fund.write' },
      schema: { tags: ['fund'], summary: 'Pay an approved statement: Dr 应付定点医疗机构款 / Cr 基金专户银行存款. Idempotent by reference: 201 when paid, 200 with replayed: true for the same payment again; 409 when the reference was used for another payment or the statement is not approved or was paid', body: z.unknown() },
    },
    async (req, reply) => {
      const r = await payStatement(db, req.actor!, req.body);
      reply.code(r.replayed ? 200 : 201);
      return r;
    },
  );
  app.get(
    '/api/v1/fund/receipts',
    { config: { permission: 'fund.read' }, schema: { tags: ['fund'], summary: 'Money received (资金到位): the receipts (?year= coverage year) and what is outstanding per level and year, with its age (?asOf=); ?format=xlsx the workbook' } },
    async (req, reply) => {
      const { format, rest } = formatOf(req.query);
      const q = parseBody(receiptsQuery, rest);
      const r = { receipts: await listReceipts(db, q.year), outstanding: await outstanding(db, q) };
      return format === 'xlsx' ? sendXlsx(reply, `资金到位${q.year ? `-${q.year}` : ''}.xlsx`, await receiptsWorkbook(r)) : r;
    },
  );
  app.post(
    '/api/v1/fund/receipts',
    { config: { permission: 'fund.write' }, schema: { tags: ['fund'], summary: 'Record a fiscal subsidy receipt of a level for a coverage year, or the medical-assistance fund’s appropriation received (Dr 基金专户银行存款). Idempotent by reference: 201 when recorded, 200 with replayed: true; 409 RECEIPT_REFERENCE_REUSED', body: z.unknown() } },
    async (req, reply) => {
      const r = await recordReceipt(db, req.actor!, req.body);
      reply.code(r.replayed ? 200 : 201);
      return r;
    },
  );
  app.get(
    '/api/v1/fund/budget',
    { config: { permission: 'fund.read' }, schema: { tags: ['fund'], summary: 'The area’s budget of a year (以收定支; ?region=&year=): each fund’s latest budget against the ledger’s income and spending, month by month, with the warnings and the principle cited; ?format=xlsx the workbook' } },
    async (req, reply) => {
      const { format, rest } = formatOf(req.query);
      const b = await budgetReport(db, ctx.quotes.lib, rest);
      return format === 'xlsx' ? sendXlsx(reply, `预算执行-${b.region}-${b.year}.xlsx`, await budgetWorkbook(b)) : b;
    },
  );
  app.post(
    '/api/v1/fund/budget',
    { config: { permission: 'fund.write' }, schema: { tags: ['fund'], summary: 'Enter a fund’s budget for a year (finance): {year, account, incomeYuan, spendingYuan, memo?}; a new version each time (the latest counts), audited', body: z.unknown() } },
    async (req, reply) => {
      const r = await recordBudget(db, req.actor!, req.body);
      reply.code(201);
      return r;
    },
  );
  app.get(
    '/api/v1/fund/reconciliation',
    { config: { permission: 'fund.read' }, schema: { tags: ['fund'], summary: 'A hospital’s month (?hospital=&month=YYYY-MM): its clearing statement beside the totals and rows it reported by 3201/3202, with the differences against the statement and against the live settlements of the reported days' } },
    async (req) => clearingReconciliation(db, req.actor!, req.query),
  );
  app.get(
    '/api/v1/fund/hospitals',
    { config: { permission: 'fund.read' }, schema: { tags: ['fund'], summary: 'The hospitals with settlements, each with the live settlements no statement has cleared yet' } },
    async () => hospitalsToClear(db),
  );
}
