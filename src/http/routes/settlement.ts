/**
 * Encounters and settlements for hospitals: record an encounter, settle it through the three
 * tiers, reverse a settlement, and read settlements and a person's accumulators. A hospital
 * account sees and settles only its own encounters.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { encounterRequestSchema, settleRequestSchema, settlementQuerySchema } from '../../settlement/requests.js';
import type { AppContext } from '../context.js';
import { parse } from './session.js';

const idParams = z.object({ id: z.string().regex(/^[1-9]\d{0,17}$/, 'must be a record id (a positive integer)') });
const yearQuery = z.object({ year: z.string().describe('the coverage year, e.g. 2022') });

export async function settlementRoutes(root: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const svc = ctx.settlements;
  const tags = ['settlement'];

  app.post(
    '/api/v1/encounters',
    {
      config: { permission: 'settlement.write' },
      schema: {
        tags,
        summary: 'Record an encounter: the patient (idNumber or personId), coverage year, type, date and fees (甲/乙/丙 lines) or pre-classified costs',
        body: encounterRequestSchema,
      },
    },
    async (req, reply) => {
      const e = await svc.createEncounter(req.actor!, req.body);
      reply.code(201);
      return e;
    },
  );

  app.get(
    '/api/v1/encounters/:id',
    { config: { permission: 'settlement.read' }, schema: { tags, summary: 'An encounter with its settlements (live and reversed)', params: idParams } },
    async (req) => svc.getEncounter(req.actor!, parse(idParams, req.params).id),
  );

  app.post(
    '/api/v1/encounters/:id/settle',
    {
      config: { permission: 'settlement.write' },
      schema: {
        tags,
        summary: 'Settle an encounter: basic fund, 大病保险, 医疗救助 on the person’s accumulators for the year; posts to the ledger. 409 ALREADY_SETTLED when it has a live settlement',
        params: idParams,
        body: settleRequestSchema.optional(),
      },
    },
    async (req, reply) => {
      const { id } = parse(idParams, req.params);
      const b = parse(settleRequestSchema, req.body);
      const s = await svc.settle(req.actor!, id, b);
      reply.code(201);
      return s;
    },
  );

  app.get(
    '/api/v1/settlements',
    { config: { permission: 'settlement.read' }, schema: { tags, summary: 'Settlements by hospital, person and coverage year, oldest first, paged by id (a hospital sees its own)', querystring: settlementQuerySchema } },
    async (req) => svc.listSettlements(req.actor!, req.query),
  );

  app.get(
    '/api/v1/settlements/:id',
    { config: { permission: 'settlement.read' }, schema: { tags, summary: 'A settlement with the engine’s whole answer as stored', params: idParams } },
    async (req) => svc.getSettlement(req.actor!, parse(idParams, req.params).id),
  );

  app.post(
    '/api/v1/settlements/:id/reverse',
    {
      config: { permission: 'settlement.write' },
      schema: {
        tags,
        summary: 'Reverse a settlement: the accumulators are restored exactly; the person’s later settlements of the year are reversed and settled again in order; the ledger gets the mirror entries',
        params: idParams,
        body: settleRequestSchema.optional(),
      },
    },
    async (req) => {
      const { id } = parse(idParams, req.params);
      const b = parse(settleRequestSchema, req.body);
      return svc.reverse(req.actor!, id, b);
    },
  );

  app.get(
    '/api/v1/persons/:id/accumulators',
    { config: { permission: 'settlement.read' }, schema: { tags, summary: 'A person’s year-to-date accumulators for a coverage year (yuan)', params: idParams, querystring: yearQuery } },
    async (req) => {
      const { id } = parse(idParams, req.params);
      const q = parse(z.object({ year: z.union([z.string(), z.number()]).optional() }).strict(), req.query);
      return svc.accumulators(req.actor!, id, q.year);
    },
  );
}
