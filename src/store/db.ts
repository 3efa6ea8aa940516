/**
 * Room src/store/ — the database: PGlite or a server, migrations (plain SQL), table types, PostgreSQL error codes.
 * May import: the base only.
 *
 * The database: embedded PGlite (PostgreSQL 18 in WebAssembly, through its node-postgres
 * adapter) by default, or a PostgreSQL server when DATABASE_URL is set — the same pg Pool,
 * the same Kysely queries, the same SQL. Migrations run on open.
 */
import { mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import { migrate } from './migrate.js';
import type { DB } from './schema.js';

// bigint (int8) and numeric arrive as strings by default; dates stay as 'YYYY-MM-DD' text.
pg.types.setTypeParser(1082, (v: string) => v);

/**
 * Session settings of the settlement's connections (Database.settlementPool). plan_cache_mode:
 * the settlement's statements (src/settlement/settlement-store.ts) are named prepared statements
 * run thousands of times a second. With the default ('auto') PostgreSQL found their custom
 * plans cheaper than the generic one (it folds the parameters into constants) and so planned
 * them again at every execution: measured with 16 concurrent settlements, 2.7 ms of backend CPU
 * per settlement against 1.3 ms with the generic plan, 564 against 901 settlements/s
 * (BENCHMARKS.md). Their generic plans find every row by its key. The setting applies to every
 * parameterised statement of a session, so the other queries (ad hoc filters such as
 * `village_code LIKE $1`) keep the default on the main pool.
 */
export const SETTLEMENT_SESSION_SETTINGS: Record<string, string> = { plan_cache_mode: 'force_generic_plan' };

export interface Database {
  db: Kysely<DB>;
  pool: pg.Pool;
  /**
   * Connections for the settlement's statements, with SETTLEMENT_SESSION_SETTINGS: on a server
   * a pool of its own (half the main pool's size, at least two); on PGlite, one session, the
   * main pool itself with the defaults.
   */
  settlementPool: pg.Pool;
  kind: 'pglite' | 'server';
  /** where: the data directory, or the server URL without its password */
  where: string;
  close(): Promise<void>;
}

/**
 * PGlite runs in this process's thread, and its replies arrive as promise and nextTick
 * callbacks, never through the event loop's I/O phase. A loop of awaited queries (the demo
 * seeder's payments, an import) therefore starved every socket and timer until it ended: the
 * 30 000-person demo left /health unanswered for minutes. Each query on a PGlite client now
 * starts from a setImmediate, so the loop turns (sockets, timers) between any two queries.
 * Submittables (cursors, COPY streams) are returned at once, as pg's API requires.
 */
function yieldBeforeEachQuery(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const first = args[0] as { submit?: unknown } | undefined;
    if (first && typeof first.submit === 'function') return query(...args);
    if (typeof args[args.length - 1] === 'function') {
      setImmediate(() => query(...args));
      return undefined;
    }
    return new Promise((resolve) => setImmediate(resolve)).then(() => query(...args));
  };
}

export interface OpenOptions {
  /** a postgres:// URL; default: process.env.DATABASE_URL */
  url?: string;
  /** PGlite data directory ('memory://' for in-memory); default: YIBAO_DATA or ./data/pglite */
  dataDir?: string;
  /** pool size for a server */
  max?: number;
  migrate?: boolean;
}

export async function openDatabase(opts: OpenOptions = {}): Promise<Database> {
  const url = opts.url === undefined ? process.env.DATABASE_URL : opts.url; // '' forces PGlite
  let pool: pg.Pool;
  let settlementPool: pg.Pool;
  let kind: Database['kind'];
  let where: string;
  let lite: { close(): Promise<void> } | null = null;
  if (url) {
    // a URL without a user means the OS user, as psql does (pg would need $USER set)
    const u = new URL(url);
    if (!u.username) u.username = process.env.PGUSER ?? userInfo().username;
    const max = opts.max ?? 10;
    pool = new pg.Pool({ connectionString: u.toString(), max });
    const options = [u.searchParams.get('options'), ...Object.entries(SETTLEMENT_SESSION_SETTINGS).map(([k, v]) => `-c ${k}=${v}`)].filter(Boolean).join(' ');
    u.searchParams.delete('options');
    settlementPool = new pg.Pool({ connectionString: u.toString(), max: Math.max(2, Math.floor(max / 2)), options });
    kind = 'server';
    where = url.replace(/\/\/([^:@/]+):[^@]*@/, '//$1:***@');
  } else {
    const { PGlite } = await import('@electric-sql/pglite');
    const { createPgConfig } = await import('@electric-sql/pglite/node-postgres');
    const dir = opts.dataDir ?? process.env.YIBAO_DATA ?? resolvePath('data', 'pglite');
    if (!dir.startsWith('memory://')) mkdirSync(dir, { recursive: true });
    const instance = new PGlite(dir);
    lite = instance;
    // PGlite is one session: every pg client shares it, so the pool must hold exactly one.
    pool = new pg.Pool({ ...(createPgConfig(instance) as unknown as pg.PoolConfig), max: 1 });
    pool.on('connect', yieldBeforeEachQuery);
    settlementPool = pool;
    kind = 'pglite';
    where = dir;
  }
  pool.on('error', () => {}); // idle-client errors surface on the next query
  if (settlementPool !== pool) settlementPool.on('error', () => {});
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  const database: Database = {
    db,
    pool,
    settlementPool,
    kind,
    where,
    close: async () => {
      await db.destroy();
      if (settlementPool !== pool) await settlementPool.end();
      await lite?.close(); // the pool does not own the PGlite instance: close it, or the process never exits
    },
  };
  if (opts.migrate !== false) await migrate(pool);
  return database;
}
