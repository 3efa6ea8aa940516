/**
 * Where a cross-area settlement's time goes, for bench/areas.ts (issue #20's p99): each desk laps
 * a timer at the end of each phase of one settlement, and the laps are written as one JSON line
 * per settlement to a file — only when the area was started with one (`yibao serve --area` with
 * YIBAO_AREA_PHASES=<file>); otherwise there is no timer and nothing is measured or written.
 * Lines are buffered and appended every 250 ms and on close, never on a settlement's path.
 */
import { appendFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';

/** The laps of one settlement on one side: phase → milliseconds (a phase lapped twice adds up). */
export class PhaseTimer {
  private last = performance.now();
  private readonly start = this.last;
  readonly laps: Record<string, number> = {};

  constructor(
    private readonly sink: PhaseLog,
    readonly side: 'treating' | 'insured',
    /** the settlement's cross-area id (both sides' lines of one settlement share it) */
    public id: string,
    /** what happened before the timer started (ms), e.g. the envelope's way in */
    before?: Record<string, number>,
  ) {
    if (before) Object.assign(this.laps, before);
  }

  lap(phase: string): void {
    const now = performance.now();
    this.laps[phase] = (this.laps[phase] ?? 0) + (now - this.last);
    this.last = now;
  }

  /** Record the laps (with the total since the timer started), once. */
  end(extra: Record<string, string | number> = {}): void {
    this.sink.add({ side: this.side, id: this.id, ...extra, total: performance.now() - this.start, laps: this.laps });
  }
}

export class PhaseLog {
  private lines: string[] = [];
  private writing: Promise<void> = Promise.resolve();
  private readonly tick: NodeJS.Timeout;

  constructor(readonly file: string) {
    this.tick = setInterval(() => void this.flush(), 250);
    this.tick.unref();
  }

  begin(side: 'treating' | 'insured', id: string, before?: Record<string, number>): PhaseTimer {
    return new PhaseTimer(this, side, id, before);
  }

  add(line: object): void {
    this.lines.push(JSON.stringify(line));
  }

  flush(): Promise<void> {
    if (!this.lines.length) return this.writing;
    const text = this.lines.join('\n') + '\n';
    this.lines = [];
    this.writing = this.writing.then(() => appendFile(this.file, text)).catch(() => undefined);
    return this.writing;
  }

  async close(): Promise<void> {
    clearInterval(this.tick);
    await this.flush();
  }
}
