/**
 * Cross-area settlement (issue #20) beside local settlement, same machine, same run: three areas
 * (500230 丰都县, 500103 渝中区, 500101 万州区), each `yibao serve --area` in a child process with
 * its own database on the PostgreSQL server, joined by a 3-node NATS JetStream cluster on
 * loopback (streams with 3 replicas).
 *   local: a 丰都县 hospital settles 丰都县 persons with 2207 in 丰都县 (after 2201 + 2204, untimed);
 *   cross-area: a 渝中区 hospital settles other 丰都县 persons with 2207 in 渝中区 (fee lines in the
 *   message); 渝中区 classifies them, 丰都县 settles by its own pack over request/reply and 渝中区
 *   answers the hospital — the time the hospital waits.
 * Same three fee lines (甲/乙/丙), same concurrency, one person one visit. Target (issue #20):
 * cross-area ≥ 50 % of local throughput, p99 < 100 ms. The 万州区 area is joined and idle.
 * Then the cross-area 2207 once more, paced (open loop) at half the local throughput just
 * measured — the target's throughput — each timed from when it was due. Each area writes its
 * phase timings (src/areas/phases.ts, YIBAO_AREA_PHASES) and both runs' phases are reported:
 * p50 / p95 / p99 per phase, joined by settlement id and msgid.
 *
 *   BENCH_AREAS_N=400 BENCH_AREAS_CONCURRENCY=8 npx tsx bench/areas.ts
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
import { AuthService } from '../src/access/auth.js';
import { SYSTEM } from '../src/access/roles.js';
import { freeLoopbackPort, startNatsNodes } from '../src/areas/nats-nodes.js';
import { openDatabase } from '../src/store/db.js';
import { generateTown } from '../src/sim/population.js';
import { loadTown } from '../src/sim/load-town.js';
import { paced, pct, pool } from './timing.js';

const FSI_PATH = '/fsi/api/rsfComIfsService/callService';
const N = Number(process.env.BENCH_AREAS_N ?? 400);
const C = Number(process.env.BENCH_AREAS_CONCURRENCY ?? 8);
const AREAS = [
  { code: '500230', hospital: 'H50023099001', name: '丰都县人民医院' },
  { code: '500103', hospital: 'H50010300001', name: '重庆市渝中区人民医院' },
  { code: '500101', hospital: 'H50010100001', name: '重庆市万州区人民医院' },
];
const REPO = join(fileURLToPath(import.meta.url), '..', '..');

const adminUrl = (): URL => {
  const u = new URL(process.env.TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test');
  if (!u.username) u.username = process.env.PGUSER ?? userInfo().username;
  return u;
};
async function admin(q: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl().toString() });
  await c.connect();
  try {
    await c.query(q);
  } finally {
    await c.end();
  }
}

/** One area as `yibao serve` would run it (src/main.ts), ready when it says it is serving. */
async function startArea(code: string, url: string, nats: string, phases: string): Promise<{ child: ChildProcess; base: string }> {
  const port = await freeLoopbackPort();
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'src', 'main.ts')], {
    cwd: REPO,
    env: { ...process.env, DATABASE_URL: url, PORT: String(port), HOST: '127.0.0.1', YIBAO_AREA: code, YIBAO_NATS: nats, YIBAO_AREA_REPLICAS: '3', YIBAO_AREA_PHASES: phases, YIBAO_DEMO: 'off', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b));
  child.stderr!.on('data', (b: Buffer) => (out += b));
  await new Promise<void>((resolve, reject) => {
    const t = setInterval(() => {
      if (/yibao is serving/.test(out)) {
        clearInterval(t);
        resolve();
      }
    }, 50);
    child.once('exit', (c) => {
      clearInterval(t);
      reject(new Error(`area ${code} exited with ${c}:\n${out}`));
    });
  });
  return { child, base: `http://127.0.0.1:${port}` };
}

function summary(name: string, r: { lat: number[]; wall: number }) {
  const s = [...r.lat].sort((a, b) => a - b);
  return { name, n: s.length, perSecond: s.length / (r.wall / 1000), p50: pct(s, 50), p95: pct(s, 95), p99: pct(s, 99) };
}

/**
 * CPU time (user + system) of the processes a settlement runs in, from /proc (Linux): each area's
 * node process, each area database's server backends (by pg_stat_activity), the NATS nodes. Wall
 * time on a machine shared with other work measures the queue for a CPU; this does not.
 */
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();
function cpuMs(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return ((Number(rest[11]) + Number(rest[12])) * 1000) / CLK_TCK;
  } catch {
    return 0;
  }
}
type CpuSnap = Map<string, Map<number, number>>;
async function cpuSnap(groups: { label: string; pids: () => Promise<number[]> }[]): Promise<CpuSnap> {
  const out: CpuSnap = new Map();
  for (const g of groups) out.set(g.label, new Map((await g.pids()).map((pid) => [pid, cpuMs(pid)])));
  return out;
}
/** CPU ms per group between two snapshots (a process there at the end only: all its time since it started; one gone by the end: not counted). */
function cpuSpent(a: CpuSnap, b: CpuSnap): Map<string, number> {
  return new Map([...b].map(([label, end]) => [label, [...end].reduce((s, [pid, ms]) => s + ms - (a.get(label)?.get(pid) ?? 0), 0)]));
}

interface PhaseLine {
  side: 'treating' | 'insured';
  id: string;
  msgid?: string;
  total: number;
  laps: Record<string, number>;
}
const readPhases = (file: string): PhaseLine[] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as PhaseLine)
    : [];

/**
 * Where the cross-area 2207's time went, per phase (src/areas/phases.ts): the treating area's laps
 * (A), the insured area's (B) joined by the settlement id, the way to B and back (A's request −
 * B's handler: NATS both ways, the codec, both event loops) and the way out (what the hospital
 * waited − A's envelope in and its desk: the reply's serialisation and the HTTP response).
 */
function phaseReport(waited: Map<string, number>, treatingFile: string, insuredFile: string): void {
  const byId = new Map(readPhases(insuredFile).map((l) => [l.id, l]));
  const rows: Record<string, number>[] = [];
  for (const a of readPhases(treatingFile)) {
    const w = a.msgid ? waited.get(a.msgid) : undefined;
    const b = byId.get(a.id);
    if (w === undefined || !b) continue;
    const r: Record<string, number> = { 'A: envelope in (HTTP, token, preflight)': a.laps.envelope ?? 0 };
    for (const k of ['parse', 'claim']) r[`A: ${k}`] = a.laps[k] ?? 0;
    r['A → B → A (NATS request/reply, codec, queues)'] = (a.laps.request ?? 0) - b.total;
    for (const [k, v] of Object.entries(b.laps)) r[`B: ${k}`] = v;
    r['B: total'] = b.total;
    for (const k of ['record', 'confirm', 'output']) r[`A: ${k}`] = a.laps[k] ?? 0;
    r['reply out (A → hospital)'] = w - (a.laps.envelope ?? 0) - a.total;
    r['hospital waited'] = w;
    rows.push(r);
  }
  if (!rows.length) {
    console.log('(no phase lines joined)');
    return;
  }
  const names = Object.keys(rows[0]!);
  const tail = [...rows].sort((x, y) => x['hospital waited']! - y['hospital waited']!).slice(Math.floor(rows.length * 0.95));
  console.log(`phases of the ${rows.length} timed cross-area 2207 (ms); last column: the mean over the slowest 5 % (${tail.length})`);
  console.log('| phase | p50 | p95 | p99 | mean | mean of the slowest 5 % |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const n of names) {
    const v = rows.map((r) => r[n] ?? 0).sort((x, y) => x - y);
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    console.log(`| ${n} | ${pct(v, 50).toFixed(1)} | ${pct(v, 95).toFixed(1)} | ${pct(v, 99).toFixed(1)} | ${mean(v).toFixed(1)} | ${mean(tail.map((r) => r[n] ?? 0)).toFixed(1)} |`);
  }
}

async function main(): Promise<void> {
  const load0 = loadavg().map((x) => x.toFixed(2)).join(' / ');
  const tag = `${process.pid}_${randomBytes(3).toString('hex')}`;
  const names = AREAS.map((a) => `yibao_bench_areas_${a.code}_${tag}`);
  const urls = names.map((n) => {
    const u = adminUrl();
    u.pathname = `/${n}`;
    return u.toString();
  });
  const dir = mkdtempSync(join(tmpdir(), 'yb-bench-areas-'));
  const kids: ChildProcess[] = [];
  let nats: Awaited<ReturnType<typeof startNatsNodes>> | null = null;
  for (const n of names) await admin(`CREATE DATABASE ${n}`);
  try {
    const t0 = performance.now();
    // ---- setup (untimed): persons of 丰都县 paid for 2022; a hospital and its interface account in each area ----
    const tokens: string[] = [];
    let persons: { id: string; id_number: string; name: string }[] = [];
    for (const [i, a] of AREAS.entries()) {
      const d = await openDatabase({ url: urls[i]!, max: 4 });
      if (i === 0) {
        const town = generateTown({ people: Math.max(3 * N + 200, 1000), seed: 11, coverageYear: 2022 });
        const { personIds } = await loadTown(d.db, town);
        await sql`INSERT INTO enrollment (person_id, coverage_year, region, pack, tier, state, standard_fen, quote, benefit_start, benefit_end, paid_fen, paid_on)
                  SELECT p.id, 2022, a.region, '500230/2022', 'tier1', 'paid', 32000, '{}'::jsonb, '2022-01-01', '2022-12-31', 32000, '2021-12-01'
                    FROM person p JOIN admin_area a ON a.code = p.village_code
                  ON CONFLICT (person_id, coverage_year) DO UPDATE SET state = 'paid', benefit_start = '2022-01-01', benefit_end = '2022-12-31'`.execute(d.db);
        persons = await d.db.selectFrom('person').select(['id', 'id_number', 'name']).where('id', 'in', personIds.slice(0, 3 * N)).orderBy('id').execute();
      }
      await d.db.insertInto('hospital').values({ code: a.hospital, name: a.name, level: 'secondary', region: a.code }).execute();
      const auth = new AuthService(d.db);
      const uid = await auth.createUser(SYSTEM, { username: `bench_${a.code}`, displayName: 'bench', role: 'hospital', hospitalCode: a.hospital });
      tokens.push(await auth.issueApiToken(SYSTEM, uid, 'bench'));
      await d.close();
    }
    nats = await startNatsNodes({ nodes: 3, dir });
    const servers = nats.urls.join(',');
    const areas: { child: ChildProcess; base: string }[] = [];
    for (const [i, a] of AREAS.entries()) {
      const s = await startArea(a.code, urls[i]!, servers, join(dir, `phases-${a.code}.jsonl`));
      kids.push(s.child);
      areas.push(s);
    }

    let msg = 0;
    const signNos: string[] = ['', '', ''];
    // each message's time as the hospital waited for it, by msgid (joined with the areas' phase lines below)
    const waited = new Map<string, number>();
    const fsi = async (i: number, infno: string, input: unknown): Promise<any> => {
      msg += 1;
      const a = AREAS[i]!;
      const msgid = `${a.hospital}${String(msg).padStart(18, '0')}`;
      const t = performance.now();
      const res = await fetch(`${areas[i]!.base}${FSI_PATH}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens[i]}`, 'content-type': 'application/json' },
        body: JSON.stringify({ infno, msgid, mdtrtarea_admvs: a.code, insuplc_admdvs: '500230', recer_sys_code: 'FSI_LOCAL', dev_no: '', dev_safe_info: '', cainfo: '', signtype: '', infver: 'V1.0', opter_type: '1', opter: '0053', opter_name: '基准', inf_time: '2022-03-15 09:00:00', fixmedins_code: a.hospital, fixmedins_name: a.name, sign_no: signNos[i], input }),
      });
      const r = await res.json();
      waited.set(msgid, performance.now() - t);
      if (r.infcode !== 0) throw new Error(`${a.code} ${infno}: ${r.err_msg}`);
      return r.output;
    };
    for (const i of [0, 1]) signNos[i] = (await fsi(i, '9001', { signIn: { opter_no: '0053', mac: '00-00-00-00-00-00', ip: '127.0.0.1' } })).signinoutb.sign_no;
    const fee = (m: string, psn: string, sn: number, amount: number, lv: string, extra: Record<string, unknown> = {}) => ({ feedetl_sn: String(sn), mdtrt_id: m, psn_no: psn, chrg_bchno: 'B1', rx_circ_flag: '0', hosp_appr_flag: '1', fee_ocur_time: '2022-03-15 09:30:00', med_list_codg: `XA01${sn}`, medins_list_codg: `M${sn}`, det_item_fee_sumamt: amount, cnt: 1, pric: amount, bilg_dept_codg: 'D01', bilg_dept_name: '内科', bilg_dr_codg: 'D0001', bilg_dr_name: '王医生', chrgitm_lv: lv, ...extra });
    const fees = (m: string, psn: string) => [fee(m, psn, 1, 120.5, '01'), fee(m, psn, 2, 80, '02', { selfpay_prop: 0.1 }), fee(m, psn, 3, 30.25, '03')];
    const local = persons.slice(0, N);
    const away = persons.slice(N, 3 * N); // N for the closed loop, N for the paced run
    const localSetl: unknown[] = new Array(N);
    await pool(N, C, async (i) => {
      const p = local[i]!;
      const psn = String(p.id);
      const id = await fsi(0, '2201', { data: { psn_no: psn, insutype: '390', begntime: '2022-03-15 09:00:00', mdtrt_cert_type: '02', mdtrt_cert_no: p.id_number, psn_cert_type: '01', certno: p.id_number, psn_type: '1701', psn_name: p.name, ipt_otp_no: `MZ${i}`, dept_code: 'D01', dept_name: '内科', caty: 'A03' } });
      const m = id.data.mdtrt_id as string;
      await fsi(0, '2204', { feedetail: fees(m, psn) });
      localSetl[i] = { data: { psn_no: psn, mdtrt_cert_type: '02', mdtrt_cert_no: p.id_number, psn_cert_type: '01', certno: p.id_number, psn_type: '1701', psn_name: p.name, med_type: '11', medfee_sumamt: 230.75, psn_setlway: '01', mdtrt_id: m, chrg_bchno: 'B1', acct_used_flag: '0', insutype: '390' } };
    });
    const awaySetl = away.map((p, i) => ({ data: { mid_setl_flag: '0', mdtrt_id: `YZ${i}`, psn_no: '', insutype: '390', mdtrt_cert_type: '02', mdtrt_cert_no: p.id_number, psn_cert_type: '01', certno: p.id_number, psn_name: p.name, psn_setlway: '01', med_type: '11', begntime: '2022-03-15 09:00:00', medfee_sumamt: 230.75, acct_used_flag: '0' }, feedetail: fees(`YZ${i}`, '') }));
    // a short warm-up of the cross-area path (its own persons, not timed): the links' first requests
    const warm = Math.min(20, Math.floor(N / 10));
    await pool(warm, C, async (i) => void (await fsi(1, '2207', awaySetl[N - 1 - i])));
    const setupMs = performance.now() - t0;

    // CPU of each area's node process and database backends, and of the NATS nodes (cpuSnap)
    const backends = async (db: string): Promise<number[]> => {
      const c = new pg.Client({ connectionString: adminUrl().toString() });
      await c.connect();
      try {
        return (await c.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [db])).rows.map((r) => r.pid);
      } finally {
        await c.end();
      }
    };
    const cpuGroups = [
      ...AREAS.flatMap((a, i) => [
        { label: `${a.code} node`, pids: async () => [kids[i]!.pid!] },
        { label: `${a.code} PostgreSQL`, pids: () => backends(names[i]!) },
      ]),
      { label: 'NATS (3 nodes)', pids: async () => nats!.procs.map((p) => p.pid!) },
    ];
    const cpuRuns: { name: string; n: number; spent: Map<string, number> }[] = [];
    const withCpu = async <T>(name: string, n: number, run: () => Promise<T>): Promise<T> => {
      const a = await cpuSnap(cpuGroups);
      const out = await run();
      cpuRuns.push({ name, n, spent: cpuSpent(a, await cpuSnap(cpuGroups)) });
      return out;
    };

    // ---- timed: 2207 only; local first, then cross-area ----
    const sums = [0, 0];
    const lo = await withCpu('local 2207', N, () =>
      pool(N, C, async (i) => {
        const o = await fsi(0, '2207', localSetl[i]);
        sums[0] += Math.round(o.setlinfo.fund_pay_sumamt * 100);
      }),
    );
    waited.clear();
    const xa = await withCpu(`cross-area 2207, ${C} clients`, N - warm, () =>
      pool(N - warm, C, async (i) => {
        const o = await fsi(1, '2207', awaySetl[i]);
        sums[1] += Math.round(o.setlinfo.fund_pay_sumamt * 100);
      }),
    );
    const waitedClosed = new Map(waited);
    // the target's own terms: cross-area 2207 offered at half the local throughput just measured
    // (open loop, on a fixed schedule, however many in flight), each timed from when it was due
    const rate = lo.lat.length / (lo.wall / 1000) / 2;
    waited.clear();
    let pacedFen = 0;
    const xp = await withCpu('cross-area 2207, paced', N, () =>
      paced(N, rate, async (i) => {
        const o = await fsi(1, '2207', awaySetl[N + i]);
        pacedFen += Math.round(o.setlinfo.fund_pay_sumamt * 100);
      }),
    );
    const a = summary('local 2207 in 500230 (丰都县 hospital, 丰都县 person)', lo);
    const b = summary(`cross-area 2207 in 500103 (渝中区 hospital, 丰都县 person; settled by 500230 over JetStream request/reply), ${C} clients`, xa);
    const c = summary(`cross-area 2207, paced at half the local throughput (${rate.toFixed(1)}/s offered, open loop; from when each was due)`, xp);
    const f = (x: number) => x.toFixed(1);
    console.log(`cross-area vs local 2207: N=${N} local, ${N - warm} cross-area (after ${warm} untimed), ${C} concurrent clients (fetch); three areas in child processes, each its own PostgreSQL database; 3-node JetStream cluster on loopback (3 replicas); setup ${(setupMs / 1000).toFixed(1)} s untimed`);
    console.log(`machine: ${cpus().length} vCPU (${cpus()[0]?.model ?? '?'}), Node ${process.version}; load average (1/5/15 min) at the start: ${load0}`);
    console.log('| 2207 | settlements/s | p50 ms | p95 ms | p99 ms |');
    console.log('|---|---:|---:|---:|---:|');
    for (const s of [a, b, c]) console.log(`| ${s.name} | ${f(s.perSecond)} | ${s.p50.toFixed(2)} | ${s.p95.toFixed(2)} | ${s.p99.toFixed(2)} |`);
    const ratio = b.perSecond / a.perSecond;
    console.log(`cross-area / local throughput: ${ratio.toFixed(3)} (target ≥ 0.5: ${ratio >= 0.5 ? 'met' : 'NOT met'}); cross-area p99 ${b.p99.toFixed(1)} ms with ${C} clients flat out, ${c.p99.toFixed(1)} ms paced at half the local throughput (target < 100: ${b.p99 < 100 ? 'met' : 'NOT met'} / ${c.p99 < 100 ? 'met' : 'NOT met'})`);
    console.log(`fund paid: local ${(sums[0]! / 100).toFixed(2)} yuan for ${N}, cross-area ${(sums[1]! / 100).toFixed(2)} yuan for ${N - warm} (the same visit each: ${(sums[0]! / N / 100).toFixed(2)} vs ${(sums[1]! / (N - warm) / 100).toFixed(2)} a visit); paced ${(pacedFen / N / 100).toFixed(2)} a visit`);
    console.log(`\nCPU ms per settlement (user + system, /proc; CLK_TCK ${CLK_TCK}) — unlike wall time, not the queue for a CPU:`);
    const labels = cpuGroups.map((g) => g.label);
    console.log(`| run | ${labels.join(' | ')} | total |`);
    console.log(`|---|${labels.map(() => '---:').join('|')}|---:|`);
    for (const r of cpuRuns) {
      const per = labels.map((l) => (r.spent.get(l) ?? 0) / r.n);
      console.log(`| ${r.name} | ${per.map((x) => x.toFixed(2)).join(' | ')} | ${per.reduce((x, y) => x + y, 0).toFixed(2)} |`);
    }
    const loadEnd = loadavg().map((x) => x.toFixed(2)).join(' / ');
    await new Promise((r) => setTimeout(r, 800)); // the areas append their phase lines every 250 ms
    const files = [join(dir, `phases-${AREAS[1]!.code}.jsonl`), join(dir, `phases-${AREAS[0]!.code}.jsonl`)] as const;
    console.log(`\n${C} clients flat out:`);
    phaseReport(waitedClosed, ...files);
    console.log(`\npaced at ${rate.toFixed(1)}/s:`);
    phaseReport(waited, ...files);
    console.log(`load average (1/5/15 min) at the end: ${loadEnd}`);
  } finally {
    for (const k of kids)
      if (k.exitCode === null) {
        k.kill('SIGTERM');
        await new Promise((r) => k.once('exit', r));
      }
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
    for (const n of names) await admin(`DROP DATABASE IF EXISTS ${n} WITH (FORCE)`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
