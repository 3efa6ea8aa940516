/**
 * The platform envelope's overhead: N settlements through 2207 (POST /fsi/…/callService, the
 * full envelope: checks, msgid claim and stored reply, fsi_setl row, audit) beside N through
 * the settlement service's own route (POST /api/v1/encounters/{id}/settle), same encounters'
 * shape (three fee lines 甲/乙/丙), same concurrency, same server process.
 *
 * The server runs in a child process (this file with argv "serve") on a fresh database on the
 * PostgreSQL server (TEST_DATABASE_URL, default postgres://127.0.0.1:5432/test), dropped at the
 * end even on failure; the load generator (plain fetch, C concurrent clients) runs here.
 * Setup is untimed: a town of BENCH_FSI_PERSONS persons, paid enrollments written in SQL, one
 * sign-in (9001), then per encounter 2201 + 2204 (FSI) or POST /api/v1/encounters (own route).
 * Each person has at most one encounter, so no settlement waits for another's lock.
 *
 *   BENCH_FSI_N=2000 BENCH_FSI_CONCURRENCY=8 npx tsx bench/fsi.ts
 *
 * BENCH_FSI_PROFILE=<dir>: the server writes a CPU profile of each timed phase (1: the own route,
 * 2: the envelope, 3 and 4: the same paced) to <dir>/<n>.cpuprofile, for finding where the envelope's time goes.
 *
 * After the two closed-loop runs (C clients flat out: latency there is C / throughput), each
 * route once more paced (open loop, BENCH_FSI_PACED_N settlements, default N, on a fixed
 * schedule whatever is in flight, each timed from when it was due) at the same offered rate for
 * both: BENCH_FSI_RATE per second, default half the own route's flat-out throughput just
 * measured — a counter's HIS sends one message at a time, so this is the realistic load.
 * Per phase also the CPU time per settlement of the server process (process.cpuUsage) and of
 * the database's backends (utime + stime of the bench database's connections, /proc/<pid>/stat
 * of the PostgreSQL server on this machine): on a shared machine these move less than the wall times.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg, cpus, userInfo } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { sql } from 'kysely';
import { buildServer } from '../src/http/server.js';
import { QuoteService } from '../src/quotes/quote-service.js';
import { AuthService } from '../src/access/auth.js';
import { SYSTEM } from '../src/access/roles.js';
import { gatewayKeys } from '../src/access/gateway-keys.js';
import { openDatabase } from '../src/store/db.js';
import { generateTown } from '../src/sim/population.js';
import { loadTown } from '../src/sim/load-town.js';
import { FSI_PATH, signedClient } from './support/signed-client.js';
import { paced, pct, pool } from './timing.js';

const HOSPITAL = 'H50023099001';
const N = Number(process.env.BENCH_FSI_N ?? 2000);
const C = Number(process.env.BENCH_FSI_CONCURRENCY ?? 8);
const PN = Number(process.env.BENCH_FSI_PACED_N ?? N);
const PERSONS = Number(process.env.BENCH_FSI_PERSONS ?? Math.max(2 * N + 2 * PN + 200, 3000));

// ---- the server child ----

async function serve(url: string): Promise<void> {
  const database = await openDatabase({ url, max: 20 });
  const app = await buildServer(QuoteService.load(), { database });
  await app.listen({ port: 0, host: '127.0.0.1' });
  process.stdout.write(`PORT ${(app.server.address() as { port: number }).port}\n`);
  // SIGUSR1: this process's CPU time so far (µs), for the CPU per settlement of a phase
  process.on('SIGUSR1', () => {
    const u = process.cpuUsage();
    process.stdout.write(`CPU ${u.user} ${u.system}\n`);
  });
  // BENCH_FSI_PROFILE=<dir>: SIGUSR2 starts a CPU profile of this process, the next SIGUSR2 writes it (<dir>/<n>.cpuprofile)
  const dir = process.env.BENCH_FSI_PROFILE;
  if (dir) {
    const { Session } = await import('node:inspector/promises');
    const { writeFileSync, mkdirSync } = await import('node:fs');
    mkdirSync(dir, { recursive: true });
    const s = new Session();
    s.connect();
    let on = false;
    let n = 0;
    process.on('SIGUSR2', () => {
      void (async () => {
        if (!on) {
          await s.post('Profiler.enable');
          await s.post('Profiler.start');
          on = true;
          process.stdout.write('PROFILING\n');
        } else {
          const { profile } = await s.post('Profiler.stop');
          on = false;
          writeFileSync(`${dir}/${++n}.cpuprofile`, JSON.stringify(profile));
          process.stdout.write('PROFILED\n');
        }
      })();
    });
  }
  process.on('SIGTERM', () => void app.close().then(() => database.close()).finally(() => process.exit(0)));
}

// ---- the driver ----

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

function startServer(url: string): Promise<{ child: ChildProcess; base: string; cpu: () => Promise<number> }> {
  const self = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, ['--import', 'tsx', self, 'serve', url], { stdio: ['ignore', 'pipe', 'inherit'] });
  const waiting: ((us: number) => void)[] = [];
  // the server's CPU time (user + system, ms) so far
  const cpu = () => new Promise<number>((r) => (waiting.push(r), child.kill('SIGUSR1')));
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (l) => {
      const m = /^PORT (\d+)$/.exec(l);
      if (m) resolve({ child, base: `http://127.0.0.1:${m[1]}`, cpu });
      const c = /^CPU (\d+) (\d+)$/.exec(l);
      if (c) waiting.shift()?.((Number(c[1]) + Number(c[2])) / 1000);
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

/** utime + stime (ms) of each backend of database `name` now, by pid (PostgreSQL on this machine: /proc/<pid>/stat). */
async function backendCpu(name: string): Promise<Map<number, number>> {
  const c = new pg.Client({ connectionString: adminUrl().toString() });
  await c.connect();
  let pids: number[];
  try {
    pids = (await c.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [name])).rows.map((r) => r.pid);
  } finally {
    await c.end();
  }
  const out = new Map<number, number>();
  for (const pid of pids) {
    try {
      // fields after the command's closing parenthesis: utime and stime are the 12th and 13th
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      out.set(pid, ((Number(f[11]) + Number(f[12])) * 1000) / TICKS);
    } catch {
      // not on this machine, or gone
    }
  }
  return out;
}
const TICKS = 100; // USER_HZ on Linux



interface Phase {
  lat: number[];
  wall: number;
  /** CPU ms per settlement: the server process, the database's backends */
  node: number;
  pg: number;
}

function summary(name: string, r: Phase) {
  const s = [...r.lat].sort((a, b) => a - b);
  return { name, n: s.length, perSecond: s.length / (r.wall / 1000), p50: pct(s, 50), p95: pct(s, 95), p99: pct(s, 99), wallMs: r.wall, node: r.node, pg: r.pg };
}

async function main(): Promise<void> {
  const load0 = loadavg().map((x) => x.toFixed(2)).join(' / ');
  const name = `yibao_bench_fsi_${process.pid}_${randomBytes(3).toString('hex')}`;
  const u = adminUrl();
  u.pathname = `/${name}`;
  const url = u.toString();
  let child: ChildProcess | null = null;
  await admin(`CREATE DATABASE ${name}`);
  const cleanup = async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child!.once('exit', r));
    }
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  };
  try {
    // ---- setup (untimed) ----
    const t0 = performance.now();
    const database = await openDatabase({ url, max: 10 });
    const db = database.db;
    const town = generateTown({ people: PERSONS, seed: 11, coverageYear: 2022 });
    const { personIds } = await loadTown(db, town);
    if (personIds.length < 2 * N + 2 * PN) throw new Error(`need ${2 * N + 2 * PN} persons, the town has ${personIds.length}: raise BENCH_FSI_PERSONS`);
    await sql`INSERT INTO enrollment (person_id, coverage_year, region, pack, tier, state, standard_fen, quote, benefit_start, benefit_end, paid_fen, paid_on)
              SELECT p.id, 2022, a.region, '500230/2022', 'tier1', 'paid', 32000, '{}'::jsonb, '2022-01-01', '2022-12-31', 32000, '2021-12-01'
                FROM person p JOIN admin_area a ON a.code = p.village_code
              ON CONFLICT (person_id, coverage_year) DO UPDATE SET state = 'paid', benefit_start = '2022-01-01', benefit_end = '2022-12-31'`.execute(db);
    await db.insertInto('hospital').values({ code: HOSPITAL, name: '基准测试县人民医院', level: 'secondary', region: town.county }).execute();
    const auth = new AuthService(db);
    const uid = await auth.createUser(SYSTEM, { username: 'bench_hospital', displayName: 'bench', role: 'hospital', hospitalCode: HOSPITAL });
    const token = await auth.issueApiToken(SYSTEM, uid, 'bench');
    // the timed 2207 are signed as the platform gateway's clients sign (§4.5 _api_*, HmacSHA1), with a key pair issued to the account
    const gw = await gatewayKeys(db).issue(SYSTEM, uid, 'bench gateway');
    const persons = await db.selectFrom('person').select(['id', 'id_number', 'name']).where('id', 'in', personIds.slice(0, 2 * N + 2 * PN)).orderBy('id').execute();
    await database.close();

    const server = await startServer(url);
    child = server.child;
    const base = server.base;
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const signed = signedClient(base, gw);
    let gateway = false;
    const call = async (path: string, body: any): Promise<any> => {
      if (gateway && path === FSI_PATH) return signed(body);
      const res = await fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
      const j = await res.json();
      if (res.status >= 300) throw new Error(`${path}: HTTP ${res.status} ${JSON.stringify(j)}`);
      return j;
    };
    let msg = 0;
    let signNo = '';
    const fsi = async (infno: string, input: unknown): Promise<any> => {
      msg += 1;
      const r = await call(FSI_PATH, {
        infno, msgid: `${HOSPITAL}${String(msg).padStart(18, '0')}`, mdtrtarea_admvs: '500230', insuplc_admdvs: '500230', recer_sys_code: 'FSI_LOCAL',
        dev_no: '', dev_safe_info: '', cainfo: '', signtype: '', infver: 'V1.0', opter_type: '1', opter: '0053', opter_name: '基准', inf_time: '2022-03-15 09:00:00',
        fixmedins_code: HOSPITAL, fixmedins_name: '基准测试县人民医院', sign_no: signNo, input,
      });
      if (r.infcode !== 0) throw new Error(`${infno}: ${r.err_msg}`);
      return r.output;
    };
    signNo = (await fsi('9001', { signIn: { opter_no: '0053', mac: '00-00-00-00-00-00', ip: '127.0.0.1' } })).signinoutb.sign_no;

    // 0 … N-1 and N … N+PN-1: the envelope flat out, then paced; the own route's likewise after them
    const fsiPersons = persons.slice(0, N + PN);
    const ownPersons = persons.slice(N + PN, 2 * (N + PN));
    const mdtrt: string[] = new Array(N + PN);
    const setl: unknown[] = new Array(N + PN);
    await pool(N + PN, C, async (i) => {
      const p = fsiPersons[i];
      const psn = String(p.id);
      const id = await fsi('2201', { data: { psn_no: psn, insutype: '390', begntime: '2022-03-15 09:00:00', mdtrt_cert_type: '02', mdtrt_cert_no: p.id_number, psn_cert_type: '01', certno: p.id_number, psn_type: '1701', psn_name: p.name, ipt_otp_no: `MZ${i}`, dept_code: 'D01', dept_name: '内科', caty: 'A03' } });
      const m = id.data.mdtrt_id as string;
      const fee = (sn: number, amount: number, lv: string, extra: Record<string, unknown> = {}) => ({
        feedetl_sn: String(sn), mdtrt_id: m, psn_no: psn, chrg_bchno: 'B1', rx_circ_flag: '0', hosp_appr_flag: '1', fee_ocur_time: '2022-03-15 09:30:00', med_list_codg: `XA01${sn}`, medins_list_codg: `M${sn}`,
        det_item_fee_sumamt: amount, cnt: 1, pric: amount, bilg_dept_codg: 'D01', bilg_dept_name: '内科', bilg_dr_codg: 'D0001', bilg_dr_name: '王医生', chrgitm_lv: lv, ...extra,
      });
      await fsi('2204', { feedetail: [fee(1, 120.5, '01'), fee(2, 80, '02', { selfpay_prop: 0.1 }), fee(3, 30.25, '03')] });
      mdtrt[i] = m;
      setl[i] = { data: { psn_no: psn, mdtrt_cert_type: '02', mdtrt_cert_no: p.id_number, psn_cert_type: '01', certno: p.id_number, psn_type: '1701', psn_name: p.name, med_type: '11', medfee_sumamt: 230.75, psn_setlway: '01', mdtrt_id: m, chrg_bchno: 'B1', acct_used_flag: '0', insutype: '390' } };
    });
    const encIds: string[] = new Array(N + PN);
    await pool(N + PN, C, async (i) => {
      const e = await call('/api/v1/encounters', {
        idNumber: ownPersons[i].id_number, coverageYear: 2022, type: 'general_outpatient', date: '2022-03-15', externalId: `OWN${i}`,
        fees: [{ sn: '1', catalogClass: '甲', amount: 120.5 }, { sn: '2', catalogClass: '乙', amount: 80, selfPayRatio: '10%' }, { sn: '3', catalogClass: '丙', amount: 30.25 }],
      });
      encIds[i] = e.id;
    });
    // no separate warm-up: the untimed setup has already run both routes' code paths and opened the pool's connections
    const setupMs = performance.now() - t0;

    // ---- timed: settlements only; the own route first, then the envelope; flat out, then paced ----
    const profiling = !!process.env.BENCH_FSI_PROFILE;
    const toggle = async () => {
      if (!profiling) return;
      child!.kill('SIGUSR2');
      await new Promise((r) => setTimeout(r, 500));
    };
    /** One timed phase: its latencies and wall time (run), and the CPU the server and the database's backends spent in it, per settlement. */
    const phase = async (n: number, run: () => Promise<{ lat: number[]; wall: number }>): Promise<Phase> => {
      await toggle();
      const [n0, b0] = [await server.cpu(), await backendCpu(name)];
      const r = await run();
      const [n1, b1] = [await server.cpu(), await backendCpu(name)];
      await toggle();
      let pgMs = 0;
      for (const [pid, ms] of b1) pgMs += ms - (b0.get(pid) ?? 0);
      return { ...r, node: (n1 - n0) / n, pg: pgMs / n };
    };
    const ownSettle = async (i: number): Promise<number> => Math.round((await call(`/api/v1/encounters/${encIds[i]}/settle`, { trace: false })).fundTotal * 100);
    const fsiSettle = async (i: number): Promise<number> => Math.round((await fsi('2207', setl[i])).setlinfo.fund_pay_sumamt * 100);
    const ownSums: number[] = [];
    const own = await phase(N, () => pool(N, C, async (i) => void (ownSums[i] = await ownSettle(i))));
    const fsiSums: number[] = [];
    gateway = true;
    const env = await phase(N, () => pool(N, C, async (i) => void (fsiSums[i] = await fsiSettle(i))));
    if (ownSums.reduce((a, b) => a + b, 0) !== fsiSums.reduce((a, b) => a + b, 0)) console.warn('warning: the two runs paid different fund totals');
    const a = summary('POST /api/v1/encounters/{id}/settle', own);
    const b = summary('2207 envelope, gateway-signed (POST /fsi/…/callService, §4.5 _api_* HmacSHA1)', env);
    // paced: both routes at the same offered rate (default half the own route's flat-out throughput)
    const rate = Number(process.env.BENCH_FSI_RATE ?? a.perSecond / 2);
    const rows = [a, b];
    if (PN > 0) {
      const pacedOwn: number[] = [];
      const po = await phase(PN, () => paced(PN, rate, async (i) => void (pacedOwn[i] = await ownSettle(N + i))));
      const pacedFsi: number[] = [];
      const pe = await phase(PN, () => paced(PN, rate, async (i) => void (pacedFsi[i] = await fsiSettle(N + i))));
      if (pacedOwn.reduce((x, y) => x + y, 0) !== pacedFsi.reduce((x, y) => x + y, 0)) console.warn('warning: the two paced runs paid different fund totals');
      rows.push(summary(`POST /api/v1/encounters/{id}/settle, paced at ${rate.toFixed(1)}/s offered (open loop)`, po), summary(`2207 envelope, gateway-signed, paced at ${rate.toFixed(1)}/s offered (open loop)`, pe));
    }

    const f = (x: number) => x.toFixed(1);
    console.log(`settlements over HTTP: N=${N} each flat out with ${C} concurrent clients (closed loop), then ${PN} each paced at ${rate.toFixed(1)}/s (open loop, latency from when each was due); fetch, server in a child process, PostgreSQL server database; setup ${(setupMs / 1000).toFixed(1)} s untimed`);
    console.log(`machine: ${cpus().length} vCPU (${cpus()[0]?.model ?? '?'}), Node ${process.version}; load average (1/5/15 min) at the start: ${load0}`);
    console.log('| route | settlements/s | p50 ms | p95 ms | p99 ms | server CPU ms / settlement | PostgreSQL backends CPU ms / settlement |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const s of rows) console.log(`| ${s.name} | ${f(s.perSecond)} | ${s.p50.toFixed(2)} | ${s.p95.toFixed(2)} | ${s.p99.toFixed(2)} | ${s.node.toFixed(2)} | ${s.pg.toFixed(2)} |`);
    console.log(`envelope / own route throughput (flat out): ${(b.perSecond / a.perSecond).toFixed(3)}; p50 overhead ${(b.p50 - a.p50).toFixed(2)} ms (${((b.p50 / a.p50 - 1) * 100).toFixed(0)}%)`);
    console.log(`load average (1/5/15 min) at the end: ${loadavg().map((x) => x.toFixed(2)).join(' / ')}`);
  } finally {
    await cleanup();
  }
}

if (process.argv[2] === 'serve') {
  await serve(process.argv[3]);
} else {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
