/**
 * `npm run bench` (part): the microsimulation's full coverage year (issue #17) by the engine
 * production uses — every person's contribution quote (src/rules/quote.ts) and every encounter
 * through the three tiers (src/rules/settlement/settle.ts), the person's accumulators carried
 * from one encounter to the next (src/sim/microsim/run.ts runYear) — over a generated population
 * of 丰都县 (500230) 2022, beside
 *   the floor: a loop over the same pre-drawn encounters that only adds their amounts (total and
 *   in-scope) into month slots, nothing decided;
 * then the same year on worker threads (src/sim/microsim/threads.ts), which must give the
 * single-thread year to the fen, and a larger population on all the threads with its memory
 * (peak RSS of the process, each worker's heap and array buffers after its run).
 * Population and encounters are columns of typed arrays (population.ts, draws.ts); generating
 * them is timed apart from the year. Every single-thread figure is one JS thread; CPU time
 * (process.cpuUsage) beside wall time, because other processes share the CPUs. Rates, costs and
 * shares are example values (policies/sim/rates-example.yaml). Exits non-zero when an agreement
 * check fails (results, never timings or memory).
 *
 * Environment: BENCH_FUND_PERSONS (default 1 000 000), BENCH_FUND_BIG (10 000 000; 0 skips it),
 * BENCH_FUND_THREADS (2), BENCH_ROUNDS (3).
 */
import os from 'node:os';
import { QuoteService } from '../src/quotes/quote-service.js';
import { dayOf, yearStart, ymd } from '../src/dates.js';
import { drawEncounters, type Encounters } from '../src/sim/microsim/draws.js';
import { generatePopulation, type Population } from '../src/sim/microsim/population.js';
import { loadRates } from '../src/sim/microsim/rates.js';
import { runYear, MONTHS, type RunResult } from '../src/sim/microsim/run.js';
import { diseasesOf, planFor, RATE_EXAMPLES, runOptions } from '../src/sim/microsim/simulate.js';
import { summarise } from '../src/sim/microsim/summary.js';
import { runThreaded } from '../src/sim/microsim/threads.js';
import { envInt, fmt, loadavg, median, timeAsync, timeSync, type Timing } from './timing.js';

const N = envInt('BENCH_FUND_PERSONS', 1_000_000);
const BIG = envInt('BENCH_FUND_BIG', 10_000_000, 0);
const THREADS = envInt('BENCH_FUND_THREADS', 2);
const ROUNDS = envInt('BENCH_ROUNDS', 3);
const PACK = '500230/2022';
const REGION = '500230';
const YEAR = 2022;
const SEED = 20220101;
const TARGET_SECONDS = 5;
const MEMORY_LIMIT = 4 * 2 ** 30;

const log = (s = ''): void => console.log(s);
const s2 = (t: Timing): string => `${t.seconds.toFixed(2)} s wall, ${t.cpuSeconds.toFixed(2)} s CPU`;
const mib = (b: number): string => `${fmt(b / 2 ** 20)} MiB`;
let failed = false;
const check = (ok: boolean, what: string): void => {
  log(`  ${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failed = true;
};

/** The floor: the pre-drawn amounts added into month slots, person by person, nothing decided. */
function floor(p: Population, e: Encounters): { total: number; inScope: number } {
  const first = yearStart(p.year - 1);
  const slotOf = new Uint8Array(dayOf(p.year, 12, 31) - first + 1);
  for (let i = 0; i < slotOf.length; i++) {
    const x = ymd(first + i);
    slotOf[i] = (x.y - (p.year - 1)) * 12 + x.m - 1;
  }
  const total = new Float64Array(MONTHS);
  const inScope = new Float64Array(MONTHS);
  for (let i = 0; i < p.n; i++)
    for (let k = e.start[i]; k < e.start[i + 1]; k++) {
      const s = slotOf[e.date[k] - first];
      total[s] += e.total[k];
      inScope[s] += e.inScope[k];
    }
  let t = 0;
  let c = 0;
  for (let m = 0; m < MONTHS; m++) {
    t += total[m];
    c += inScope[m];
  }
  return { total: t, inScope: c };
}

const tiersAddUp = (r: RunResult): boolean => {
  const s = summarise(r, 0).tiers;
  return s.basicFundFen + s.criticalIllnessFen + s.medicalAssistanceFen + s.outOfPocketFen === s.totalCostFen;
};

async function main(): Promise<void> {
  const cpus = os.cpus();
  log('yibao bench — microsimulation, a full coverage year (issue #17)');
  log(`machine: ${cpus[0]?.model ?? 'unknown CPU'} · ${cpus.length} logical CPUs · ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM · ${os.type()} ${os.release()} ${os.arch()} · node ${process.version}`);
  log(`date: ${new Date().toISOString()} · load average ${loadavg()} (other processes share these CPUs)`);
  log(`pack ${PACK}, seed ${SEED}, ${fmt(N)} persons, ${ROUNDS} rounds (the round with the median wall time of the year); rates and costs are examples`);
  const quotes = QuoteService.load();
  const rates = loadRates();
  const plan = planFor(quotes, PACK);
  const opts = runOptions(rates);
  const diseases = diseasesOf(plan.base);

  const gen: Timing[] = [];
  const draw: Timing[] = [];
  const year: Timing[] = [];
  const fl: Timing[] = [];
  let p!: Population;
  let e!: Encounters;
  let r!: RunResult;
  let f!: { total: number; inScope: number };
  for (let round = 0; round < ROUNDS; round++) {
    gen.push(timeSync(() => (p = generatePopulation(N, SEED, REGION, YEAR, rates))));
    draw.push(timeSync(() => (e = drawEncounters(p, rates, diseases, SEED))));
    year.push(timeSync(() => (r = runYear(p, e, plan, opts))));
    fl.push(timeSync(() => (f = floor(p, e))));
    log(`  round ${round + 1}: population ${gen[round].seconds.toFixed(2)} s, encounters ${draw[round].seconds.toFixed(2)} s, year ${year[round].seconds.toFixed(2)} s, floor ${fl[round].seconds.toFixed(3)} s · load ${loadavg()}`);
  }
  const y = median(year);
  const i = year.indexOf(y);
  const whole: Timing = { seconds: gen[i].seconds + draw[i].seconds + y.seconds, cpuSeconds: gen[i].cpuSeconds + draw[i].cpuSeconds + y.cpuSeconds };
  const floorT = median(fl);
  log();
  log(`${fmt(N)} persons, ${fmt(r.enrolled)} enrolled (quoted), ${fmt(e.count)} encounters (${(e.count / N).toFixed(2)} a person), ${fmt(r.settled)} settled under the pack's rules`);
  log('| benchmark | time | persons/s | encounters/s |');
  log('|:--|--:|--:|--:|');
  const row = (name: string, t: Timing): void => log(`| ${name} | ${s2(t)} | ${fmt(N / t.seconds)} | ${fmt(e.count / t.seconds)} |`);
  row('floor: the pre-drawn amounts summed by month', floorT);
  row('population generated (columns)', gen[i]);
  row('encounters drawn (columns)', draw[i]);
  row('**the year: quotes, three-tier settlement, flows**', y);
  row('**generation + draws + the year**', whole);
  log(`target: the full year of ${fmt(N)} persons under ${TARGET_SECONDS} s on one core — the year ${y.seconds < TARGET_SECONDS ? 'under' : 'OVER'} (${y.seconds.toFixed(2)} s), with generation and draws ${whole.seconds < TARGET_SECONDS ? 'under' : 'OVER'} (${whole.seconds.toFixed(2)} s); the year is ${(y.seconds / floorT.seconds).toFixed(0)}× the floor`);
  log(`memory of the single thread: RSS ${mib(process.memoryUsage().rss)}, heap used ${mib(process.memoryUsage().heapUsed)}, array buffers ${mib(process.memoryUsage().arrayBuffers)}`);
  log();
  log('agreement checks');
  const sum = summarise(r, opts.highBurdenFen, RATE_EXAMPLES);
  check(tiersAddUp(r), 'basic fund + 大病保险 + medical assistance + out-of-pocket = total cost, to the fen');
  check(f.total === sum.tiers.totalCostFen, `the floor's sum of the drawn costs (${fmt(f.total)} fen) = the year's total cost`);
  check(r.encounters === e.count && r.persons === N, 'every person and every encounter went through the year');

  let threaded!: Awaited<ReturnType<typeof runThreaded>>;
  const tt = await timeAsync(async () => {
    threaded = await runThreaded({ packId: PACK, region: REGION, year: YEAR, persons: N, seed: SEED, threads: THREADS, rates });
  });
  check(JSON.stringify(summarise(threaded.baseline, opts.highBurdenFen, RATE_EXAMPLES)) === JSON.stringify(sum), `${THREADS} worker threads give the single-thread year to the fen (every total, month, group and decile)`);
  log();
  log(`the same ${fmt(N)} persons on ${THREADS} worker threads (generation, draws and the year in each, start-up included): ${s2(tt)} (CPU of the whole process, all threads)`);

  if (BIG > 0) {
    let peak = process.memoryUsage.rss();
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 100);
    let big!: Awaited<ReturnType<typeof runThreaded>>;
    const l0 = loadavg();
    const bt = await timeAsync(async () => {
      big = await runThreaded({ packId: PACK, region: REGION, year: YEAR, persons: BIG, seed: SEED, threads: THREADS, rates });
    });
    clearInterval(sampler);
    const maxRss = process.resourceUsage().maxRSS * 1024;
    const b = summarise(big.baseline, opts.highBurdenFen, RATE_EXAMPLES);
    log();
    log(`${fmt(BIG)} persons on ${THREADS} worker threads: ${bt.seconds.toFixed(2)} s wall (${fmt(BIG / bt.seconds)} persons/s, ${fmt(b.encounters / bt.seconds)} encounters/s), load average ${l0} before, ${loadavg()} after`);
    log(`  ${fmt(b.enrolled)} enrolled, ${fmt(b.encounters)} encounters, ${fmt(b.settled)} settled`);
    for (const s of big.shares) log(`  worker persons ${fmt(s.from)}..${fmt(s.to)}: ${fmt(s.encounters)} encounters, heap ${mib(s.heapUsed)}, array buffers ${mib(s.arrayBuffers)} after its run`);
    log(`  memory: peak RSS of the process ${mib(maxRss)} (sampled during the run: ${mib(peak)}); limit ${mib(MEMORY_LIMIT)}: ${maxRss < MEMORY_LIMIT ? 'under' : 'OVER'}`);
    check(tiersAddUp(big.baseline), `${fmt(BIG)} persons: the tiers add up to the total cost, to the fen`);
    check(b.persons === BIG, `${fmt(BIG)} persons: every person counted once`);
  }
  if (failed) {
    log('an agreement check failed');
    process.exitCode = 1;
  }
}

await main();
