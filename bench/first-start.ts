/**
 * `npx tsx bench/first-start.ts` (also last in `npm run bench`): the first start (issue #15).
 * Starts `npm start` (tsx src/main.ts) on a fresh, empty PGlite directory with the default demo
 * (YIBAO_DEMO_PEOPLE, 30 000) and measures, from the spawn:
 *
 *  - listening: GET /health answers;
 *  - campaign: logged in as the demo's policy officer, the first village's progress
 *    (GET /api/v1/monitoring/progress, the county, as of the window's end) shows paid enrollments;
 *  - campaign loaded: the demo has recorded every payment of the year (its stage is past payments);
 *  - demo ready: /health says the demo is ready (settlements and fund transfers included),
 *    only with BENCH_FIRST_START_READY=on (it takes many minutes; by default the run stops once the campaign is loaded).
 *
 * Target (issue #15): campaign within 60 s. The floor beside it: "listening" (nothing loaded).
 * Environment: BENCH_FIRST_START_PEOPLE (30 000), BENCH_FIRST_START_PORT (3917),
 * BENCH_FIRST_START_LIMIT (seconds before giving up, 900).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const people = Number(process.env.BENCH_FIRST_START_PEOPLE ?? 30000);
const port = Number(process.env.BENCH_FIRST_START_PORT ?? 3917);
const limit = Number(process.env.BENCH_FIRST_START_LIMIT ?? 900) * 1000;
const waitReady = process.env.BENCH_FIRST_START_READY === 'on';
const base = `http://127.0.0.1:${port}`;
const dir = mkdtempSync(join(tmpdir(), 'yibao-first-start-'));

const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
  env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: '', YIBAO_DATA: join(dir, 'pglite'), YIBAO_DEMO_PEOPLE: String(people), LOG_LEVEL: 'warn' },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let out = '';
child.stdout.on('data', (d: Buffer) => (out += d.toString()));
child.stderr.on('data', (d: Buffer) => (out += d.toString()));

const t0 = performance.now();
const secs = (): number => (performance.now() - t0) / 1000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const json = async (path: string, init?: RequestInit): Promise<{ status: number; body: any }> => {
  const r = await fetch(base + path, init);
  return { status: r.status, body: await r.json().catch(() => null) };
};

const marks: Record<string, number> = {};
let token: string | null = null;
let lastDemo = '';
try {
  while (performance.now() - t0 < limit) {
    if (child.exitCode !== null) throw new Error(`the service exited (${child.exitCode}):\n${out}`);
    try {
      const h = await json('/health');
      marks.listening ??= secs();
      const d = h.body?.demo ?? h.body?.status?.demo;
      const desc = d ? `${d.state} ${d.stage ?? ''} ${d.done ?? ''}/${d.total ?? ''}` : '';
      if (!marks.loaded && d && (d.state === 'ready' || (d.stage && !['persons', 'households', 'campaign sheets', 'assessment', 'tiers', 'payments'].includes(d.stage)))) marks.loaded = secs();
      if (desc !== lastDemo) {
        console.log(`${secs().toFixed(1).padStart(6)} s  demo: ${desc}`);
        lastDemo = desc;
      }
      if (!marks.campaign) {
        token ??= await json('/api/v1/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'policy', password: 'demo-policy-2022' }) }).then((r) => (r.status === 200 ? (r.body.token as string) : null));
        if (token) {
          const p = await json('/api/v1/monitoring/progress?area=500230&year=2022&asOf=2022-06-30', { headers: { authorization: `Bearer ${token}` } });
          if (p.status === 200 && p.body.villages?.[0]?.paid > 0) {
            marks.campaign = secs();
            console.log(`${secs().toFixed(1).padStart(6)} s  the first village (${p.body.villages[0].villageName}) shows ${p.body.villages[0].paid} paid`);
          }
        }
      }
      if (marks.campaign && marks.loaded && !waitReady) break;
      if (d?.state === 'ready') {
        marks.ready = secs();
        break;
      }
      if (d?.state === 'failed') throw new Error(`demo failed:\n${out}`);
    } catch (e) {
      if (!(e instanceof TypeError)) throw e; // fetch failed: not listening yet
    }
    await sleep(250);
  }
  console.log(`\nfirst start, ${people} people on PGlite (${process.env.BENCH_FIRST_START_LABEL ?? 'this tree'}):`);
  console.log(`  listening (floor)         ${marks.listening?.toFixed(1) ?? '—'} s`);
  console.log(`  campaign with data        ${marks.campaign?.toFixed(1) ?? '—'} s   (the first village shows paid enrollments; target < 60 s)`);
  console.log(`  campaign loaded           ${marks.loaded?.toFixed(1) ?? '—'} s   (every payment of the year recorded)`);
  if (waitReady) console.log(`  demo ready (settlements)  ${marks.ready?.toFixed(1) ?? '—'} s`);
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
if (!marks.campaign) process.exit(1);
