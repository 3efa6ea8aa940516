/**
 * Simulation jobs (issue #17 item 7): a simulated year started, its progress polled, its result
 * read — the same simulate() as POST /api/v1/sim/runs, in a worker thread (sim-job-worker.ts) so
 * the service answers meanwhile. Jobs live in this process's memory: the owner (the user who
 * started it) reads it; the newest MAX_JOBS are kept, a finished job for KEEP_MS.
 */
import { randomUUID } from 'node:crypto';
import { InputError, NotFoundError } from '../../errors.js';
import type { Simulation, SimulateOptions } from './simulate.js';
import { startWorker } from './threads.js';

export type JobState = 'running' | 'done' | 'failed';

export interface SimJobView {
  id: string;
  state: JobState;
  /** baseline / reform (the runs of the year), null before the first report */
  stage: string | null;
  done: number;
  total: number;
  /** 0..100, over both runs when there is a reform */
  percent: number;
  startedAt: string;
  finishedAt: string | null;
  error: { field: string | null; message: string } | null;
  result: Simulation | null;
}

interface Job extends SimJobView {
  owner: string;
  runs: number;
}

export const MAX_JOBS = 50;
export const KEEP_MS = 30 * 60_000;

export class SimJobs {
  private readonly jobs = new Map<string, Job>();

  /** Start a job; `onDone` is told when it has finished (e.g. to audit it). */
  start(owner: string, o: Omit<SimulateOptions, 'onProgress'>, onDone?: (j: SimJobView) => void): SimJobView {
    this.prune();
    const running = [...this.jobs.values()].filter((j) => j.state === 'running' && j.owner === owner).length;
    if (running >= 2) throw new InputError('job', 'two simulations of this user are still running: wait for one to finish');
    const job: Job = { id: randomUUID(), owner, runs: o.reform ? 2 : 1, state: 'running', stage: null, done: 0, total: 0, percent: 0, startedAt: new Date().toISOString(), finishedAt: null, error: null, result: null };
    this.jobs.set(job.id, job);
    const w = startWorker(o, 'sim-job-worker');
    const finish = (patch: Partial<Job>): void => {
      if (job.state !== 'running') return;
      Object.assign(job, patch, { finishedAt: new Date().toISOString() });
      onDone?.(view(job));
    };
    w.on('message', (m: { kind: 'progress'; stage: string; done: number; total: number } | { kind: 'result'; sim: Simulation } | { kind: 'error'; field: string | null; message: string }) => {
      if (m.kind === 'progress') {
        const before = m.stage === 'reform' ? 1 : 0;
        Object.assign(job, { stage: m.stage, done: m.done, total: m.total, percent: Math.min(99, Math.floor(((before + (m.total ? m.done / m.total : 0)) / job.runs) * 100)) });
      } else if (m.kind === 'result') finish({ state: 'done', percent: 100, done: job.total, result: m.sim });
      else finish({ state: 'failed', error: { field: m.field, message: m.field && m.message.startsWith(`${m.field}: `) ? m.message.slice(m.field.length + 2) : m.message } });
    });
    w.once('error', (e) => finish({ state: 'failed', error: { field: null, message: e.message } }));
    w.once('exit', (code) => finish({ state: 'failed', error: { field: null, message: `the simulation thread exited (${code}) without a result` } }));
    return view(job);
  }

  /** The job, for its owner (anyone else is told there is none). */
  get(owner: string, id: string): SimJobView {
    const j = this.jobs.get(id);
    if (!j || j.owner !== owner) throw new NotFoundError('simulation job', id);
    return view(j);
  }

  private prune(): void {
    const now = Date.now();
    for (const [id, j] of this.jobs) if (j.finishedAt && now - Date.parse(j.finishedAt) > KEEP_MS) this.jobs.delete(id);
    const finished = [...this.jobs.values()].filter((j) => j.state !== 'running');
    while (this.jobs.size >= MAX_JOBS && finished.length) this.jobs.delete(finished.shift()!.id);
  }
}

function view(j: Job): SimJobView {
  const { owner: _owner, runs: _runs, ...v } = j;
  return { ...v };
}
