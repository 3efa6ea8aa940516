/**
 * Shared by the system-of-record benchmarks (bench/record.ts): fresh databases on the
 * PostgreSQL server (always dropped, even on failure or Ctrl-C), psql and pgbench as child
 * processes, CPU time of the server's processes, percentiles and the machine line.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/store/db.js';

export const log = (s = ''): void => console.log(s);
export const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
export const fmt = (n: number, digits = 2): string => n.toFixed(digits);

export const envInt = (name: string, dflt: number): number => {
  const v = process.env[name];
  const n = v ? Number.parseInt(v, 10) : Number.NaN;
  return Number.isFinite(n) && n > 0 ? n : dflt;
};

/** The server URL the benchmark creates its databases from (as the tests: a superuser, trust auth). */
export function adminUrl(): URL {
  const u = new URL(process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test');
  if (!u.username) u.username = process.env.PGUSER ?? os.userInfo().username;
  return u;
}

export interface BenchDatabase {
  name: string;
  /** postgres://user@host:port/name (the owner) */
  url: string;
  /** the service's view: its pools run as the service's role (yibao_app), as in production */
  database: Database;
  /** a statement as the owner, for the benchmark's own upkeep (ANALYZE, CHECKPOINT, floor tables, its sequence) */
  owner(text: string, values?: unknown[]): Promise<pg.QueryResult>;
  drop(): Promise<void>;
}

const created = new Set<string>();

async function adminQuery(text: string): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: adminUrl().toString() });
  await c.connect();
  try {
    return await c.query(text);
  } finally {
    await c.end();
  }
}

async function dropByName(name: string): Promise<void> {
  await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  created.delete(name);
}

/** A new database on the server, migrated, opened with a pool of `max` connections. */
export async function freshServerDatabase(label: string, max: number): Promise<BenchDatabase> {
  const name = `yibao_bench_${label}_${process.pid}_${randomBytes(3).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  created.add(name);
  return serverDatabase(name, max);
}

/** A database a previous run kept (its name), opened as freshServerDatabase opens a new one; drop() drops it. */
export async function keptServerDatabase(name: string, max: number): Promise<BenchDatabase> {
  if (!/^yibao_bench_\w+$/.test(name)) throw new Error(`${name} is not the name of a benchmark's database (yibao_bench_…)`);
  const { rows } = await adminQuery(`SELECT 1 FROM pg_database WHERE datname = '${name}'`);
  if (!rows.length) throw new Error(`there is no database ${name} on the server`);
  created.add(name);
  return serverDatabase(name, max);
}

async function serverDatabase(name: string, max: number): Promise<BenchDatabase> {
  const u = adminUrl();
  u.pathname = `/${name}`;
  const url = u.toString();
  let database: Database;
  try {
    database = await openDatabase({ url, max });
  } catch (e) {
    await dropByName(name).catch(() => {});
    throw e;
  }
  let closed = false;
  const owner = new pg.Pool({ connectionString: url, max: 1 });
  owner.on('error', () => {}); // an idle connection lost: the next statement says so
  return {
    name,
    url,
    database,
    owner: (text, values) => owner.query(text, values),
    drop: async () => {
      if (!closed) {
        closed = true;
        await database.close().catch(() => {});
        await owner.end().catch(() => {});
      }
      await dropByName(name);
    },
  };
}

/** Drop whatever is still there (after a failure); safe to call twice. */
export async function dropAllCreated(): Promise<void> {
  for (const name of [...created]) await dropByName(name).catch((e: Error) => console.error(`could not drop ${name}: ${e.message}`));
}

let interrupted = false;
/** Ctrl-C or a kill: drop the databases first, then exit. */
export function dropOnSignals(cleanup: () => Promise<void>): void {
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.on(sig, () => {
      if (interrupted) return;
      interrupted = true;
      // dropping a database ends its connections: what is still running then fails on its own
      process.on('uncaughtException', () => {});
      process.on('unhandledRejection', () => {});
      console.error(`\n${sig}: dropping the benchmark databases …`);
      void cleanup()
        .then(dropAllCreated)
        .finally(() => process.exit(130));
    });
}

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Runs a program (no shell), collecting its output; rejects on a non-zero exit. */
export function runProgram(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { env: { ...process.env, ...opts.env }, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const r = { code: code ?? -1, stdout, stderr, seconds };
      if (code === 0) resolve(r);
      else reject(Object.assign(new Error(`${cmd} ${args.filter((a) => !a.startsWith('result=') && a.length < 300).join(' ')} exited with ${code}: ${stderr.trim().slice(0, 2000)}`), r));
    });
  });
}

/** One psql command (`\copy …` or SQL) on `url`; stops at the first error. */
export function psql(url: string, command: string): Promise<Ran> {
  return runProgram('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', command]);
}

// ---- CPU time ----

const TICK = 100; // USER_HZ (getconf CLK_TCK) on Linux

function statFields(pid: string): string[] | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = s.lastIndexOf(')');
    return [s.slice(0, close + 1), ...s.slice(close + 2).split(' ')];
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) of one process, from /proc; null when it is gone. */
export function processCpuSeconds(pid: number): number | null {
  const f = statFields(String(pid));
  return f ? (Number(f[12]) + Number(f[13])) / TICK : null;
}

/**
 * CPU seconds used so far by the PostgreSQL server (every process named postgres, plus the
 * postmaster's reaped children): the difference of two readings is the server's CPU time in
 * between, whichever backends came and went. Null when the server's processes are not visible
 * (a server on another machine). Other databases' work on the same server is included.
 */
export function postgresCpuSeconds(): number | null {
  let ticks = 0;
  let seen = false;
  const pids = new Set<string>();
  const rows: string[][] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const f = statFields(pid);
    if (!f || !f[0].endsWith('(postgres)')) continue;
    pids.add(pid);
    rows.push(f);
  }
  for (const f of rows) {
    seen = true;
    ticks += Number(f[12]) + Number(f[13]); // utime, stime (fields 14, 15)
    const ppid = f[2];
    if (!pids.has(ppid)) ticks += Number(f[14]) + Number(f[15]); // the postmaster: cutime, cstime of reaped backends
  }
  return seen ? ticks / TICK : null;
}

/**
 * CPU seconds used by the server backends of one database while it runs: polls
 * pg_stat_activity (from a connection to another database, so the poller is not counted) every
 * 100 ms and reads each backend's /proc stat. Backends present at the start count from their
 * reading then; new ones from zero. A backend that ends between two polls loses at most its
 * last 100 ms. Null when the server's processes are not visible.
 */
export async function startBackendCpu(dbName: string): Promise<{ stop(): Promise<number | null> }> {
  const c = new pg.Client({ connectionString: adminUrl().toString() });
  await c.connect();
  const base = new Map<number, number>();
  const last = new Map<number, number>();
  let visible = true;
  const sample = async (first: boolean): Promise<void> => {
    const { rows } = await c.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [dbName]);
    for (const { pid } of rows) {
      const cpu = processCpuSeconds(pid);
      if (cpu === null) {
        if (first) visible = false;
        continue;
      }
      if (!base.has(pid)) base.set(pid, first ? cpu : 0);
      last.set(pid, cpu);
    }
  };
  await sample(true);
  let busy: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    busy = busy.then(() => sample(false)).catch(() => {});
  }, 100);
  return {
    stop: async () => {
      clearInterval(timer);
      await busy;
      await sample(false).catch(() => {});
      await c.end();
      if (!visible) return null;
      let s = 0;
      for (const [pid, v] of last) s += v - (base.get(pid) ?? 0);
      return s;
    },
  };
}

export interface Timed<T> {
  value: T;
  seconds: number;
  /** this Node process, all threads */
  nodeCpu: number;
  /** the whole PostgreSQL server, all processes (other databases' work included); null when not visible */
  pgCpu: number | null;
  /** the backends of the benchmark's database only; null when not visible or not asked for */
  dbCpu: number | null;
}

export async function timed<T>(fn: () => Promise<T>, dbName?: string): Promise<Timed<T>> {
  const backends = dbName ? await startBackendCpu(dbName) : null;
  const pg0 = postgresCpuSeconds();
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const value = await fn();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  const pg1 = postgresCpuSeconds();
  const dbCpu = backends ? await backends.stop() : null;
  return { value, seconds, nodeCpu: (c.user + c.system) / 1e6, pgCpu: pg0 === null || pg1 === null ? null : pg1 - pg0, dbCpu };
}

// ---- figures ----

/** The q-quantile (0..1) of sorted values, nearest rank. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

export const loadavg = (): string =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

/** A plain Markdown table, right-aligned numbers. */
export function table(head: string[], rows: (string | number)[][], align?: ('l' | 'r')[]): string {
  const cells = rows.map((r) => r.map(String));
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const a = align ?? head.map((_, i) => (i === 0 ? 'l' : 'r'));
  const line = (r: string[]): string => `| ${r.map((c, i) => (a[i] === 'l' ? c.padEnd(w[i]) : c.padStart(w[i]))).join(' | ')} |`;
  return [line(head), `|${w.map((x, i) => (a[i] === 'l' ? `:${'-'.repeat(x + 1)}` : `${'-'.repeat(x + 1)}:`)).join('|')}|`, ...cells.map(line)].join('\n');
}

export async function machineLine(db: Database): Promise<string[]> {
  const cpus = os.cpus();
  const v = await db.pool.query<{ v: string }>('SELECT version() AS v');
  const s = await db.pool.query<{ name: string; setting: string; unit: string | null }>(
    `SELECT name, setting, unit FROM pg_settings WHERE name IN ('shared_buffers', 'synchronous_commit', 'fsync', 'max_wal_size', 'autovacuum', 'jit', 'max_connections') ORDER BY name`,
  );
  const setting = (r: { name: string; setting: string; unit: string | null }): string =>
    r.unit === '8kB' ? `${r.name}=${(Number(r.setting) * 8) / 1024} MB` : `${r.name}=${r.setting}${r.unit ?? ''}`;
  return [
    `machine: ${cpus[0]?.model ?? 'unknown CPU'} · ${cpus.length} logical CPUs · ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM · ${os.type()} ${os.release()} ${os.arch()} · node ${process.version}`,
    `server: ${v.rows[0].v.split(',')[0]} on ${adminUrl().host} (${s.rows.map(setting).join(', ')})`,
    `date: ${new Date().toISOString()} · load average ${loadavg()} (1, 5, 15 min; other processes share these CPUs)`,
  ];
}
