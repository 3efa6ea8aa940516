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
 *
 * Then every list the console pages on the server (issue #15: "answers on the demo town within
 * 300 ms"), at the moment the run stops (by default: the campaign loaded, the settlements still
 * loading, as a user would meet them), each as the console asks for its first page and a later
 * one, as the village clerk of 兴义镇 and as the county's officers: BENCH_FIRST_START_LIST_ROUNDS
 * (20) requests each, one after another, p50 / p99 / max beside the floor GET /health (no
 * database) measured in the same rounds.
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
const listRounds = Number(process.env.BENCH_FIRST_START_LIST_ROUNDS ?? 20);
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
  if (marks.campaign) await timeLists();
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
if (!marks.campaign) process.exit(1);

async function login(username: string, password: string): Promise<string> {
  const r = await json('/api/v1/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  if (r.status !== 200) throw new Error(`log-in as ${username}: ${r.status}`);
  return r.body.token as string;
}

/** Every console list route, timed on the demo town beside GET /health (issue #15: within 300 ms). */
async function timeLists(): Promise<void> {
  const tokens = { clerk: await login('clerk', 'demo-clerk-2022'), policy: await login('policy', 'demo-policy-2022'), auditor: await login('auditor', 'demo-auditor-2022') };
  const get = async (who: keyof typeof tokens | null, path: string): Promise<{ ms: number; status: number; body: any }> => {
    const t = performance.now();
    const r = await fetch(base + path, { headers: who ? { authorization: `Bearer ${tokens[who]}` } : {} });
    const body = await r.json().catch(() => null);
    return { ms: performance.now() - t, status: r.status, body };
  };
  const first = await get('clerk', '/api/v1/persons?page=1&pageSize=20');
  const person = first.body?.items?.[0]?.id ?? first.body?.items?.[0]?.personId;
  const day = '2022-02-28';
  const lists: [keyof typeof tokens | null, string, string][] = [
    [null, 'floor: GET /health (no database)', '/health'],
    ['clerk', '人员 persons, page 1', '/api/v1/persons?page=1&pageSize=20'],
    ['clerk', '人员 persons, page 50', '/api/v1/persons?page=50&pageSize=20'],
    ['clerk', '人员 persons of a village, page 2', `/api/v1/persons?village=${first.body?.items?.[0]?.villageCode ?? '500230100001'}&page=2&pageSize=20`],
    ['policy', '人员 persons (county), page 1', '/api/v1/persons?page=1&pageSize=20'],
    ['clerk', '七类对象未参保 missing (town), page 1', `/api/v1/monitoring/priority-groups/missing/paged?area=500230100&year=2022&asOf=${day}&page=1&pageSize=20`],
    ['clerk', '七类对象未参保 missing (town), page 5', `/api/v1/monitoring/priority-groups/missing/paged?area=500230100&year=2022&asOf=${day}&page=5&pageSize=20`],
    ['policy', '七类对象未参保 missing (county), page 1', `/api/v1/monitoring/priority-groups/missing/paged?area=500230&year=2022&asOf=${day}&page=1&pageSize=20`],
    ['clerk', '电子凭证未激活 not activated (town), page 1', `/api/v1/monitoring/evouchers/not-activated/paged?area=500230100&year=2022&asOf=${day}&page=1&pageSize=10`],
    ['policy', '电子凭证未激活 not activated (county), page 20', `/api/v1/monitoring/evouchers/not-activated/paged?area=500230&year=2022&asOf=${day}&page=20&pageSize=10`],
    ['policy', '结算 settlements, first page', '/api/v1/settlements?limit=20'],
    ['policy', '医院结算 hospital days, page 1', '/api/v1/ledger/hospital-days?page=1&pageSize=20'],
    ['auditor', '审计 audit log, newest first', '/api/v1/audit?newestFirst=true&limit=50'],
  ];
  if (person) lists.push(['clerk', "参保记录 a person's enrollments", `/api/v1/enrollments?person=${person}&limit=50`]);
  const times = lists.map(() => [] as number[]);
  for (const [i, l] of lists.entries()) {
    const r = await get(l[0], l[2]); // warm-up, and the check that it answers
    if (r.status !== 200) throw new Error(`${l[1]} (${l[2]}) answered ${r.status}: ${JSON.stringify(r.body).slice(0, 200)}`);
    void i;
  }
  for (let k = 0; k < listRounds; k++) for (const [i, l] of lists.entries()) times[i].push((await get(l[0], l[2])).ms);
  const q = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(p * xs.length) - 1)];
  console.log(`\nconsole lists on the demo town (${people} people, PGlite, ${listRounds} requests each, one at a time; the demo at this point: ${lastDemo || '—'}):`);
  console.log('| list | as | p50 ms | p99 ms | max ms | < 300 ms (p99) |');
  console.log('|:--|:--|--:|--:|--:|:--|');
  for (const [i, l] of lists.entries())
    console.log(`| ${l[1]} | ${l[0] ?? '—'} | ${q(times[i], 0.5).toFixed(1)} | ${q(times[i], 0.99).toFixed(1)} | ${Math.max(...times[i]).toFixed(1)} | ${l[0] === null ? '(floor)' : q(times[i], 0.99) < 300 ? 'yes' : '**no**'} |`);
}
