/**
 * `yibao areas up` (issue #20 item 6) as a user runs it: three areas (own embedded databases under
 * --dir) and a 3-node JetStream cluster (nats-server from PATH) on loopback ports; each area
 * healthy and linked (its stream on the cluster with 3 replicas), the treating areas' HIS token and
 * finance password written; Ctrl-C (SIGINT) stops every process it started. The demo town is off
 * here (YIBAO_DEMO=off) to keep it short.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { freeLoopbackPort } from '../src/areas/nats-nodes.ts';

const bin = join(import.meta.dirname, '..', 'bin', 'yibao.js');

test('areas up: three areas and a 3-node JetStream cluster on loopback; SIGINT stops them all', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'yb-areas-up-'));
  // a base port with room after it (the areas take +0..+2, NATS +0..+2 and its routes +10..+12)
  const port = 20000 + ((await freeLoopbackPort()) % 20000);
  const np = port + 100;
  const up = spawn(process.execPath, [bin, 'areas', 'up', '--dir', dir, '--port', String(port), '--nats-port', String(np)], { env: { ...process.env, YIBAO_DEMO: 'off', LOG_LEVEL: 'warn', DATABASE_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  up.stdout!.on('data', (b: Buffer) => (out += b));
  up.stderr!.on('data', (b: Buffer) => (out += b));
  const exited = new Promise<number | string>((r) => up.once('exit', (c, s) => r(c ?? s ?? '?')));
  try {
    const until = Date.now() + 180_000;
    for (;;) {
      const ok = await Promise.all([0, 1, 2].map((i) => fetch(`http://127.0.0.1:${port + i}/health`).then((r) => r.ok, () => false)));
      if (ok.every(Boolean) && (out.match(/joined the cross-area link/g) ?? []).length === 3) break;
      if (up.exitCode !== null || Date.now() > until) assert.fail(`areas up did not come up:\n${out}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.match(out, new RegExp(`JetStream cluster: nats://127.0.0.1:${np}, nats://127.0.0.1:${np + 1}, nats://127.0.0.1:${np + 2}`));
    const nc = await connect({ servers: `nats://127.0.0.1:${np + 1}` });
    try {
      const jsm = await nc.jetstreamManager();
      for (const code of ['500230', '500103', '500101']) {
        const info = await jsm.streams.info(`YB_AREA_${code}`);
        assert.equal(info.config.num_replicas, 3, code);
        assert.equal((info.cluster?.replicas?.length ?? 0) + 1, 3, `${code}: a leader and two replicas`);
      }
    } finally {
      await nc.close();
    }
    for (const code of ['500103', '500101']) {
      assert.ok(existsSync(join(dir, code, 'his-token')), `${code} his-token`);
      assert.ok(existsSync(join(dir, code, 'finance-password')), `${code} finance-password`);
    }
    up.kill('SIGINT');
    assert.equal(await exited, 0, out);
    const still = await Promise.all([0, 1, 2].map((i) => fetch(`http://127.0.0.1:${port + i}/health`).then(() => true, () => false)));
    assert.deepEqual(still, [false, false, false], 'the areas are stopped');
    const natsUp = await connect({ servers: `nats://127.0.0.1:${np}`, reconnect: false, timeout: 1000 }).then(
      async (c) => (await c.close(), true),
      () => false,
    );
    assert.equal(natsUp, false, 'the NATS nodes are stopped');
  } finally {
    if (up.exitCode === null) {
      up.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  }
});
