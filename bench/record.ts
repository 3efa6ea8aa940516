/**
 * `npm run bench` (after bench/run.ts), or alone: `npx tsx bench/record.ts`.
 * The system of record on the PostgreSQL server, each figure beside its floor in the same run:
 *
 *  (a) import 1 M persons from a clerk's CSV and assess them for 2022, beside PostgreSQL's own
 *      COPY of the same person rows and of the enrollment rows the assessment wrote
 *      (bench/record/import-assess.ts). Target: within 3× of COPY.
 *  (b) settlement over HTTP under concurrent load, beside pgbench running a transaction of the
 *      same shape on the same database (bench/record/settle-http.ts). Targets: throughput ≥ 50 %
 *      of pgbench's, p99 < 50 ms.
 *
 * Each part works in a database of its own, created on the server and dropped at the end, also
 * on failure or Ctrl-C. Figures are printed, never asserted: the run fails only when something
 * does not work (rows missing, a settlement refused).
 *
 * Environment: BENCH_RECORD_PARTS ("a,b"), BENCH_RECORD_PERSONS (1 000 000), BENCH_SETTLE_PERSONS
 * (20 000), BENCH_SETTLE_SECONDS (15, each run), BENCH_SETTLE_ROUNDS (2: HTTP and pgbench runs alternated),
 * BENCH_SETTLE_WARMUP (3), BENCH_SETTLE_CONNECTIONS (16),
 * BENCH_SETTLE_POOL (10), BENCH_SETTLE_PGBENCH_CLIENTS ("16,10"), BENCH_SETTLE_TRACE (1: the
 * request body '{}', explanations kept, as a hospital gets by default; 0: '{"trace":false}'),
 * BENCH_SETTLE_MAX_RATE (6000 encounters made ready per second of a run), BENCH_DATABASE_URL
 * (the server; default TEST_DATABASE_URL or postgres://127.0.0.1:5432/test).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importAssessBench, reportImportAssess } from './record/import-assess.js';
import { reportSettle, settleBench } from './record/settle-http.js';
import { dropAllCreated, dropOnSignals, envInt, fmt, freshServerDatabase, log, machineLine } from './record/support.js';

async function main(): Promise<void> {
  const parts = (process.env.BENCH_RECORD_PARTS ?? 'a,b').split(',').map((s) => s.trim().toLowerCase());
  const dir = mkdtempSync(join(tmpdir(), 'yibao-bench-record-'));
  dropOnSignals(async () => rmSync(dir, { recursive: true, force: true }));
  const t0 = Date.now();
  try {
    log('yibao bench — system of record on PostgreSQL (issue #4)');
    {
      // the machine and the server, from a throwaway database
      const probe = await freshServerDatabase('probe', 1);
      try {
        for (const l of await machineLine(probe.database)) log(l);
      } finally {
        await probe.drop();
      }
    }
    const summary: string[] = [];
    if (parts.includes('a')) {
      const r = await importAssessBench(envInt('BENCH_RECORD_PERSONS', 1_000_000), dir);
      reportImportAssess(r);
      summary.push(`(a) import + assess ÷ COPY = ${fmt(r.ratio)}× (target ≤ 3×: ${r.ratio <= 3 ? 'met' : 'not met'})`);
    }
    if (parts.includes('b')) {
      const r = await settleBench({
        persons: envInt('BENCH_SETTLE_PERSONS', 20_000),
        seconds: envInt('BENCH_SETTLE_SECONDS', 15),
        warmupSeconds: process.env.BENCH_SETTLE_WARMUP === '0' ? 0 : envInt('BENCH_SETTLE_WARMUP', 3),
        rounds: envInt('BENCH_SETTLE_ROUNDS', 2),
        connections: envInt('BENCH_SETTLE_CONNECTIONS', 16),
        pool: envInt('BENCH_SETTLE_POOL', 10),
        trace: process.env.BENCH_SETTLE_TRACE !== '0',
        maxRate: envInt('BENCH_SETTLE_MAX_RATE', 6000),
        pgbenchClients: (process.env.BENCH_SETTLE_PGBENCH_CLIENTS ?? '16,10')
          .split(',')
          .map((s) => Number.parseInt(s, 10))
          .filter((n) => n > 0),
        dir,
      });
      const s = reportSettle(r);
      summary.push(
        `(b) settlement over HTTP = ${fmt(100 * s.ratio, 1)} % of pgbench (target ≥ 50 %: ${s.ratio >= 0.5 ? 'met' : 'not met'}), p99 ${fmt(s.http.p99)} ms (target < 50 ms: ${s.http.p99 < 50 ? 'met' : 'not met'})`,
      );
    }
    log(`\n${summary.join('\n')}\ntotal ${fmt((Date.now() - t0) / 1000, 0)} s`);
  } finally {
    await dropAllCreated();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch(async (e: Error) => {
  console.error(e.stack ?? e.message);
  await dropAllCreated();
  process.exit(1);
});
