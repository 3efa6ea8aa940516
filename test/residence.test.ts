/**
 * 户籍类型 in the registers and the campaign (issue #13 item 8), on PGlite and on the PostgreSQL
 * server over a real socket: the import column 户籍类型 (good and bad rows, history), the HTTP
 * field `residence` (400 naming it), a 低保 person's waiting period after the window waived only
 * when rural (assessment → payment → the stored quote, as the pure engine answers), the
 * employee-insurance gap from the list's 终止日期, and a stored settlement carrying the quote's
 * warnings (a parent region's pack, a residence assumed).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../src/http/server.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { AuthService } from '../src/access/auth.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { makeIdNumber } from '../src/registers/id-number.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { listen, logIn, request } from './support/http.ts';

const quotes = QuoteService.load();
const V1 = '500230100001';
const GX = '450102001001'; // a village of a Nanning county: Guangxi's pack answers (no pack of its own)
const id = (birth: string, seq: number, region = '500230') => makeIdNumber(region, birth, seq);

for (const backend of BACKENDS)
  describe(`户籍类型 through the registers and the campaign on ${backend}`, () => {
    let d: TestDatabase;
    let app: FastifyInstance;
    let base: string;
    const tok: Record<string, string> = {};
    const ids = {
      rural: id('1980-05-01', 11),
      urban: id('1981-06-02', 21),
      town: id('1982-07-03', 31),
      english: id('1983-08-04', 41),
      unknown: id('1984-09-05', 51),
      bad: id('1985-10-06', 61),
      gap: id('1986-11-07', 71),
      insured: id('1987-12-08', 81),
    };
    const call = (method: string, path: string, who?: string, body?: unknown, headers?: Record<string, string>) => request(base, method, path, who ? tok[who] : undefined, body, headers);
    const personId = async (idNumber: string) => String((await d.db.selectFrom('person').select('id').where('id_number', '=', idNumber).executeTakeFirstOrThrow()).id);
    const enrollmentOf = async (idNumber: string) =>
      d.db.selectFrom('enrollment as e').innerJoin('person as p', 'p.id', 'e.person_id').selectAll('e').where('p.id_number', '=', idNumber).where('e.coverage_year', '=', 2022).executeTakeFirstOrThrow();

    before(async () => {
      d = await freshDatabase(backend);
      await d.db
        .insertInto('admin_area')
        .values([
          { code: '500230', name: '丰都县', level: 'county', parent_code: null, region: '500230' },
          { code: '500230100', name: '兴义镇', level: 'township', parent_code: '500230', region: '500230' },
          { code: V1, name: '一村', level: 'village', parent_code: '500230100', region: '500230' },
          { code: '450102', name: '兴宁区', level: 'county', parent_code: null, region: '450100' },
          { code: '450102001', name: '示例街道', level: 'township', parent_code: '450102', region: '450100' },
          { code: GX, name: '示例社区', level: 'village', parent_code: '450102001', region: '450100' },
        ])
        .execute();
      await d.db.insertInto('hospital').values({ code: 'H45010201', name: '示例医院', level: 'tertiary', region: '450100' }).execute();
      const auth = new AuthService(d.db);
      for (const u of [
        { username: 'admin', role: 'admin' as const },
        { username: 'clerk1', role: 'clerk' as const, villages: [V1] },
      ])
        await auth.createUser(SYSTEM, { username: u.username, displayName: u.username, password: `${u.username}-password`, role: u.role, villages: u.villages });
      app = await buildServer(quotes, { database: d });
      base = await listen(app);
      for (const u of ['admin', 'clerk1']) tok[u] = await logIn(base, u, `${u}-password`);
    });
    after(async () => {
      await app?.close();
      await d?.drop();
    });

    test('import: 户籍类型 as clerks write it; a bad value comes back by line, naming the column; a change is in the history', async () => {
      const file = [
        '身份证号,姓名,村(居)代码,户号,人员类别,户籍类型',
        `${ids.rural},农一,${V1},0001,成年居民,农业`,
        `${ids.urban},城二,${V1},0002,成年居民,非农业`,
        `${ids.town},城三,${V1},0003,成年居民,城镇`,
        `${ids.english},农四,${V1},0004,成年居民,rural`,
        `${ids.unknown},未五,${V1},0005,成年居民,`,
        `${ids.bad},错六,${V1},0006,成年居民,火星`,
        `${ids.gap},断七,${V1},0007,成年居民,农村`,
        `${ids.insured},职八,${V1},0008,成年居民,农村`,
      ].join('\n');
      const r = await call('POST', '/api/v1/imports/persons?fileName=residence.csv', 'clerk1', file, { 'content-type': 'text/csv' });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.inserted, 7);
      assert.equal(r.json.bad, 1);
      assert.deepEqual(r.json.problems.map((p: { line: number; field: string }) => `${p.line}:${p.field}`), ['7:户籍类型']);
      assert.match(r.json.problems[0].reason, /火星.*not a residence type/);
      const stored = Object.fromEntries((await d.db.selectFrom('person').select(['id_number', 'residence']).execute()).map((p) => [p.id_number, p.residence]));
      assert.deepEqual(
        [ids.rural, ids.urban, ids.town, ids.english, ids.unknown].map((x) => stored[x]),
        ['rural', 'urban', 'urban', 'rural', null],
      );
      assert.equal(stored[ids.bad], undefined, 'the bad row is not written');

      const view = await call('GET', `/api/v1/persons/${await personId(ids.urban)}`, 'clerk1');
      assert.equal(view.json.residence, 'urban');
      assert.equal(view.json.residenceLabel, '城镇');

      // the same file with 城镇 → 农业 for one person: one update, kept in the history
      const again = await call('POST', '/api/v1/imports/persons', 'clerk1', file.replace(`0003,成年居民,城镇`, `0003,成年居民,农业`), { 'content-type': 'text/csv' });
      assert.equal(again.json.updated, 1, again.text);
      assert.equal(again.json.inserted, 0);
      const hist = await call('GET', `/api/v1/persons/${await personId(ids.town)}/history`, 'clerk1');
      assert.deepEqual(hist.json.map((h: { before: { residence?: string } | null; after: { residence: string } }) => [h.before?.residence ?? null, h.after.residence]), [
        [null, 'urban'],
        ['urban', 'rural'],
      ]);
      // a file without the column keeps what is stored
      const without = await call('POST', '/api/v1/imports/persons', 'clerk1', `身份证号,姓名,村(居)代码,户号,人员类别\n${ids.town},城三,${V1},0003,成年居民\n`, { 'content-type': 'text/csv' });
      assert.equal(without.json.unchanged, 1, without.text);
    });

    test('HTTP: residence on create and update, 400 naming residence when it is neither', async () => {
      const body = { idNumber: id('1990-01-01', 91), name: '新九', villageCode: V1, kind: 'adult' };
      const bad = await call('POST', '/api/v1/persons', 'clerk1', { ...body, residence: '火星' });
      assert.equal(bad.status, 400);
      assert.equal(bad.json.field, 'residence');
      const made = await call('POST', '/api/v1/persons', 'clerk1', { ...body, residence: '非农业' });
      assert.equal(made.status, 201, made.text);
      assert.equal(made.json.residence, 'urban');
      const badPatch = await call('PATCH', `/api/v1/persons/${made.json.id}`, 'clerk1', { version: made.json.version, residence: 'mars' });
      assert.equal(badPatch.status, 400);
      assert.equal(badPatch.json.field, 'residence');
      const patched = await call('PATCH', `/api/v1/persons/${made.json.id}`, 'clerk1', { version: made.json.version, residence: '农村' });
      assert.equal(patched.status, 200, patched.text);
      assert.equal(patched.json.residence, 'rural');
      assert.deepEqual(patched.json.changed, ['residence']);
      const cleared = await call('PATCH', `/api/v1/persons/${made.json.id}`, 'clerk1', { version: patched.json.version, residence: null });
      assert.equal(cleared.json.residence, null);
      const hist = await call('GET', `/api/v1/persons/${made.json.id}/history`, 'clerk1');
      assert.deepEqual(hist.json.map((h: { after: { residence: string | null } }) => h.after.residence), ['urban', 'rural', null]);
    });

    test('campaign: a 低保 person paying after the window waits 90 days unless rural (农村低收入人口); the stored quote is the engine’s', async () => {
      for (const who of [ids.rural, ids.urban, ids.unknown]) {
        const s = await call('POST', `/api/v1/persons/${await personId(who)}/statuses`, 'clerk1', { status: 'dibao', validFrom: '2021-01-01' });
        assert.equal(s.status, 201, s.text);
      }
      // the employee-insurance list: one insured all year (a duplicate), one whose insurance ended on 15 March
      const list = `身份证号,年度,终止日期\n${ids.insured},2022,\n${ids.gap},2022,2022-03-15\n${ids.rural},2022,2022-3-15x\n`;
      const el = await call('POST', '/api/v1/imports/employee-insurance?source=职工库', 'admin', list, { 'content-type': 'text/csv' });
      assert.equal(el.status, 200, el.text);
      assert.deepEqual([el.json.added, el.json.bad, el.json.problems[0].field], [2, 1, '终止日期']);
      const assess = await call('POST', '/api/v1/campaigns/2022/assess', 'admin', {});
      assert.equal(assess.status, 200, assess.text);
      assert.equal((await enrollmentOf(ids.insured)).state, 'blocked');
      assert.equal((await enrollmentOf(ids.gap)).state, 'assessed', 'employee insurance that ended is no duplicate');

      const paidOn = '2022-04-10'; // after the pack's enrollment window
      const expected = (residence?: 'rural' | 'urban') =>
        quotes.contribution({ region: '500230', coverageYear: 2022, tier: 'tier1', person: { birthDate: '1980-05-01', kind: 'adult', statuses: ['dibao'], ...(residence ? { residence } : {}) }, paidOn, trace: false });
      const pay = async (idNumber: string, ref: string, on = paidOn) => {
        const e = await enrollmentOf(idNumber);
        const r = await call('POST', '/api/v1/payments', 'clerk1', { reference: ref, channel: 'online', enrollmentId: String(e.id), amountYuan: Number(e.due_fen) / 100, paidOn: on });
        assert.equal(r.status, 201, r.text);
        return enrollmentOf(idNumber);
      };
      const rural = await pay(ids.rural, 'R-1');
      const urban = await pay(ids.urban, 'U-1');
      const unknown = await pay(ids.unknown, 'N-1');
      assert.equal(expected('rural').waitingDays, 0);
      assert.equal(expected('urban').waitingDays, 90);
      assert.deepEqual([rural.waiting_days, rural.benefit_start], [0, paidOn], 'rural 低保: 农村低收入人口, no waiting period');
      assert.deepEqual([urban.waiting_days, urban.benefit_start], [90, expected('urban').benefitPeriod!.start], 'urban 低保: not 农村低收入人口, the 90 days');
      assert.equal(unknown.waiting_days, 0, 'unknown: the pack assumes rural');
      const req = (e: { quote: unknown }) => (e.quote as { request: { person: { residence?: string }; enrolledOn?: string; paidOn?: string } }).request;
      assert.equal(req(rural).person.residence, 'rural');
      assert.equal(req(urban).person.residence, 'urban');
      assert.equal(req(unknown).person.residence, undefined);
      assert.equal(req(urban).enrolledOn, paidOn, 'enrolled by the payment');
      // the stored quote is what the engine answers on the stored request, warnings included
      for (const e of [rural, urban, unknown]) {
        const a = quotes.contribution({ ...req(e), trace: false });
        assert.deepEqual([a.waitingDays, a.individualDue], [e.waiting_days, Number(e.due_fen) / 100]);
      }
      const view = async (e: { id: unknown }) => (await call('GET', `/api/v1/enrollments/${e.id}`, 'clerk1')).json.quote;
      const uv = await view(unknown);
      assert.deepEqual(uv.warnings.map((w: { code: string }) => w.code), ['RESIDENCE_ASSUMED'], 'the answer says it assumed the residence');
      assert.equal((await view(rural)).warnings.length, 0);

      // the employee-insurance gap: paying within 3 months of 15 March, no waiting period (兴义府发〔2022〕3号 四(三))
      const gap = await pay(ids.gap, 'G-1', '2022-06-15');
      assert.deepEqual(req(gap).person.residence, 'rural');
      assert.deepEqual((gap.quote as { request: { previousCoverage?: unknown } }).request.previousCoverage, { scheme: 'employee', endedOn: '2022-03-15' });
      assert.deepEqual([gap.waiting_days, gap.benefit_start], [0, '2022-06-15']);
    });

    test('settlement: the registers’ residence reaches the engine, and the stored answer carries the quote’s warnings', async () => {
      const persons: Record<string, string> = {};
      for (const [key, residence, seq] of [['urban', 'urban', 1], ['unknown', null, 2]] as const) {
        const p = await d.db
          .insertInto('person')
          .values({ id_number: id('1970-01-01', seq, '450102'), name: `桂${seq}`, gender: 'male', birth_date: '1970-01-01', village_code: GX, kind: 'adult', residence })
          .returning('id')
          .executeTakeFirstOrThrow();
        persons[key] = String(p.id);
        await d.db.insertInto('enrollment').values({ person_id: p.id, coverage_year: 2022, region: '450100', pack: '450000/2022', tier: null, state: 'paid', standard_fen: 32000, quote: JSON.stringify({}), benefit_start: '2022-01-01', benefit_end: '2022-12-31' }).execute();
        await d.db.insertInto('needy_status').values({ person_id: p.id, status: 'dibao', source: 'civil_affairs', valid_from: '2021-01-01', valid_to: null }).execute();
      }
      const costs = { total: 100000, fullOwnPay: 0, overLimitSelfPay: 0, preSelfPay: 0, inScope: 100000 };
      const settle = async (key: string) => {
        const e = await call('POST', '/api/v1/encounters', 'admin', { hospitalCode: 'H45010201', personId: persons[key], coverageYear: 2022, type: 'inpatient', date: '2022-05-01', costs });
        assert.equal(e.status, 201, e.text);
        const s = await call('POST', `/api/v1/encounters/${e.json.id}/settle`, 'admin');
        assert.equal(s.status, 201, s.text);
        return s.json;
      };
      const pure = (residence?: string) =>
        quotes.settlement({ region: '450100', coverageYear: 2022, person: { statuses: ['dibao'], benefitPeriod: { start: '2022-01-01', end: '2022-12-31' }, ...(residence ? { residence } : {}) }, encounter: { type: 'inpatient', date: '2022-05-01', hospitalLevel: 'tertiary', location: 'in_area', costs } });
      const urban = await settle('urban');
      const unknown = await settle('unknown');
      assert.equal(urban.criticalIllness, pure('urban').criticalIllness, 'an urban 低保 person: no 大病 倾斜');
      assert.notEqual(urban.criticalIllness, pure('rural').criticalIllness);
      assert.equal(unknown.criticalIllness, pure().criticalIllness);
      assert.deepEqual(urban.warnings.map((w: { code: string }) => w.code), ['PACK_OF_PARENT_REGION']);
      assert.deepEqual(unknown.warnings, pure().warnings);
      assert.deepEqual(unknown.warnings.map((w: { code: string }) => w.code), ['PACK_OF_PARENT_REGION', 'RESIDENCE_ASSUMED']);
      // as stored
      const row = await d.db.selectFrom('settlement').select('result').where('person_id', '=', persons.unknown).executeTakeFirstOrThrow();
      assert.deepEqual((row.result as { warnings: unknown }).warnings, pure().warnings);
    });
  });
