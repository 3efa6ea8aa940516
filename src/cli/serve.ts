/**
 * The service (`npm start`, `yibao serve`): the HTTP service on embedded defaults — policies from ./policies, the
 * database in ./data/pglite (embedded PostgreSQL) unless DATABASE_URL names a server.
 * On first start with an empty database a demo town is generated and loaded in the
 * background while the service already answers (progress in the log and on /health).
 */
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../http/server.js';
import type { AppContext } from '../http/context.js';
import { AreaService } from '../areas/area-service.js';
import { ensureConsoleBuilt } from '../http/console-build.js';
import { PackError } from '../policy/errors.js';
import { QuoteService } from '../quotes/quote-service.js';
import { DEMO_USERS, isEmpty, seedDemo } from '../sim/seed-demo.js';
import { openDatabase, type Database } from '../store/db.js';
import type { DatabaseHealthState } from '../store/health.js';
import { DatabaseLockedError } from '../store/lock.js';
import { inBackground } from '../store/priority.js';

/** Start the service as the environment says (PORT, HOST, DATABASE_URL, YIBAO_DATA, YIBAO_DEMO, …). */
export async function runService(): Promise<void> {
  const port = Number(process.env.PORT ?? 3000);
  const host = process.env.HOST ?? '127.0.0.1';
  const demoPeople = Number(process.env.YIBAO_DEMO_PEOPLE ?? 30000);
  const demoOn = process.env.YIBAO_DEMO !== 'off';
  const lookups = lookupLimitFromEnv();
  if ('refused' in lookups) {
    console.error(lookups.refused);
    process.exit(2);
  }

  let service: QuoteService;
  try {
    service = QuoteService.load(process.env.YIBAO_POLICIES);
  } catch (e) {
    if (e instanceof PackError) {
      console.error(`The policy packs do not load:\n${e.message}`);
      process.exit(2);
    }
    throw e;
  }

  let database: Database;
  // the database going away and coming back is logged (and /health says degraded meanwhile)
  let healthLog = (s: DatabaseHealthState): void => console.error(s.state === 'ok' ? 'database reachable again' : `database unreachable: ${s.reason}`);
  try {
    database = await openDatabase({ onHealthChange: (s) => healthLog(s) });
  } catch (e) {
    if (e instanceof DatabaseLockedError) console.error(`yibao is already running on this database. ${e.message}`);
    else console.error(`cannot open the database: ${(e as Error).message}`);
    process.exit(1);
  }

  // the web console: built at install (npm ci runs `prepare`); built again here when web/dist is missing or older than web/src
  try {
    await ensureConsoleBuilt((m) => console.log(m));
  } catch (e) {
    console.error(`the web console could not be built (${(e as Error).message}); the API is served without it`);
  }

  // /health's demo: the stage loading, and what is still loading (the campaign: registers, assessment and
  // payments, shown by the console's progress pages; then the year's settlements and fund transfers)
  const demo = { state: 'off' as 'off' | 'seeding' | 'ready' | 'failed', stage: '', done: 0, total: 0, stillLoading: [] as string[], message: '' };
  const CAMPAIGN_STAGES = ['households', 'persons', 'campaign sheets', 'assessment', 'payments'];
  // YIBAO_AREA + YIBAO_NATS (yibao serve --area --nats): this area joins the others; otherwise single-area, no NATS
  const areaCode = process.env.YIBAO_AREA;
  const natsServers = process.env.YIBAO_NATS;
  let areaService: AreaService | null = null;
  const away = areaCode && natsServers
    ? async (ctx: AppContext) => {
        // recovery of half-done cross-area settlements: how often (YIBAO_AREA_RECOVERY_MS) and after how long (YIBAO_AREA_RECOVERY_GRACE_MS)
        const every = Number(process.env.YIBAO_AREA_RECOVERY_MS ?? 30_000);
        const grace = Number(process.env.YIBAO_AREA_RECOVERY_GRACE_MS ?? 60_000);
        if (!Number.isInteger(every) || every < 100 || !Number.isInteger(grace) || grace < 0) throw new Error('YIBAO_AREA_RECOVERY_MS and YIBAO_AREA_RECOVERY_GRACE_MS must be whole milliseconds (every ≥ 100)');
        areaService = await AreaService.start({ area: areaCode, servers: natsServers, replicas: Number(process.env.YIBAO_AREA_REPLICAS ?? 1), recoveryEveryMs: every, recoveryGraceMs: grace, ...(process.env.YIBAO_AREA_PHASES ? { phasesFile: process.env.YIBAO_AREA_PHASES } : {}) }, ctx.database, ctx.quotes, ctx.settlements);
        console.log(`area ${areaCode} joined the cross-area link at ${natsServers}`);
        return areaService;
      }
    : undefined;
  let app: FastifyInstance;
  try {
    app = await buildServer(service, { logger: { level: process.env.LOG_LEVEL ?? 'info' }, database, status: () => ({ demo }), ...(away ? { away } : {}), ...lookups });
  } catch (e) {
    if (!away) throw e;
    console.error(`cannot join the cross-area link at ${natsServers}: ${(e as Error).message}`);
    await database.close();
    process.exit(1);
  }
  app.addHook('onClose', async () => {
    await (areaService as AreaService | null)?.close();
  });
  healthLog = (s) => {
    if (s.state === 'ok') app.log.warn({ database: s }, `database reachable again (unreachable since ${s.lastOutage?.since})`);
    else app.log.error({ database: s }, `database unreachable: ${s.reason}`);
  };
  try {
    await app.listen({ port, host });
  } catch (e) {
    console.error(`cannot listen on ${host}:${port}: ${(e as Error).message} (set PORT to use another port)`);
    await database.close();
    process.exit(1);
  }
  const url = `http://${host}:${port}`;
  console.log(`yibao is serving ${service.lib.packIds().length} policy packs; database: ${database.kind} (${database.where}, as ${database.role}).
  Web console:   ${url}/
  OpenAPI page:  ${url}/docs
  Quote:         curl -s ${url}/api/v1/quotes/contribution -H 'content-type: application/json' \\
                     -d '{"region":"500230","coverageYear":2022,"tier":"tier1","person":{"birthDate":"1980-05-01","kind":"adult","statuses":["dibao"]}}'`);

  const meta = await database.db.selectFrom('schema_meta').select(['key']).where('key', 'in', ['demo', 'demo_started']).execute();
  const started = meta.some((m) => m.key === 'demo_started');
  const finished = meta.some((m) => m.key === 'demo');
  if (demoOn && !finished && (started || (await isEmpty(database)))) {
    demo.state = 'seeding';
    demo.stillLoading = ['campaign', 'settlements'];
    demo.message = '演示数据加载中…（参保进度）';
    console.log(`Loading the demo town (${demoPeople.toLocaleString('en-US')} people of 丰都县, coverage year 2022) in the background; the service answers meanwhile.
    Demo log-ins (POST /api/v1/session) — for the demo only:
  ${DEMO_USERS.map((u) => `    ${u.username.padEnd(9)} ${u.password.padEnd(20)} ${u.role} (${u.scope})`).join('\n')}`);
    await database.db.insertInto('schema_meta').values({ key: 'demo_started', value: new Date().toISOString() }).onConflict((oc) => oc.column('key').doNothing()).execute();
    let lastPct = -1;
    let lastStage = '';
    // background work: on PGlite the console's requests go first (src/store/priority.ts)
    void inBackground(() =>
      seedDemo(database, service, {
        people: demoPeople,
        onProgress: (stage, done, total) => {
          Object.assign(demo, { stage, done, total });
          if (!CAMPAIGN_STAGES.includes(stage) && demo.stillLoading.includes('campaign')) {
            demo.stillLoading = ['settlements'];
            demo.message = '演示数据加载中…（参保进度已可查看；医疗费用结算仍在加载）';
          }
          const pct = total ? Math.floor((done / total) * 10) * 10 : 100;
          if (stage !== lastStage || pct !== lastPct) app.log.info({ demo: stage, done, total }, `demo: ${stage} ${pct}%`);
          lastStage = stage;
          lastPct = pct;
        },
      }),
    )
      .then((s) => {
        Object.assign(demo, { state: 'ready', stillLoading: [], message: '' });
        console.log(
          `Demo ready in ${s.seconds.toFixed(0)} s: ${s.persons} persons, ${s.payments} payments, ${s.settlements} settlements of ${s.encounters} encounters; example fund transfers (not policy amounts): ${s.transfers.map((t) => `${t.reference} ${t.amountYuan.toFixed(2)} yuan`).join(', ') || 'none'}.`,
        );
      })
      .catch((e: unknown) => {
        demo.state = 'failed';
        app.log.error({ err: e }, 'demo seeding failed');
      });
  } else if (finished) demo.state = 'ready';

  let closing = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.on(sig, () => {
      if (closing) process.exit(1);
      closing = true;
      // exit 1 if closing fails (the lock of an embedded database is released on exit either way)
      void app
        .close()
        .then(() => database.close())
        .then(
          () => process.exit(0),
          (e: unknown) => {
            console.error(`closing: ${(e as Error).message}`);
            process.exit(1);
          },
        );
    });
}

/**
 * YIBAO_1101_PER_MINUTE (and YIBAO_1101_AT_ONCE): the platform's 1101 look-ups a hospital may
 * make, for an area whose hospitals are busier than the default (LOOKUPS_PER_MINUTE).
 */
function lookupLimitFromEnv(): { lookupLimit?: { capacity: number; perSecond: number } } | { refused: string } {
  const perMinute = process.env.YIBAO_1101_PER_MINUTE;
  if (perMinute === undefined) return {};
  const n = Number(perMinute);
  const atOnce = Number(process.env.YIBAO_1101_AT_ONCE ?? n);
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(atOnce) || atOnce < 1) return { refused: `YIBAO_1101_PER_MINUTE and YIBAO_1101_AT_ONCE must be whole numbers ≥ 1 (got ${perMinute}, ${process.env.YIBAO_1101_AT_ONCE ?? 'unset'})` };
  return { lookupLimit: { capacity: atOnce, perSecond: n / 60 } };
}
