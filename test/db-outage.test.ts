/**
 * The database may go away (issue #11 item 5), on the PostgreSQL server: the service runs as a
 * real process on a fresh database, under load (encounters recorded and settled, settlement
 * lists, accumulators, the platform's 1101), while a separate admin connection terminates every
 * connection of the service a few times (`pg_terminate_backend`, as a restart or a fail-over
 * does). The process stays up; every request is answered (no hang), with no 5xx other than 503
 * and a clear JSON error, the platform's envelope with infcode -1; /health goes degraded with
 * the reason and back to ok; afterwards the ledger balances, each settlement has its entry,
 * and every person's accumulators equal the sum of their live settlements.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { AuthService } from '../src/access/auth.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { trialBalance } from '../src/ledger/ledger-report.ts';
import { makeIdNumber } from '../src/registers/id-number.ts';
import { addAccumulators, emptyAccumulators, type Accumulators } from '../src/rules/settlement/input.ts';
import { freshDatabase, type TestDatabase } from './support/databases.ts';
import { startService, type ServiceProcess } from './support/service-process.ts';

const VILLAGE = '500230100001';
const HA = 'H500230001';
const PERSONS = 24;
const WORKERS = 12;
const TERMINATIONS = 4;
/** a request not answered within this is a hang */
const HANG_MS = 20_000;

describe('the database goes away under load (server)', () => {
  let d: TestDatabase;
  let svc: ServiceProcess | undefined;
  const persons: { id: string; idNumber: string }[] = [];
  const tok: Record<string, string> = {};

  before(async () => {
    d = await freshDatabase('server');
    await d.db
      .insertInto('admin_area')
      .values([
        { code: '500230', name: '丰都县', level: 'county', parent_code: null, region: '500230' },
        { code: '500230100', name: '兴义镇', level: 'township', parent_code: '500230', region: '500230' },
        { code: VILLAGE, name: '兴义村', level: 'village', parent_code: '500230100', region: '500230' },
      ])
      .execute();
    await d.db.insertInto('hospital').values({ code: HA, name: '丰都县人民医院', level: 'secondary', region: '500230' }).execute();
    for (let i = 1; i <= PERSONS; i++) {
      const idNumber = makeIdNumber('500230', '1970-03-01', i);
      const p = await d.db
        .insertInto('person')
        .values({ id_number: idNumber, name: `断线${i}号`, gender: i % 2 ? 'male' : 'female', birth_date: '1970-03-01', village_code: VILLAGE, kind: 'adult' })
        .returning('id')
        .executeTakeFirstOrThrow();
      await d.db
        .insertInto('enrollment')
        .values({ person_id: p.id, coverage_year: 2022, region: '500230', pack: '500230/2022', tier: 'tier1', state: 'paid', standard_fen: 32000, quote: JSON.stringify({}), benefit_start: '2022-01-01', benefit_end: '2022-12-31' })
        .execute();
      persons.push({ id: String(p.id), idNumber });
    }
    const auth = new AuthService(d.db);
    for (const u of [{ username: 'hospa', role: 'hospital' as const, hospitalCode: HA }, { username: 'admin', role: 'admin' as const }]) {
      const id = await auth.createUser(SYSTEM, { ...u, displayName: u.username, password: `${u.username}-test-password` }); // an admin needs a password
      tok[u.username] = await auth.issueApiToken(SYSTEM, id, 'outage test');
    }
    svc = await startService({ DATABASE_URL: d.where, YIBAO_1101_PER_MINUTE: '1000000' }); // a load test, not a harvest: lift the per-hospital 1101 limit
  });
  after(async () => {
    await svc?.stop();
    await d?.drop();
  });

  test('connections terminated during load: the process stays up, requests fail cleanly, /health degrades and recovers, the books agree', async (t) => {
    const base = svc!.base;
    const fetchJson = async (method: string, path: string, token?: string, body?: unknown) => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(HANG_MS),
      });
      const text = await res.text();
      let json: any = null;
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
      return { status: res.status, json, text, retryAfter: res.headers.get('retry-after') };
    };

    // the platform needs a sign-in for 1101
    let msg = 0;
    const envelope = (infno: string, input: unknown, signNo = '') => ({
      infno,
      msgid: `${HA}20220315090000${String(++msg).padStart(6, '0')}`,
      mdtrtarea_admvs: '500230',
      insuplc_admdvs: '500230',
      recer_sys_code: 'FSI_LOCAL',
      dev_no: '',
      dev_safe_info: '',
      cainfo: '',
      signtype: '',
      infver: 'V1.0',
      opter_type: '1',
      opter: '0053',
      opter_name: '文双',
      inf_time: '2022-03-15 09:00:00',
      fixmedins_code: HA,
      fixmedins_name: '丰都县人民医院',
      sign_no: signNo,
      input,
    });
    const FSI = '/fsi/api/rsfComIfsService/callService';
    const signIn = await fetchJson('POST', FSI, tok.hospa, envelope('9001', { signIn: { opter_no: '0053', mac: '00-1A-2B-3C-4D-5E', ip: '10.0.0.8' } }));
    assert.equal(signIn.json?.infcode, 0, signIn.text);
    const signNo = signIn.json.output.signinoutb.sign_no as string;

    const statuses = new Map<string, number>();
    const count = (k: string) => statuses.set(k, (statuses.get(k) ?? 0) + 1);
    const problems: string[] = [];
    const confirmed: { encounterId: string; settlementId: string }[] = [];
    let stop = false;
    let n = 0;

    const check = (what: string, r: Awaited<ReturnType<typeof fetchJson>>, ok: number[]) => {
      count(`${what} ${r.status}`);
      if (ok.includes(r.status)) return true;
      if (r.status === 503) {
        if (r.json?.error !== 'database_unavailable' || typeof r.json?.message !== 'string') problems.push(`${what}: a 503 without the clear JSON error: ${r.text}`);
        if (!r.retryAfter) problems.push(`${what}: a 503 without Retry-After`);
        return false;
      }
      problems.push(`${what}: HTTP ${r.status} ${r.text.slice(0, 300)}`);
      return false;
    };

    const worker = async (w: number) => {
      while (!stop) {
        const i = n++;
        const p = persons[(i * 7 + w) % persons.length];
        const kind = i % 8;
        try {
          if (kind < 4) {
            const e = await fetchJson('POST', '/api/v1/encounters', tok.hospa, {
              idNumber: p.idNumber,
              coverageYear: 2022,
              type: 'inpatient',
              date: '2022-04-01',
              costs: { total: 900 + (i % 13) * 10, fullOwnPay: 0, overLimitSelfPay: 0, preSelfPay: 0, inScope: 900 + (i % 13) * 10 },
            });
            if (!check('encounter', e, [201])) continue;
            const s = await fetchJson('POST', `/api/v1/encounters/${e.json.id}/settle`, tok.hospa, { trace: false });
            if (check('settle', s, [201])) confirmed.push({ encounterId: String(e.json.id), settlementId: String(s.json.settlementId) });
          } else if (kind < 6) {
            check('list', await fetchJson('GET', `/api/v1/settlements?person=${p.id}&limit=20`, tok.hospa), [200]);
          } else if (kind === 6) {
            check('accumulators', await fetchJson('GET', `/api/v1/persons/${p.id}/accumulators?year=2022`, tok.admin), [200]);
          } else {
            const r = await fetchJson('POST', FSI, tok.hospa, envelope('1101', { data: { mdtrt_cert_type: '02', mdtrt_cert_no: p.idNumber, psn_cert_type: '01', certno: p.idNumber, psn_name: '' } }, signNo));
            count(`1101 ${r.status} infcode ${r.json?.infcode}`);
            if (r.status !== 200 || (r.json?.infcode !== 0 && r.json?.infcode !== -1)) problems.push(`1101: HTTP ${r.status} ${r.text.slice(0, 300)}`);
            else if (r.json.infcode === -1 && !/数据库/.test(r.json.err_msg)) problems.push(`1101 refused for another reason than the database: ${r.json.err_msg}`);
          }
        } catch (e) {
          // no answer at all: the process died, the socket was dropped, or the request hung
          problems.push(`no answer (${(e as Error).name}: ${(e as Error).message})`);
          if (svc!.child.exitCode !== null || svc!.child.signalCode !== null) return;
        }
      }
    };

    const healthSeen: string[] = [];
    let healthDegraded: any = null;
    const healthPoller = async () => {
      while (!stop) {
        try {
          const h = await fetchJson('GET', '/health');
          const state = `${h.status} ${h.json?.status}`;
          if (healthSeen[healthSeen.length - 1] !== state) healthSeen.push(state);
          if (h.json?.status === 'degraded') healthDegraded ??= h.json;
        } catch (e) {
          healthSeen.push(`no answer: ${(e as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, 40));
      }
    };

    const admin = new pg.Client({ connectionString: d.where });
    await admin.connect();
    const killed: number[] = [];
    const load = [...Array.from({ length: WORKERS }, (_, w) => worker(w)), healthPoller()];
    try {
      await new Promise((r) => setTimeout(r, 1500));
      for (let k = 0; k < TERMINATIONS; k++) {
        const r = await admin.query('SELECT count(*)::int AS n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()) t');
        killed.push(r.rows[0].n as number);
        await new Promise((res) => setTimeout(res, 1500));
      }
      await new Promise((r) => setTimeout(r, 1500));
    } finally {
      stop = true;
      await Promise.all(load);
      await admin.end();
    }

    t.diagnostic(`connections terminated: ${killed.join(', ')}; answers: ${[...statuses].map(([k, v]) => `${k} ×${v}`).join(', ')}`);
    t.diagnostic(`/health: ${healthSeen.join(' → ')}`);
    assert.equal(svc!.child.exitCode, null, `the service died:\n${svc!.output().slice(-3000)}`);
    assert.equal(svc!.child.signalCode, null);
    assert.deepEqual(problems.slice(0, 20), [], `requests that did not fail cleanly; statuses ${JSON.stringify([...statuses])}`);
    assert.ok(killed.every((k) => k > 0), `each termination hit the service's connections: ${killed}`);
    assert.ok((statuses.get('settle 201') ?? 0) > 20, `settlements went through around the terminations: ${JSON.stringify([...statuses])}`);

    // /health went degraded, said why, and came back
    assert.ok(healthDegraded, `/health never said degraded: ${healthSeen.join(' → ')}`);
    assert.equal(healthDegraded.database.state, 'unreachable');
    assert.match(healthDegraded.database.reason, /terminat|connection/i);
    assert.ok(!Number.isNaN(Date.parse(healthDegraded.database.since)), 'the degraded state says since when');
    assert.ok(healthSeen.includes('503 degraded'), `degraded is a 503 for load balancers: ${healthSeen.join(' → ')}`);
    let final: any;
    for (let t = 0; t < 100; t++) {
      final = (await fetchJson('GET', '/health')).json;
      if (final?.status === 'ok') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(final?.status, 'ok', `/health recovers: ${JSON.stringify(final)}`);
    assert.ok(final.database.outages >= 1, 'the outages are counted');

    // the service works again
    const p = persons[0];
    const e = await fetchJson('POST', '/api/v1/encounters', tok.hospa, { idNumber: p.idNumber, coverageYear: 2022, type: 'inpatient', date: '2022-05-01', costs: { total: 500, fullOwnPay: 0, overLimitSelfPay: 0, preSelfPay: 0, inScope: 500 } });
    assert.equal(e.status, 201, e.text);
    const s = await fetchJson('POST', `/api/v1/encounters/${e.json.id}/settle`, tok.hospa);
    assert.equal(s.status, 201, s.text);
    confirmed.push({ encounterId: String(e.json.id), settlementId: String(s.json.settlementId) });

    // the books: every confirmed settlement is there and live; the ledger balances; each
    // settlement that paid has one entry with its amounts; accumulators = the sum of live deltas
    const rows = await d.db.selectFrom('settlement').select(['id', 'encounter_id', 'person_id', 'basic_fund_fen', 'critical_illness_fen', 'medical_assistance_fen', 'delta', 'reversed_at']).execute();
    const byId = new Map(rows.map((r) => [String(r.id), r]));
    for (const c of confirmed) {
      const r = byId.get(c.settlementId);
      assert.ok(r && String(r.encounter_id) === c.encounterId && r.reversed_at === null, `confirmed settlement ${c.settlementId} is stored and live`);
    }
    const tb = await trialBalance(d.db);
    assert.equal(tb.balanced, true, JSON.stringify(tb.unbalancedEntries));
    const entries = await d.db
      .selectFrom('journal_entry as j')
      .innerJoin('posting as p', 'p.entry_id', 'j.id')
      .select(['j.source_id', 'p.account', 'p.amount_fen'])
      .where('j.source', '=', 'settlement')
      .execute();
    const paid = new Map<string, number>();
    for (const x of entries) if (x.account === 'basic_fund') paid.set(String(x.source_id), (paid.get(String(x.source_id)) ?? 0) + Number(x.amount_fen));
    for (const r of rows) assert.equal(paid.get(String(r.id)) ?? 0, Number(r.basic_fund_fen), `settlement ${r.id}: its entry debits the basic fund with what it paid`);
    const sums = new Map<string, Accumulators>();
    for (const r of rows) if (r.reversed_at === null) sums.set(String(r.person_id), addAccumulators(sums.get(String(r.person_id)) ?? emptyAccumulators(), { ...emptyAccumulators(), ...(r.delta as Partial<Accumulators>) }));
    const accs = await d.db.selectFrom('accumulator').select(['person_id', 'data']).where('coverage_year', '=', 2022).execute();
    for (const a of accs) assert.deepEqual({ ...emptyAccumulators(), ...(a.data as Partial<Accumulators>) }, sums.get(String(a.person_id)) ?? emptyAccumulators(), `person ${a.person_id}: accumulators = the sum of live settlements`);
    for (const personId of sums.keys()) assert.ok(accs.some((a) => String(a.person_id) === personId), `person ${personId} has an accumulator row`);
  });
});
