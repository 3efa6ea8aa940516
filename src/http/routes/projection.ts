/**
 * POST /api/v1/sim/project: the fund years ahead from a base year (yuan), with the assumptions of
 * policies/sim/projection-example.yaml (examples marked) and the bottom lines of the area's packs
 * (鲁医保发〔2022〕24号 九), carried on past the latest pack. Pure computing: nothing but the
 * audit line is written.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { InputError } from '../../errors.js';
import { audit } from '../../access/audit.js';
import { bottomLinesCarriedOn } from '../../fund/projection.js';
import { projectFund } from '../../rules/fund-projection.js';
import { loadProjectionAssumptions } from '../../sim/microsim/projection-assumptions.js';
import { parseProjectionBase } from '../../sim/microsim/projection-base.js';
import { baseFromReport, projectionReport } from '../../sim/microsim/projection-report.js';
import { baseFromSimulation } from '../../sim/microsim/projection-from-sim.js';
import { parseBody } from '../../request-input.js';
import type { AppContext } from '../context.js';
import { formatQuery, sendXlsx } from './sim-runs.js';
import { projectionWorkbook } from '../../sim/microsim/workbooks.js';

const body = z
  .object({
    region: z.string().regex(/^\d{6}$/, { error: 'expected a 6-digit region code' }),
    years: z.number({ error: 'expected a whole number of years 1..100' }).int().min(1).max(100).default(10),
    base: z.unknown().optional(),
    simulation: z.unknown().optional().describe('instead of base: a simulated year as POST /api/v1/sim/runs answers it'),
    use: z.enum(['baseline', 'reform']).default('baseline'),
    openingBalance: z.union([z.number(), z.string()]).optional().describe('with simulation: the balance before the simulated year, yuan (default 0)'),
  })
  .strict();

export async function projectionRoutes(root: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const assumptions = loadProjectionAssumptions();
  app.post(
    '/api/v1/sim/project',
    { config: { permission: 'sim.run' }, schema: { tags: ['fund'], summary: 'Project the fund years ahead from a base year: income, spending, surplus, balance, months of reserve, the first year a bottom line is crossed', body: z.unknown() } },
    async (req, reply) => {
      const { format } = parseBody(formatQuery, req.query ?? {});
      const b = parseBody(body, req.body);
      if ((b.base === undefined) === (b.simulation === undefined)) throw new InputError('base', 'give either base or simulation');
      const from = b.simulation !== undefined ? baseFromSimulation(b.simulation, { use: b.use, openingBalanceYuan: b.openingBalance, ageBands: assumptions.ageBands }) : null;
      const base = from ? from.base : parseProjectionBase(b.base);
      if (base.bands.length !== assumptions.ageBands.length) throw new InputError('base.bands', `one per age band (${assumptions.ageBands.length}: ${assumptions.ageBands.join(', ')})`);
      const report = { ...projectionReport(projectFund(base, assumptions, b.years, bottomLinesCarriedOn(ctx.quotes.lib, b.region, base.year))), baseFrom: from ? baseFromReport(from) : null };
      await audit(ctx.database.db, req.actor!, 'sim.project', 'fund_projection', null, { region: b.region, baseYear: base.year, years: b.years, baseFrom: from ? { packId: from.derivation.packId, run: from.derivation.run } : 'base', firstCrossings: report.firstCrossings.map((c) => [c.code, c.year]) });
      if (format === 'xlsx') return sendXlsx(reply, `基金测算-${base.year}-${b.years}年.xlsx`, await projectionWorkbook(report));
      return report;
    },
  );
}
