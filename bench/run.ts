/**
 * `npm run bench`: contribution quotes in-process over ≥ 1 M synthetic persons of 丰都县
 * (500230) 2022, single thread, side by side with
 *   (a) the floor — a plain lookup-table loop computing only the assistance amount, and
 *   (b) the same assistance table as a @gorules/zen-engine decision table.
 * Persons are generated (untimed) before anything is measured. Every figure is one thread,
 * so persons/s is per core; CPU time is shown too, to catch work done on other threads.
 * Exits non-zero when an agreement check fails (results, never timings).
 *
 * Environment: BENCH_PERSONS (default 1 000 000), BENCH_ZEN_PERSONS (100 000, batched),
 * BENCH_ZEN_SEQ_PERSONS (20 000, one by one), BENCH_TRACE_PERSONS (200 000), BENCH_ROUNDS (3).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { QuoteService } from '../src/quotes/quote-service.js';
import { quoteContribution } from '../src/rules/quote.js';
import { evalContext } from '../src/rules/compile.js';
import { subsidyDecision } from '../src/rules/enrollment.js';
import { Trace } from '../src/rules/trace.js';
import { NEEDY_STATUSES } from '../src/policy/vocabulary.js';
import { formatYuan } from '../src/money.js';
import { generatePersons } from './persons.js';
import { settlementBench } from './settlement.js';
import { buildAssistanceTable, buildZenDecision, floorAssistance, floorStandard, FULL, maskStatuses } from './tables.js';
import { envInt, fmt, loadavg, measureAsync as measureRowsAsync, measureSync as measureRows, timeSync, type Measured } from './timing.js';

const PACK = '500230/2022';
const N = envInt('BENCH_PERSONS', 1_000_000);
const N_ZEN = Math.min(N, envInt('BENCH_ZEN_PERSONS', 100_000));
const N_TRACE = Math.min(N, envInt('BENCH_TRACE_PERSONS', 200_000));
const N_ZEN_SEQ = Math.min(N_ZEN, envInt('BENCH_ZEN_SEQ_PERSONS', 20_000));
const ROUNDS = envInt('BENCH_ROUNDS', 3);
const ZEN_CHUNK = 1_000;
const FLOOR_PASSES = 10;

/** The part of zen-engine's decision the benchmark uses. */
interface ZenDecision {
  evaluate(input: unknown): Promise<{ result: { assistance: number } }>;
}

interface Figure {
  name: string;
  persons: number;
  seconds: number;
  cpuSeconds: number;
  method: string;
}

const log = (s = ''): void => console.log(s);
let failed = false;
const check = (ok: boolean, what: string): void => {
  log(`  ${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failed = true;
};

async function main(): Promise<void> {
  const cpus = os.cpus();
  log('yibao bench — contribution quotes, single thread');
  log(`machine: ${cpus[0]?.model ?? 'unknown CPU'}${cpus[0]?.speed ? ` @ ${cpus[0].speed} MHz` : ''} · ${cpus.length} logical CPUs · ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM · ${os.type()} ${os.release()} ${os.arch()} · node ${process.version} · zen-engine ${zenVersion()}`);
  log(`date: ${new Date().toISOString()} · load average ${loadavg()} (other processes share these CPUs)`);

  // ---- setup (untimed) -------------------------------------------------------------------
  const svc = QuoteService.load();
  const cp = svc.compiled(PACK);
  const table = buildAssistanceTable(cp);
  const { jdm, rows } = buildZenDecision(table);
  // zen-engine is installed by `npm run bench` itself (npm install --no-save): it is a native
  // package whose other-platform builds this registry lacks, so it cannot sit in the lock file
  // without breaking `npm ci`.
  const zenModule = '@gorules/zen-engine';
  const { ZenEngine } = (await import(zenModule)) as { ZenEngine: new () => { createDecision(jdm: unknown): ZenDecision } };
  const decision = new ZenEngine().createDecision(jdm);

  log(`\npack ${cp.pack.id} (${cp.pack.name}); assistance table derived from its ${cp.rules.assistance.length} compiled assistance rules:`);
  for (let ti = 0; ti < 2; ti++)
    for (let bit = 0; bit < NEEDY_STATUSES.length; bit++) {
      const cell = table.cells[ti * NEEDY_STATUSES.length + bit];
      if (cell) log(`  ${ti ? 'tier2' : 'tier1'} ${NEEDY_STATUSES[bit].padEnd(26)} ${cell === FULL ? 'full standard' : `${formatYuan(cell)} yuan`}  (${table.cellRule[ti * NEEDY_STATUSES.length + bit]})`);
    }
  log(`  zen decision table: ${rows.length} rows + catch-all, hit policy "first", rows by amount descending`);

  let pop!: ReturnType<typeof generatePersons>;
  const gen = timeSync(() => {
    pop = generatePersons(cp, N);
  });
  const persons = pop.persons;
  log(`\ngenerated ${fmt(N)} persons in ${gen.seconds.toFixed(2)} s (untimed for the figures); mix:`);
  log(
    '  ' +
      Object.entries(pop.mix)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k} ${((100 * v) / N).toFixed(1)}%`)
        .join(' · '),
  );
  const zenInputs = persons.slice(0, N_ZEN).map((q) => ({ kind: q.kind, tier: q.tier, statuses: maskStatuses(q.statusMask) }));

  // ---- timed loops -------------------------------------------------------------------------
  let sink = 0;
  const engineRound = (n: number, traceOn: boolean) => (): void => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const r = quoteContribution(cp, persons[i], traceOn);
      s += r.individualDue ?? 0;
    }
    sink += s;
  };
  const floorOut = new Int32Array(N);
  // the floor is so fast that one pass is too short to time well: a round is FLOOR_PASSES passes
  const floorRound = (): void => {
    let s = 0;
    for (let pass = 0; pass < FLOOR_PASSES; pass++)
      for (let i = 0; i < N; i++) {
        const a = floorAssistance(table, persons[i]);
        floorOut[i] = a;
        s += a;
      }
    sink += s;
  };
  const zenOut = new Int32Array(N_ZEN);
  const zenSequential = (n: number) => async (): Promise<void> => {
    for (let i = 0; i < n; i++) {
      const r = await decision.evaluate(zenInputs[i]);
      zenOut[i] = r.result.assistance;
    }
  };
  const zenBatched = async (): Promise<void> => {
    for (let from = 0; from < N_ZEN; from += ZEN_CHUNK) {
      const to = Math.min(N_ZEN, from + ZEN_CHUNK);
      const batch: Promise<{ result: { assistance: number } }>[] = [];
      for (let i = from; i < to; i++) batch.push(decision.evaluate(zenInputs[i]));
      const res = await Promise.all(batch);
      for (let i = from; i < to; i++) zenOut[i] = res[i - from].result.assistance;
    }
  };

  log(`\nwarm-up (engine ${fmt(Math.min(N, 200_000))} quotes, floor ${FLOOR_PASSES} × ${fmt(N)}, zen ${fmt(Math.min(N_ZEN, 10_000))}) …`);
  engineRound(Math.min(N, 200_000), false)();
  engineRound(Math.min(N_TRACE, 20_000), true)();
  floorRound();
  await zenSequential(Math.min(N_ZEN, 10_000))();

  const figures: Figure[] = [];
  const figure = (m: Measured, method: string): Figure => {
    const f = { name: m.name, persons: m.count, seconds: m.t.seconds, cpuSeconds: m.t.cpuSeconds, method };
    figures.push(f);
    return f;
  };
  const measureSync = (name: string, n: number, method: string, fn: () => void): Figure => figure(measureRows(log, name, n, ROUNDS, fn), method);
  const measureAsync = async (name: string, n: number, method: string, fn: () => Promise<void>): Promise<Figure> => figure(await measureRowsAsync(log, name, n, ROUNDS, fn), method);
  log(`\nmeasuring, ${ROUNDS} rounds each, the round with the median wall time reported (load average now ${loadavg()}):`);
  const engine = measureSync('engine, traces off', N, `quoteContribution(cp, q, false) over all ${fmt(N)} persons`, engineRound(N, false));
  const tracedOff = measureSync(`engine, traces off, first ${fmt(N_TRACE)}`, N_TRACE, `quoteContribution(cp, q, false) over the first ${fmt(N_TRACE)} persons (like-for-like with traces on)`, engineRound(N_TRACE, false));
  const traced = measureSync(`engine, traces on, first ${fmt(N_TRACE)}`, N_TRACE, `quoteContribution(cp, q, true) over the first ${fmt(N_TRACE)} persons`, engineRound(N_TRACE, true));
  const floor = measureSync(
    '(a) floor: lookup-table loop',
    N * FLOOR_PASSES,
    `floorAssistance(table, q), ${FLOOR_PASSES} passes over all ${fmt(N)} persons: assistance only`,
    floorRound,
  );
  const zenSeq = await measureAsync(
    '(b) zen-engine, one by one',
    N_ZEN_SEQ,
    `await decision.evaluate(input) one after another, first ${fmt(N_ZEN_SEQ)} persons: assistance only`,
    zenSequential(N_ZEN_SEQ),
  );
  const zenBat = await measureAsync(
    `(b) zen-engine, batches of ${fmt(ZEN_CHUNK)}`,
    N_ZEN,
    `await Promise.all(${fmt(ZEN_CHUNK)} × decision.evaluate(input)) per batch, first ${fmt(N_ZEN)} persons: assistance only`,
    zenBatched,
  );
  log(`  (load average now ${loadavg()})`);

  // ---- agreement (untimed) -----------------------------------------------------------------
  log('\nagreement:');
  floorRound(); // floorOut holds the floor's answer for every person
  let compared = 0;
  let mismatches = 0;
  let refused = 0;
  let assistanceLost = 0;
  let lostButPaid = 0;
  let guardianStd = 0;
  let assisted = 0;
  const firstMismatches: string[] = [];
  const refusals: Record<string, number> = {};
  const off = new Trace(false);
  for (let i = 0; i < N; i++) {
    const q = persons[i];
    const r = quoteContribution(cp, q, false);
    if (!r.accepted) {
      refused++;
      refusals[r.reason!.code] = (refusals[r.reason!.code] ?? 0) + 1;
      continue;
    }
    if (!subsidyDecision(cp, q, evalContext(cp, q), off).assistanceKept) {
      // a late payer bears everything himself: the engine must grant no assistance
      assistanceLost++;
      if (r.assistance !== 0) lostButPaid++;
      continue;
    }
    if (r.standard !== floorStandard(table, q)) {
      guardianStd++; // a newborn following the guardian pays the guardian-following amount instead
      if (r.assistance! > r.standard) lostButPaid++;
      continue;
    }
    compared++;
    if (r.assistance! > 0) assisted++;
    if (r.assistance !== floorOut[i]) {
      mismatches++;
      if (firstMismatches.length < 5)
        firstMismatches.push(`person ${i}: ${q.kind} ${q.tier} [${q.statuses.join(',')}] engine ${r.assistance} floor ${floorOut[i]}`);
    }
  }
  log(`  accepted ${fmt(N - refused)}, refused ${fmt(refused)} (${Object.entries(refusals).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')})`);
  log(`  compared ${fmt(compared)} on-time accepted persons (${fmt(assisted)} with assistance > 0); skipped ${fmt(assistanceLost)} late payers who lose assistance, ${fmt(guardianStd)} newborns following a guardian`);
  check(mismatches === 0, `engine assistance = floor assistance for every compared person (${fmt(mismatches)} mismatches)`);
  for (const m of firstMismatches) log(`       ${m}`);
  check(lostButPaid === 0, `no assistance where the engine's subsidy rule withdraws it, none above the standard (${fmt(lostButPaid)} violations)`);
  let zenMismatch = 0;
  const zenFirst: string[] = [];
  await zenBatched();
  for (let i = 0; i < N_ZEN; i++)
    if (zenOut[i] !== floorOut[i]) {
      zenMismatch++;
      if (zenFirst.length < 5) zenFirst.push(`person ${i}: ${JSON.stringify(zenInputs[i])} zen ${zenOut[i]} floor ${floorOut[i]}`);
    }
  check(zenMismatch === 0, `zen decision table = floor for all ${fmt(N_ZEN)} persons of its subset (${fmt(zenMismatch)} mismatches)`);
  for (const m of zenFirst) log(`       ${m}`);
  let traceMismatch = 0;
  for (let i = 0; i < N_TRACE; i++) {
    const a = quoteContribution(cp, persons[i], false);
    const b = quoteContribution(cp, persons[i], true);
    if (a.accepted !== b.accepted || a.assistance !== b.assistance || a.individualDue !== b.individualDue || a.period?.start !== b.period?.start) traceMismatch++;
  }
  check(traceMismatch === 0, `traces on and off give the same quote for the first ${fmt(N_TRACE)} persons (${fmt(traceMismatch)} differ)`);

  // ---- report ------------------------------------------------------------------------------
  const rate = (f: Figure): number => f.persons / f.seconds;
  const perCpu = (f: Figure): number => f.persons / f.cpuSeconds;
  const header = ['benchmark', 'persons', 'wall s', 'CPU s', 'persons/s', 'persons/CPU-s', 'floor ÷ this', 'engine ÷ this'];
  const body = figures.map((f) => [
    f.name,
    fmt(f.persons),
    f.seconds.toFixed(3),
    f.cpuSeconds.toFixed(3),
    fmt(rate(f)),
    fmt(perCpu(f)),
    `${rate(floor) / rate(f) < 10 ? (rate(floor) / rate(f)).toFixed(2) : fmt(rate(floor) / rate(f))}×`,
    `${(rate(engine) / rate(f)).toFixed(2)}×`,
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((r) => r[c].length)));
  const line = (cells: string[]): string => '| ' + cells.map((x, c) => (c === 0 ? x.padEnd(widths[c]) : x.padStart(widths[c]))).join(' | ') + ' |';
  log('\nresults (median round; one JS thread, so persons/s is per core — persons/CPU-s counts every thread the process used):');
  log(line(header));
  log('|' + widths.map((w, c) => (c === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|') + '|');
  for (const r of body) log(line(r));
  for (const f of figures) log(`  ${f.name}: ${f.method}`);

  // zen: the better honest figure of the two methods, on each basis
  const zenWall = rate(zenBat) >= rate(zenSeq) ? zenBat : zenSeq;
  const zenCore = perCpu(zenBat) >= perCpu(zenSeq) ? zenBat : zenSeq;
  const engineCore = perCpu(engine);
  log('\ntargets:');
  log(`  ≥ 1,000,000 quotes/s per core, traces off: ${fmt(rate(engine))}/s — ${rate(engine) >= 1e6 ? 'met' : 'NOT met'}`);
  log(
    `  ≥ 10× the decision-table engine, per core (persons/CPU-s; zen at its best, ${zenCore.name}): ${(engineCore / perCpu(zenCore)).toFixed(1)}× — ${engineCore / perCpu(zenCore) >= 10 ? 'met' : 'NOT met'}`,
  );
  log(`    wall clock (zen at its best, ${zenWall.name}, using ${(zenWall.cpuSeconds / zenWall.seconds).toFixed(1)} CPUs): ${(rate(engine) / rate(zenWall)).toFixed(1)}×`);
  log(`  traces on: ${fmt(rate(traced))}/s, ${(rate(traced) / rate(tracedOff)).toFixed(2)}× traces off on the same ${fmt(N_TRACE)} persons — for information`);
  log(`\n(checksum ${sink})`);
  if (!settlementBench(log, envInt('BENCH_SETTLEMENTS', 1_000_000), ROUNDS)) failed = true;
  if (failed) {
    log('\nAGREEMENT CHECK FAILED');
    process.exitCode = 1;
  }
}


function zenVersion(): string {
  try {
    const file = createRequire(import.meta.url).resolve('@gorules/zen-engine/package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(2);
});
