/**
 * POST /api/v1/sim/runs: a simulated coverage year (src/sim/microsim/simulate.ts) of a generated
 * population (persons, seed; at most 200 000 persons per request) or of the registers, and —
 * given a reform (a shipped one by its id, or the reform itself as data) — the reform on the same
 * draws with the differences. Pure computing over what is stored: only the audit line is written.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { audit } from '../../access/audit.js';
import { parseReform, type Reform } from '../../policy/reform.js';
import { parseBody } from '../../request-input.js';
import { loadRegisters } from '../../sim/microsim/registers.js';
import { fitRates } from '../../sim/microsim/fit-rates.js';
import { loadRates } from '../../sim/microsim/rates.js';
import { shippedReforms } from '../../sim/microsim/reforms.js';
import { SimJobs } from '../../sim/microsim/sim-jobs.js';
import { simulate } from '../../sim/microsim/simulate.js';
import { simulationWorkbook } from '../../sim/microsim/workbooks.js';
import { InputError } from '../../errors.js';
import type { AppContext } from '../context.js';

export const MAX_RUN_PERSONS = 200_000;

const body = z
  .object({
    region: z.string().regex(/^\d{6}$/, { error: 'expected a 6-digit region code' }),
    year: z.number({ error: 'expected a coverage year' }).int().min(2000).max(2100),
    source: z.enum(['generated', 'registers']).default('generated'),
    persons: z.number({ error: `expected a whole number of persons 1..${MAX_RUN_PERSONS}` }).int().min(1).max(MAX_RUN_PERSONS, { error: `at most ${MAX_RUN_PERSONS} persons per request (run larger populations with yibao sim run)` }).default(10_000),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(20220101),
    reform: z.union([z.string().min(1).max(100), z.record(z.string(), z.unknown())]).optional(),
    ratesFrom: z.number({ error: 'expected a past year' }).int().min(2000).max(2100).optional().describe('a generated population drawing from rates fitted from the registers’ settlements of this year (not after `year`)'),
  })
  .strict();

const jobId = z.object({ id: z.string().uuid('must be a simulation job id') }).strict();

/** The request's run: the reform resolved (a shipped id or the reform as data), the registers read when asked for. */
async function runOf(ctx: AppContext, input: unknown) {
  const b = parseBody(body, input);
  let reform: Reform | undefined;
  if (typeof b.reform === 'string') {
    const id = b.reform;
    reform = shippedReforms().find((r) => r.id === id)?.reform;
    if (!reform) throw new InputError('reform', `no shipped reform ${id} (${shippedReforms().map((r) => r.id).join(', ')})`);
  } else if (b.reform) reform = parseReform(b.reform);
  const registers = b.source === 'registers' ? await loadRegisters(ctx.database.db, ctx.quotes, b.region, b.year) : undefined;
  let fitted: ReturnType<typeof fitRates> | undefined;
  if (b.ratesFrom !== undefined) {
    if (b.source === 'registers') throw new InputError('ratesFrom', 'fits rates for a generated population: not with source registers');
    if (b.ratesFrom > b.year) throw new InputError('ratesFrom', `${b.ratesFrom} is after the simulated year ${b.year}`);
    const past = await loadRegisters(ctx.database.db, ctx.quotes, b.region, b.ratesFrom);
    fitted = fitRates(past.population, past.encounters, past.settled, loadRates());
    if (fitted.fit.settlements === 0) throw new InputError('ratesFrom', `the registers hold no live settlement of ${b.ratesFrom}`);
  }
  return { b, reform, options: { region: b.region, year: b.year, persons: b.persons, seed: b.seed, reform, registers, ...(fitted ? { rates: fitted.rates, ratesFit: fitted.fit } : {}) } };
}

export async function simRunRoutes(root: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const jobs = new SimJobs();
  app.post(
    '/api/v1/sim/runs',
    {
      config: { permission: 'sim.run' },
      schema: {
        tags: ['fund'],
        summary: `Simulate a coverage year by the production engine: a generated population (persons ≤ ${MAX_RUN_PERSONS}, seed) or the registers; with a reform (a shipped id, or {name, baseline, changes}) the reform on the same draws and the differences`,
        body: z.unknown(),
      },
    },
    async (req, reply) => {
      const { format } = parseBody(formatQuery, req.query ?? {});
      const { b, reform, options } = await runOf(ctx, req.body);
      const sim = simulate(ctx.quotes, options);
      await audit(ctx.database.db, req.actor!, 'sim.run', 'simulation', null, { region: b.region, year: b.year, source: b.source, persons: sim.baseline.persons, seed: sim.seed, reform: reform?.name ?? null, packId: sim.packId });
      if (format === 'xlsx') return sendXlsx(reply, `模拟-${sim.packId.replace('/', '-')}${sim.reform ? '-改革' : ''}.xlsx`, await simulationWorkbook(sim));
      return sim;
    },
  );
  // the same run as a job: started, its progress polled, its result read (the console's 测算与改革)
  app.post(
    '/api/v1/sim/jobs',
    {
      config: { permission: 'sim.run' },
      schema: { tags: ['fund'], summary: 'Start the simulation of POST /api/v1/sim/runs (the same body) as a job in a worker thread: 202 with the job id; poll GET /api/v1/sim/jobs/{id}', body: z.unknown() },
    },
    async (req, reply) => {
      const { b, reform, options } = await runOf(ctx, req.body);
      const actor = req.actor!;
      const job = jobs.start(actor.username, options, (j) => {
        if (j.state !== 'done' || !j.result) return;
        const sim = j.result;
        void audit(ctx.database.db, actor, 'sim.run', 'simulation', null, { job: j.id, region: b.region, year: b.year, source: b.source, persons: sim.baseline.persons, seed: sim.seed, reform: reform?.name ?? null, packId: sim.packId }).catch((e: unknown) => req.log.error({ err: e }, 'auditing a simulation job'));
      });
      return reply.code(202).send(job);
    },
  );
  app.get(
    '/api/v1/sim/jobs/:id',
    { config: { permission: 'sim.run' }, schema: { tags: ['fund'], summary: "A simulation job of the caller's: state (running / done / failed), stage, persons done of total and the percent; the simulation once done, the error (with its field) if it failed", params: jobId } },
    async (req) => {
      const p = parseBody(jobId, req.params);
      const j = jobs.get(req.actor!.username, p.id);
      if (j.state === 'failed' && j.error?.field) throw new InputError(j.error.field, j.error.message);
      return j;
    },
  );
  app.get(
    '/api/v1/sim/reforms',
    { config: { permission: 'sim.run' }, schema: { tags: ['fund'], summary: 'The shipped reforms (policies/reforms): id, name, baseline pack, hypothetical or not, and the changes (parameter path, value, from date)' } },
    async () => ({ reforms: shippedReforms().map((r) => ({ id: r.id, name: r.reform.name, baseline: r.reform.baseline, hypothetical: r.reform.hypothetical, changes: r.reform.changes })) }),
  );
}

export const formatQuery = z.object({ format: z.enum(['json', 'xlsx']).default('json').describe('xlsx: the workbook instead of JSON') }).strict();

export function sendXlsx(reply: FastifyReply, name: string, body: Buffer): FastifyReply {
  return reply
    .header('content-type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
    .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(name)}`)
    .header('cache-control', 'no-store')
    .send(body);
}
