/**
 * A simulation job's thread (sim-jobs.ts): simulate() — the same engine as POST /api/v1/sim/runs
 * — on the job's options, posting its progress (stage, persons done of total) as it runs and the
 * simulation at the end, or the error (an InputError keeps its field).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { InputError } from '../../errors.js';
import { QuoteService } from '../../quotes/quote-service.js';
import { simulate, type SimulateOptions } from './simulate.js';

const o = workerData as Omit<SimulateOptions, 'onProgress'>;
try {
  const quotes = QuoteService.load();
  let last = 0;
  const sim = simulate(quotes, {
    ...o,
    onProgress: (stage, done, total) => {
      const now = Date.now();
      if (done < total && now - last < 100) return;
      last = now;
      parentPort!.postMessage({ kind: 'progress', stage, done, total });
    },
  });
  parentPort!.postMessage({ kind: 'result', sim });
} catch (e) {
  parentPort!.postMessage({ kind: 'error', field: e instanceof InputError ? e.field : null, message: (e as Error).message });
}
