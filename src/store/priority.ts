/**
 * Requests before the background loader on PGlite's one session (issue #15: every list answers
 * within 300 ms while the demo loads). PGlite is one connection, so the pool holds one client
 * and hands it out first come, first served. The demo's settlement stage asks for it hundreds of
 * times at once (a wave of 256 settlements), and a request's statements queued behind all of
 * them; a request of several statements queued again behind the loader between any two.
 *
 * Here work is foreground or background. Background work (marked by `inBackground`, carried
 * through its promises by AsyncLocalStorage) takes the connection one holder at a time, and only
 * when no foreground work is in flight (a request being answered, `holdForeground`, or a
 * foreground statement holding or waiting for the connection) and none has been for GRACE_MS —
 * so a request's statements follow each other without the loader slipping in between. A
 * background holder waits at most MAX_WAIT_MS, so steady requests slow the loader, never stop it.
 * Used by the pool of a PGlite database only (src/store/db.ts); a server's pool has connections
 * enough.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const background = new AsyncLocalStorage<true>();

/** Run `fn` (and everything it awaits) as background work. */
export function inBackground<T>(fn: () => Promise<T>): Promise<T> {
  return background.run(true, fn);
}

export function isBackground(): boolean {
  return background.getStore() === true;
}

export const GRACE_MS = 15;
export const MAX_WAIT_MS = 2000;
/** foreground work this recent counts as requests arriving (`pressed`) */
export const PRESSED_MS = 3000;

export class Priority {
  private foreground = 0;
  private lastForeground = 0;
  /** foreground statements (connections asked for, not requests): in flight, and when the last ended */
  private statements = 0;
  private lastStatement = 0;
  /** the background's turn: one holder (or waiter for the connection) at a time */
  private turn: Promise<void> = Promise.resolve();
  private wake: (() => void)[] = [];

  constructor(
    private readonly graceMs = GRACE_MS,
    private readonly maxWaitMs = MAX_WAIT_MS,
  ) {}

  /** Foreground work begins; call the returned function (once) when it ends. */
  hold(): () => void {
    this.foreground++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.foreground--;
      this.lastForeground = Date.now();
      if (this.foreground === 0) for (const w of this.wake.splice(0)) w();
    };
  }

  /** A foreground statement (a connection asked for) begins: `hold`, and counted for `pressed`. */
  holdStatement(): () => void {
    const leave = this.hold();
    this.statements++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.statements--;
      this.lastStatement = Date.now();
      leave();
    };
  }

  /** foreground work in flight now */
  get busy(): number {
    return this.foreground;
  }

  /**
   * Whether foreground statements are in flight or one ended less than `withinMs` ago (requests
   * that need no database, such as /health, do not count): the background loader then holds the
   * connection for shorter turns (smaller batches), so that a request arriving meanwhile waits
   * less for the holder in progress, which it cannot pre-empt.
   */
  pressed(withinMs = PRESSED_MS): boolean {
    return this.statements > 0 || (this.lastStatement > 0 && Date.now() - this.lastStatement < withinMs);
  }

  /**
   * A background holder's turn: resolves once it may ask for the connection, with the function
   * to call when it has given the connection back.
   */
  async backgroundTurn(): Promise<() => void> {
    const previous = this.turn;
    let release!: () => void;
    this.turn = new Promise<void>((r) => (release = r));
    await previous;
    const until = Date.now() + this.maxWaitMs;
    for (;;) {
      const now = Date.now();
      if (now >= until) break;
      if (this.foreground > 0) {
        await new Promise<void>((r) => {
          const t = setTimeout(r, until - now);
          this.wake.push(() => (clearTimeout(t), r()));
        });
        continue;
      }
      const quiet = now - this.lastForeground;
      if (quiet >= this.graceMs) break;
      await new Promise((r) => setTimeout(r, this.graceMs - quiet));
    }
    return release;
  }
}

/** The process's one: the HTTP layer marks its requests here, the PGlite pool orders by it. */
export const priority = new Priority();

/** Foreground work begins (e.g. a request); call the returned function when it ends. */
export function holdForeground(): () => void {
  return priority.hold();
}

/** Whether requests are arriving (see Priority.pressed): background work then takes smaller turns. */
export function foregroundPressed(): boolean {
  return priority.pressed();
}
