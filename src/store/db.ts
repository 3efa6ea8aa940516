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
import { DatabaseHealth, type DatabaseHealthState } from './health.js';
import { lockDirectory, type DirectoryLock } from './lock.js';
import { migrate } from './migrate.js';
import { isBackground, priority } from './priority.js';
import { isConnectionError } from './pg-errors.js';
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
  /** the role the pools' statements run as (APP_ROLE, or the owner when opened `asOwner`) */
  role: string;
  /** whether the database can be reached (for /health): lost connections, probes until it is back */
  health: DatabaseHealth;
  close(): Promise<void>;
}

/**
 * The service's role (created by migration 012_app_role.sql): it owns nothing, so it can neither
 * TRUNCATE nor DISABLE TRIGGER nor alter any table, and holds exactly the privileges the
 * service's statements need (no UPDATE or DELETE on the append-only tables). Migrations run as
 * the configured connection's user (the owner); the pools then run as this role: on a server
 * by `-c role=yibao_app` at connection start, or as the login of DATABASE_APP_URL when that is
 * given; on PGlite by SET ROLE on its one session.
 */
export const APP_ROLE = 'yibao_app';

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
  /** a postgres:// URL (the owner: migrations run as it); default: process.env.DATABASE_URL */
  url?: string;
  /** a login for the service's pools, a member of APP_ROLE; default: process.env.DATABASE_APP_URL (server only) */
  appUrl?: string;
  /** PGlite data directory ('memory://' for in-memory); default: YIBAO_DATA or ./data/pglite */
  dataDir?: string;
  /** pool size for a server */
  max?: number;
  migrate?: boolean;
  /** the pools run as the owner, not as APP_ROLE: for maintenance only (a benchmark's floor tables, CHECKPOINT) */
  asOwner?: boolean;
  /** between health probes while the database is unreachable (default 1000 ms) */
  probeEveryMs?: number;
  /** told when the database becomes unreachable and when it is back */
  onHealthChange?: (s: DatabaseHealthState) => void;
}

/** A connection lost or refused: reported to the health, and its client leaves the pool. */
interface Watch {
  lost(e: unknown): void;
}

/**
 * A pg Pool that watches its clients. pg emits 'error' on a client whose connection ends
 * (pg_terminate_backend, a restart, a fail-over, a dropped socket); a client checked out of the
 * pool has no listener of pg's, and an 'error' event without a listener kills the process. So
 * every client gets a listener when it connects; the error is remembered, and the client is
 * released as broken (the pool closes it and makes a new one), whatever its user passes to
 * release(). Errors of idle clients and failures to connect are reported too.
 */
class WatchedPool extends pg.Pool {
  private readonly lostBy = new WeakMap<pg.PoolClient, Error>();

  /**
   * `shared`: PGlite's clients all speak through one connection object of its adapter, which a
   * client's removal ends (and with it the next client's). There a client is never released as
   * broken for a statement's error (pg-pool's own query() passes those); one whose connection
   * errored is still removed by the pool (it is not queryable).
   */
  constructor(
    config: pg.PoolConfig,
    private readonly watch: Watch,
    private readonly shared = false,
  ) {
    super(config);
    this.on('error', (e) => watch.lost(e)); // an idle client's connection ended
    this.on('connect', (client: pg.PoolClient) => {
      client.on('error', (e: Error) => {
        this.lostBy.set(client, e);
        watch.lost(e);
      });
    });
  }

  private watched(client: pg.PoolClient, released: () => void): pg.PoolClient {
    const release = client.release;
    client.release = this.shared
      ? () => {
          released();
          return release();
        }
      : (err?: Error | boolean) => release(err || this.lostBy.get(client));
    return client;
  }

  /**
   * On the shared (PGlite) pool, requests before the background loader (src/store/priority.ts):
   * a foreground caller is counted from asking until it gives the client back; a background
   * caller waits for its turn before asking.
   */
  private async order(): Promise<() => void> {
    if (!this.shared) return () => {};
    return isBackground() ? priority.backgroundTurn() : priority.holdStatement();
  }

  override connect(): Promise<pg.PoolClient>;
  override connect(callback: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: any) => void) => void): void;
  override connect(callback?: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: any) => void) => void): Promise<pg.PoolClient> | void {
    const ordered = this.order();
    if (callback) {
      void ordered.then((released) =>
        super.connect((err, client, done) => {
          if (err || !client) {
            released();
            if (isConnectionError(err)) this.watch.lost(err);
            return callback(err, client, done);
          }
          const c = this.watched(client, released);
          callback(undefined, c, c.release);
        }),
      );
      return;
    }
    return ordered.then((released) =>
      super.connect().then(
        (c) => this.watched(c, released),
        (e: unknown) => {
          released();
          if (isConnectionError(e)) this.watch.lost(e);
          throw e;
        },
      ),
    );
  }
}

/** A URL without a user means the OS user, as psql does (pg would need $USER set). */
function withUser(url: string): URL {
  const u = new URL(url);
  if (!u.username) u.username = process.env.PGUSER ?? userInfo().username;
  return u;
}

const hidePassword = (url: string): string => url.replace(/\/\/([^:@/]+):[^@]*@/, '//$1:***@');

/** Run the migrations as the owner, on a connection of their own. */
async function migrateAsOwner(connectionString: string, options: string | undefined): Promise<void> {
  const owner = new pg.Pool({ connectionString, options, max: 1 });
  owner.on('error', () => {}); // an idle client lost: the next query says so
  try {
    await migrate(owner);
  } finally {
    await owner.end();
  }
}

/**
 * The pools' first statement: who they run as. A clear error when the role is missing, or not
 * the owner's to take, or the DATABASE_APP_URL login is not a member of it.
 */
async function checkRole(pool: pg.Pool, viaLogin: boolean): Promise<void> {
  let who: { current_user: string; member: boolean };
  try {
    who = (await pool.query<{ current_user: string; member: boolean }>(`SELECT current_user, pg_has_role(current_user, $1, 'USAGE') AS member`, [APP_ROLE])).rows[0];
  } catch (e) {
    const how = viaLogin ? 'as the login of DATABASE_APP_URL' : `by -c role=${APP_ROLE} on the owner's connections`;
    throw new Error(`the service cannot run as the database role ${APP_ROLE} (${how}): ${(e as Error).message}. Migration 012_app_role.sql creates the role; the owner (or the DATABASE_APP_URL login) must be a member of it`);
  }
  if (!who.member) throw new Error(`the DATABASE_APP_URL login ${who.current_user} is not a member of the role ${APP_ROLE}: GRANT ${APP_ROLE} TO ${who.current_user} (as the owner or the database administrator)`);
  if (!viaLogin && who.current_user !== APP_ROLE) throw new Error(`the service's connections run as ${who.current_user}, not ${APP_ROLE}`);
}

export async function openDatabase(opts: OpenOptions = {}): Promise<Database> {
  const url = opts.url === undefined ? process.env.DATABASE_URL : opts.url; // '' forces PGlite
  const appUrl = opts.appUrl === undefined ? process.env.DATABASE_APP_URL : opts.appUrl;
  let pool: pg.Pool;
  let settlementPool: pg.Pool;
  let kind: Database['kind'];
  let where: string;
  let role: string;
  let probe: () => Promise<void>;
  let lite: { close(): Promise<void> } | null = null;
  let lock: DirectoryLock | null = null;
  const watch: Watch = { lost: (e) => health.lost(e) };
  if (url) {
    const u = withUser(url);
    const max = opts.max ?? 10;
    const urlOptions = u.searchParams.get('options') ?? undefined;
    u.searchParams.delete('options');
    if (opts.migrate !== false) await migrateAsOwner(u.toString(), urlOptions);
    // the service's connections: as APP_ROLE (set at connection start), or the DATABASE_APP_URL login
    const svc = appUrl && !opts.asOwner ? withUser(appUrl) : u;
    const svcOptions = appUrl && !opts.asOwner ? (svc.searchParams.get('options') ?? undefined) : urlOptions;
    svc.searchParams.delete('options');
    const roleOption = opts.asOwner || appUrl ? [] : [`-c role=${APP_ROLE}`];
    const joined = (...o: (string | undefined)[]) => o.filter(Boolean).join(' ') || undefined;
    // a connection is given 10 s to come, and a request waits at most that for one: a database
    // that is down fails requests (503) instead of holding them; keep-alive finds dead peers
    const common = { connectionString: svc.toString(), keepAlive: true, connectionTimeoutMillis: 10_000 };
    pool = new WatchedPool({ ...common, max, options: joined(svcOptions, ...roleOption) }, watch);
    const settlementOptions = joined(svcOptions, ...roleOption, ...Object.entries(SETTLEMENT_SESSION_SETTINGS).map(([k, v]) => `-c ${k}=${v}`));
    settlementPool = new WatchedPool({ ...common, max: Math.max(2, Math.floor(max / 2)), options: settlementOptions }, watch);
    kind = 'server';
    role = opts.asOwner ? u.username : appUrl ? svc.username : APP_ROLE;
    where = hidePassword(url);
    probe = async () => {
      const c = new pg.Client({ connectionString: svc.toString(), options: joined(svcOptions, ...roleOption), connectionTimeoutMillis: 2000 });
      c.on('error', () => {});
      try {
        await c.connect();
        await c.query('SELECT 1');
      } finally {
        await c.end().catch(() => {});
      }
    };
  } else {
    const { PGlite } = await import('@electric-sql/pglite');
    const { createPgConfig } = await import('@electric-sql/pglite/node-postgres');
    const dir = opts.dataDir ?? process.env.YIBAO_DATA ?? resolvePath('data', 'pglite');
    if (!dir.startsWith('memory://')) {
      mkdirSync(dir, { recursive: true });
      lock = await lockDirectory(dir); // one process per embedded database
    }
    try {
      const instance = new PGlite(dir);
      lite = instance;
      // PGlite is one session: every pg client shares it, so the pool must hold exactly one.
      pool = new WatchedPool({ ...(createPgConfig(instance) as unknown as pg.PoolConfig), max: 1 }, watch, true);
      pool.on('connect', yieldBeforeEachQuery);
      if (opts.migrate !== false) await migrate(pool);
      // the session runs as APP_ROLE from now on (a session setting: it stays through transactions)
      if (!opts.asOwner) await pool.query(`SET ROLE ${APP_ROLE}`);
    } catch (e) {
      await lite?.close().catch(() => {});
      lock?.release();
      if (!opts.asOwner && /role/.test((e as Error).message)) throw new Error(`the service cannot run as the database role ${APP_ROLE}: ${(e as Error).message}`);
      throw e;
    }
    settlementPool = pool;
    kind = 'pglite';
    role = opts.asOwner ? 'postgres' : APP_ROLE;
    where = dir;
    probe = async () => {
      await pool.query('SELECT 1');
    };
  }
  const health: DatabaseHealth = new DatabaseHealth(() => probe(), { probeEveryMs: opts.probeEveryMs, onChange: opts.onHealthChange });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  let closed = false;
  const database: Database = {
    db,
    pool,
    settlementPool,
    kind,
    where,
    role,
    health,
    close: async () => {
      if (closed) return;
      closed = true;
      health.close();
      try {
        await db.destroy();
        if (settlementPool !== pool) await settlementPool.end();
        await lite?.close(); // the pool does not own the PGlite instance: close it, or the process never exits
      } finally {
        lock?.release();
      }
    },
  };
  if (kind === 'server' && !opts.asOwner) {
    try {
      await checkRole(pool, !!appUrl);
    } catch (e) {
      await database.close();
      throw e;
    }
  }
  return database;
}
