/**
 * The timing helpers the in-process benchmarks share (bench/run.ts, bench/drg.ts,
 * bench/fund.ts): wall and CPU time of one call, the round with the median wall time, a
 * measured row (rounds, each printed, the median kept), the load average, number formats and
 * environment integers. CPU time (process.cpuUsage, user + system of the whole process) is
 * taken beside wall time because other processes share the machine's CPUs: on a loaded machine
 * the wall clock runs ahead of the CPU time a loop needed.
 */
import os from 'node:os';

/** Wall and CPU seconds of one timed call. */
export interface Timing {
  seconds: number;
  cpuSeconds: number;
}

/** Wall and CPU time of `fn()`. */
export function timeSync(fn: () => void): Timing {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  fn();
  const t1 = process.hrtime.bigint();
  const c = process.cpuUsage(c0);
  return { seconds: Number(t1 - t0) / 1e9, cpuSeconds: (c.user + c.system) / 1e6 };
}

/** Wall and CPU time of `await fn()` (CPU time of every thread of the process). */
export async function timeAsync(fn: () => Promise<void>): Promise<Timing> {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await fn();
  const t1 = process.hrtime.bigint();
  const c = process.cpuUsage(c0);
  return { seconds: Number(t1 - t0) / 1e9, cpuSeconds: (c.user + c.system) / 1e6 };
}

/** The round with the median wall time (the upper middle one for an even count). */
export function median(ts: readonly Timing[]): Timing {
  if (ts.length === 0) throw new RangeError('median of no rounds');
  return ts.slice().sort((a, b) => a.seconds - b.seconds)[Math.floor(ts.length / 2)];
}

/** A whole number with thousands separators: 1,234,567. */
export const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** The 1, 5 and 15 minute load averages, two decimals each. */
export const loadavg = (): string =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

/** A positive integer from the environment (at least `min`), or `dflt` when unset. */
export function envInt(name: string, dflt: number, min = 1): number {
  const v = process.env[name];
  return v ? Math.max(min, Number.parseInt(v, 10)) : dflt;
}

/** One measured row: `count` items per round, the median round's timing, every round's. */
export interface Measured {
  name: string;
  count: number;
  t: Timing;
  rounds: Timing[];
}

/** The rounds of a row as text: rate, wall and CPU seconds of each. */
export function roundsText(count: number, ts: readonly Timing[]): string {
  return ts.map((t) => `${fmt(count / t.seconds)}/s (wall ${t.seconds.toFixed(3)} s, CPU ${t.cpuSeconds.toFixed(3)} s)`).join(', ');
}

/**
 * Run `fn` `rounds` times (`before` untimed ahead of each), print each round and the median,
 * and return the row with the median round.
 */
export function measureSync(log: (s: string) => void, name: string, count: number, rounds: number, fn: () => void, before?: () => void): Measured {
  const ts: Timing[] = [];
  for (let r = 0; r < rounds; r++) {
    before?.();
    ts.push(timeSync(fn));
  }
  const t = median(ts);
  log(`  ${name}: ${roundsText(count, ts)} → median ${fmt(count / t.seconds)}/s`);
  return { name, count, t, rounds: ts };
}

/** measureSync for an asynchronous round. */
export async function measureAsync(log: (s: string) => void, name: string, count: number, rounds: number, fn: () => Promise<void>): Promise<Measured> {
  const ts: Timing[] = [];
  for (let r = 0; r < rounds; r++) ts.push(await timeAsync(fn));
  const t = median(ts);
  log(`  ${name}: ${roundsText(count, ts)} → median ${fmt(count / t.seconds)}/s`);
  return { name, count, t, rounds: ts };
}

/** Items per wall second and per CPU second of a row's median round. */
export const perSecond = (m: Measured): number => m.count / m.t.seconds;
export const perCpuSecond = (m: Measured): number => m.count / m.t.cpuSeconds;

/** Open loop: item i is due at i / perSecond s after the start, sent then whatever is in flight; its time counts from when it was due. */
export async function paced(n: number, perSecond: number, fn: (i: number) => Promise<void>): Promise<{ lat: number[]; wall: number }> {
  const lat = new Array<number>(n);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const due = t0 + (i * 1000) / perSecond;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      await fn(i);
      lat[i] = performance.now() - due;
    }),
  );
  return { lat, wall: performance.now() - t0 };
}

/** Closed loop: fn(i) for i < n with c workers, each starting the next item when its last ends; each call's latency (ms) and the wall time. */
export async function pool(n: number, c: number, fn: (i: number) => Promise<void>): Promise<{ lat: number[]; wall: number }> {
  const lat = new Array<number>(n);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: c }, async () => {
      for (let i = next++; i < n; i = next++) {
        const t = performance.now();
        await fn(i);
        lat[i] = performance.now() - t;
      }
    }),
  );
  return { lat, wall: performance.now() - t0 };
}

/** The p-th percentile (nearest rank) of ascending latencies. */
export const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
