/**
 * HL7 FHIR R4 read routes under /fhir/r4 (application/fhir+json): Patient, Coverage search by
 * beneficiary and year, ExplanationOfBenefit by settlement id. They need settlement.read;
 * every error — bad input, not logged in, forbidden, unknown resource or route — is an
 * OperationOutcome with the matching HTTP status.
 */
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { ConflictError, ForbiddenError, InputError, NotFoundError, TooManyRequestsError, UnauthorizedError } from '../../errors.js';
import { BASE, coverageQuerySchema, FhirService, fhirJson } from '../../hospitals/fhir/fhir-service.js';
import type { AppContext } from '../context.js';
import { badValue } from '../errors.js';
import { isConnectionError } from '../../store/pg-errors.js';
import { type CoverageQuery } from '../../hospitals/fhir/fhir-service.js';
import { capabilityStatement } from '../../hospitals/fhir/capability.js';

export const FHIR_CONTENT_TYPE = 'application/fhir+json; charset=utf-8';
const PREFIX = '/fhir/r4';

const idParams = z.object({ id: z.string().describe('the record id') });

export function operationOutcome(code: string, diagnostics: string, expression?: string) {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics, ...(expression ? { expression: [expression] } : {}) }] };
}

const send = (reply: FastifyReply, status: number, body: unknown) => reply.code(status).type(FHIR_CONTENT_TYPE).send(fhirJson(body));

export async function fhirRoutes(root: FastifyInstance, ctx: AppContext): Promise<void> {
  const svc = new FhirService(ctx.database, ctx.quotes);
  await root.register(
    async (app) => {
      app.setErrorHandler((err: FastifyError, req, reply) => {
        if (err instanceof InputError) return send(reply, 400, operationOutcome('invalid', err.message, err.field));
        if (err instanceof UnauthorizedError) return send(reply, 401, operationOutcome('login', err.message));
        if (err instanceof ForbiddenError) return send(reply, 403, operationOutcome('forbidden', err.message));
        if (err instanceof NotFoundError) return send(reply, 404, operationOutcome('not-found', `no ${err.entity}/${err.key}`));
        if (err instanceof ConflictError) return send(reply, 409, operationOutcome('conflict', err.message));
        if (err instanceof TooManyRequestsError) return send(reply.header('retry-after', String(err.retryAfterSeconds)), 429, operationOutcome('throttled', err.message));
        if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) return send(reply, err.statusCode, operationOutcome('invalid', err.message));
        if (isConnectionError(err)) return send(reply.header('retry-after', '2'), 503, operationOutcome('transient', 'the database cannot be reached just now; try again in a few seconds'));
        const bad = badValue(err);
        if (bad) return send(reply, 400, operationOutcome('invalid', bad));
        req.log.error({ err }, 'unexpected error');
        return send(reply, 500, operationOutcome('exception', 'an unexpected error occurred; it has been logged'));
      });
      app.setNotFoundHandler((req, reply) => send(reply, 404, operationOutcome('not-supported', `no route ${req.method} ${req.url.split('?')[0]}`)));

      const tags = ['fhir'];
      app.get('/metadata', { config: { public: true }, schema: { tags, summary: 'FHIR R4 CapabilityStatement: the resources and searches this server supports' } }, async (_req, reply) => send(reply, 200, capabilityStatement()));
      app.get(
        '/Patient',
        { config: { permission: 'settlement.read' }, schema: { tags, summary: 'FHIR R4 Patient search: identifier=[system|]value (ID number or record id) → a searchset Bundle', querystring: z.object({ identifier: z.string(), _format: z.string().optional() }) } },
        async (req, reply) => {
          const self = `${req.protocol}://${req.headers.host ?? 'localhost'}${req.url}`;
          return send(reply, 200, await svc.patientSearch(req.actor!, (req.query as { identifier?: string }).identifier, self));
        },
      );
      app.get(
        '/Patient/:id',
        { config: { permission: 'settlement.read' }, schema: { tags, summary: 'FHIR R4 Patient (minimal; identifiers masked unless the caller may see them)', params: idParams } },
        async (req, reply) => send(reply, 200, await svc.patient(req.actor!, (req.params as { id: string }).id)),
      );
      app.get(
        '/Coverage',
        {
          config: { permission: 'settlement.read' },
          schema: { tags, summary: 'FHIR R4 Coverage search: beneficiary=Patient/{id}&year=YYYY → a searchset Bundle, one Coverage per tier of protection (basic, 大病保险, 医疗救助), ordered', querystring: coverageQuerySchema },
        },
        async (req, reply) => {
          // the link names this service by its configured base, never by the request's Host header
          const self = `${BASE}/r4${req.url.slice(PREFIX.length)}`;
          return send(reply, 200, await svc.coverageSearch(req.actor!, (req.query ?? {}) as CoverageQuery, self));
        },
      );
      app.get(
        '/ExplanationOfBenefit/:id',
        { config: { permission: 'settlement.read' }, schema: { tags, summary: 'FHIR R4 ExplanationOfBenefit of a settlement: adjudication per fund, money in CNY with two decimals', params: idParams } },
        async (req, reply) => send(reply, 200, await svc.explanationOfBenefit(req.actor!, (req.params as { id: string }).id)),
      );
    },
    { prefix: PREFIX },
  );
}
