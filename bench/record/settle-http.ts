/**
 * Over 500 lines, on purpose: the whole benchmark (setup, the load, pgbench beside it, the report) reads
 * top to bottom as one measurement.
 *
 * Part B of bench/record.ts: settlement over HTTP under concurrent load on the PostgreSQL
 * server, beside pgbench running a transaction of the same shape on the same database.
 *
 * Untimed setup: a fresh database; a generated town of 20 000 persons (loadTown) with their
 * needy statuses; assessYear(2022), then every assessed enrollment set to paid with the whole
 * year as its benefit period (SQL); an accumulator row for every person (so each settlement
 * reads and updates an existing row, as pgbench does); a hospital account (丰都县人民医院,
 * secondary) with an API token; encounters at that hospital inserted in bulk in SQL for random
 * paid persons — 55 % general outpatient, 15 % hypertension/diabetes medicines, 10 % chronic
 * outpatient, 20 % inpatient, dates across 2022 — a fresh range for every run.
 *
 * HTTP: the ordinary server (buildServer, pool of 10) in a child process; autocannon in this
 * process with 16 connections POSTs /api/v1/encounters/:id/settle, each request the next
 * encounter (setupRequest), first a short warm-up, then ANALYZE (what autovacuum would have done
 * by then; the server runs with autovacuum off), then the measured runs. Every latency is
 * recorded (µs resolution) for p50 / p99; a 409 or any other non-2xx is counted and reported.
 * Floor: pgbench on the same database, same duration, 16 clients, -M prepared, with
 * settle-service.sql (the service's own two statements, generated from its SQL by
 * pgbench-scripts.ts); p50 / p99 from pgbench's per-transaction log. HTTP and pgbench runs
 * alternate (BENCH_SETTLE_ROUNDS rounds), so load from elsewhere on the machine falls on both
 * alike; the figures pool the rounds. For information, once each: pgbench with 10 clients (the
 * server's pool size), settle-locked.sql (the service's locked fallback: BEGIN, read FOR UPDATE,
 * write, COMMIT) and bench/record/settle-steps.sql (the same work the plain way, one statement
 * per step).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { sql } from 'kysely';
import { AuthService } from '../../src/access/auth.js';
import { SYSTEM } from '../../src/access/roles.js';
import { GENERATED_SCRIPTS } from './pgbench-scripts.js';
import { APP_ROLE, SETTLEMENT_SESSION_SETTINGS } from '../../src/store/db.js';
import type { SettlementContention } from '../../src/settlement/settlement-service.js';
import { QuoteService } from '../../src/quotes/quote-service.js';
import { loadTown } from '../../src/sim/load-town.js';
import { generateTown } from '../../src/sim/population.js';
import {
  fmt,
  fmtInt,
  freshServerDatabase,
  loadavg,
  log,
  postgresCpuSeconds,
  processCpuSeconds,
  quantile,
  runProgram,
  startBackendCpu,
  table,
  type BenchDatabase,
} from './support.js';
import { assessYear } from '../../src/campaign/assessment.js';
import { openCoverageYears } from '../../src/store/partitions.js';

const YEAR = 2022;
const HOSPITAL = 'H50023002';
const here = fileURLToPath(new URL('.', import.meta.url));

export interface SettleOptions {
  persons: number;
  seconds: number;
  warmupSeconds: number;
  /** HTTP and pgbench runs, alternated */
  rounds: number;
  connections: number;
  pool: number;
  /** the request body: '{}' keeps the explanation (the default), '{"trace":false}' does not */
  trace: boolean;
  /** encounters made ready per second of a run (an upper bound on the rate) */
  maxRate: number;
  /** pgbench client counts, the first being the issue's */
  pgbenchClients: number[];
  dir: string;
}

export interface LoadFigure {
  name: string;
  clients: number;
  seconds: number;
  done: number;
  perSecond: number;
  p50: number;
  p99: number;
  mean: number;
  max: number;
  failed: number;
  /** the whole PostgreSQL server (other databases included) */
  pgCpu: number | null;
  /** this database's backends only */
  dbCpu: number | null;
  note: string;
}

export interface HttpFigure extends LoadFigure {
  statusCodes: Record<string, number>;
  serverCpu: number | null;
  /** the server's settlement service over the run: write statements, settlements per statement, misses, locked fallbacks */
  contention: SettlementContention;
  /** of serverCpu, the part in the kernel */
  serverSystemCpu: number | null;
  loadCpu: number;
  settledRows: number;
  resultBytes: number;
  postingsPerSettlement: number;
  latencies: Float64Array;
  range: { first: number; last: number };
}

export interface FloorFigure extends LoadFigure {
  script: string;
  latencies: Float64Array;
}

export interface SettleResult {
  http: HttpFigure[];
  floors: FloorFigure[];
  opts: SettleOptions;
}

/** Insert `n` encounters at the hospital for random paid persons; returns the id range. */
export async function makeEncounters(b: BenchDatabase, n: number, seed: number): Promise<{ first: number; last: number }> {
  const { rows } = await sql<{ first: string; last: string; n: string }>`
    WITH seed AS (SELECT setseed(${seed})),
    paid AS (SELECT array_agg(person_id ORDER BY person_id) AS ids FROM enrollment, seed WHERE coverage_year = ${YEAR} AND state = 'paid'),
    g AS (SELECT i, random() AS who, random() AS kind, random() AS day, random() AS size, random() AS own FROM paid, generate_series(1, ${n}) i),
    x AS (
      SELECT i, paid.ids[1 + floor(who * cardinality(paid.ids))::int] AS person_id, day, own,
        CASE WHEN kind < 0.55 THEN 'general_outpatient' WHEN kind < 0.70 THEN 'hypertension_diabetes'
             WHEN kind < 0.80 THEN 'chronic_special_outpatient' ELSE 'inpatient' END AS type,
        (ARRAY['hypertension', 'diabetes', 'cancer_outpatient_therapy', 'uremia_dialysis'])[1 + floor(size * 4)::int] AS disease,
        size
      FROM g, paid
    ),
    c AS (
      SELECT *, round(100 * CASE type WHEN 'general_outpatient' THEN 30 + 370 * size * size WHEN 'hypertension_diabetes' THEN 40 + 110 * size
                                       WHEN 'chronic_special_outpatient' THEN 500 + 5500 * size * size ELSE 1500 + 28500 * size * size END)::bigint AS total
      FROM x
    ),
    ins AS (
      INSERT INTO encounter (hospital_code, person_id, coverage_year, type, date, location, referred, disease,
                             total_fen, full_own_pay_fen, over_limit_fen, pre_self_pay_fen, in_scope_fen)
      SELECT ${HOSPITAL}, person_id, ${YEAR}, type, make_date(${YEAR}, 1, 1) + floor(day * 365)::int, 'in_area', true,
             CASE WHEN type = 'chronic_special_outpatient' THEN disease END,
             total, floor(total * own * 0.08)::bigint, 0, floor(total * own * 0.05)::bigint,
             total - floor(total * own * 0.08)::bigint - floor(total * own * 0.05)::bigint
      FROM c ORDER BY i
      RETURNING id
    )
    SELECT min(id) AS first, max(id) AS last, count(*) AS n FROM ins`.execute(b.database.db);
  const first = Number(rows[0].first);
  const last = Number(rows[0].last);
  if (Number(rows[0].n) !== n || last - first + 1 !== n) throw new Error(`expected ${n} contiguous encounters, got ${rows[0].n} in ${first}..${last}`);
  return { first, last };
}

export async function setup(b: BenchDatabase, o: SettleOptions): Promise<{ token: string; pmin: number; pmax: number }> {
  const db = b.database.db;
  const town = generateTown({ people: o.persons, coverageYear: YEAR, encounters: false });
  await loadTown(db, town);
  await openCoverageYears(db, [YEAR]); // the year's partitions (migration 050), before the encounters are inserted below
  const s = await assessYear(db, QuoteService.load(), { coverageYear: YEAR, actor: SYSTEM });
  const paid = await sql`
    UPDATE enrollment SET state = 'paid', paid_fen = coalesce(due_fen, 0), paid_on = make_date(${YEAR} - 1, 12, 15),
      benefit_start = make_date(${YEAR}, 1, 1), benefit_end = make_date(${YEAR}, 12, 31), waiting_days = 0
    WHERE coverage_year = ${YEAR} AND state = 'assessed'`.execute(db);
  await sql`INSERT INTO accumulator (person_id, coverage_year, data) SELECT id, ${YEAR}, '{}'::jsonb FROM person`.execute(db);
  await b.owner('CREATE SEQUENCE bench_encounter_seq');
  const auth = new AuthService(db);
  const userId = await auth.createUser(SYSTEM, { username: 'bench_hospital', displayName: '丰都县人民医院 (benchmark)', role: 'hospital', hospitalCode: HOSPITAL });
  const token = await auth.issueApiToken(SYSTEM, userId, 'benchmark');
  const range = (await sql<{ pmin: string; pmax: string }>`SELECT min(id) AS pmin, max(id) AS pmax FROM person`.execute(db)).rows[0];
  await b.owner('VACUUM ANALYZE');
  log(
    `setup (untimed): ${fmtInt(town.persons.length)} persons loaded, ${fmtInt(s.persons)} assessed, ${fmtInt(Number(paid.numAffectedRows ?? 0))} enrollments set to paid (benefit period ${YEAR}-01-01..${YEAR}-12-31), accumulator rows for all, hospital ${HOSPITAL} account with an API token`,
  );
  return { token, pmin: Number(range.pmin), pmax: Number(range.pmax) };
}

function startServer(url: string, pool: number): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(join(here, 'settle-server.ts'), [], {
      // BENCH_SETTLE_CPU_PROF=<dir>: a V8 CPU profile of the server process (for looking into it; slows it a little)
      execArgv: ['--import', 'tsx', ...(process.env.BENCH_SETTLE_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_SETTLE_CPU_PROF}`] : [])],
      env: { ...process.env, BENCH_SETTLE_URL: url, BENCH_SETTLE_POOL: String(pool) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.once('message', (m: { port?: number }) => (m.port ? resolve({ child, port: m.port }) : reject(new Error(`server: ${JSON.stringify(m)}`))));
    child.once('exit', (code) => reject(new Error(`the server process exited (${code}) before listening`)));
    child.once('error', reject);
  });
}

/** The server process's CPU seconds so far: all of it, and the part spent in the kernel (system calls: sockets). */
const askCpu = (child: ChildProcess): Promise<{ cpu: number; system: number | null } | null> =>
  new Promise((resolve) => {
    const t = setTimeout(() => {
      const cpu = child.pid ? processCpuSeconds(child.pid) : null;
      resolve(cpu === null ? null : { cpu, system: null });
    }, 2000);
    child.once('message', (m: { cpu?: number; system?: number }) => {
      clearTimeout(t);
      resolve(m.cpu === undefined ? null : { cpu: m.cpu, system: m.system ?? null });
    });
    child.send('cpu');
  });

/** The server's settlement counts so far (its /health). */
async function contentionOf(port: number): Promise<SettlementContention> {
  const r = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { settlements?: SettlementContention };
  if (!r.settlements) throw new Error('the server reports no settlement counts on /health');
  return r.settlements;
}

interface CannonRun {
  seconds: number;
  statusCodes: Record<string, number>;
  latencies: Float64Array;
  count: number;
  used: number;
  errors: number;
  timeouts: number;
}

/** autocannon against the settle route, each request the next encounter of [first, last]. */
function cannon(port: number, token: string, trace: boolean, connections: number, seconds: number, range: { first: number; last: number }): Promise<CannonRun> {
  return new Promise((resolve, reject) => {
    let next = range.first;
    const latencies = new Float64Array(Math.max(1024, range.last - range.first + 1));
    let count = 0;
    const statusCodes: Record<string, number> = {};
    const t0 = process.hrtime.bigint();
    const inst = autocannon(
      {
        url: `http://127.0.0.1:${port}`,
        connections,
        duration: seconds,
        timeout: 30,
        requests: [
          {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: trace ? '{}' : '{"trace":false}',
            // past the range: an id that does not exist (404), counted as non-2xx
            setupRequest: (req) => ({ ...req, path: `/api/v1/encounters/${next <= range.last ? next++ : 999_999_999_999}/settle` }),
          },
        ],
      },
      (err, r) => {
        if (err) return reject(err);
        resolve({ seconds: Number(process.hrtime.bigint() - t0) / 1e9, statusCodes, latencies: latencies.slice(0, count).sort(), count, used: next - range.first, errors: r.errors, timeouts: r.timeouts });
      },
    );
    inst.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      statusCodes[status] = (statusCodes[status] ?? 0) + 1;
      if (status >= 200 && status < 300 && count < latencies.length) latencies[count++] = ms;
    });
  });
}

let pgbenchRuns = 0;

/** A pgbench script: generated from the service's statements into the run's folder, or one of bench/record's own. */
function scriptPath(script: string, dir: string): string {
  if (!(script in GENERATED_SCRIPTS)) return join(here, script);
  const path = join(dir, script);
  if (!existsSync(path)) writeFileSync(path, GENERATED_SCRIPTS[script as keyof typeof GENERATED_SCRIPTS]());
  return path;
}

async function pgbench(
  b: BenchDatabase,
  script: string,
  clients: number,
  seconds: number,
  vars: Record<string, string | number>,
  dir: string,
  tag: string,
): Promise<{ tps: number; done: number; failed: number; latencies: Float64Array; pgCpu: number | null; dbCpu: number | null; stdout: string; aborted: boolean }> {
  const u = new URL(b.url);
  const prefix = join(dir, `pgbench-${++pgbenchRuns}-${tag.replace(/\W+/g, '-')}`);
  const args = [
    '-n', '-M', 'prepared', '-c', String(clients), '-j', '2', '-T', String(seconds), '-f', scriptPath(script, dir),
    '--log', `--log-prefix=${prefix}`,
    ...Object.entries(vars).flatMap(([k, v]) => ['-D', `${k}=${v}`]),
    '-h', u.hostname, '-p', u.port || '5432', '-U', decodeURIComponent(u.username), b.name,
  ];
  const backends = await startBackendCpu(b.name);
  const pg0 = postgresCpuSeconds();
  let stdout = '';
  let aborted = false;
  try {
    // the settlement connections' own session settings and role (src/store/db.ts), so both plan alike and are checked alike
    const PGOPTIONS = [...Object.entries(SETTLEMENT_SESSION_SETTINGS).map(([k, v]) => `-c ${k}=${v}`), `-c role=${APP_ROLE}`].join(' ');
    stdout = (await runProgram('pgbench', args, { env: { PGOPTIONS } })).stdout;
  } catch (e) {
    // pgbench exits 2 when a client aborted (e.g. ran out of encounters): keep its figures, say so
    const r = e as { stdout?: string; stderr?: string; code?: number };
    if (r.stdout === undefined || !/tps = /.test(r.stdout)) throw e;
    stdout = r.stdout;
    aborted = true;
    console.error(`pgbench ${tag}: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`);
  }
  const pg1 = postgresCpuSeconds();
  const dbCpu = await backends.stop();
  const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(stdout)?.[1] ?? Number.NaN);
  const done = Number(/number of transactions actually processed: (\d+)/.exec(stdout)?.[1] ?? 0);
  const failed = Number(/number of failed transactions: (\d+)/.exec(stdout)?.[1] ?? 0);
  // per-transaction log lines: client_id transaction_no time(µs) script_no time_epoch time_us
  const values: number[] = [];
  const base = prefix.split('/').pop()!;
  for (const f of readdirSync(dir).filter((x) => x.startsWith(`${base}.`)))
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      const p = line.split(' ');
      if (p.length >= 6 && p[2] !== 'failed' && p[2] !== 'skipped') values.push(Number(p[2]) / 1000);
    }
  return { tps, done, failed, latencies: Float64Array.from(values).sort(), pgCpu: pg0 === null || pg1 === null ? null : pg1 - pg0, dbCpu, stdout, aborted };
}

const mean = (a: Float64Array): number => (a.length ? a.reduce((t, x) => t + x, 0) / a.length : Number.NaN);

export async function settleBench(o: SettleOptions): Promise<SettleResult> {
  log(`\n=== (b) settlement over HTTP under load, beside pgbench on the same database ===`);
  const b = await freshServerDatabase('settle', 4);
  let server: ChildProcess | null = null;
  const stopServer = async (): Promise<void> => {
    const child = server;
    if (!child) return;
    server = null;
    await new Promise((r) => {
      const t = setTimeout(() => {
        child.kill('SIGKILL');
        r(null);
      }, 5000);
      child.once('exit', () => {
        clearTimeout(t);
        r(null);
      });
      child.send('stop');
    });
  };
  try {
    log(`database ${b.name} (fresh, migrated; dropped at the end)`);
    const { token, pmin, pmax } = await setup(b, o);
    const db = b.database.db;
    const started = await startServer(b.url, o.pool);
    server = started.child;
    log(
      `server: buildServer in a child process (pid ${server.pid}), pool of ${o.pool} connections, port ${started.port}; load: autocannon 8 in this process, ${o.connections} connections, body ${o.trace ? "'{}' (the default: explanations kept)" : `'{"trace":false}'`}`,
    );
    let seed = 0.01;
    const encounters = () => makeEncounters(b, o.maxRate * (o.seconds + 2), (seed += 0.01));
    if (o.warmupSeconds > 0) {
      const wr = await makeEncounters(b, o.maxRate * (o.warmupSeconds + 2), (seed += 0.01));
      const w = await cannon(started.port, token, o.trace, o.connections, o.warmupSeconds, wr);
      log(`warm-up: ${o.warmupSeconds} s, ${fmtInt(w.count)} settled (not counted)`);
    }
    // This server runs with autovacuum off. Without an ANALYZE the server's prepared statements
    // keep the plans made while settlement was empty (a seq scan of settlement inside the
    // lock-and-read, whose cost then grows with every settlement); autovacuum's auto-analyze
    // would have refreshed the statistics and invalidated those plans by now.
    await b.owner('ANALYZE');

    const httpRun = async (round: number): Promise<HttpFigure> => {
      const range = await encounters();
      await b.owner('CHECKPOINT');
      const la0 = loadavg();
      const srv0 = await askCpu(server!);
      const h0 = await contentionOf(started.port);
      const backends = await startBackendCpu(b.name);
      const pg0 = postgresCpuSeconds();
      const c0 = process.cpuUsage();
      const run = await cannon(started.port, token, o.trace, o.connections, o.seconds, range);
      const c = process.cpuUsage(c0);
      const pg1 = postgresCpuSeconds();
      const dbCpu = await backends.stop();
      const srv1 = await askCpu(server!);
      const h1 = await contentionOf(started.port);
      const non2xx = Object.entries(run.statusCodes)
        .filter(([k]) => !k.startsWith('2'))
        .reduce((t, [, v]) => t + v, 0);
      const settled = (
        await sql<{ n: string; bytes: string; postings: string }>`
          SELECT count(*) AS n, coalesce(avg(octet_length(s.result::text)), 0)::bigint AS bytes,
                 (SELECT count(*) FROM posting p JOIN journal_entry j ON j.id = p.entry_id
                   WHERE j.source = 'settlement' AND j.source_id IN (SELECT id FROM settlement WHERE encounter_id BETWEEN ${range.first} AND ${range.last})) AS postings
          FROM settlement s WHERE s.encounter_id BETWEEN ${range.first} AND ${range.last}`.execute(db)
      ).rows[0];
      const f: HttpFigure = {
        name: `HTTP settle, round ${round}`,
        clients: o.connections,
        seconds: run.seconds,
        done: run.count,
        perSecond: run.count / run.seconds,
        p50: quantile(run.latencies, 0.5),
        p99: quantile(run.latencies, 0.99),
        mean: mean(run.latencies),
        max: run.latencies[run.latencies.length - 1] ?? Number.NaN,
        failed: non2xx + run.errors + run.timeouts,
        pgCpu: pg0 === null || pg1 === null ? null : pg1 - pg0,
        dbCpu,
        note: `pool ${o.pool}; load average before ${la0}`,
        statusCodes: run.statusCodes,
        serverCpu: srv0 === null || srv1 === null ? null : srv1.cpu - srv0.cpu,
        contention: { tries: h1.tries - h0.tries, misses: h1.misses - h0.misses, locked: h1.locked - h0.locked, writes: h1.writes - h0.writes, largestBatch: h1.largestBatch, failedBatches: h1.failedBatches - h0.failedBatches },
        serverSystemCpu: srv0?.system == null || srv1?.system == null ? null : srv1.system - srv0.system,
        loadCpu: (c.user + c.system) / 1e6,
        settledRows: Number(settled.n),
        resultBytes: Number(settled.bytes),
        postingsPerSettlement: Number(settled.postings) / Math.max(1, Number(settled.n)),
        latencies: run.latencies,
        range,
      };
      log(
        `${f.name}: ${fmtInt(run.count)} settled in ${fmt(run.seconds)} s = ${fmtInt(f.perSecond)}/s, p50 ${fmt(f.p50)} ms, p99 ${fmt(f.p99)} ms; status codes ${JSON.stringify(run.statusCodes)}, socket errors ${run.errors}, timeouts ${run.timeouts}; ${fmtInt(run.used)} encounter ids handed out; ${fmtInt(f.settledRows)} settlement rows written (in-flight ones finish after the end), result JSON ${fmtInt(f.resultBytes)} bytes on average, ${fmt(f.postingsPerSettlement)} postings each; load average before ${la0}`,
      );
      if (run.used > range.last - range.first) log(`  WARNING: the encounters ran out; raise BENCH_SETTLE_MAX_RATE`);
      return f;
    };

    let doc: { result: string; delta: string; acc: string } | undefined;
    const detail = JSON.stringify({ encounterId: '123456', personId: '12345', hospitalCode: HOSPITAL, coverageYear: YEAR, basicFundFen: 12345, criticalIllnessFen: 0, medicalAssistanceFen: 0, cashFen: 6789, cashReason: null });
    const pgbenchRun = async (script: string, clients: number, tag: string): Promise<FloorFigure> => {
      const r = await encounters();
      await b.owner(`SELECT setval('bench_encounter_seq', $1, false)`, [r.first]);
      await b.owner('CHECKPOINT');
      const la = loadavg();
      const p = await pgbench(b, script, clients, o.seconds, { ...doc!, detail, pmin, pmax }, o.dir, tag);
      const f: FloorFigure = {
        name: `pgbench ${script}`,
        script,
        clients,
        seconds: o.seconds,
        done: p.done,
        perSecond: p.tps,
        p50: quantile(p.latencies, 0.5),
        p99: quantile(p.latencies, 0.99),
        mean: mean(p.latencies),
        max: p.latencies[p.latencies.length - 1] ?? Number.NaN,
        failed: p.failed + (p.aborted ? 1 : 0),
        pgCpu: p.pgCpu,
        dbCpu: p.dbCpu,
        note: `-M prepared -j 2; load average before ${la}${p.aborted ? '; ABORTED (see stderr)' : ''}`,
        latencies: p.latencies,
      };
      log(`${f.name} -c ${clients} (${tag}): ${fmtInt(p.done)} transactions, ${fmtInt(p.tps)} tps, p50 ${fmt(f.p50)} ms, p99 ${fmt(f.p99)} ms, failed ${p.failed}${p.aborted ? ', ABORTED' : ''}; load average before ${la}`);
      return f;
    };

    // Alternate the two, so that whatever else the machine does falls on both alike.
    const http: HttpFigure[] = [];
    const floors: FloorFigure[] = [];
    const main = o.pgbenchClients[0];
    for (let round = 1; round <= o.rounds; round++) {
      http.push(await httpRun(round));
      if (!doc) {
        // the pgbench documents, from the HTTP run: the settlement of median result size
        const range = http[0].range;
        doc = (
          await sql<{ result: string; delta: string; acc: string }>`
            WITH s AS (SELECT * FROM settlement WHERE encounter_id BETWEEN ${range.first} AND ${range.last} AND basic_fund_fen > 0),
            m AS (SELECT * FROM s ORDER BY octet_length(result::text) OFFSET (SELECT count(*) / 2 FROM s) LIMIT 1)
            SELECT m.result::text AS result, m.delta::text AS delta, a.data::text AS acc
            FROM m JOIN accumulator a ON a.person_id = m.person_id AND a.coverage_year = m.coverage_year`.execute(db)
        ).rows[0];
        if (!doc) throw new Error('no settlement from the HTTP run to take the pgbench documents from');
        log(`pgbench documents (-D): result ${fmtInt(Buffer.byteLength(doc.result))} bytes (median of the HTTP run), delta ${fmtInt(doc.delta.length)}, accumulators ${fmtInt(doc.acc.length)}, audit detail ${detail.length}`);
      }
      floors.push(await pgbenchRun('settle-service.sql', main, `round ${round}`));
    }
    await stopServer();
    // for information: the server's pool size as the client count, and the step-by-step script
    for (const clients of o.pgbenchClients.slice(1)) floors.push(await pgbenchRun('settle-service.sql', clients, 'extra'));
    floors.push(await pgbenchRun('settle-locked.sql', main, 'extra'));
    floors.push(await pgbenchRun('settle-steps.sql', main, 'extra'));
    return { http, floors, opts: o };
  } finally {
    await stopServer();
    await b.drop();
  }
}

/** The runs of one kind together: counts and seconds summed, percentiles over every latency. */
function pooled<T extends LoadFigure & { latencies: Float64Array }>(name: string, runs: T[]): LoadFigure {
  const all = new Float64Array(runs.reduce((t, r) => t + r.latencies.length, 0));
  let at = 0;
  for (const r of runs) {
    all.set(r.latencies, at);
    at += r.latencies.length;
  }
  all.sort();
  const done = runs.reduce((t, r) => t + r.done, 0);
  const seconds = runs.reduce((t, r) => t + r.seconds, 0);
  const sum = (xs: (number | null)[]): number | null => (xs.some((x) => x === null) ? null : xs.reduce((t: number, x) => t + x!, 0));
  return {
    name,
    clients: runs[0].clients,
    seconds,
    done,
    // pgbench's tps excludes connection time: weight each run's rate by its duration
    perSecond: runs.reduce((t, r) => t + r.perSecond * r.seconds, 0) / seconds,
    p50: quantile(all, 0.5),
    p99: quantile(all, 0.99),
    mean: mean(all),
    max: all[all.length - 1] ?? Number.NaN,
    failed: runs.reduce((t, r) => t + r.failed, 0),
    pgCpu: sum(runs.map((r) => r.pgCpu)),
    dbCpu: sum(runs.map((r) => r.dbCpu)),
    note: '',
  };
}

export function reportSettle(r: SettleResult): { ratio: number; http: LoadFigure; floor: LoadFigure } {
  const main = r.opts.pgbenchClients[0];
  const mainFloors = r.floors.filter((f) => f.script === 'settle-service.sql' && f.clients === main).slice(0, r.opts.rounds);
  const http = pooled(`HTTP settle, ${r.http.length} runs together`, r.http);
  const floor = pooled(`pgbench settle-service.sql, ${mainFloors.length} runs together`, mainFloors);
  const line = (f: LoadFigure): (string | number)[] => [
    f.name,
    f.clients,
    fmt(f.seconds, 1),
    fmtInt(f.done),
    fmtInt(f.perSecond),
    fmt(f.p50),
    fmt(f.p99),
    fmt(f.mean),
    fmt(f.max, 1),
    fmtInt(f.failed),
    f.dbCpu === null ? '—' : fmt(f.dbCpu, 1),
    f.dbCpu === null ? '—' : fmt((1000 * f.dbCpu) / Math.max(1, f.done), 2),
    f.pgCpu === null ? '—' : fmt(f.pgCpu, 1),
  ];
  const rows: (string | number)[][] = [];
  for (let i = 0; i < r.http.length; i++) {
    rows.push(line(r.http[i]));
    if (mainFloors[i]) rows.push(line({ ...mainFloors[i], name: `floor: pgbench settle-service.sql, round ${i + 1}` }));
  }
  rows.push(line(http), line({ ...floor, name: `floor: ${floor.name}` }));
  for (const f of r.floors.slice(mainFloors.length)) rows.push(line({ ...f, name: `(info) ${f.name}` }));
  log(
    '\n' +
      table(['run', 'clients', 's', 'settled', 'per s', 'p50 ms', 'p99 ms', 'mean ms', 'max ms', 'non-2xx / failed', 'backends CPU s', 'backends CPU ms each', 'whole server CPU s'], rows),
  );
  log('  backends: this database\'s server processes; whole server: all of PostgreSQL (WAL writer, checkpointer, other databases)');
  for (const h of r.http) {
    const each = (cpu: number | null): string => (cpu === null ? '—' : fmt((1000 * cpu) / Math.max(1, h.done), 2));
    log(
      `  ${h.name}: server process CPU ${h.serverCpu === null ? '—' : fmt(h.serverCpu, 1)} s (${each(h.serverCpu)} ms a settlement, of which ${each(h.serverSystemCpu)} ms in the kernel), autocannon (this process) CPU ${fmt(h.loadCpu, 1)} s (${each(h.loadCpu)} ms) over ${fmt(h.seconds, 1)} s; status codes ${JSON.stringify(h.statusCodes)}; ${fmtInt(h.contention.writes)} write statements, ${fmt(h.contention.tries / Math.max(1, h.contention.writes))} settlements each (largest ${h.contention.largestBatch}), ${fmtInt(h.contention.misses)} missed (accumulators moved on), ${fmtInt(h.contention.locked)} under the lock`,
    );
  }
  const ratio = http.perSecond / floor.perSecond;
  for (const f of r.floors.slice(mainFloors.length)) log(`  (info) HTTP ÷ ${f.name} -c ${f.clients}: ${fmt((100 * http.perSecond) / f.perSecond, 1)} %`);
  log(
    `\nsettlement over HTTP ${fmtInt(http.perSecond)}/s ÷ pgbench settle-service.sql -c ${main} ${fmtInt(floor.perSecond)} tps = ${fmt(100 * ratio, 1)} % (target ≥ 50 %: ${ratio >= 0.5 ? 'met' : 'NOT met'}); HTTP p99 ${fmt(http.p99)} ms (target < 50 ms: ${http.p99 < 50 ? 'met' : 'NOT met'}); non-2xx ${http.failed}`,
  );
  return { ratio, http, floor };
}
