/**
 * `npm run bench` (part): CHS-DRG 1.1 grouping in-process, single thread, over realistic
 * synthetic records drawn from the scheme (seeded, src/sim/drg-records.ts), side by side with
 *   the floor: a loop that only looks the main diagnosis up in the MDC tables (the entry lists,
 *   in the scheme's order, one Set per MDC, until one holds it), nothing else;
 *   the grouper with explanations off (the figure the target is about) and on: recorded (what
 *   the explanation needs kept at grouping, its steps built when read), read (the steps and their
 *   texts built), and read and written as JSON (what `yibao drg group --explain` writes);
 *   the grouper on records parsed again just before each round (strings never seen before);
 *   the command line's per-record path without I/O: JSON.parse, parseDrgRecord (its fast path,
 *   zod for anything else), group, JSON.stringify.
 * Records are generated before anything is timed, written as JSON lines and parsed back, as
 * they arrive from a file or a request (generation leaves them scattered in memory, parsing
 * lays them out together, which the grouper, bound by memory, notices). Every figure is one JS thread; CPU time
 * (process.cpuUsage) is shown beside wall time, because other processes may share the CPUs.
 * Exits non-zero when an agreement check fails (results, never timings).
 *
 * The same loops run again on the first 2 000 records only (a working set that fits the
 * caches), to show the CPU work apart from waiting for memory.
 *
 * Environment: BENCH_DRG_RECORDS (default 200 000), BENCH_DRG_PASSES (5 passes per round for
 * the grouper and floor), BENCH_DRG_EXPLAIN (100 000), BENCH_DRG_SMALL (2 000), BENCH_ROUNDS (3).
 */
import os from 'node:os';
import { compileDrgScheme } from '../src/policy/drg-compile.js';
import { readDrgScheme } from '../src/policy/drg-scheme.js';
import { groupDrg, groupDrgExplained } from '../src/rules/drg/group.js';
import { explainSteps } from '../src/rules/drg/explanation.js';
import type { DrgRecord } from '../src/rules/drg/record.js';
import { parseDrgRecord } from '../src/rules/drg/record-input.js';
import { syntheticDrgRecords } from '../src/sim/drg-records.js';
import { envInt, fmt, loadavg, measureSync, perCpuSecond, perSecond, timeSync, type Measured } from './timing.js';

const N = envInt('BENCH_DRG_RECORDS', 200_000);
const PASSES = envInt('BENCH_DRG_PASSES', 5);
const N_EXPLAIN = Math.min(N, envInt('BENCH_DRG_EXPLAIN', 100_000));
const ROUNDS = envInt('BENCH_ROUNDS', 3);
const N_SMALL = Math.min(N, envInt('BENCH_DRG_SMALL', 2_000));
const SEED = 2026;
const TARGET_OFF = 500_000;
const TARGET_ON = 100_000;

const log = (s = ''): void => console.log(s);
let failed = false;
const check = (ok: boolean, what: string): void => {
  log(`  ${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failed = true;
};


function main(): void {
  const cpus = os.cpus();
  log('yibao bench — CHS-DRG 1.1 grouping, single thread');
  log(`machine: ${cpus[0]?.model ?? 'unknown CPU'} · ${cpus.length} logical CPUs · ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM · ${os.type()} ${os.release()} ${os.arch()} · node ${process.version}`);
  log(`date: ${new Date().toISOString()} · load average ${loadavg()} (other processes share these CPUs)`);

  let data!: ReturnType<typeof readDrgScheme>;
  const read = timeSync(() => {
    data = readDrgScheme();
  });
  let s!: ReturnType<typeof compileDrgScheme>;
  const compile = timeSync(() => {
    s = compileDrgScheme(data);
  });
  log(`\nscheme: read and checked in ${read.seconds.toFixed(2)} s, compiled (Sets, matchers, index runs) in ${compile.seconds.toFixed(2)} s`);

  let lines!: string[];
  const gen = timeSync(() => {
    lines = syntheticDrgRecords(s, SEED, N).map((r) => JSON.stringify(r));
  });
  // the records as they arrive (from a file, a request): parsed from JSON lines, laid out together
  const records = lines.map((l) => JSON.parse(l) as DrgRecord);
  const mix: Record<string, number> = {};
  const mdcs = new Set<string>();
  const drgs = new Set<string>();
  let diagnoses = 0;
  let procedures = 0;
  for (const r of records) {
    const g = groupDrg(s, r);
    mix[g.status] = (mix[g.status] ?? 0) + 1;
    if (g.mdc) mdcs.add(g.mdc);
    if (g.drg) drgs.add(g.drg);
    diagnoses += r.diagnoses.length;
    procedures += r.procedures?.length ?? 0;
  }
  log(`generated ${fmt(N)} records (seed ${SEED}) in ${gen.seconds.toFixed(2)} s, untimed for the figures: ${(diagnoses / N).toFixed(2)} diagnoses and ${(procedures / N).toFixed(2)} procedures per record; ${mdcs.size} MDCs, ${drgs.size} DRGs reached`);
  log(`  ${Object.entries(mix).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k} ${((100 * v) / N).toFixed(1)}%`).join(' · ')}`);

  // ---- the loops ------------------------------------------------------------------------------
  const tables = s.mdcs.filter((m) => m.entryList !== null).map((m) => m.entryList!);
  let sink = 0;
  const floorRound = (): void => {
    let x = 0;
    for (let p = 0; p < PASSES; p++)
      for (let i = 0; i < N; i++) {
        const d = records[i].diagnoses;
        if (d.length === 0) continue;
        const main = d[0];
        for (let k = 0; k < tables.length; k++)
          if (tables[k].has(main)) {
            x += k;
            break;
          }
      }
    sink += x;
  };
  const groupRound = (): void => {
    let x = 0;
    for (let p = 0; p < PASSES; p++) for (let i = 0; i < N; i++) if (groupDrg(s, records[i]).drg !== null) x++;
    sink += x;
  };
  const explainRound = (): void => {
    let x = 0;
    for (let i = 0; i < N_EXPLAIN; i++) x += groupDrgExplained(s, records[i]).explanation.scheme.length;
    sink += x;
  };
  const explainReadRound = (): void => {
    let x = 0;
    for (let i = 0; i < N_EXPLAIN; i++) x += groupDrgExplained(s, records[i]).explanation.steps.length;
    sink += x;
  };
  const explainJsonRound = (): void => {
    let x = 0;
    for (let i = 0; i < N_EXPLAIN; i++) x += JSON.stringify(groupDrgExplained(s, records[i])).length;
    sink += x;
  };
  const explainOffSame = (): void => {
    let x = 0;
    for (let i = 0; i < N_EXPLAIN; i++) if (groupDrg(s, records[i]).drg !== null) x++;
    sink += x;
  };
  const edgeRound = (): void => {
    let x = 0;
    for (let i = 0; i < N; i++) x += JSON.stringify(groupDrg(s, parseDrgRecord(JSON.parse(lines[i])))).length;
    sink += x;
  };

  log(`\nwarm-up …`);
  floorRound();
  groupRound();
  explainRound();
  explainReadRound();

  const figures: Measured[] = [];
  const measure = (name: string, records: number, fn: () => void, before?: () => void): Measured => {
    const m = measureSync(log, name, records, ROUNDS, fn, before);
    figures.push(m);
    return m;
  };
  log(`\nmeasuring, ${ROUNDS} rounds each, the round with the median wall time reported (load average now ${loadavg()}):`);
  const floor = measure(`floor: main diagnosis in the MDC tables, ${PASSES} × ${fmt(N)}`, PASSES * N, floorRound);
  const off = measure(`grouper, explanations off, ${PASSES} × ${fmt(N)}`, PASSES * N, groupRound);
  const offSame = measure(`grouper, explanations off, first ${fmt(N_EXPLAIN)}`, N_EXPLAIN, explainOffSame);
  const on = measure(`grouper, explanations on (recorded, built when read), first ${fmt(N_EXPLAIN)}`, N_EXPLAIN, explainRound);
  const onRead = measure(`grouper, explanations on and read (steps and texts built), first ${fmt(N_EXPLAIN)}`, N_EXPLAIN, explainReadRound);
  const onJson = measure(`grouper, explanations on, read and written as JSON (the CLI's --explain without I/O), first ${fmt(N_EXPLAIN)}`, N_EXPLAIN, explainJsonRound);
  let fresh: DrgRecord[] = [];
  const freshFig = measure(`grouper on records parsed again just before each round (untimed), ${fmt(N)}`, N, () => {
    let x = 0;
    for (let i = 0; i < N; i++) if (groupDrg(s, fresh[i]).drg !== null) x++;
    sink += x;
  }, () => {
    fresh = lines.map((l) => JSON.parse(l) as DrgRecord);
  });
  const edge = measure(`command-line path without I/O (JSON.parse, record check, group, JSON.stringify), ${fmt(N)}`, N, edgeRound);
  fresh = [];
  // the same loops on a working set that fits the caches: what grouping costs without waiting for memory
  const small = records.slice(0, N_SMALL);
  const smallPasses = Math.max(1, Math.round(200_000 / N_SMALL));
  const smallFloor = measure(`floor, cache-resident: ${smallPasses} × the first ${fmt(N_SMALL)}`, smallPasses * N_SMALL, () => {
    let x = 0;
    for (let p = 0; p < smallPasses; p++)
      for (const r of small) {
        const d = r.diagnoses;
        if (d.length === 0) continue;
        for (let k = 0; k < tables.length; k++)
          if (tables[k].has(d[0])) {
            x += k;
            break;
          }
      }
    sink += x;
  });
  const smallOff = measure(`grouper, explanations off, cache-resident: ${smallPasses} × the first ${fmt(N_SMALL)}`, smallPasses * N_SMALL, () => {
    let x = 0;
    for (let p = 0; p < smallPasses; p++) for (const r of small) if (groupDrg(s, r).drg !== null) x++;
    sink += x;
  });
  const smallOn = measure(`grouper, explanations on and read, cache-resident: ${Math.max(1, Math.round(smallPasses / 5))} × the first ${fmt(N_SMALL)}`, Math.max(1, Math.round(smallPasses / 5)) * N_SMALL, () => {
    let x = 0;
    for (let p = 0; p < Math.max(1, Math.round(smallPasses / 5)); p++) for (const r of small) x += groupDrgExplained(s, r).explanation.steps.length;
    sink += x;
  });

  // ---- agreement checks ------------------------------------------------------------------------
  log('\nagreement checks:');
  let same = true;
  for (let i = 0; i < N_EXPLAIN && same; i++) {
    const a = groupDrg(s, records[i]);
    const { explanation: _, ...b } = groupDrgExplained(s, records[i]);
    same = JSON.stringify(a) === JSON.stringify(b);
  }
  check(same, `explanations on and off give the same result for the first ${fmt(N_EXPLAIN)} records`);
  let readSame = true;
  for (let i = 0; i < Math.min(N_EXPLAIN, 20_000) && readSame; i++) readSame = JSON.stringify(groupDrgExplained(s, records[i]).explanation.steps) === JSON.stringify(explainSteps(s, records[i], groupDrg(s, records[i])));
  check(readSame, 'an explanation recorded and read later has the steps built at once (first 20 000)');
  let parsedSame = true;
  for (let i = 0; i < Math.min(N, 20_000) && parsedSame; i++) parsedSame = JSON.stringify(groupDrg(s, parseDrgRecord(JSON.parse(lines[i])))) === JSON.stringify(groupDrg(s, records[i]));
  check(parsedSame, 'a record through JSON and the record check groups as the record itself (first 20 000)');
  check(mdcs.size === 26, `the records reach all 26 MDCs (${mdcs.size})`);

  // ---- summary ------------------------------------------------------------------------------
  const rate = perSecond;
  const cpuRate = perCpuSecond;
  log('\nsummary (records per second, one thread; per CPU-second beside it):');
  for (const f of figures) log(`  ${f.name.padEnd(100)} ${fmt(rate(f)).padStart(11)}/s   ${fmt(cpuRate(f)).padStart(11)}/CPU-s`);
  log(`  grouper / floor: ${(rate(off) / rate(floor)).toFixed(2)} (wall), ${(cpuRate(off) / cpuRate(floor)).toFixed(2)} (CPU), explanations on / off on the same records: ${(rate(on) / rate(offSame)).toFixed(3)} recorded, ${(rate(onRead) / rate(offSame)).toFixed(3)} read, ${(rate(onJson) / rate(offSame)).toFixed(3)} as JSON`);
  log(`  cache-resident, per record: floor ${((1e9 * smallFloor.t.cpuSeconds) / smallFloor.count).toFixed(0)} ns, grouper ${((1e9 * smallOff.t.cpuSeconds) / smallOff.count).toFixed(0)} ns, with explanation ${((1e9 * smallOn.t.cpuSeconds) / smallOn.count).toFixed(0)} ns of CPU`);
  log(`\ntargets (issue #19): explanations off ≥ ${fmt(TARGET_OFF)}/s: ${rate(off) >= TARGET_OFF ? 'met' : 'NOT met'} (${fmt(rate(off))}/s); explanations on ≥ ${fmt(TARGET_ON)}/s: recorded ${rate(on) >= TARGET_ON ? 'met' : 'NOT met'} (${fmt(rate(on))}/s), read ${rate(onRead) >= TARGET_ON ? 'met' : 'NOT met'} (${fmt(rate(onRead))}/s), as JSON ${rate(onJson) >= TARGET_ON ? 'met' : 'NOT met'} (${fmt(rate(onJson))}/s)`);
  log(`  records parsed just before ${fmt(rate(freshFig))}/s; command-line path ${fmt(rate(edge))}/s`);
  log(`  per CPU-second: explanations off ${fmt(cpuRate(off))} (${cpuRate(off) >= TARGET_OFF ? 'met' : 'NOT met'}), floor ${fmt(cpuRate(floor))}; explanations recorded ${fmt(cpuRate(on))}, read ${fmt(cpuRate(onRead))} (${cpuRate(onRead) >= TARGET_ON ? 'met' : 'NOT met'}), as JSON ${fmt(cpuRate(onJson))} · load average now ${loadavg()}`);
  if (sink === 0.5) log('');
  if (failed) process.exit(1);
}

main();
