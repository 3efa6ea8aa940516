/**
 * POST /api/v1/sim/project over HTTP on both databases: finance may project (sim.run), a clerk
 * may not; the first year a bottom line is crossed cites 鲁医保发〔2022〕24号 九; a bad base is a
 * 400 naming the field; every projection run is audited.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../src/http/server.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { AuthService } from '../src/access/auth.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { listen, logIn, request } from './support/http.ts';

const base = {
  year: 2022,
  balance: '150000000',
  bands: [400, 250, 350, 800, 1500, 2300].map((s, i) => ({ persons: [60000, 40000, 90000, 120000, 60000, 50000][i], spendingPerPerson: s })),
  contributionPerPerson: 350,
  subsidyPerPerson: 610,
};

for (const backend of BACKENDS)
  describe(`fund projection API on ${backend}`, () => {
    let d: TestDatabase;
    let app: FastifyInstance;
    let url = '';
    const tok: Record<string, string> = {};
    before(async () => {
      d = await freshDatabase(backend);
      const auth = new AuthService(d.db);
      await auth.createUser(SYSTEM, { username: 'fin', displayName: '财务', password: 'fin-password-1', role: 'finance' });
      await auth.createUser(SYSTEM, { username: 'clerk1', displayName: '村办', password: 'clerk-password-1', role: 'clerk', villages: ['500230100'] });
      app = await buildServer(QuoteService.load(), { database: d });
      url = await listen(app);
      tok.fin = await logIn(url, 'fin', 'fin-password-1');
      tok.clerk = await logIn(url, 'clerk1', 'clerk-password-1');
    });
    after(async () => {
      await app?.close();
      await d?.drop();
    });

    test('finance projects ten years; the first deficit year cited; audited', async () => {
      const r = await request(url, 'POST', '/api/v1/sim/project', tok.fin, { region: '370000', years: 10, base });
      assert.equal(r.status, 200, r.text);
      const out = r.json as { years: { year: number; surplus: number }[]; firstCrossings: { code: string; year: number; cite: string }[] };
      assert.equal(out.years.length, 10);
      const deficit = out.firstCrossings.find((c) => c.code === 'CURRENT_YEAR_DEFICIT')!;
      assert.equal(deficit.year, out.years.find((y) => y.surplus < 0)!.year);
      assert.equal(deficit.cite, '鲁医保发〔2022〕24号 九');
      const logged = await d.db.selectFrom('audit_log').select(['actor', 'action']).where('action', '=', 'sim.project').execute();
      assert.deepEqual(logged, [{ actor: 'fin', action: 'sim.project' }]);
    });

    test('a clerk may not; a bad base is a 400 naming the field', async () => {
      assert.equal((await request(url, 'POST', '/api/v1/sim/project', tok.clerk, { region: '370000', base })).status, 403);
      const bad = await request(url, 'POST', '/api/v1/sim/project', tok.fin, { region: '370000', base: { ...base, balance: '1.234' } });
      assert.equal(bad.status, 400);
      assert.match(bad.text, /base\.balance/);
      const bands = await request(url, 'POST', '/api/v1/sim/project', tok.fin, { region: '370000', base: { ...base, bands: base.bands.slice(0, 2) } });
      assert.equal(bands.status, 400);
      assert.match(bands.text, /base\.bands/);
      const years = await request(url, 'POST', '/api/v1/sim/project', tok.fin, { region: '370000', years: 0, base });
      assert.equal(years.status, 400);
      assert.match(years.text, /years/);
    });

    test('GET /api/v1/fund/position: finance reads it, a clerk may not, a bad region is a 400 naming it', async () => {
      const r = await request(url, 'GET', '/api/v1/fund/position?region=370000', tok.fin);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json.positions, []);
      assert.equal((await request(url, 'GET', '/api/v1/fund/position?region=370000', tok.clerk)).status, 403);
      const bad = await request(url, 'GET', '/api/v1/fund/position?region=37', tok.fin);
      assert.equal(bad.status, 400);
      assert.match(bad.text, /region/);
    });
  
    test('a base year from a simulated year: the simulation’s figures per person, its balance, the reform run on request; bad input names the field', async () => {
      const sim = await request(url, 'POST', '/api/v1/sim/runs', tok.fin, { region: '500230', year: 2022, persons: 2000, seed: 3, reform: 'chongqing-2022-2023' });
      assert.equal(sim.status, 200, sim.text);
      const s = sim.json.baseline;
      const r = await request(url, 'POST', '/api/v1/sim/project', tok.fin, { region: '370000', years: 5, simulation: sim.json, openingBalance: '100000.00' });
      assert.equal(r.status, 200, r.text);
      const b = r.json.baseFrom;
      assert.equal(b.run, 'baseline');
      assert.equal(b.base.year, 2022);
      assert.equal(Math.round(b.base.balance * 100), 10_000_000 + s.funds.basicFund.incomeFen - s.funds.basicFund.spendingFen);
      assert.deepEqual(b.base.bands.map((x: { persons: number }) => x.persons), s.ageBands.map((x: { enrolled: number }) => x.enrolled));
      assert.equal(Math.round(b.base.subsidyPerPerson * 100), Math.round(s.income.subsidyFen / s.enrolled));
      assert.equal(Math.round(b.base.contributionPerPerson * 100), Math.round((s.income.contributionsFen + s.income.assistanceFen) / s.enrolled));
      assert.equal(r.json.years.length, 5);
      assert.equal(r.json.years[0].year, 2023);
      // the reform run: the higher standard is the contribution per person
      const reform = await request(url, 'POST', '/api/v1/sim/project', tok.fin, { region: '370000', years: 5, simulation: sim.json, use: 'reform' });
      assert.equal(reform.status, 200, reform.text);
      assert.ok(reform.json.baseFrom.base.contributionPerPerson > b.base.contributionPerPerson);
      assert.equal(reform.json.baseFrom.reform, sim.json.reform.name);
      const both = await request(url, 'POST', '/api/v1/sim/project', tok.fin, { region: '370000', simulation: sim.json, base });
      assert.equal(both.status, 400);
      const noBands = await request(url, 'POST', '/api/v1/sim/project', tok.fin, { region: '370000', simulation: { ...sim.json, baseline: { ...s, ageBands: [] } } });
      assert.equal(noBands.status, 400);
      assert.match(noBands.text, /simulation\.baseline\.ageBands/);
      const noReform = await request(url, 'POST', '/api/v1/sim/project', tok.fin, { region: '370000', simulation: { ...sim.json, reform: null }, use: 'reform' });
      assert.equal(noReform.status, 400);
      assert.match(noReform.text, /use/);
    });
  });
