/**
 * One process per embedded database (issue #11 item 6), with real processes: a second service on
 * the same PGlite directory is refused (exit 1, naming the holder), as is a CLI command that
 * opens it (exit 2, "stop the service first"); the lock goes with a clean stop, and a lock left
 * by a process that died (kill -9) is taken over by the next start. In one process: a second
 * lock of a locked directory is refused (of two at once, one wins), and a lock file whose pid has
 * ended or belongs to another process now (a pid reused) is stale.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../src/store/db.ts';
import { DatabaseLockedError, LOCK_FILE, holderAlive, lockDirectory, type LockHolder } from '../src/store/lock.ts';
import { REPO, ServiceExited, startService } from './support/service-process.ts';

const bin = join(REPO, 'bin', 'yibao.js');

/** The pid of a process that has ended. */
async function deadPid(): Promise<number> {
  const c = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => c.once('exit', r));
  return c.pid!;
}

describe('one process per embedded database', () => {
  test('a second service and a CLI command on the same PGlite directory are refused; a clean stop releases it; a dead holder’s lock is taken over', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'yibao-lock-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const data = join(dir, 'pglite');
    const env = { DATABASE_URL: '', YIBAO_DATA: data };

    const first = await startService(env, { readyTimeoutMs: 120_000 });
    t.after(() => first.stop());
    const lockPath = join(data, LOCK_FILE);
    const holder = JSON.parse(readFileSync(lockPath, 'utf8')) as LockHolder;
    assert.equal(holder.pid, first.child.pid, 'the lock holds the pid of the service');
    assert.ok(!Number.isNaN(Date.parse(holder.startedAt)), 'and its start time');

    // a second service: exit 1, naming the holder
    await assert.rejects(startService(env, { readyTimeoutMs: 120_000 }), (e: unknown) => {
      assert.ok(e instanceof ServiceExited, String(e));
      assert.equal(e.code, 1);
      assert.match(e.output, new RegExp(`in use by another yibao process \\(pid ${first.child.pid}, started ${holder.startedAt.replace(/[.]/g, '\\.')}`));
      assert.match(e.output, /stop that process first, or set DATABASE_URL/);
      assert.doesNotMatch(e.output, /\n\s+at /, 'no stack trace');
      return true;
    });
    // a CLI command that opens the database: exit 2, stop the service first
    const cli = spawnSync(process.execPath, [bin, 'campaign', 'assess', '2022'], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000 });
    assert.equal(cli.status, 2, cli.stderr);
    assert.match(cli.stderr, new RegExp(`^error: the embedded database ${data.replace(/[.]/g, '\\.')} is in use by another yibao process \\(pid ${first.child.pid}`));
    assert.match(cli.stderr, /Stop the service first/);
    // the first one still serves, and still holds the lock
    assert.equal((await fetch(`${first.base}/health`)).status, 200);
    assert.equal(JSON.parse(readFileSync(lockPath, 'utf8')).pid, first.child.pid);

    // a service killed with -9 leaves its lock; the next start takes it over
    first.child.kill('SIGKILL');
    await first.exited;
    assert.equal(JSON.parse(readFileSync(lockPath, 'utf8')).pid, first.child.pid, 'kill -9 leaves the lock behind');
    const next = await startService(env, { readyTimeoutMs: 120_000 });
    t.after(() => next.stop());
    assert.equal(JSON.parse(readFileSync(lockPath, 'utf8')).pid, next.child.pid, 'the stale lock was taken over');
    assert.equal((await fetch(`${next.base}/health`)).status, 200);

    // a clean stop releases it
    assert.equal(await next.stop(), 0);
    assert.equal(existsSync(lockPath), false, 'the lock file is gone after a clean stop');
  });

  test('in one process: a second lock of a locked directory is refused until the first is released; stale locks (dead or reused pid) are taken over', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'yibao-lock-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const lockPath = join(dir, LOCK_FILE);
    const a = await lockDirectory(dir);
    await assert.rejects(lockDirectory(dir), (e: unknown) => e instanceof DatabaseLockedError && e.holder.pid === process.pid && e.dir === dir);
    a.release();
    assert.equal(existsSync(lockPath), false);
    // two at once: exactly one gets it
    const both = await Promise.allSettled([lockDirectory(dir), lockDirectory(dir)]);
    assert.equal(both.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of both) if (r.status === 'fulfilled') r.value.release();

    const stale = (h: Partial<LockHolder>): LockHolder => ({ pid: 1, startedAt: '2022-01-01T00:00:00.000Z', command: 'yibao serve', host: hostname(), ...h });
    // a pid that has ended
    const gone = stale({ pid: await deadPid() });
    assert.equal(holderAlive(gone), false);
    writeFileSync(lockPath, JSON.stringify(gone));
    const l1 = await lockDirectory(dir);
    assert.equal(l1.holder.pid, process.pid);
    l1.release();
    assert.equal(existsSync(lockPath), false);
    // a live pid that belongs to another process than the one that wrote the lock (Linux: its start time differs)
    if (existsSync('/proc/self/stat')) {
      const reused = stale({ pid: process.ppid, startTicks: '1' });
      assert.equal(holderAlive(reused), false, 'a reused pid is not the holder');
      assert.equal(holderAlive({ ...reused, startTicks: undefined }), true, 'without a start time, a live pid is taken as the holder');
      writeFileSync(lockPath, JSON.stringify(reused));
      const l2 = await lockDirectory(dir);
      l2.release();
    }
    // another machine's lock (a shared disk) is never taken over
    writeFileSync(lockPath, JSON.stringify(stale({ host: 'another-machine', pid: await deadPid() })));
    await assert.rejects(lockDirectory(dir), (e: unknown) => e instanceof DatabaseLockedError && /on another-machine/.test(e.message));
    rmSync(lockPath);
  });

  test('openDatabase refuses a directory another open database holds, and releases it on close', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'yibao-lock-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const lock = await lockDirectory(dir);
    await assert.rejects(openDatabase({ url: '', dataDir: dir }), DatabaseLockedError);
    lock.release();
  });
});
