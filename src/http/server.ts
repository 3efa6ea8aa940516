/**
 * Room src/http/ — the HTTP service: server, access hook, error mapping, routes per domain (routes/).
 * May import: everything below it; never src/cli.
 *
 * The HTTP service: the contribution quote, the policy packs and their diff, with the
 * OpenAPI document generated from the same zod schemas the handlers use (/docs).
 */
import { openCoverageYears } from '../store/partitions.js';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NotFoundError, TooManyRequestsError } from '../errors.js';
import { diffPacks } from '../policy/diff.js';
import type { ResolvedPack } from '../policy/loader.js';
import { contributionAnswerSchema, contributionRequestSchema } from '../quotes/contribution-request.js';
import { packRef, packRefString } from '../quotes/pack-ref.js';
import { settlementQuoteAnswerSchema, settlementRequestSchema, settlementYearAnswerSchema, settlementYearRequestSchema } from '../quotes/settlement-request.js';
import type { QuoteService } from '../quotes/quote-service.js';
import { fallbackNotice } from '../policy/show.js';
import { installErrorHandling } from './errors.js';
import { hasBody, installAccess } from './access.js';
import { TokenBuckets } from '../access/rate-limit.js';
import { installInputGuard } from './input-guard.js';
import { installSecurityHeaders, LOG_SERIALIZERS } from './security.js';
import { installConsole } from './console.js';
import { AuthService } from '../access/auth.js';
import { SettlementService } from '../settlement/settlement-service.js';
import { BurdenWatch } from '../risk/burden-watch.js';
import { maskIdsInText } from '../access/privacy.js';
import type { Database } from '../store/db.js';
import type { AppContext } from './context.js';
import { RECORD_ROUTES } from './routes/index.js';
import { AreaService } from '../areas/area-service.js';
import { holdForeground } from '../store/priority.js';

export interface ServerOptions {
  /** `stream`: where the log lines go (default stdout) */
  logger?: boolean | { level: string; stream?: { write(line: string): void } };
  /** the system of record; without it only the quote and pack routes are served */
  database?: Database;
  /** the web console: served from web/dist when built (default), from another directory, or not (false) */
  console?: boolean | string;
  /** the quote routes' limit per address (default QUOTES_PER_ADDRESS at once, QUOTES_PER_SECOND refilled) */
  quoteLimit?: { capacity: number; perSecond: number };
  /** the platform's 1101 look-ups per hospital (default LOOKUPS_AT_ONCE at once, LOOKUPS_PER_MINUTE refilled) */
  lookupLimit?: { capacity: number; perSecond: number };
  /** extra facts for /health (demo progress) */
  status?: () => Record<string, unknown>;
  /** links this area to others (src/areas): gives the platform envelope its desk for persons insured elsewhere */
  away?: (ctx: AppContext) => Promise<AppContext['away'] | AreaService>;
}

const documentSchema = z.object({ number: z.string(), title: z.string(), issuer: z.string(), date: z.string(), file: z.string(), text: z.string().describe('the notice as held, line breaks kept') });
const errorSchema = z.object({ error: z.string(), field: z.string().optional(), message: z.string() });

const paramSchema = z.object({
  key: z.string(),
  value: z.unknown(),
  from: z.string().describe('the pack that set the value'),
  cite: z.string().optional(),
  quote: z.string().optional(),
  example: z.string().optional().describe('present when the value is an example, not policy'),
  note: z.string().optional(),
});
const packSchema = z.object({
  id: z.string(),
  name: z.string(),
  region: z.string(),
  year: z.number(),
  chain: z.array(z.string()),
  requested: z.object({ region: z.string() }).describe('the region asked for; a region without its own pack is answered by a parent’s'),
  warnings: z.array(z.object({ code: z.literal('PACK_OF_PARENT_REGION'), message: z.string() })),
  params: z.array(paramSchema),
});
const paramSideSchema = z.object({ value: z.unknown(), cite: z.string().optional(), example: z.string().optional(), pack: z.string() }).nullable();
const diffSchema = z.object({
  from: z.string(),
  to: z.string(),
  unchanged: z.number(),
  changes: z.array(z.object({ key: z.string(), change: z.enum(['added', 'removed', 'value', 'basis']), from: paramSideSchema, to: paramSideSchema })),
});

function packJson(p: ResolvedPack, region: string, regionName?: string): z.infer<typeof packSchema> {
  const notice = fallbackNotice(p, region, regionName);
  return {
    id: p.id,
    name: p.name,
    region: p.region,
    year: p.year,
    chain: p.chain,
    requested: { region },
    warnings: notice ? [{ code: 'PACK_OF_PARENT_REGION', message: notice }] : [],
    params: [...p.params.values()]
      .sort((a, b) => a.key.localeCompare(b.key))
      .map((x) => ({ key: x.key, value: x.value, from: x.from, cite: x.cite, quote: x.quote, example: x.example, note: x.note })),
  };
}

/** Quotes from one address at once, and refilled per second (example settings, not policy). */
export const QUOTES_PER_ADDRESS = 60;
export const QUOTES_PER_SECOND = 20;

export async function buildServer(service: QuoteService, opts: ServerOptions = {}): Promise<FastifyInstance> {
  const logger =
    opts.logger && typeof opts.logger === 'object'
      ? { ...opts.logger, serializers: LOG_SERIALIZERS }
      : opts.logger
        ? { serializers: LOG_SERIALIZERS }
        : false;
  const app = Fastify({ logger, bodyLimit: 8 << 20 }).withTypeProvider<ZodTypeProvider>();
  // a request is foreground work until its response is done: on PGlite's one session the demo's
  // loader waits for it (src/store/priority.ts), so a request's statements follow each other
  const foreground = new WeakMap<object, () => void>();
  app.addHook('onRequest', (req, reply, done) => {
    const leave = holdForeground();
    foreground.set(req, leave);
    reply.raw.once('close', leave); // a response cut short ends it too
    done();
  });
  app.addHook('onResponse', (req, _reply, done) => {
    foreground.get(req)?.(); // once only: the hold ignores a second call
    done();
  });
  const auth = opts.database ? new AuthService(opts.database.db) : null;
  const routes = installAccess(app, auth);
  app.decorate('routeAccess', routes);
  // The handlers validate with the same schemas (so CLI and HTTP give the same messages);
  // fastify only carries the schemas into the OpenAPI document.
  app.setValidatorCompiler(() => (data) => ({ value: data }));
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  installErrorHandling(app);
  installInputGuard(app);
  installSecurityHeaders(app);
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'yibao — 城乡居民基本医疗保险',
        version: '0.1.0',
        description:
          'Policy packs for each notice and the contribution quote: standard, classified assistance (分类资助), fiscal subsidy and its split, enrollment windows, benefit periods — every amount with the rule and article behind it. Values marked `example` are not policy.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'a session token from POST /api/v1/session, or an API token' } } },
      tags: [
        { name: 'quotes', description: 'What the notice means for one person' },
        { name: 'packs', description: 'Policy packs: data with citations' },
        { name: 'session', description: 'Log-in, users, API tokens, the audit log' },
        { name: 'registers', description: 'Persons, households, needy statuses; imports' },
        { name: 'campaign', description: 'The enrollment campaign: assessment, collection list, payments, duplicates' },
        { name: 'settlement', description: 'Encounters and settlements for hospitals' },
        { name: 'ledger', description: 'The fund ledger' },
        { name: 'monitoring', description: 'Campaign monitoring: targets, progress, the seven groups, e-vouchers, the half-monthly report, ledgers' },
        { name: 'fund', description: 'The fund: clearing with hospitals, receipts, bottom lines and budget, simulation and projection' },
        { name: 'risk', description: 'Risk: high-burden warnings, assistance on application, coverage gaps, fraud screening and its cases' },
        { name: 'areas', description: 'Settlement across areas: filing, the other areas, monthly clearing between areas' },
        { name: 'fsi', description: "The national platform's envelope (callService) for hospitals' systems" },
        { name: 'fhir', description: 'FHIR R4 views of coverage, claims and their responses' },
      ],
    },
    transform: jsonSchemaTransform,
  });

  await app.register(swaggerUi, { routePrefix: '/docs' });
  const lib = service.lib;

  // the web console at / (web/dist); without a build, / goes to the OpenAPI page
  if (opts.console !== false) await installConsole(app, typeof opts.console === 'string' ? opts.console : undefined);
  else app.get('/', { schema: { hide: true } }, (_req, reply) => reply.redirect('/docs'));
  // how settlements got through (batches, optimistic misses, locked fallbacks): for watching contention
  let settlements: SettlementService | null = null;
  // degraded (HTTP 503, for load balancers) while the database cannot be reached: the state
  // kept by the pools and their probe (src/store/health.ts), no query per call
  const database = opts.database;
  // the partitions of every coverage year the packs cover, and of the year after (migration 050)
  if (database) {
    const years = lib.years();
    await openCoverageYears(database.db, [...years, ...(years.length ? [Math.max(...years) + 1] : [])]);
  }
  app.get('/health', { schema: { hide: true } }, (_req, reply) => {
    const db = database ? { kind: database.kind, ...database.health.snapshot() } : null;
    const degraded = db !== null && db.state !== 'ok';
    if (degraded) reply.code(503).header('retry-after', '1');
    return {
      status: degraded ? 'degraded' : 'ok',
      ...(degraded ? { reason: `database unreachable since ${db.since}: ${db.reason}` } : {}),
      packs: lib.packIds().length,
      ...(db ? { database: db } : {}),
      ...(settlements ? { settlements: settlements.contention } : {}),
      ...(opts.status?.() ?? {}),
    };
  });

  // The public quote routes: bodies of a sensible size (one person; one encounter's fee lines;
  // a year of encounters), and at most QUOTES_PER_ADDRESS at once from one address, refilled at
  // QUOTES_PER_SECOND (example settings, not policy): a few clients cannot take the process
  const quoteBuckets = new TokenBuckets(opts.quoteLimit ?? { capacity: QUOTES_PER_ADDRESS, perSecond: QUOTES_PER_SECOND });
  const limitQuotes = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (quoteBuckets.take(req.ip)) return;
    if (hasBody(req)) reply.header('connection', 'close');
    const s = quoteBuckets.waitFor(req.ip);
    throw new TooManyRequestsError(s, `too many quotes from this address; try again in ${s} s`);
  };

  app.post(
    '/api/v1/quotes/contribution',
    {
      config: { public: true },
      onRequest: limitQuotes,
      bodyLimit: 64 << 10,
      schema: {
        tags: ['quotes'],
        summary: 'Quote one person’s contribution, assistance, fiscal subsidy and benefit period',
        description:
          'Example: `{"region":"500230","coverageYear":2022,"tier":"tier1","person":{"birthDate":"1980-05-01","kind":"adult","statuses":["dibao"]}}` — a 低保 person in 丰都县, 2022, tier 1. `trace` shows each step with its citation; `examplesUsed` lists values that are examples, not policy.',
        body: contributionRequestSchema,
        response: { 200: contributionAnswerSchema, 400: errorSchema },
      },
    },
    (req) => service.contribution(req.body),
  );

  app.post(
    '/api/v1/quotes/settlement',
    {
      config: { public: true },
      onRequest: limitQuotes,
      bodyLimit: 1 << 20,
      schema: {
        tags: ['quotes'],
        summary: 'Settle one encounter through the three tiers: basic fund, 大病保险, 医疗救助',
        description:
          'Give the encounter as itemised `fees` (甲/乙/丙 with price limits and 乙-class self-pay shares) or pre-classified `costs`, and the person’s year-to-date `accumulators`. The answer carries the national split and fund fields (setlinfo, setldetail), the accumulators after, and a trace citing every rule. Outside the benefit period, or of a type the pack does not cover, the encounter is settled as cash with a coded `cashReason`.',
        body: settlementRequestSchema,
        response: { 200: settlementQuoteAnswerSchema, 400: errorSchema },
      },
    },
    (req) => service.settlement(req.body),
  );

  app.post(
    '/api/v1/quotes/settlement/year',
    {
      config: { public: true },
      onRequest: limitQuotes,
      bodyLimit: 4 << 20,
      schema: {
        tags: ['quotes'],
        summary: 'Settle a year of encounters in date order: each settlement and the year’s totals per fund (“how much will I get back”)',
        body: settlementYearRequestSchema,
        response: { 200: settlementYearAnswerSchema, 400: errorSchema },
      },
    },
    (req) => service.settlementYear(req.body),
  );

  app.get(
    '/api/v1/packs',
    { config: { public: true }, schema: { tags: ['packs'], summary: 'The packs held, one per region and coverage year' } },
    () =>
      lib.packIds().map((id) => {
        const p = lib.resolve(id);
        return { id, name: p.name, region: p.region, regionName: lib.regions.get(p.region)?.name ?? p.region, year: p.year, chain: p.chain, file: lib.fileOf(id) };
      }),
  );

  app.get(
    '/api/v1/packs/:region/:year',
    {
      config: { public: true },
      schema: {
        tags: ['packs'],
        summary: 'A region’s pack for a year, resolved through its parents (a county without a pack gets its parent’s)',
        params: z.object({ region: z.string(), year: z.string() }),
        response: { 200: packSchema, 400: errorSchema },
      },
    },
    (req) => packJson(packRef(lib, 'region', req.params.region, req.params.year), req.params.region, lib.regions.get(req.params.region)?.name),
  );

  app.get(
    '/api/v1/pack-diff',
    {
      config: { public: true },
      onRequest: limitQuotes,
      schema: {
        tags: ['packs'],
        summary: 'What differs between two packs, e.g. from=500000/2022&to=500000/2023',
        querystring: z.object({ from: z.string(), to: z.string() }),
        response: { 200: diffSchema, 400: errorSchema },
      },
    },
    (req) => {
      const q = (req.query ?? {}) as { from?: unknown; to?: unknown };
      const a = packRefString(lib, 'from', typeof q.from === 'string' ? q.from : '');
      const b = packRefString(lib, 'to', typeof q.to === 'string' ? q.to : '');
      return diffPacks(a, b);
    },
  );

  app.get('/api/v1/documents', { config: { public: true }, schema: { tags: ['packs'], summary: 'The notices the packs cite' } }, () =>
    [...lib.documents.values()].map(({ text: _t, ...d }) => d),
  );
  app.get(
    '/api/v1/documents/:number',
    {
      config: { public: true },
      schema: { tags: ['packs'], summary: 'A notice with its text as held (policies/sources), e.g. 兴义府发〔2022〕3号 (URL-encoded)', params: z.object({ number: z.string() }), response: { 200: documentSchema, 400: errorSchema } },
    },
    (req) => {
      const number = String((req.params as { number?: unknown }).number ?? '');
      const d = lib.documents.get(number);
      if (!d) throw new NotFoundError('document', number);
      const { text: _t, ...meta } = d;
      return { ...meta, text: readFileSync(join(lib.dir, 'sources', d.file), 'utf8') };
    },
  );
  app.get('/api/v1/regions', { config: { public: true }, schema: { tags: ['packs'], summary: 'Region codes known (GB/T 2260)' } }, () => [...lib.regions.values()]);

  if (opts.database && auth) {
    const ctx: AppContext = { quotes: service, database: opts.database, auth, settlements: new SettlementService(opts.database, service, { afterWrite: new BurdenWatch(opts.database.db, lib).afterWrite, ...(logger ? { log: app.log } : {}) }), lookupLimit: opts.lookupLimit };
    settlements = ctx.settlements;
    if (opts.away) {
      const linked = await opts.away(ctx);
      if (linked instanceof AreaService) {
        ctx.areas = linked;
        ctx.away = linked.treating;
      } else ctx.away = linked;
    }
    for (const register of RECORD_ROUTES) await register(app, ctx);
  }
  return app;
}
