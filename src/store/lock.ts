/**
 * One process per embedded database. PGlite is PostgreSQL inside this process: two processes
 * opening the same data directory each run their own copy on the same files, hand out the same
 * ids, and lose each other's writes. The directory is therefore locked by a file in it,
 * `yibao.lock`, created exclusively (written whole beside it, then linked into place: the link
 * fails if the file exists), holding the holder's pid, its start time and its command line.
 *
 * A lock whose process is gone (killed, crashed, the machine restarted) is stale and taken
 * over: its pid is not alive, or (Linux) the pid now belongs to a process that started at
 * another time or in another boot. Only one process takes a stale lock over at a time (under a
 * second exclusive file), and it removes the stale file only if it is still the one it judged.
 * The lock is released when the database is closed, and on exit.
 */
import { closeSync, linkSync, openSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export const LOCK_FILE = 'yibao.lock';

export interface LockHolder {
  pid: number;
  /** ISO time the holder took the lock */
  startedAt: string;
  command: string;
  host: string;
  /** Linux: the boot and the process's start (clock ticks since boot), to tell a reused pid */
  bootId?: string;
  startTicks?: string;
}

/** Another live process holds the directory. */
export class DatabaseLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly holder: LockHolder,
  ) {
    super(`${DatabaseLockedError.inUse(dir, holder)}; it is one process’s database: stop that process first, or set DATABASE_URL to use a PostgreSQL server`);
    this.name = 'DatabaseLockedError';
  }

  /** "the embedded database … is in use by another yibao process (pid …, started …: command)" */
  static inUse(dir: string, h: LockHolder): string {
    return `the embedded database ${dir} is in use by another yibao process (pid ${h.pid}${h.host && h.host !== hostname() ? ` on ${h.host}` : ''}, started ${h.startedAt}${h.command ? `: ${h.command}` : ''})`;
  }
}

export interface DirectoryLock {
  path: string;
  holder: LockHolder;
  /** remove the lock file if it is still ours (idempotent) */
  release(): void;
}

const readText = (path: string): string | null => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
};

const bootId = (): string | undefined => readText('/proc/sys/kernel/random/boot_id')?.trim() || undefined;

/** Linux: field 22 of /proc/<pid>/stat, the process's start time in clock ticks since boot. */
function startTicks(pid: number): string | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return rest[19];
}

function parseHolder(text: string | null): LockHolder | null {
  if (!text) return null;
  try {
    const h = JSON.parse(text) as LockHolder;
    return Number.isInteger(h.pid) && h.pid > 0 ? h : null;
  } catch {
    return null;
  }
}

/** Whether the process that wrote the lock still runs. */
export function holderAlive(h: LockHolder): boolean {
  if (h.host && h.host !== hostname()) return true; // another machine's (a shared disk): never taken over
  if (h.pid === process.pid) return h.startTicks === undefined || h.startTicks === startTicks(process.pid);
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const boot = bootId();
  if (h.bootId && boot && h.bootId !== boot) return false; // written before a restart of the machine
  if (h.startTicks) {
    const now = startTicks(h.pid);
    if (now !== undefined && now !== h.startTicks) return false; // the pid belongs to another process now
  }
  return true;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Lock the directory for this process; DatabaseLockedError if a live process holds it. */
export async function lockDirectory(dir: string): Promise<DirectoryLock> {
  const path = join(dir, LOCK_FILE);
  const holder: LockHolder = {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    command: process.argv.slice(1).join(' ').slice(0, 300),
    host: hostname(),
    bootId: bootId(),
    startTicks: startTicks(process.pid),
  };
  const text = `${JSON.stringify(holder, null, 2)}\n`;
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  writeFileSync(tmp, text, { flag: 'wx' });
  try {
    for (let attempt = 0; attempt < 100; attempt++) {
      try {
        linkSync(tmp, path);
        return lockOf(path, holder, text);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const seen = readText(path);
      if (seen === null) continue; // released meanwhile
      const other = parseHolder(seen);
      // a file being written cannot be seen here (it is linked whole); unreadable is a damaged
      // lock, left by nothing this code writes: treat it as stale only when it is old
      if (other ? holderAlive(other) : ageMs(path) < 10_000) {
        if (other) throw new DatabaseLockedError(dir, other);
        await sleep(100);
        continue;
      }
      await takeOver(path, seen);
    }
    throw new Error(`cannot lock ${path}: it keeps changing`);
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      /* gone already */
    }
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return Infinity;
  }
}

/** Remove a stale lock, if it is still the one judged stale; one process at a time. */
async function takeOver(path: string, stale: string): Promise<void> {
  const guard = `${path}.takeover`;
  let fd: number;
  try {
    fd = openSync(guard, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    if (ageMs(guard) > 10_000) {
      try {
        unlinkSync(guard); // left by a process that died while taking over
      } catch {
        /* another removed it */
      }
    } else await sleep(50);
    return;
  }
  try {
    if (readText(path) === stale) unlinkSync(path);
  } finally {
    closeSync(fd);
    unlinkSync(guard);
  }
}

function lockOf(path: string, holder: LockHolder, text: string): DirectoryLock {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.removeListener('exit', release);
    if (readText(path) === text) {
      try {
        unlinkSync(path);
      } catch {
        /* removed meanwhile */
      }
    }
  };
  process.on('exit', release);
  return { path, holder, release };
}
