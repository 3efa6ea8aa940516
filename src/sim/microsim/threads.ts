/**
 * A simulated year on several worker threads: the generated population cut into shares of whole
 * blocks (population.ts BLOCK), each share drawn, run and — with a reform — run again on its own
 * draws in a worker (year-worker.ts), the parts added (run.ts mergeRuns). Every block draws from
 * its own seed, so the result is the single-thread run's to the fen, whatever the thread count
 * (test/sim-threads.test.ts). Each worker holds only its share's columns.
 */
import { Worker } from 'node:worker_threads';
import { InputError } from '../../errors.js';
import type { Reform } from '../../policy/reform.js';
import { BLOCK } from './population.js';
import { loadRates, type SimRates } from './rates.js';
import { mergeRuns, type RunResult } from './run.js';

export interface ShareRequest {
  packId: string;
  region: string;
  year: number;
  seed: number;
  rates: SimRates;
  reform: Reform | null;
  from: number;
  to: number;
}

export interface ShareResult {
  baseline: RunResult;
  reform: RunResult | null;
  /** the worker's own heap and array buffers after its run, bytes */
  heapUsed: number;
  arrayBuffers: number;
  encounters: number;
}

export interface ThreadedOptions {
  packId: string;
  region: string;
  year: number;
  persons: number;
  seed: number;
  threads: number;
  rates?: SimRates;
  reform?: Reform;
}

export interface ThreadedYear {
  baseline: RunResult;
  reform: RunResult | null;
  shares: { from: number; to: number; encounters: number; heapUsed: number; arrayBuffers: number }[];
}

/** Persons [from, to) of each share: whole blocks, as even as the blocks allow. */
export function shares(persons: number, threads: number): { from: number; to: number }[] {
  const blocks = Math.ceil(persons / BLOCK);
  const n = Math.max(1, Math.min(threads, blocks));
  const out: { from: number; to: number }[] = [];
  for (let w = 0; w < n; w++) {
    const b0 = Math.floor((w * blocks) / n);
    const b1 = Math.floor(((w + 1) * blocks) / n);
    out.push({ from: b0 * BLOCK, to: Math.min(persons, b1 * BLOCK) });
  }
  return out;
}

/** Under tsx (this file is TypeScript) a worker registers tsx's loader before it loads its module (`file`: a module of this folder, without its extension). */
export function startWorker(data: unknown, file = 'year-worker'): Worker {
  const ts = import.meta.url.endsWith('.ts');
  const entry = new URL(ts ? `./${file}.ts` : `./${file}.js`, import.meta.url).href;
  if (!ts) return new Worker(new URL(entry), { workerData: data });
  const api = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, execArgv: [], workerData: data });
}

function runShare(data: ShareRequest): Promise<ShareResult> {
  return new Promise((resolve, reject) => {
    const w = startWorker(data);
    let got: ShareResult | null = null;
    w.once('message', (m: ShareResult) => (got = m));
    w.once('error', reject);
    w.once('exit', (code) => (got ? resolve(got) : reject(new Error(`simulation worker for persons ${data.from}..${data.to} exited with code ${code} and no result`))));
  });
}

export async function runThreaded(o: ThreadedOptions): Promise<ThreadedYear> {
  if (!Number.isInteger(o.persons) || o.persons < 1) throw new InputError('persons', 'a whole number of persons, at least 1');
  if (!Number.isInteger(o.threads) || o.threads < 1) throw new InputError('threads', 'a whole number of threads, at least 1');
  const rates = o.rates ?? loadRates();
  const parts = await Promise.all(shares(o.persons, o.threads).map((s) => runShare({ packId: o.packId, region: o.region, year: o.year, seed: o.seed, rates, reform: o.reform ?? null, ...s }).then((r) => ({ s, r }))));
  return {
    baseline: mergeRuns(parts.map((p) => p.r.baseline)),
    reform: o.reform ? mergeRuns(parts.map((p) => p.r.reform!)) : null,
    shares: parts.map(({ s, r }) => ({ ...s, encounters: r.encounters, heapUsed: r.heapUsed, arrayBuffers: r.arrayBuffers })),
  };
}
