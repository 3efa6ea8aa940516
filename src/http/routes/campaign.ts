/**
 * The enrollment campaign over HTTP: assess a coverage year, the enrollments (masked; clerks
 * see their villages), a person's tier before payment, the collection list for the tax bureau,
 * payments (idempotent by reference), the employee-insurance list and duplicate flags.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { collectionListStream, planCollectionList } from '../../campaign/collection-list.js';
import { importEmployeeListBytes, listDuplicates, sniffFormat } from '../../campaign/duplicates.js';
import { paymentSchema, recordPayment } from '../../campaign/payments.js';
import { XLSX_MIME } from '../../sheets.js';
import { InputError } from '../../errors.js';
import type { AppContext } from '../context.js';
import { parse } from './session.js';
import { enrollmentDetail, listEnrollments, setTier } from '../../campaign/enrollments.js';
import { assessYear } from '../../campaign/assessment.js';

const yearParams = z.object({ year: z.coerce.number().int().min(2000).max(2100) });
const idParams = z.object({ id: z.string().regex(/^[1-9]\d{0,17}$/, 'must be a record id (a positive integer)') });
const areaCode = z.string().regex(/^\d{6,12}$/, 'must be an admin-area code of 6 to 12 digits');
const assessBody = z.object({ villages: z.array(areaCode).optional().describe('villages or townships; default the whole register') }).strict();
const listQuery = z
  .object({
    year: z.coerce.number().int().min(2000).max(2100).optional(),
    village: areaCode.optional(),
    state: z.enum(['assessed', 'paid', 'refused', 'blocked']).optional(),
    person: z.string().regex(/^\d{1,18}$/, 'must be a person id').optional().describe("one person's enrollments"),
    after: z.string().regex(/^\d{1,18}$/, "is not a record id").optional().describe('the last id of the previous page'),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();
const tierBody = z.object({ tier: z.enum(['tier1', 'tier2']) }).strict();
const listFileQuery = z.object({ village: z.union([areaCode, z.array(areaCode)]).optional() }).strict();
const importQuery = z
  .object({
    fileName: z.string().min(1).max(300).optional(),
    source: z.string().min(1).max(200).optional(),
    year: z.coerce.number().int().min(2000).max(2100).optional().describe('the coverage year of every row, when the sheet has no 年度 column'),
  })
  .strict();
const duplicatesQuery = z
  .object({
    year: z.coerce.number().int().min(2000).max(2100).optional(),
    village: areaCode.optional(),
    reason: z.enum(['same_id_twice', 'employee_insurance']).optional(),
    open: z.enum(['true', 'false']).optional(),
    after: z.string().regex(/^\d{1,18}$/, "is not a record id").optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

export async function campaignRoutes(root: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = ctx.database.db;
  const tags = ['campaign'];

  app.post(
    '/api/v1/campaigns/:year/assess',
    {
      config: { permission: 'campaign.run' },
      schema: {
        tags,
        summary: 'Assess every person of the register (or of some villages) for a coverage year: one enrollment each, paid ones kept; returns the counts',
        params: yearParams,
        body: assessBody.optional(),
      },
    },
    async (req) => {
      const { year } = parse(yearParams, req.params);
      const b = parse(assessBody, req.body ?? {});
      return assessYear(db, ctx.quotes, { coverageYear: year, villages: b.villages, actor: req.actor! });
    },
  );

  app.get(
    '/api/v1/enrollments',
    { config: { permission: 'campaign.read' }, schema: { tags, summary: 'Enrollments, ID numbers and names masked, paged by id (a clerk sees their villages)', querystring: listQuery } },
    async (req) => {
      const q = parse(listQuery, req.query);
      return listEnrollments(db, req.actor!, { coverageYear: q.year, village: q.village, state: q.state, person: q.person, after: q.after, limit: q.limit });
    },
  );

  app.get(
    '/api/v1/enrollments/:id',
    { config: { permission: 'campaign.read' }, schema: { tags, summary: 'One enrollment (masked) with its quote and the trace citing each rule', params: idParams } },
    async (req) => enrollmentDetail(db, ctx.quotes, req.actor!, parse(idParams, req.params).id),
  );

  app.put(
    '/api/v1/enrollments/:id/tier',
    {
      config: { permission: 'campaign.write' },
      schema: { tags, summary: 'Choose the contribution tier before payment (regions with tiers); re-quotes the enrollment. 409 ENROLLMENT_PAID once paid', params: idParams, body: tierBody },
    },
    async (req) => {
      const { id } = parse(idParams, req.params);
      const { tier } = parse(tierBody, req.body);
      return setTier(db, ctx.quotes, req.actor!, id, tier);
    },
  );

  for (const format of ['csv', 'xlsx'] as const)
    app.get(
      `/api/v1/campaigns/:year/collection-list.${format}`,
      {
        config: { permission: 'campaign.read' },
        schema: {
          tags,
          summary: `The collection list for the tax bureau as ${format.toUpperCase()}: every assessed enrollment with what the person owes. Full ID numbers for admin and policy officers only; clerks get their villages, masked; every export is audited`,
          params: yearParams,
          querystring: listFileQuery,
        },
      },
      async (req, reply) => {
        const { year } = parse(yearParams, req.params);
        const q = parse(listFileQuery, req.query);
        const villages = q.village === undefined ? undefined : [q.village].flat();
        const plan = await planCollectionList(db, req.actor!, { coverageYear: year, format, villages });
        reply
          .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : XLSX_MIME)
          .header('content-disposition', `attachment; filename="${plan.fileName}"`)
          .header('x-rows', String(plan.rows))
          .header('cache-control', 'no-store');
        return reply.send(collectionListStream(db, ctx.quotes, plan));
      },
    );

  app.post(
    '/api/v1/payments',
    {
      config: { permission: 'payments.write' },
      schema: {
        tags,
        summary:
          'Record a payment (online, offline, tax_bureau; medical_assistance for persons it pays in full). Idempotent by reference. Re-quoted on the payment date: 400 when the amount is not the amount due; 409 with the engine’s code (e.g. AFTER_FINAL_DEADLINE), DUPLICATE_ENROLLMENT or PAYMENT_REFERENCE_REUSED',
        body: paymentSchema,
      },
    },
    async (req, reply) => {
      const r = await recordPayment(db, ctx.quotes, req.actor!, req.body);
      reply.code(r.replayed ? 200 : 201);
      return r;
    },
  );

  await app.register(async (scope) => {
    // the employee-insurance list arrives as the file itself: CSV or XLSX bytes
    scope.addContentTypeParser(['text/csv', 'text/plain', XLSX_MIME, 'application/octet-stream'], { parseAs: 'buffer', bodyLimit: 256 << 20 }, (_req, body, done) => done(null, body));
    scope.withTypeProvider<ZodTypeProvider>().post(
      '/api/v1/imports/employee-insurance',
      {
        config: { permission: 'campaign.run' },
        bodyLimit: 256 << 20,
        schema: {
          tags,
          summary: 'Import an employee-insurance list (body: the CSV or XLSX file; columns 身份证号, 年度): persons on it are flagged and their unpaid enrollments blocked',
          querystring: importQuery,
        },
      },
      async (req) => {
        const q = parse(importQuery, req.query);
        const body = req.body;
        if (!Buffer.isBuffer(body)) throw new InputError('(content-type)', `send the file as text/csv or ${XLSX_MIME}`);
        const type = String(req.headers['content-type'] ?? '');
        const format = type.startsWith(XLSX_MIME) ? 'xlsx' : type.startsWith('text/') ? 'csv' : sniffFormat(body);
        return importEmployeeListBytes(db, req.actor!, body, { fileName: q.fileName ?? `employee-insurance.${format}`, source: q.source, format, coverageYear: q.year });
      },
    );
  });

  app.get(
    '/api/v1/duplicates',
    { config: { permission: 'campaign.read' }, schema: { tags, summary: 'Duplicate-enrollment flags (masked), paged by id; a clerk sees their villages', querystring: duplicatesQuery } },
    async (req) => {
      const q = parse(duplicatesQuery, req.query);
      return listDuplicates(db, req.actor!, { coverageYear: q.year, village: q.village, reason: q.reason, open: q.open === undefined ? undefined : q.open === 'true', after: q.after, limit: q.limit });
    },
  );
}
