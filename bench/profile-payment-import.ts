/**
 * Where the payment file's CPU goes, statement by statement (issue #14 item 10; not part of
 * `npm run bench`): the town, its assessment and the payment file of bench/payment-import.ts
 * (untimed), then importPaymentFile with a Kysely plugin that reads, around every statement, the
 * run time of the database's backends (/proc/<pid>/schedstat, nanoseconds) and of this process
 * (process.cpuUsage): per statement its calls, wall, backend CPU, and the Node CPU spent before it
 * since the previous one returned. With track_functions = all on the database, the trigger
 * functions' own times (pg_stat_user_functions) are printed after.
 *
 *   BENCH_PAYMENTS_PERSONS=100000 BENCH_PAYMENTS_BATCH=2000 npx tsx bench/profile-payment-import.ts
 */
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KyselyPlugin, OperationNode, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { importPaymentFile } from '../src/monitoring/payment-file.js';
import { QuoteService } from '../src/quotes/quote-service.js';
import { SYSTEM } from '../src/access/roles.js';
import { dropAllCreated, dropOnSignals, envInt, fmt, fmtInt, freshServerDatabase, loadavg, log, table } from './record/support.js';
import { writePaymentFile } from './support/payment-file.js';

/** Run time (ns) of every backend whose process title names the database. */
function backendsNs(pids: Set<string>): number {
  let ns = 0;
  for (const pid of pids) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      pids.delete(pid);
    }
  }
  return ns;
}

function scanBackends(dbName: string): Set<string> {
  const s = new Set<string>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmd.startsWith('postgres:') && cmd.includes(` ${dbName} `)) s.add(pid);
    } catch {
      /* gone */
    }
  }
  return s;
}

function labelOf(node: RootOperationNode): string {
  const n = node as OperationNode & { sqlFragments?: readonly string[]; into?: { table: { identifier: { name: string } } }; table?: { table: { identifier: { name: string } } } };
  if (n.kind === 'RawNode' && n.sqlFragments) return n.sqlFragments.join('$').replace(/\s+/g, ' ').trim().slice(0, 90);
  return `${n.kind} ${n.into?.table.identifier.name ?? n.table?.table?.identifier?.name ?? ''}`;
}

interface Stat {
  calls: number;
  wallMs: number;
  dbMs: number;
  nodeBeforeMs: number;
}

class Profiler implements KyselyPlugin {
  stats = new Map<string, Stat>();
  private open = new Map<unknown, { label: string; t: number; db: number }>();
  private pids: Set<string>;
  private lastNode = process.cpuUsage();
  constructor(private dbName: string) {
    this.pids = scanBackends(dbName);
  }
  private cpuMs(): number {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1000;
  }
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const label = labelOf(args.node);
    const now = this.cpuMs();
    const before = now - (this.lastNode.user + this.lastNode.system) / 1000;
    const st = this.stats.get(label) ?? { calls: 0, wallMs: 0, dbMs: 0, nodeBeforeMs: 0 };
    st.nodeBeforeMs += before;
    this.stats.set(label, st);
    for (const p of scanBackends(this.dbName)) this.pids.add(p);
    this.open.set(args.queryId, { label, t: performance.now(), db: backendsNs(this.pids) });
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const o = this.open.get(args.queryId);
    if (o) {
      this.open.delete(args.queryId);
      const st = this.stats.get(o.label)!;
      st.calls++;
      st.wallMs += performance.now() - o.t;
      st.dbMs += (backendsNs(this.pids) - o.db) / 1e6;
    }
    this.lastNode = process.cpuUsage();
    return args.result;
  }
}

async function main(): Promise<void> {
  const n = envInt('BENCH_PAYMENTS_PERSONS', 100_000);
  const batch = envInt('BENCH_PAYMENTS_BATCH', 2000);
  const dir = mkdtempSync(join(tmpdir(), 'yibao-profile-payments-'));
  dropOnSignals(async () => rmSync(dir, { recursive: true, force: true }));
  const b = await freshServerDatabase('paymentsprof', 4);
  try {
    const { file, rows } = await writePaymentFile(b, n, dir);
    await b.owner(`ALTER DATABASE ${b.name} SET track_functions = 'all'`);
    // new connections pick the setting up: end the pool's idle ones
    await b.owner(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`);
    await new Promise((r) => setTimeout(r, 300));
    await b.owner('SELECT pg_stat_reset()');
    await b.owner('CHECKPOINT');
    const quotes = QuoteService.load();
    const prof = new Profiler(b.name);
    const db = b.database.db.withPlugin(prof);
    const load0 = loadavg();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const s = await importPaymentFile(db, quotes, SYSTEM, { path: file, batchSize: batch });
    const wall = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    log(`\n${fmtInt(rows)} rows, ${fmtInt(s.inserted)} recorded, batches of ${batch}; wall ${fmt(wall)} s, node CPU ${fmt((c.user + c.system) / 1e6)} s; load before ${load0}, after ${loadavg()}`);
    const all = [...prof.stats].sort((x, y) => y[1].dbMs + y[1].nodeBeforeMs - x[1].dbMs - x[1].nodeBeforeMs);
    const tot = all.reduce((t, [, v]) => ({ db: t.db + v.dbMs, node: t.node + v.nodeBeforeMs }), { db: 0, node: 0 });
    log(`statements: backends ${fmt(tot.db / 1000)} s, node between statements ${fmt(tot.node / 1000)} s`);
    log(table(['statement', 'calls', 'wall s', 'backend CPU s', 'µs/payment', 'node before s'], all.map(([k, v]) => [k, v.calls, fmt(v.wallMs / 1000), fmt(v.dbMs / 1000), fmt((v.dbMs * 1000) / s.inserted, 1), fmt(v.nodeBeforeMs / 1000)])));
    await new Promise((r) => setTimeout(r, 11_000)); // an idle backend flushes its function statistics within 10 s
    const { rows: fns } = await b.owner(`SELECT funcname, calls, round(total_time)::int AS total_ms, round(self_time)::int AS self_ms FROM pg_stat_user_functions ORDER BY total_time DESC LIMIT 25`);
    log(table(['function', 'calls', 'total ms', 'self ms'], fns.map((f) => [f.funcname, f.calls, f.total_ms, f.self_ms])));
  } finally {
    await b.drop();
    await dropAllCreated();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch(async (e: Error) => {
  console.error(e.stack ?? e.message);
  await dropAllCreated();
  process.exit(1);
});
