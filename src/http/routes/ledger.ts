/** The fund ledger: trial balance with what each hospital is owed, and the journal. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { entries, entriesQuerySchema, trialBalance } from '../../services/ledger-report.js';
import type { AppContext } from '../context.js';

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
}
