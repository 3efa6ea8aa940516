/** GET /api/v1/fund/position: each fund's position by month from the ledger and the bottom-line alerts (鲁医保发〔2022〕24号 九). Reads only. */
import type { FastifyInstance } from 'fastify';
import { fundPosition } from '../../fund/position.js';
import type { AppContext } from '../context.js';

export async function fundRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get(
    '/api/v1/fund/position',
    { config: { permission: 'fund.read' }, schema: { tags: ['fund'], summary: 'Each fund’s position by month (?region=, account, from, to): 当期结余, 累计结余, 可支付月数 and the bottom-line alerts with their citation' } },
    async (req) => fundPosition(ctx.database.db, ctx.quotes.lib, req.query),
  );
}
