/**
 * A worker thread's share of a threaded year (threads.ts): persons from .. to (whole blocks of
 * population.ts BLOCK) drawn from the run's seed exactly as the whole population draws them, their
 * encounters, and the year through the production engine (run.ts runYear) under the baseline's
 * packs and, given a reform, the reform's on the same draws. Posts the run results (their typed
 * arrays moved, not copied) and the thread's memory after the run.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { QuoteService } from '../../quotes/quote-service.js';
import { drawEncounters } from './draws.js';
import { generatePopulation } from './population.js';
import { runYear, type RunResult } from './run.js';
import { ageBands, diseasesOf, planFor, runOptions } from './simulate.js';
import type { ShareRequest, ShareResult } from './threads.js';

function transferables(r: RunResult): ArrayBuffer[] {
  return [r.oop.buffer, r.withEncounters.buffer, r.group.buffer, ...Object.values(r.flows).map((a: Float64Array) => a.buffer), r.byBand.enrolled.buffer, r.byBand.basicPaid.buffer] as ArrayBuffer[];
}

const req = workerData as ShareRequest;
const quotes = QuoteService.load();
const base = planFor(quotes, req.packId);
const population = generatePopulation(req.to - req.from, req.seed, req.region, req.year, req.rates, req.from);
const encounters = drawEncounters(population, req.rates, diseasesOf(base.base), req.seed);
// the age bands as simulate() counts them, so a threaded year's summary has them too
const opts = { ...runOptions(req.rates), ageBand: { of: ageBands(population, req.rates), count: req.rates.ageBands.length } };
const baseline = runYear(population, encounters, base, opts);
const reform = req.reform ? runYear(population, encounters, planFor(quotes, req.packId, req.reform), opts) : null;
const mem = process.memoryUsage();
const out: ShareResult = { baseline, reform, heapUsed: mem.heapUsed, arrayBuffers: mem.arrayBuffers, encounters: encounters.count };
parentPort!.postMessage(out, [...transferables(baseline), ...(reform ? transferables(reform) : [])]);
