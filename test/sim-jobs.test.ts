/**
 * Simulation jobs over HTTP (#17 item 7, the 测算与改革 page's runs): a job started with the body
 * of POST /api/v1/sim/runs reports its progress while it runs and ends with the very simulation
 * the synchronous route gives (the same engine, the same draws); it is the starter's only (another
 * user is told there is none); bad input is a 400 naming the field, at the start or when the
 * engine finds it; a clerk may not start one; a finished job is audited.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../src/http/server.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { AuthService } from '../src/access/auth.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { freshDatabase, type TestDatabase } from './support/databases.ts';
import { listen, logIn, request } from './support/http.ts';

const quotes = QuoteService.load();

describe('simulation jobs', () => {
  let d: TestDatabase;
  let app: FastifyInstance;
  let url = '';
  const tok: Record<string, string> = {};
  before(async () => {
    d = await freshDatabase('pglite');
    const auth = new AuthService(d.db);
    await auth.createUser(SYSTEM, { username: 'pol', displayName: '业务', password: 'pol-password-1', role: 'policy_officer' });
    await auth.createUser(SYSTEM, { username: 'fin', displayName: '财务', password: 'fin-password-1', role: 'finance' });
    await auth.createUser(SYSTEM, { username: 'clerk1', displayName: '村办', password: 'clerk-password-1', role: 'clerk', villages: ['500230100'] });
    app = await buildServer(quotes, { database: d });
    url = await listen(app);
    for (const [u, p] of [['pol', 'pol-password-1'], ['fin', 'fin-password-1'], ['clerk1', 'clerk-password-1']]) tok[u] = await logIn(url, u, p);
  });
  after(async () => {
    await app?.close();
    await d?.drop();
  });

  async function finished(id: string, who = 'pol') {
    const seen: { state: string; percent: number; stage: string | null }[] = [];
    for (;;) {
      const r = await request(url, 'GET', `/api/v1/sim/jobs/${id}`, tok[who]);
      assert.equal(r.status, 200, r.text);
      seen.push({ state: r.json.state, percent: r.json.percent, stage: r.json.stage });
      if (r.json.state !== 'running') return { job: r.json, seen };
      await new Promise((res) => setTimeout(res, 50));
    }
  }

  test('a job ends with the simulation the synchronous route gives, its progress rising to 100; another user sees no such job', async () => {
    const body = { region: '500230', year: 2022, persons: 150_000, seed: 11, reform: 'chongqing-2022-2023' };
    const start = await request(url, 'POST', '/api/v1/sim/jobs', tok.pol, body);
    assert.equal(start.status, 202, start.text);
    assert.equal(start.json.state, 'running');
    assert.match(start.json.id, /^[0-9a-f-]{36}$/);
    assert.equal((await request(url, 'GET', `/api/v1/sim/jobs/${start.json.id}`, tok.fin)).status, 404, 'not the finance user’s job');
    const { job, seen } = await finished(start.json.id);
    assert.equal(job.state, 'done', JSON.stringify(job.error));
    assert.equal(job.percent, 100);
    const percents = seen.map((s) => s.percent);
    assert.deepEqual(percents, [...percents].sort((a, b) => a - b), 'the percent never goes back');
    assert.ok(seen.filter((s) => s.state === 'running').every((s) => s.percent < 100));
    const sync = await request(url, 'POST', '/api/v1/sim/runs', tok.pol, body);
    assert.equal(sync.status, 200, sync.text);
    assert.deepEqual(job.result, sync.json, 'the same engine, the same draws');
    const audited = await d.db.selectFrom('audit_log').select(['detail']).where('action', '=', 'sim.run').execute();
    assert.ok(audited.some((a) => (a.detail as { job?: string }).job === start.json.id), 'the job is audited');
  });

  test('bad input: a 400 naming the field at the start, or from the engine when polled; a clerk may not start one; an unknown job is a 404', async () => {
    const bad = await request(url, 'POST', '/api/v1/sim/jobs', tok.pol, { region: '500230', year: 2022, persons: 0 });
    assert.equal(bad.status, 400, bad.text);
    assert.match(bad.text, /persons/);
    const nopack = await request(url, 'POST', '/api/v1/sim/jobs', tok.pol, { region: '500230', year: 2031, persons: 10 });
    assert.equal(nopack.status, 202, nopack.text);
    let r;
    do {
      await new Promise((res) => setTimeout(res, 50));
      r = await request(url, 'GET', `/api/v1/sim/jobs/${nopack.json.id}`, tok.pol);
    } while (r.status === 200 && r.json.state === 'running');
    assert.equal(r.status, 400, r.text);
    assert.match(r.text, /region/);
    assert.equal((await request(url, 'POST', '/api/v1/sim/jobs', tok.clerk1, { region: '500230', year: 2022, persons: 10 })).status, 403);
    assert.equal((await request(url, 'GET', '/api/v1/sim/jobs/00000000-0000-4000-8000-000000000000', tok.pol)).status, 404);
    assert.equal((await request(url, 'GET', '/api/v1/sim/jobs/not-a-job', tok.pol)).status, 400);
  });
});
