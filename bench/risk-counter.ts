/**
 * 3101 明细审核事前分析服务 at the counter (issue #18, speed): p50 / p99 of one 200-line
 * encounter through the full platform envelope (gateway signature, sign-in check, msgid claim
 * and stored reply, the counter-time screening rules), sequential, over HTTP, on a fresh
 * database on the PostgreSQL server (TEST_DATABASE_URL), dropped at the end. Target: p99 < 50 ms.
 *
 *   BENCH_RISK_N=500 npx tsx bench/risk-counter.ts
 */
import { randomBytes } from 'node:crypto';
import { cpus, loadavg, userInfo } from 'node:os';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { buildServer } from '../src/http/server.js';
import { QuoteService } from '../src/quotes/quote-service.js';
import { AuthService } from '../src/access/auth.js';
import { SYSTEM } from '../src/access/roles.js';
import { gatewayKeys } from '../src/access/gateway-keys.js';
import { openDatabase } from '../src/store/db.js';
import { signedClient } from './support/signed-client.js';

const HOSPITAL = 'H50023099031';
const N = Number(process.env.BENCH_RISK_N ?? 500);
const LINES = 200;
type Obj = Record<string, unknown>;

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

/** 200 order lines over five days, one repeated line (FR04) and one item beyond its daily limit (FR05). */
function encounter(k: number): Obj {
  const orders: Obj[] = [];
  for (let i = 0; i < LINES; i++) {
    const repeat = i === LINES - 1;
    const j = repeat ? 0 : i;
    const heavy = i >= LINES - 4 && !repeat;
    const cnt = heavy ? 12 : 1 + (j % 3);
    orders.push({
      rx_id: `RX${k}-${i}`, rxno: `P${i}`, long_drord_flag: '0', hilist_type: '101', chrg_type: '09', drord_bhvr: '0',
      hilist_code: heavy ? 'X9999' : `X${String(j % 40).padStart(4, '0')}`, hilist_name: '项目', hilist_lv: '01', hilist_pric: 12.5, hosplist_code: 'M1', hosplist_name: '院内',
      cnt, pric: 12.5, sumamt: cnt * 12.5, ownpay_amt: 0, selfpay_amt: 0, spec: '1支', spec_unt: '支',
      drord_begn_date: heavy ? `2022-03-12 ${String(8 + (i - (LINES - 4)) * 4).padStart(2, '0')}:00:00` : `2022-03-${10 + Math.floor(j / 40)} ${String(8 + (j % 10)).padStart(2, '0')}:00:00`,
      drord_dept_codg: 'D01', drord_dept_name: '内科', drord_dr_codg: 'DR1', drord_dr_name: '医生', drord_dr_profttl: '1', curr_drord_flag: '1',
    });
  }
  return {
    data: {
      trig_scen: '1',
      patient_dtos: [{
        patn_id: `P${k}`, patn_name: '参保人', gend: '2', brdy: '1970-01-01', poolarea: '500230', curr_mdtrt_id: `MD${k}`,
        fsi_encounter_dtos: [{
          mdtrt_id: `MD${k}`, medins_id: HOSPITAL, medins_name: '医院', medins_admdvs: '500230', medins_type: '1', medins_lv: '2',
          adm_date: '2022-03-10 08:00:00', dscg_date: '2022-03-15 10:00:00', dscg_main_dise_codg: 'I63.9', dscg_main_dise_name: '脑梗塞',
          fsi_diagnose_dtos: [{ dise_id: 'D1', inout_dise_type: '1', maindise_flag: '1', dias_srt_no: '1', dise_codg: 'I63.9', dise_name: '脑梗塞', dise_date: '2022-03-10 08:00:00' }],
          dr_codg: 'DR1', adm_dept_codg: 'D01', adm_dept_name: '内科', dscg_dept_codg: 'D01', dscg_dept_name: '内科', med_mdtrt_type: '2', med_type: '21',
          fsi_order_dtos: orders, matn_stas: '0', medfee_sumamt: 0, ownpay_amt: 0, selfpay_amt: 0, setl_totlnum: 0, insutype: '390', reim_flag: '0', out_setl_flag: '0',
        }],
      }],
    },
  };
}

async function main(): Promise<void> {
  const name = `yibao_bench_risk_${process.pid}_${randomBytes(3).toString('hex')}`;
  const u = adminUrl();
  u.pathname = `/${name}`;
  await admin(`CREATE DATABASE ${name}`);
  const database = await openDatabase({ url: u.toString(), max: 10 });
  const app = await buildServer(QuoteService.load(), { database });
  try {
    const db = database.db;
    await db.insertInto('admin_area').values({ code: '500230', name: '丰都县', level: 'county', parent_code: null, region: '500230' }).execute();
    await db.insertInto('hospital').values({ code: HOSPITAL, name: '基准测试医院', level: 'secondary', region: '500230' }).execute();
    const uid = await new AuthService(db).createUser(SYSTEM, { username: 'bench_risk_hosp', displayName: 'bench', role: 'hospital', hospitalCode: HOSPITAL });
    const key = await gatewayKeys(db).issue(SYSTEM, uid, 'HIS');
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const post = signedClient(base, key);
    let n = 0;
    let signNo = '';
    const call = async (infno: string, input: Obj): Promise<Obj> => {
      n += 1;
      const env = { infno, msgid: `B${process.pid}${String(n).padStart(8, '0')}`.slice(0, 30), mdtrtarea_admvs: '500230', recer_sys_code: 'HIS', infver: '1.0.0', opter_type: '1', opter: '1', opter_name: 'bench', inf_time: '2022-03-15 09:00:00', fixmedins_code: HOSPITAL, fixmedins_name: '基准测试医院', sign_no: signNo };
      const r = (await post({ ...env, input })) as Obj;
      if (r.infcode !== 0) throw new Error(`${infno}: ${String(r.err_msg)}`);
      return r.output as Obj;
    };
    signNo = ((await call('9001', { signIn: { opter_no: '1', mac: 'm', ip: 'i' } })).signinoutb as Obj).sign_no as string;
    for (let i = 0; i < 20; i++) await call('3101', encounter(i)); // warm-up
    const ms: number[] = [];
    for (let i = 0; i < N; i++) {
      const msg = encounter(1000 + i);
      const t = performance.now();
      const out = await call('3101', msg);
      ms.push(performance.now() - t);
      if ((out.result as unknown[]).length !== 2) throw new Error('3101 should answer FR04 and FR05');
    }
    ms.sort((a, b) => a - b);
    const q = (p: number) => ms[Math.min(ms.length - 1, Math.ceil(p * ms.length) - 1)]!.toFixed(1);
    console.log(`3101 明细审核事前分析, ${LINES}-line encounter, ${N} sequential calls over HTTP on the PostgreSQL server: p50 ${q(0.5)} ms, p99 ${q(0.99)} ms (target < 50 ms); ${cpus().length} cores, load ${loadavg().map((x) => x.toFixed(2)).join(' / ')}`);
  } finally {
    await app.close();
    await database.close();
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

await main();
