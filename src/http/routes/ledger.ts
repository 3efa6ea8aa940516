/** The fund ledger: trial balance with what each hospital is owed, the journal, and transfers into the critical-illness and medical-assistance funds. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { listTransfers, recordTransfer, transferSchema, transfersQuerySchema } from '../../ledger/fund-transfers.js';
import { entries, entriesQuerySchema, trialBalance } from '../../ledger/ledger-report.js';
import { fundMonths, fundMonthsQuerySchema, hospitalDays, hospitalDaysQuerySchema } from '../../ledger/fund-months.js';
import type { AppContext } from '../context.js';
import { requireHospital } from '../../access/roles.js';

export async function ledgerRoutes(root: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = ctx.database.db;
  app.get(
    '/api/v1/ledger/balances',
    {
      config: { permission: 'ledger.read' },
      schema: { tags: ['ledger'], summary: 'Trial balance: every account’s balance derived from postings (debit-positive and in its natural sign), whether the ledger balances, and what each hospital is owed' },
    },
    async () => trialBalance(db),
  );
  app.get(
    '/api/v1/ledger/entries',
    { config: { permission: 'ledger.read' }, schema: { tags: ['ledger'], summary: 'Journal entries with their postings, oldest first, paged by id', querystring: entriesQuerySchema } },
    async (req) => entries(db, req.query),
  );
  app.post(
    '/api/v1/ledger/transfers',
    {
      config: { permission: 'ledger.write' },
      schema: {
        tags: ['ledger'],
        summary:
          'Record a transfer into a fund (admin): critical_illness_allocation from the basic fund to 大病保险 (Dr basic_fund / Cr critical_illness_fund), or medical_assistance_appropriation, fiscal money for the medical-assistance fund (Dr medical_assistance_appropriation_receivable / Cr medical_assistance_fund). The notices give no amounts. Idempotent by reference: 201 when recorded, 200 with replayed: true for the same transfer again; 409 TRANSFER_REFERENCE_REUSED for another transfer under a used reference',
        body: transferSchema,
      },
    },
    async (req, reply) => {
      const r = await recordTransfer(db, req.actor!, req.body);
      reply.code(r.replayed ? 200 : 201);
      return r;
    },
  );
  app.get(
    '/api/v1/ledger/transfers',
    { config: { permission: 'ledger.read' }, schema: { tags: ['ledger'], summary: 'Transfers into the critical-illness and medical-assistance funds with their journal entries, oldest first, paged by id', querystring: transfersQuerySchema } },
    async (req) => listTransfers(db, req.query),
  );
  app.get(
    '/api/v1/ledger/fund-months',
    {
      config: { permission: 'ledger.read' },
      schema: {
        tags: ['ledger'],
        summary:
          'Each fund’s income (credits) and spending (debits) by month and journal source. The month is the business date: payment date for contributions and assistance, the enrollment’s payment date for the fiscal subsidy, the encounter date for settlements; reversals and fund transfers count in the month recorded. Per fund, the months’ income less spending equals its balance',
        querystring: fundMonthsQuerySchema,
      },
    },
    async (req) => fundMonths(db, req.query),
  );
  app.get(
    '/api/v1/ledger/hospital-days',
    {
      config: { permission: 'settlement.read' },
      schema: {
        tags: ['ledger'],
        summary: 'Settlements by hospital and encounter day, newest first, paged: counts, reversals, and what the funds and the patients paid (live settlements). A hospital account sees its own',
        querystring: hospitalDaysQuerySchema,
      },
    },
    async (req) => {
      const actor = req.actor!;
      const q = (req.query ?? {}) as { hospital?: string };
      if (actor.role === 'hospital' && typeof q.hospital === 'string') requireHospital(actor, q.hospital);
      return hospitalDays(db, req.query, actor.role === 'hospital' ? actor.hospitalCode! : undefined);
    },
  );
}
