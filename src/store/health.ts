/**
 * Whether the database can be reached, as cheaply as /health needs it under load: no query per
 * question. The state turns `unreachable` when a connection of the pools is lost or cannot be
 * made (src/store/db.ts reports it), and stays so until a probe succeeds: while unreachable, a
 * probe (a new connection and `SELECT 1`) runs every second, one at a time, and the first that
 * succeeds turns the state back to `ok`. While reachable nothing runs.
 */

export interface DatabaseHealthState {
  state: 'ok' | 'unreachable';
  /** when it became unreachable (ISO time), null while ok */
  since: string | null;
  /** what was seen, null while ok */
  reason: string | null;
  /** outages since the service started, and the last one's span */
  outages: number;
  lastOutage: { since: string; until: string; reason: string } | null;
}

export interface HealthOptions {
  /** between probes while unreachable (default 1000 ms) */
  probeEveryMs?: number;
  /** told of every change of state */
  onChange?: (s: DatabaseHealthState) => void;
}

export class DatabaseHealth {
  private down: { since: Date; reason: string } | null = null;
  private outages = 0;
  private last: DatabaseHealthState['lastOutage'] = null;
  private timer: NodeJS.Timeout | null = null;
  private probing = false;
  private closed = false;
  private readonly every: number;

  constructor(
    private readonly probe: () => Promise<void>,
    private readonly opts: HealthOptions = {},
  ) {
    this.every = opts.probeEveryMs ?? 1000;
  }

  get ok(): boolean {
    return this.down === null;
  }

  /** A connection was lost or could not be made: unreachable until a probe succeeds. */
  lost(e: unknown): void {
    if (this.closed) return;
    const reason = e instanceof Error ? e.message : String(e);
    if (!this.down) {
      this.down = { since: new Date(), reason };
      this.outages += 1;
      this.opts.onChange?.(this.snapshot());
    }
    this.schedule();
  }

  snapshot(): DatabaseHealthState {
    return {
      state: this.down ? 'unreachable' : 'ok',
      since: this.down ? this.down.since.toISOString() : null,
      reason: this.down ? this.down.reason : null,
      outages: this.outages,
      lastOutage: this.last,
    };
  }

  /** No more probes (the database is being closed). */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.timer || this.probing || this.closed) return;
    this.timer = setTimeout(() => void this.runProbe(), this.every);
    this.timer.unref();
  }

  private async runProbe(): Promise<void> {
    this.timer = null;
    if (this.closed || !this.down) return;
    this.probing = true;
    try {
      await this.probe();
      const was = this.down;
      this.down = null;
      if (was) this.last = { since: was.since.toISOString(), until: new Date().toISOString(), reason: was.reason };
      this.opts.onChange?.(this.snapshot());
    } catch (e) {
      if (this.down) this.down.reason = e instanceof Error ? e.message : String(e);
    } finally {
      this.probing = false;
    }
    if (this.down) this.schedule();
  }
}
