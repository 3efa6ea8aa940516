/**
 * The filing and clearing interfaces of cross-area settlement (issue #20 items 2 and 4) on
 * loopback: two areas in-process on PostgreSQL joined by a real nats-server. 异地就医备案 filed by
 * a clerk of the insured area (丰都县) over HTTP, known in the treating area (渝中区) through its
 * stream, counted by the insured area's settlement, withdrawn as a record of its own; the monthly
 * clearing compared and posted over HTTP and from the CLI, with roles, audit and bad input.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../src/http/server.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { AuthService } from '../src/access/auth.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { AreaService } from '../src/areas/area-service.ts';
import { startNatsNodes, type NatsNodes } from '../src/areas/nats-nodes.ts';
import { withAreas } from '../src/areas/tables.ts';
import { freshDatabase, type TestDatabase } from './support/databases.ts';
import { listen, logIn, request } from './support/http.ts';
import { Hospital, INSURED, TREAT, fee, seedHospital, seedInsured, settle2207 } from './support/areas.ts';

const quotes = QuoteService.load();
const bin = join(import.meta.dirname, '..', 'bin', 'yibao.js');
const PASSWORD = 'areas-test-password-1';

async function until(what: string, f: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('filing and clearing routes and CLI (PostgreSQL, real nats-server)', () => {
  let dir: string;
  let nats: NatsNodes;
  const areas: { d: TestDatabase; svc: AreaService; app: FastifyInstance; base: string }[] = [];
  let a: (typeof areas)[number];
  let b: (typeof areas)[number];
  let his: Hospital;
  let people: string[];
  const tok: Record<string, string> = {};
  let month = '';

  async function area(code: string) {
    const d = await freshDatabase('server');
    let svc: AreaService | undefined;
    const app = await buildServer(quotes, { database: d, away: async (ctx) => (svc = await AreaService.start({ area: code, servers: nats.urls[0]!, timeoutMs: 2000 }, ctx.database, ctx.quotes, ctx.settlements)) });
    const x = { d, svc: svc!, app, base: await listen(app) };
    areas.push(x);
    return x;
  }
  const user = async (x: typeof a, username: string, role: 'admin' | 'clerk' | 'finance' | 'auditor', villages?: string[]) => {
    await new AuthService(x.d.db).createUser(SYSTEM, { username, displayName: username, role, password: PASSWORD, ...(villages ? { villages } : {}) });
    tok[username] = await logIn(x.base, username, PASSWORD);
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'yb-xa-if-'));
    nats = await startNatsNodes({ nodes: 1, dir });
    a = await area(TREAT);
    b = await area(INSURED);
    people = await seedInsured(b.d.db, 2);
    his = new Hospital(a.base, await seedHospital(a.d.db));
    await his.signIn();
    await user(b, 'fd-clerk', 'clerk', ['500230100']);
    await user(b, 'fd-clerk-other', 'clerk', ['500230200']);
    await user(b, 'fd-auditor', 'auditor');
    await user(a, 'yz-finance', 'finance');
    await user(a, 'yz-clerk', 'clerk', ['500103001']);
  });
  after(async () => {
    for (const x of areas) {
      await x.svc.close();
      await x.app.close();
      await x.d.drop();
    }
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const basisOf = async (day: string, mdtrt: string) => {
    const r = await his.post(his.envelope('2207', settle2207(people[0]!, '冉0', mdtrt, [fee(1, 60)], '11', `${day} 09:00:00`)));
    assert.equal(r.infcode, 0, r.err_msg);
    return JSON.parse(r.output.setlinfo.exp_content).basis as { referred: boolean; why: string };
  };

  test('a clerk files 异地就医备案 over HTTP: checked, scoped, audited, known in the treating area, counted; withdrawn as a new record from a day on', async () => {
    const body = { idNumber: people[0], treatArea: TREAT, kind: 'outpatient', validFrom: '2022-03-01', validTo: '2022-12-31', reason: '异地长期居住' };
    // bad input names the field; another village's clerk and the treating area's staff may not
    const bad = await request(b.base, 'POST', '/api/v1/cross-area/filings', tok['fd-clerk'], { ...body, validFrom: '2022-3-1' });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.field, 'validFrom');
    const self = await request(b.base, 'POST', '/api/v1/cross-area/filings', tok['fd-clerk'], { ...body, treatArea: INSURED });
    assert.equal(self.status, 400);
    assert.equal(self.json.field, 'treatArea');
    assert.equal((await request(b.base, 'POST', '/api/v1/cross-area/filings', tok['fd-clerk-other'], body)).status, 403);
    assert.equal((await request(b.base, 'POST', '/api/v1/cross-area/filings', tok['fd-auditor'], body)).status, 403);

    const r = await request(b.base, 'POST', '/api/v1/cross-area/filings', tok['fd-clerk'], body);
    assert.equal(r.status, 200, r.text);
    const id = r.json.filingId as string;
    assert.match(id, /^BA[0-9A-F]{22}$/);
    await until('the filing in the treating area', async () => !!(await withAreas(a.d.db).selectFrom('area_filing').select('filing_id').where('filing_id', '=', id).executeTakeFirst()));
    const audit = await b.d.db.selectFrom('audit_log').select(['actor', 'action', 'detail']).where('entity_id', '=', id).execute();
    assert.deepEqual(audit.map((x) => [x.actor, x.action]), [['fd-clerk', 'xa_filing']]);
    assert.doesNotMatch(JSON.stringify(audit[0]!.detail), new RegExp(people[0]!), 'the ID number is masked in the audit');

    assert.equal((await basisOf('2022-03-16', 'IF01')).referred, true);

    // the list masks ID numbers; the same filing again is one record
    assert.equal((await request(b.base, 'POST', '/api/v1/cross-area/filings', tok['fd-clerk'], body)).status, 200);
    const list = await request(b.base, 'GET', `/api/v1/cross-area/filings?idNumber=${people[0]}`, tok['fd-auditor']);
    assert.equal(list.status, 200);
    assert.equal(list.json.length, 1);
    assert.equal(list.json[0].idNumber, `${people[0]!.slice(0, 6)}********${people[0]!.slice(-4)}`);
    assert.equal(list.json[0].withdrawn, null);

    // withdrawn from 2022-03-20: a new record, sent too; the filing itself unchanged
    const w = await request(b.base, 'POST', `/api/v1/cross-area/filings/${id}/withdrawal`, tok['fd-clerk'], { date: '2022-03-20', reason: '已返回参保地居住' });
    assert.equal(w.status, 200, w.text);
    assert.equal(w.json.withdraws, id);
    assert.match(w.json.filingId, /^BW/);
    assert.equal((await request(b.base, 'POST', `/api/v1/cross-area/filings/${id}/withdrawal`, tok['fd-clerk'], { date: '2022-02-01', reason: 'x' })).json.field, 'date');
    assert.equal((await request(b.base, 'POST', `/api/v1/cross-area/filings/${w.json.filingId}/withdrawal`, tok['fd-clerk'], { date: '2022-04-01', reason: 'x' })).status, 400);
    await until('the withdrawal in the treating area', async () => !!(await withAreas(a.d.db).selectFrom('area_filing').select('filing_id').where('withdraws', '=', id).executeTakeFirst()));
    const after = await request(b.base, 'GET', `/api/v1/cross-area/filings?idNumber=${people[0]}`, tok['fd-auditor']);
    const original = after.json.find((f: { filingId: string }) => f.filingId === id);
    assert.deepEqual(original.withdrawn, { filingId: w.json.filingId, from: '2022-03-20', reason: '已返回参保地居住' });
    assert.equal(original.validTo, '2022-12-31');
    assert.equal((await basisOf('2022-03-18', 'IF02')).referred, true, 'before the withdrawal: filed');
    const late = await basisOf('2022-03-25', 'IF03');
    assert.equal(late.referred, false, 'from the withdrawal on: not filed');
    assert.match(late.why, /未办理异地就医备案/);
  });

  test('the monthly clearing over HTTP: statements made by SQL agree to the fen, compared, posted once in both ledgers; roles and bad input', async () => {
    const claims = await withAreas(a.d.db).selectFrom('area_claim').select(['fund_fen', 'setl_time']).where('state', '=', 'settled').execute();
    const expected = claims.reduce((s, c) => s + Number(c.fund_fen), 0);
    assert.ok(claims.length >= 3 && expected > 0);
    // the month of the settlements (their settlement time in China's time), as the clearing counts them
    month = new Date(new Date(claims[0]!.setl_time!).getTime() + 8 * 3600_000).toISOString().slice(0, 7);
    const fin = tok['yz-finance'];
    assert.equal((await request(a.base, 'GET', `/api/v1/cross-area/clearing/comparison?insuredArea=${INSURED}&month=2022-13`, fin)).json.field, 'month');
    assert.equal((await request(a.base, 'GET', `/api/v1/cross-area/clearing/comparison?insuredArea=${INSURED}&month=${month}`, tok['yz-clerk'])).status, 403);
    const c = await request(a.base, 'GET', `/api/v1/cross-area/clearing/comparison?insuredArea=${INSURED}&month=${month}`, fin);
    assert.equal(c.status, 200, c.text);
    assert.equal(c.json.agree, true);
    assert.deepEqual(c.json.differences, []);
    assert.equal(c.json.mine.totalFen, expected);
    assert.equal(c.json.theirs.totalFen, expected);
    assert.equal(c.json.mine.count, claims.length);
    assert.equal(c.json.posted, null);
    // the insured area's own statement, as it makes it
    const adminB = await new AuthService(b.d.db).createUser(SYSTEM, { username: 'fd-admin', displayName: 'fd-admin', role: 'admin', password: PASSWORD });
    assert.ok(adminB);
    const s = await request(b.base, 'GET', `/api/v1/cross-area/clearing/statement?side=insured&other=${TREAT}&month=${month}`, await logIn(b.base, 'fd-admin', PASSWORD));
    assert.equal(s.status, 200, s.text);
    assert.equal(s.json.digest, c.json.mine.digest);

    const p = await request(a.base, 'POST', '/api/v1/cross-area/clearings', fin, { insuredArea: INSURED, month });
    assert.equal(p.status, 200, p.text);
    const again = await request(a.base, 'POST', '/api/v1/cross-area/clearings', fin, { insuredArea: INSURED, month });
    assert.equal(again.json.entryId, p.json.entryId);
    assert.equal(again.json.theirEntryId, p.json.theirEntryId);
    const sum = async (d: TestDatabase, account: string) => Number((await d.db.selectFrom('posting').select((e) => e.fn.sum<string>('amount_fen').as('s')).where('account', '=', account).executeTakeFirstOrThrow()).s);
    assert.equal(await sum(a.d, 'receivable_areas'), expected);
    assert.equal(await sum(b.d, 'payable_areas'), -expected);
    assert.deepEqual((await a.d.db.selectFrom('audit_log').select('actor').where('action', '=', 'xa_clearing_post').execute()).map((x) => x.actor), ['yz-finance']);
    assert.deepEqual((await b.d.db.selectFrom('audit_log').select('actor').where('action', '=', 'xa_clearing_post').execute()).map((x) => x.actor), [`area:${TREAT}`]);
    const list = await request(a.base, 'GET', '/api/v1/cross-area/clearings', fin);
    assert.equal(list.json.length, 1);
    assert.equal(list.json[0].total, (expected / 100).toFixed(2));
  });

  test('the CLI: filings listed masked, a clearing compared (already posted), bad arguments exit 2 naming the flag', async () => {
    const env = (d: TestDatabase, code: string) => ({ ...process.env, DATABASE_URL: d.where, YIBAO_AREA: code, YIBAO_NATS: nats.urls[0]! });
    // not spawnSync: the insured area answering the CLI's requests runs in this process
    const run = (args: string[], e: NodeJS.ProcessEnv) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((res) => {
        const k = spawn(process.execPath, [bin, ...args], { env: e, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        k.stdout.on('data', (b: Buffer) => (stdout += b));
        k.stderr.on('data', (b: Buffer) => (stderr += b));
        k.once('exit', (status) => res({ status, stdout, stderr }));
      });
    const l = await run(['areas', 'filings', '--id-number', people[0]!], env(b.d, INSURED));
    assert.equal(l.status, 0, l.stderr);
    const rows = JSON.parse(l.stdout);
    assert.equal(rows.length, 2);
    assert.ok(!l.stdout.includes(people[0]!), 'ID numbers masked');
    const c = await run(['areas', 'clearing', '--insured', INSURED, '--month', month], env(a.d, TREAT));
    assert.equal(c.status, 0, c.stderr);
    const cmp = JSON.parse(c.stdout);
    assert.equal(cmp.agree, true);
    assert.ok(cmp.posted);
    const bad = await run(['areas', 'clearing', '--insured', '5002', '--month', month], env(a.d, TREAT));
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--insured/);
    const f = await run(['areas', 'file', '--id-number', people[1]!, '--treat-area', TREAT, '--from', '2022-13-01'], env(b.d, INSURED));
    assert.equal(f.status, 2);
    assert.match(f.stderr, /validFrom/);
  });
});
