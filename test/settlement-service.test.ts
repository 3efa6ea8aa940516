/**
 * Over 500 lines, on purpose: one suite per backend shares one seeded town and server, so its cases run
 * against the same accumulators in order; split, each part would seed and start its own.
 *
 * The settlement service and fund ledger over HTTP, on PGlite and on the PostgreSQL server:
 * settlements equal the pure engine's answers, a hospital touches only its own encounters,
 * concurrent settlements of one person never break an annual limit, reversal restores the
 * accumulators exactly and settles later encounters again, and the ledger balances.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { buildServer } from '../src/http/server.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { AuthService } from '../src/access/auth.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { post, UnbalancedEntryError } from '../src/ledger/ledger.ts';
import { SettlementService } from '../src/settlement/settlement-service.ts';
import { addAccumulators, emptyAccumulators, type Accumulators } from '../src/rules/settlement/input.ts';
import { checkChar, makeIdNumber } from '../src/registers/id-number.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { listen, request } from './support/http.ts';

const quotes = QuoteService.load();
/**
 * Statements of this database waiting for a lock. From pg_locks: the connections run as the
 * service's role (yibao_app), to which pg_stat_activity shows no wait events of other sessions.
 */
const WAITING_ON_LOCKS =
  'SELECT count(DISTINCT l.pid)::int AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE NOT l.granted AND a.datname = current_database()';

const idNumberOf = (birth: string, seq: number): string => makeIdNumber('500230', birth, seq);

test('the test helper computes GB 11643 check characters', () => {
  assert.equal(checkChar('11010519491231002'), 'X'); // the standard's own example
  assert.equal(checkChar('44052418800101001'), '4');
});

const VILLAGE = '500230100001';
const HA = 'H500230001';
const HB = 'H500230002';
const PERIOD = { start: '2022-01-01', end: '2022-12-31' };

interface Enc {
  type: 'inpatient' | 'general_outpatient' | 'chronic_special_outpatient';
  date: string;
  inScope: number;
  fullOwnPay?: number;
  disease?: string;
}
const costsOf = (e: Enc) => {
  const f = e.fullOwnPay ?? 0;
  return { total: Math.round((e.inScope + f) * 100) / 100, fullOwnPay: f, overLimitSelfPay: 0, preSelfPay: 0, inScope: e.inScope };
};

const fenOf = (a: Record<string, unknown>): Accumulators => {
  const out = emptyAccumulators();
  for (const [k, v] of Object.entries(a)) {
    if (k === 'chronicPaid') out.chronicPaid = Object.fromEntries(Object.entries(v as Record<string, number>).map(([c, y]) => [c, Math.round(y * 100)]));
    else (out as unknown as Record<string, number>)[k] = k === 'inpatientAdmissions' ? (v as number) : Math.round((v as number) * 100);
  }
  return out;
};

for (const backend of BACKENDS)
  describe(`settlement service on ${backend}`, () => {
    let d: TestDatabase;
    let app: FastifyInstance;
    let base: string;
    const tok: Record<string, string> = {};
    let seq = 0;

    /** A person in 丰都县 with (optionally) an enrollment for 2022 in the given state and needy statuses from 2021. */
    async function person(opts: { statuses?: string[]; state?: 'paid' | 'assessed' | null; tier?: 'tier1' | 'tier2' } = {}) {
      seq += 1;
      const idNumber = idNumberOf('1980-05-01', seq);
      const p = await d.db
        .insertInto('person')
        .values({ id_number: idNumber, name: `测试${seq}号`, gender: 'male', birth_date: '1980-05-01', village_code: VILLAGE, kind: 'adult' })
        .returning('id')
        .executeTakeFirstOrThrow();
      const state = opts.state === undefined ? 'paid' : opts.state;
      if (state)
        await d.db
          .insertInto('enrollment')
          .values({
            person_id: p.id,
            coverage_year: 2022,
            region: '500230',
            pack: '500230/2022',
            tier: opts.tier ?? 'tier1',
            state,
            standard_fen: 32000,
            quote: JSON.stringify({}),
            benefit_start: state === 'paid' ? PERIOD.start : null,
            benefit_end: state === 'paid' ? PERIOD.end : null,
          })
          .execute();
      for (const s of opts.statuses ?? [])
        await d.db.insertInto('needy_status').values({ person_id: p.id, status: s, source: 'civil_affairs', valid_from: '2021-01-01', valid_to: null }).execute();
      return { id: String(p.id), idNumber, statuses: opts.statuses ?? [], tier: opts.tier ?? 'tier1' };
    }
    type Person = Awaited<ReturnType<typeof person>>;

    const call = (method: string, path: string, token?: string, body?: unknown) => request(base, method, path, token, body);
    const encounter = async (p: Person, e: Enc, hospital = HA, token = tok.hospA) => {
      const r = await call('POST', '/api/v1/encounters', token, { idNumber: p.idNumber, coverageYear: 2022, type: e.type, date: e.date, costs: costsOf(e), ...(e.disease ? { disease: e.disease } : {}), ...(hospital !== HA || token === tok.admin ? { hospitalCode: hospital } : {}) });
      assert.equal(r.status, 201, JSON.stringify(r.json));
      return r.json.id as string;
    };
    const settle = async (encounterId: string, token = tok.hospA) => call('POST', `/api/v1/encounters/${encounterId}/settle`, token);
    /** The pure engine's answer for the same encounter and accumulators (HA is secondary, HB primary). */
    const quote = (p: Person, e: Enc, accumulators?: Record<string, unknown>, level = 'secondary') =>
      quotes.settlement({
        region: '500230',
        coverageYear: 2022,
        tier: p.tier,
        person: { statuses: p.statuses, benefitPeriod: PERIOD },
        encounter: { type: e.type, date: e.date, hospitalLevel: level, costs: costsOf(e), ...(e.disease ? { disease: e.disease } : {}) },
        ...(accumulators ? { accumulators } : {}),
      });
    const strip = (s: Record<string, unknown>) => {
      const { settlementId: _s, encounterId: _e, personId: _p, hospitalCode: _h, ...rest } = s;
      return rest;
    };
    /** The stored settlements are what settling their encounters one after the other, in settlement order, gives, and end at the stored accumulators. */
    const assertSettledInOrder = (p: Person, rows: { encounter_id: unknown; basic_fund_fen: unknown }[], encounterOf: Map<string, Enc>, accumulators: Accumulators, level?: string) => {
      let before: Record<string, unknown> | undefined;
      for (const r of rows) {
        const q = quote(p, encounterOf.get(String(r.encounter_id))!, before, level);
        assert.equal(Math.round(q.basicFund * 100), Number(r.basic_fund_fen));
        before = q.accumulators.after;
      }
      assert.deepEqual(fenOf(before!), accumulators);
    };
    const accumulatorsIn = async (personId: string): Promise<{ data: Accumulators; version: number } | undefined> => {
      const r = await d.db.selectFrom('accumulator').select(['data', 'version']).where('person_id', '=', personId).where('coverage_year', '=', 2022).executeTakeFirst();
      return r ? { data: { ...emptyAccumulators(), ...(r.data as Partial<Accumulators>) }, version: r.version } : undefined;
    };

    before(async () => {
      d = await freshDatabase(backend);
      await d.db
        .insertInto('admin_area')
        .values([
          { code: '500230', name: '丰都县', level: 'county', parent_code: null, region: '500230' },
          { code: '500230100', name: '兴义镇', level: 'township', parent_code: '500230', region: '500230' },
          { code: VILLAGE, name: '兴义村', level: 'village', parent_code: '500230100', region: '500230' },
        ])
        .execute();
      await d.db
        .insertInto('hospital')
        .values([
          { code: HA, name: '丰都县人民医院', level: 'secondary', region: '500230' },
          { code: HB, name: '兴义镇卫生院', level: 'primary', region: '500230' },
        ])
        .execute();
      const auth = new AuthService(d.db);
      const users = [
        { username: 'admin', role: 'admin' as const },
        { username: 'auditor', role: 'auditor' as const },
        { username: 'officer', role: 'policy_officer' as const },
        { username: 'clerk', role: 'clerk' as const, villages: ['500230100'] },
        { username: 'hospa', role: 'hospital' as const, hospitalCode: HA },
        { username: 'hospb', role: 'hospital' as const, hospitalCode: HB },
      ];
      for (const u of users) await auth.createUser(SYSTEM, { ...u, displayName: u.username, password: `${u.username}-password-1` });
      for (const u of users) tok[u.username === 'hospa' ? 'hospA' : u.username === 'hospb' ? 'hospB' : u.username] = (await auth.login(u.username, `${u.username}-password-1`)).token;
      app = await buildServer(quotes, { database: d });
      base = await listen(app);
    });
    after(async () => {
      await app?.close();
      await d?.drop();
    });

    test('an encounter is recorded with its fees split as the quote splits them; bad input names the field', async () => {
      const p = await person();
      const body = {
        idNumber: p.idNumber,
        coverageYear: 2022,
        type: 'inpatient',
        date: '2022-03-01',
        externalId: 'MDTRT-1',
        fees: [
          { catalogClass: '甲', amount: 20000 },
          { catalogClass: '乙', amount: 10000, selfPayRatio: '10%' },
          { catalogClass: '丙', amount: 1500 },
          { catalogClass: 'A', amount: 900, quantity: 3, unitPrice: 300, priceLimit: 250 },
        ],
      };
      const r = await call('POST', '/api/v1/encounters', tok.hospA, body);
      assert.equal(r.status, 201, JSON.stringify(r.json));
      assert.equal(r.json.hospitalCode, HA);
      assert.equal(r.json.personId, p.id);
      assert.deepEqual(r.json.costs, { total: 32400, fullOwnPay: 1500, overLimitSelfPay: 150, preSelfPay: 1000, inScope: 29750 });
      assert.equal(r.json.lines.length, 4);
      assert.match(r.json.person.idNumber, /\*{8}/, 'the ID number is masked');
      assert.equal(r.json.settlement, null);
      // the same hospital's id twice
      const dup = await call('POST', '/api/v1/encounters', tok.hospA, body);
      assert.equal(dup.status, 409);
      assert.equal(dup.json.error, 'DUPLICATE_ENCOUNTER');
      // by person id, by an admin for a hospital
      const byId = await call('POST', '/api/v1/encounters', tok.admin, { personId: p.id, hospitalCode: HB, coverageYear: 2022, type: 'general_outpatient', date: '2022-03-02', costs: costsOf({ type: 'general_outpatient', date: '', inScope: 80 }) });
      assert.equal(byId.status, 201, JSON.stringify(byId.json));
      assert.equal(byId.json.hospitalCode, HB);
      // issue #11 item 8: a hospital cannot make someone its patient by a bare (guessable) record id
      const other = await person();
      const harvest = await call('POST', '/api/v1/encounters', tok.hospA, { personId: other.id, coverageYear: 2022, type: 'general_outpatient', date: '2022-03-03', costs: costsOf({ type: 'general_outpatient', date: '', inScope: 80 }) });
      assert.equal(harvest.status, 400, JSON.stringify(harvest.json));
      assert.equal(harvest.json.field, 'personId');
      // … but may name a patient it already has a visit with
      const known = await call('POST', '/api/v1/encounters', tok.hospA, { personId: p.id, coverageYear: 2022, type: 'general_outpatient', date: '2022-03-04', costs: costsOf({ type: 'general_outpatient', date: '', inScope: 80 }) });
      assert.equal(known.status, 201, JSON.stringify(known.json));

      const bad: [Record<string, unknown>, string][] = [
        [{ ...body, externalId: undefined, fees: [{ catalogClass: '甲', amount: -1 }] }, 'fees.0.amount'],
        [{ ...body, externalId: undefined, fees: [{ catalogClass: '乙', amount: 10.001 }] }, 'fees.0.amount'],
        [{ ...body, externalId: undefined, fees: [{ catalogClass: '甲', amount: 10, selfPayRatio: '10%' }] }, 'fees.0.selfPayRatio'],
        [{ ...body, externalId: undefined, costs: { total: 1, fullOwnPay: 0, overLimitSelfPay: 0, preSelfPay: 0, inScope: 1 } }, 'costs'],
        [{ ...body, externalId: undefined, fees: undefined, costs: { total: 2, fullOwnPay: 0, overLimitSelfPay: 0, preSelfPay: 0, inScope: 1 } }, 'costs.total'],
        [{ ...body, externalId: undefined, fees: undefined }, 'fees'],
        [{ ...body, idNumber: undefined }, 'idNumber'],
        [{ ...body, personId: p.id }, 'personId'],
        [{ ...body, idNumber: '500230198005019990' }, 'idNumber'],
        [{ ...body, idNumber: '12345' }, 'idNumber'],
        [{ ...body, date: '2022-02-30' }, 'date'],
        [{ ...body, type: 'dental' }, 'type'],
        [{ ...body, type: 'maternity' }, 'setting'],
        [{ ...body, type: 'chronic_special_outpatient' }, 'disease'],
        [{ ...body, coverageYear: 2030 }, 'coverageYear'],
        [{ ...body, hospitalLevel: 'tertiary' }, 'hospitalLevel'],
        [{ ...body, hospitalCode: 'NOPE' }, 'hospitalCode'],
      ];
      for (const [b, field] of bad) {
        const res = await call('POST', '/api/v1/encounters', b === bad[16][0] ? tok.admin : tok.hospA, b);
        assert.equal(res.status, 400, `${field}: ${JSON.stringify(res.json)}`);
        assert.equal(res.json.field, field, JSON.stringify(res.json));
      }
      assert.equal((await call('POST', '/api/v1/encounters', tok.admin, { ...body, externalId: 'X' })).json.field, 'hospitalCode', 'an admin must say which hospital');
      assert.equal((await call('POST', '/api/v1/encounters', tok.hospA, [])).status, 400);
      // wrong role or another hospital
      assert.equal((await call('POST', '/api/v1/encounters', tok.hospA, { ...body, hospitalCode: HB })).status, 403);
      for (const who of ['auditor', 'officer', 'clerk']) assert.equal((await call('POST', '/api/v1/encounters', tok[who], { ...body, hospitalCode: HA })).status, 403, who);
      assert.equal((await call('POST', '/api/v1/encounters', undefined, body)).status, 401);
      const n = await d.db.selectFrom('encounter').select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow();
      assert.equal(Number(n.n), 3, 'nothing half-written (the two above and the known patient’s)');
      const logged = await d.db.selectFrom('audit_log').select('entity_id').where('entity', '=', 'encounter').where('action', '=', 'create').execute();
      assert.equal(logged.length, 3);
    });

    test('settling over HTTP gives the pure engine’s answer; settling twice is 409 ALREADY_SETTLED', async () => {
      const p = await person({ statuses: ['dibao'] });
      const e1: Enc = { type: 'inpatient', date: '2022-03-01', inScope: 10000, fullOwnPay: 500 };
      const e2: Enc = { type: 'inpatient', date: '2022-05-01', inScope: 30000 };
      const id1 = await encounter(p, e1);
      const id2 = await encounter(p, e2);
      const s1 = await settle(id1);
      assert.equal(s1.status, 201, JSON.stringify(s1.json));
      const q1 = quote(p, e1);
      assert.deepEqual(strip(s1.json), q1);
      assert.equal(s1.json.basicFund, 6650);
      assert.ok(s1.json.medicalAssistance > 0, 'dibao: medical assistance pays');
      assert.ok(s1.json.trace.length > 3);
      const s2 = await settle(id2);
      assert.equal(s2.status, 201);
      assert.deepEqual(strip(s2.json), quote(p, e2, q1.accumulators.after));
      assert.equal(s2.json.accumulators.after.inpatientAdmissions, 2);

      const again = await settle(id1);
      assert.equal(again.status, 409);
      assert.equal(again.json.error, 'ALREADY_SETTLED');
      // at once: one wins, the other is refused
      const id3 = await encounter(p, { type: 'general_outpatient', date: '2022-06-01', inScope: 50 });
      const both = await Promise.all([settle(id3), settle(id3), settle(id3)]);
      assert.deepEqual(both.map((r) => r.status).sort(), [201, 409, 409]);
      assert.deepEqual(both.filter((r) => r.status === 409).map((r) => r.json.error), ['ALREADY_SETTLED', 'ALREADY_SETTLED']);

      const acc = await call('GET', `/api/v1/persons/${p.id}/accumulators?year=2022`, tok.hospA);
      assert.equal(acc.status, 200);
      const won = both.find((r) => r.status === 201)!;
      assert.deepEqual(acc.json.accumulators, won.json.accumulators.after);
      assert.equal(acc.json.version, 3);
      const stored = await accumulatorsIn(p.id);
      assert.deepEqual(stored!.data, fenOf(won.json.accumulators.after));

      const enc = await call('GET', `/api/v1/encounters/${id1}`, tok.hospA);
      assert.equal(enc.status, 200);
      assert.equal(enc.json.settlement.id, s1.json.settlementId);
      const one = await call('GET', `/api/v1/settlements/${s1.json.settlementId}`, tok.auditor);
      assert.equal(one.status, 200);
      assert.deepEqual(one.json.result, strip(s1.json));
      assert.equal((await call('GET', '/api/v1/settlements/999999', tok.admin)).status, 404);
      assert.equal((await call('POST', '/api/v1/encounters/999999/settle', tok.admin)).status, 404);
      assert.equal((await call('POST', '/api/v1/encounters/abc/settle', tok.admin)).json.field, 'id');
      assert.equal((await call('POST', `/api/v1/encounters/${id1}/settle`, tok.admin, { trace: 'yes' })).json.field, 'trace');
      assert.equal((await call('GET', `/api/v1/persons/${p.id}/accumulators`, tok.admin)).json.field, 'year');

      const audited = await d.db.selectFrom('audit_log').select(['actor', 'detail']).where('action', '=', 'settle').where('entity_id', '=', s1.json.settlementId).execute();
      assert.equal(audited.length, 1);
      assert.equal(audited[0].actor, 'hospa');
    });

    test('a hospital sees and settles only its own encounters; an auditor reads but cannot settle', async () => {
      const p = await person();
      const e: Enc = { type: 'inpatient', date: '2022-04-01', inScope: 5000 };
      const idA = await encounter(p, e);
      const idA2 = await encounter(p, { ...e, date: '2022-04-05' });
      // hospital B: neither read nor settle hospital A's encounter
      assert.equal((await call('GET', `/api/v1/encounters/${idA}`, tok.hospB)).status, 403);
      assert.equal((await settle(idA, tok.hospB)).status, 403);
      assert.equal((await call('GET', `/api/v1/persons/${p.id}/accumulators?year=2022`, tok.hospB)).status, 403);
      // the auditor and the policy officer read; they cannot settle
      assert.equal((await settle(idA, tok.auditor)).status, 403);
      assert.equal((await settle(idA, tok.officer)).status, 403);
      assert.equal((await settle(idA, tok.clerk)).status, 403);
      assert.equal((await settle(idA)).status, 201);
      assert.equal((await settle(idA2, tok.admin)).status, 201, 'an admin may settle any hospital’s encounter');
      const live = await call('GET', `/api/v1/settlements?person=${p.id}&year=2022`, tok.auditor);
      assert.equal(live.status, 200);
      assert.equal(live.json.settlements.length, 2);
      const sid = live.json.settlements[0].id;
      assert.match(live.json.settlements[0].person.idNumber, /^500230\*+\d{3}[\dX]$/);
      assert.match(live.json.settlements[0].person.name, /\*/);
      assert.equal((await call('GET', `/api/v1/settlements/${sid}`, tok.hospB)).status, 403);
      assert.equal((await call('POST', `/api/v1/settlements/${sid}/reverse`, tok.hospB)).status, 403);
      assert.equal((await call('POST', `/api/v1/settlements/${sid}/reverse`, tok.auditor)).status, 403);
      assert.equal((await call('GET', `/api/v1/settlements?hospital=${HA}`, tok.hospB)).status, 403);
      assert.equal((await call('GET', '/api/v1/settlements', tok.clerk)).status, 403);
      const mineB = await call('GET', `/api/v1/settlements?person=${p.id}`, tok.hospB);
      assert.equal(mineB.status, 200);
      assert.deepEqual(mineB.json.settlements, [], 'hospital B sees none of hospital A’s settlements');
      const mineA = await call('GET', `/api/v1/settlements?person=${p.id}`, tok.hospA);
      assert.equal(mineA.json.settlements.length, 2);
      assert.equal((await call('GET', `/api/v1/persons/${p.id}/accumulators?year=2022`, tok.hospA)).status, 200);
      assert.equal((await call('GET', '/api/v1/settlements?year=abc', tok.admin)).json.field, 'year');
      assert.equal((await call('GET', '/api/v1/settlements?nope=1', tok.admin)).json.field, 'nope');
      // ledger: read by admin, policy officer, auditor only
      for (const who of ['hospA', 'clerk']) {
        assert.equal((await call('GET', '/api/v1/ledger/balances', tok[who])).status, 403, who);
        assert.equal((await call('GET', '/api/v1/ledger/entries', tok[who])).status, 403, who);
      }
      assert.equal((await call('GET', '/api/v1/ledger/balances')).status, 401);
      for (const who of ['admin', 'officer', 'auditor']) assert.equal((await call('GET', '/api/v1/ledger/balances', tok[who])).status, 200, who);
      // the routes are in the OpenAPI document
      const doc = (await fetch(`${base}/docs/json`).then((r) => r.json())) as { paths: Record<string, unknown> };
      for (const path of ['/api/v1/encounters', '/api/v1/encounters/{id}/settle', '/api/v1/settlements/{id}/reverse', '/api/v1/persons/{id}/accumulators', '/api/v1/ledger/balances', '/api/v1/ledger/entries'])
        assert.ok(doc.paths[path], path);
    });

    test('a person not enrolled, or enrolled but not paid, is settled as cash: NOT_ENROLLED, no ledger entry', async () => {
      for (const state of [null, 'assessed'] as const) {
        const p = await person({ state, statuses: ['dibao'] });
        const id = await encounter(p, { type: 'inpatient', date: '2022-03-01', inScope: 8000 });
        const s = await settle(id);
        assert.equal(s.status, 201, JSON.stringify(s.json));
        assert.equal(s.json.cashReason.code, 'NOT_ENROLLED');
        assert.equal(s.json.fundTotal, 0);
        assert.equal(s.json.personalCash, 8000);
        assert.deepEqual(s.json.accumulators.after, s.json.accumulators.before);
        const entries = await d.db.selectFrom('journal_entry').select('id').where('source', '=', 'settlement').where('source_id', '=', s.json.settlementId).execute();
        assert.equal(entries.length, 0);
      }
    });

    test('50 settlements of one person at once, through two services, never break an annual limit; the accumulators are the sum of the deltas', async (t) => {
      if (backend === 'server') assert.ok((d.pool.options.max ?? 0) >= 10, 'a pool of at least 10 connections');
      const p = await person();
      const encs: Enc[] = [];
      for (let i = 0; i < 25; i++) encs.push({ type: 'inpatient', date: `2022-${String(2 + (i % 10)).padStart(2, '0')}-${String(1 + i).padStart(2, '0')}`, inScope: 10000 });
      for (let i = 0; i < 25; i++) encs.push({ type: 'general_outpatient', date: `2022-03-${String(1 + i).padStart(2, '0')}`, inScope: 100 });
      const ids = await Promise.all(encs.map((e) => encounter(p, e, HB, tok.hospB)));
      const byEncounter = new Map(ids.map((id, i) => [id, encs[i]]));
      // Half over HTTP (the server's own service), half through a second service on the same
      // database, as a second server process would: the two race for the person's row. On the
      // server, the person's accumulator row is held (inserted, not committed) in another
      // connection until both services are waiting for it. (PGlite has one connection.)
      const other = new SettlementService(d, quotes);
      const actorB = { userId: '0', username: 'hospb', role: 'hospital' as const, villages: [], hospitalCode: HB };
      const holder = backend === 'server' ? await d.pool.connect() : null;
      if (holder) {
        await holder.query('BEGIN');
        await holder.query("INSERT INTO accumulator (person_id, coverage_year, data) VALUES ($1, 2022, '{}')", [p.id]);
      }
      const t0 = performance.now();
      const pending = Promise.all(
        ids.map((id, i) =>
          i % 2 === 0
            ? settle(id, tok.hospB)
            : other.settle(actorB, id).then(
                (json) => ({ status: 201, json: json as any }),
                (e: Error) => ({ status: 500, json: { error: e.message } as any }),
              ),
        ),
      );
      if (holder) {
        let waiting = 0;
        for (let i = 0; i < 200 && waiting < 2; i++) {
          await new Promise((r) => setTimeout(r, 25));
          // asked on the holder's own connection: the pool is busy with the waiting requests
          await holder.query('SELECT pg_stat_clear_snapshot()');
          const w = await holder.query(WAITING_ON_LOCKS);
          waiting = w.rows[0].n;
        }
        await holder.query('COMMIT');
        holder.release();
        assert.ok(waiting >= 2, `${waiting} settlement statements waited for the row at once`);
        t.diagnostic(`server: ${waiting} settlement statements were waiting on the person's accumulator row at once`);
      }
      const results = await pending;
      const ms = performance.now() - t0;
      for (const r of results) assert.equal(r.status, 201, JSON.stringify(r.json));
      const inpatient = results.filter((r) => r.json.settledAs === 'inpatient');
      const outpatient = results.filter((r) => r.json.settledAs === 'general_outpatient');
      const basic = inpatient.reduce((s, r) => s + Math.round(r.json.basicFund * 100), 0);
      const general = outpatient.reduce((s, r) => s + Math.round(r.json.basicFund * 100), 0);
      // tier 1: basic annual limit 120 000, general outpatient 300 — and each request alone would pay more in sum
      assert.equal(basic, 12_000_000, 'the basic fund paid exactly up to its annual limit, never above');
      assert.equal(general, 30_000, 'general outpatient paid exactly up to its annual limit');
      const acc = await accumulatorsIn(p.id);
      assert.equal(acc!.data.basicPaid, 12_000_000);
      assert.equal(acc!.data.generalOutpatientPaid, 30_000);
      assert.equal(acc!.version, 50);
      // the final accumulators are the sum of the stored deltas
      const rows = await d.db.selectFrom('settlement').select(['id', 'encounter_id', 'delta', 'basic_fund_fen']).where('person_id', '=', p.id).orderBy('id').execute();
      assert.equal(rows.length, 50);
      const sum = rows.reduce((a, r) => addAccumulators(a, { ...emptyAccumulators(), ...(r.delta as Partial<Accumulators>) }), emptyAccumulators());
      assert.deepEqual(acc!.data, sum);
      // and they are what settling the encounters one after the other in settlement order gives
      assertSettledInOrder(p, rows, byEncounter, acc!.data, 'primary');
      const overlaps = results.filter((r) => r.json.accumulators.before.basicPaid === 0 && r.json.settledAs === 'inpatient').length;
      assert.equal(overlaps, 1, 'only the first inpatient settlement saw an empty basic accumulator');
      t.diagnostic(`${backend}: 50 concurrent settlements of one person in ${ms.toFixed(0)} ms; the second service: ${JSON.stringify(other.contention)}`);
    });

    test('a settlement whose accumulators moved on after it read them is computed again, and under the lock after too many misses', async (t) => {
      if (backend !== 'server') return t.skip('needs a second connection to hold the row (PGlite has one)');
      const p = await person();
      await d.db.insertInto('accumulator').values({ person_id: p.id, coverage_year: 2022, data: JSON.stringify({}) }).execute();
      const encs: Enc[] = [];
      for (let i = 0; i < 8; i++) encs.push({ type: 'inpatient', date: `2022-04-${String(1 + i).padStart(2, '0')}`, inScope: 30000 });
      const ids = await Promise.all(encs.map((e) => encounter(p, e)));
      const byEncounter = new Map(ids.map((id, i) => [id, encs[i]]));
      // one optimistic try each: the eight, asked at once, are read together at version 0 and
      // computed one after the other; their write waits for the row the holder has locked; the
      // holder then moves the version on, so the write matches nothing and each settlement is
      // done again under the lock
      const svc = new SettlementService(d, quotes, { optimisticTries: 1 });
      const actor = { userId: '0', username: 'test_hospital_a', role: 'hospital' as const, villages: [], hospitalCode: HA };
      const holder = await d.pool.connect();
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM accumulator WHERE person_id = $1 AND coverage_year = 2022 FOR UPDATE', [p.id]);
      const pending = Promise.allSettled(ids.map((id) => svc.settle(actor, id)));
      let waiting = 0;
      for (let i = 0; i < 400 && waiting < 1; i++) {
        await new Promise((r) => setTimeout(r, 25));
        await holder.query('SELECT pg_stat_clear_snapshot()');
        const w = await holder.query(WAITING_ON_LOCKS);
        waiting = w.rows[0].n;
      }
      await holder.query('UPDATE accumulator SET version = version + 1 WHERE person_id = $1 AND coverage_year = 2022', [p.id]);
      await holder.query('COMMIT');
      holder.release();
      assert.equal(waiting, 1, 'the batch’s write waited for the row');
      const results = await pending;
      for (const r of results) assert.equal(r.status, 'fulfilled', r.status === 'rejected' ? String(r.reason) : '');
      assert.deepEqual(svc.contention, { tries: 8, misses: 8, locked: 8, writes: 1, largestBatch: 8, failedBatches: 0 });
      // what got written is what settling them one after the other in settlement order gives
      const acc = await accumulatorsIn(p.id);
      assert.equal(acc!.version, 1 + 8);
      const rows = await d.db.selectFrom('settlement').select(['encounter_id', 'basic_fund_fen']).where('person_id', '=', p.id).orderBy('id').execute();
      assert.equal(rows.length, 8);
      assertSettledInOrder(p, rows, byEncounter, acc!.data);
    });

    test('settlements asked for at once are written in one statement, each as if settled alone; each failure is its own', async () => {
      const svc = new SettlementService(d, quotes);
      const actorA = { userId: '0', username: 'test_hospital_a', role: 'hospital' as const, villages: [], hospitalCode: HA };
      const dibao = await person({ statuses: ['dibao'] });
      const plain = await person();
      const unpaid = await person({ state: 'assessed' });
      const twice = await person({ tier: 'tier2' });
      const cases: [Person, Enc][] = [
        [dibao, { type: 'inpatient', date: '2022-05-01', inScope: 40000, fullOwnPay: 500 }],
        [plain, { type: 'general_outpatient', date: '2022-05-02', inScope: 200 }],
        [unpaid, { type: 'inpatient', date: '2022-05-03', inScope: 8000 }],
        [twice, { type: 'inpatient', date: '2022-05-04', inScope: 30000 }],
        [twice, { type: 'inpatient', date: '2022-06-04', inScope: 50000 }],
      ];
      const ids = await Promise.all(cases.map(([p, e]) => encounter(p, e)));
      const theirs = await encounter(plain, { type: 'general_outpatient', date: '2022-05-05', inScope: 50 }, HB, tok.hospB);
      const asked = [...ids, theirs, '999999999'];
      const out = await Promise.allSettled(asked.map((id) => svc.settle(actorA, id)));
      assert.deepEqual(
        { tries: svc.contention.tries, misses: svc.contention.misses, writes: svc.contention.writes, largestBatch: svc.contention.largestBatch },
        { tries: 5, misses: 0, writes: 1, largestBatch: 5 },
        'one statement wrote the five',
      );
      // another hospital's encounter and one that does not exist fail on their own
      assert.equal(out[5].status, 'rejected');
      assert.match(String((out[5] as PromiseRejectedResult).reason), /may only see its own/);
      assert.equal(out[6].status, 'rejected');
      assert.equal((out[6] as PromiseRejectedResult).reason.constructor.name, 'NotFoundError');
      // each of the five is the pure engine's answer, the second of one person on the first's accumulators
      const views = out.slice(0, 5).map((r) => (r as PromiseFulfilledResult<any>).value);
      let twiceAfter: Record<string, unknown> | undefined;
      for (let i = 0; i < 5; i++) {
        const [p, e] = cases[i];
        if (p === unpaid) {
          assert.equal(views[i].cashReason.code, 'NOT_ENROLLED');
          continue;
        }
        const q = quote(p, e, p === twice ? twiceAfter : undefined);
        assert.deepEqual(strip(views[i]), q, `case ${i}`);
        if (p === twice) twiceAfter = q.accumulators.after;
      }
      const acc = await accumulatorsIn(twice.id);
      assert.equal(acc!.version, 2);
      assert.deepEqual(acc!.data, fenOf(twiceAfter!));
      // stored as answered, with a balanced ledger entry each and an audit row each
      for (const v of views) {
        const row = await d.db.selectFrom('settlement').select(['result', 'basic_fund_fen', 'critical_illness_fen', 'medical_assistance_fen']).where('id', '=', v.settlementId).executeTakeFirstOrThrow();
        const { settlementId: _s, encounterId: _e, personId: _p, hospitalCode: _h, ...answer } = v;
        assert.deepEqual(row.result, JSON.parse(JSON.stringify(answer)));
        const funds = Number(row.basic_fund_fen) + Number(row.critical_illness_fen) + Number(row.medical_assistance_fen);
        const postings = await d.db
          .selectFrom('posting as p')
          .innerJoin('journal_entry as j', 'j.id', 'p.entry_id')
          .select(['p.account', 'p.amount_fen'])
          .where('j.source', '=', 'settlement')
          .where('j.source_id', '=', v.settlementId)
          .execute();
        assert.equal(postings.reduce((t, x) => t + Number(x.amount_fen), 0), 0, 'balanced');
        assert.equal(postings.filter((x) => x.account === 'payable_hospitals').reduce((t, x) => t - Number(x.amount_fen), 0), funds);
        const audited = await d.db.selectFrom('audit_log').select('actor').where('entity', '=', 'settlement').where('entity_id', '=', v.settlementId).execute();
        assert.deepEqual(audited, [{ actor: 'test_hospital_a' }]);
      }
      // ids in the order asked
      const sids = views.map((v) => Number(v.settlementId));
      assert.deepEqual([...sids].sort((a, b) => a - b), sids);

      // a batch with an encounter settled already: that one is 409 before the engine runs, the others are written
      const more = await Promise.all([plain, dibao].map((p, i) => encounter(p, { type: 'general_outpatient', date: `2022-07-0${1 + i}`, inScope: 60 })));
      const again = await Promise.allSettled([more[0], ids[1], more[1]].map((id) => svc.settle(actorA, id)));
      assert.equal(again[0].status, 'fulfilled', again[0].status === 'rejected' ? String(again[0].reason) : '');
      assert.equal(again[2].status, 'fulfilled', again[2].status === 'rejected' ? String(again[2].reason) : '');
      assert.equal(again[1].status, 'rejected');
      assert.equal((again[1] as PromiseRejectedResult).reason.code, 'ALREADY_SETTLED');
      const live = await d.db.selectFrom('settlement').select('id').where('encounter_id', '=', ids[1]).where('reversed_at', 'is', null).execute();
      assert.equal(live.length, 1);
    });

    test('two batches holding the same persons in opposite orders do not deadlock: rows are locked in one order', async (t) => {
      if (backend !== 'server') return t.skip('needs several connections (PGlite has one)');
      const [pp, pq, pr] = [await person(), await person(), await person()]; // ids ascending
      for (const x of [pp, pq, pr]) await d.db.insertInto('accumulator').values({ person_id: x.id, coverage_year: 2022, data: JSON.stringify({}) }).execute();
      const e = (x: Person, day: number, inScope = 3000) => encounter(x, { type: 'inpatient', date: `2022-03-${String(day).padStart(2, '0')}`, inScope });
      const first = [await e(pp, 1), await e(pr, 2), await e(pq, 3)];
      const second = [await e(pq, 4), await e(pp, 5, 5000), await e(pp, 6, 20000)];
      const actor = { userId: '0', username: 'test_hospital_a', role: 'hospital' as const, villages: [], hospitalCode: HA };
      const s1 = new SettlementService(d, quotes);
      const s2 = new SettlementService(d, quotes);
      const holder = await d.pool.connect();
      const waitingFor = async (n: number) => {
        for (let i = 0; i < 400; i++) {
          await holder.query('SELECT pg_stat_clear_snapshot()');
          const w = await holder.query(WAITING_ON_LOCKS);
          if (w.rows[0].n >= n) return;
          await new Promise((r) => setTimeout(r, 25));
        }
        assert.fail(`${n} statements never waited at once`);
      };
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM accumulator WHERE person_id = $1 AND coverage_year = 2022 FOR UPDATE', [pr.id]);
      // the first batch locks P and Q and waits for R; the second, asking Q before P, must then
      // wait for P without holding Q (locking Q first would deadlock once R is free)
      const p1 = Promise.allSettled(first.map((id) => s1.settle(actor, id)));
      await waitingFor(1);
      const p2 = Promise.allSettled(second.map((id) => s2.settle(actor, id)));
      await waitingFor(2);
      await holder.query('COMMIT');
      holder.release();
      const out = [...(await p1), ...(await p2)];
      for (const r of out) assert.equal(r.status, 'fulfilled', r.status === 'rejected' ? String(r.reason) : '');
      assert.equal(s1.contention.failedBatches + s2.contention.failedBatches, 0, 'no batch was refused (a deadlock would have been)');
      for (const x of [pp, pq, pr]) {
        const acc = await accumulatorsIn(x.id);
        const rows = await d.db.selectFrom('settlement').select('delta').where('person_id', '=', x.id).where('reversed_at', 'is', null).execute();
        assert.deepEqual(acc!.data, rows.reduce((a, r) => addAccumulators(a, { ...emptyAccumulators(), ...(r.delta as Partial<Accumulators>) }), emptyAccumulators()));
      }
    });

    test('when a batch’s statement is refused, a person’s chain stops at the first settlement not written and is computed again', async (t) => {
      if (backend !== 'server') return t.skip('needs a second connection for the other writer (PGlite has one)');
      const p = await person();
      await d.db.insertInto('accumulator').values({ person_id: p.id, coverage_year: 2022, data: JSON.stringify({}) }).execute();
      const encs: Enc[] = [
        { type: 'inpatient', date: '2022-03-01', inScope: 30000 },
        { type: 'inpatient', date: '2022-04-01', inScope: 50000 },
        { type: 'inpatient', date: '2022-05-01', inScope: 40000 },
      ];
      const [e1, e2, e3] = await Promise.all(encs.map((e) => encounter(p, e)));
      const byEncounter = new Map([e1, e2, e3].map((id, i) => [id, encs[i]]));
      const actor = { userId: '0', username: 'test_hospital_a', role: 'hospital' as const, villages: [], hospitalCode: HA };
      const other = new SettlementService(d, quotes);
      // the first batch statement: another writer settles E3 of the same person first, then the
      // statement fails as a statement timeout would (an error the server sends)
      let injected = false;
      const wrap = (client: any) =>
        new Proxy(client, {
          get(target, key) {
            if (key === 'query')
              return async (q: any, ...rest: any[]) => {
                if (!injected && q?.name === 'yibao_settlement_write_many') {
                  injected = true;
                  await other.settle(actor, e3);
                  throw Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014', severity: 'ERROR' });
                }
                return target.query(q, ...rest);
              };
            const v = target[key];
            return typeof v === 'function' ? v.bind(target) : v;
          },
        });
      const pool = new Proxy(d.settlementPool, {
        get(target, key) {
          if (key === 'connect') return async () => wrap(await target.connect());
          const v = (target as any)[key];
          return typeof v === 'function' ? v.bind(target) : v;
        },
      });
      const svc = new SettlementService({ ...d, settlementPool: pool }, quotes);
      const out = await Promise.allSettled([svc.settle(actor, e1), svc.settle(actor, e2)]);
      assert.ok(injected);
      for (const r of out) assert.equal(r.status, 'fulfilled', r.status === 'rejected' ? String(r.reason) : '');
      assert.equal(svc.contention.failedBatches, 1);
      // E1 missed on its own (E3 came first), so E2, computed on E1, was not written on E3's version
      const acc = await accumulatorsIn(p.id);
      const rows = await d.db.selectFrom('settlement').select(['encounter_id', 'basic_fund_fen', 'delta']).where('person_id', '=', p.id).orderBy('id').execute();
      assert.deepEqual(rows.map((r) => String(r.encounter_id)), [e3, e1, e2]);
      assert.deepEqual(acc!.data, rows.reduce((a, r) => addAccumulators(a, { ...emptyAccumulators(), ...(r.delta as Partial<Accumulators>) }), emptyAccumulators()));
      assertSettledInOrder(p, rows, byEncounter, acc!.data);
    });

    test('reversal restores the accumulators exactly and settles the later encounters again', async () => {
      const p = await person({ statuses: ['dibao'] });
      const encs: Enc[] = [
        { type: 'inpatient', date: '2022-02-01', inScope: 30000 },
        { type: 'inpatient', date: '2022-03-01', inScope: 60000, fullOwnPay: 1000 },
        { type: 'general_outpatient', date: '2022-03-15', inScope: 200 },
        { type: 'inpatient', date: '2022-04-01', inScope: 45000 },
        { type: 'inpatient', date: '2022-05-01', inScope: 20000 },
      ];
      const ids: string[] = [];
      for (const e of encs) ids.push(await encounter(p, e));
      const sids: string[] = [];
      for (const id of ids) {
        const r = await settle(id);
        assert.equal(r.status, 201);
        sids.push(r.json.settlementId);
      }
      const year = (order: number[]) => {
        let acc: Record<string, unknown> | undefined;
        const out = order.map((i) => {
          const q = quote(p, encs[i], acc);
          acc = q.accumulators.after;
          return q;
        });
        return { results: out, after: acc! };
      };
      assert.ok(year([0, 1, 2, 3, 4]).results[1].criticalIllness > 0, 'the reversed settlement paid 大病保险 too');

      const rev = await call('POST', `/api/v1/settlements/${sids[1]}/reverse`, tok.hospA);
      assert.equal(rev.status, 200, JSON.stringify(rev.json));
      assert.deepEqual(rev.json.reversed, { settlementId: sids[1], encounterId: ids[1] });
      assert.deepEqual(rev.json.alsoReversed, [sids[4], sids[3], sids[2]]);
      assert.deepEqual(rev.json.resettled.map((x: { encounterId: string; from: string }) => [x.encounterId, x.from]), [[ids[2], sids[2]], [ids[3], sids[3]], [ids[4], sids[4]]]);
      const without = year([0, 2, 3, 4]);
      assert.deepEqual(rev.json.accumulators, without.after, 'as if the reversed encounter had never been settled');
      assert.deepEqual((await accumulatorsIn(p.id))!.data, fenOf(without.after));
      // the re-settlements are the engine's answers in that order
      const live = (await call('GET', `/api/v1/settlements?person=${p.id}&year=2022&live=true`, tok.hospA)).json.settlements;
      assert.deepEqual(live.map((s: { encounterId: string }) => s.encounterId), [ids[0], ids[2], ids[3], ids[4]]);
      for (let i = 1; i < 4; i++) {
        const stored = (await call('GET', `/api/v1/settlements/${live[i].id}`, tok.hospA)).json.result;
        assert.deepEqual(stored, without.results[i]);
      }
      const reversed = (await call('GET', `/api/v1/settlements?person=${p.id}&live=false`, tok.admin)).json.settlements;
      assert.deepEqual(reversed.map((s: { id: string }) => s.id).sort(), [sids[1], sids[2], sids[3], sids[4]].sort());
      assert.ok(reversed.every((s: { reversedBy: string }) => s.reversedBy === 'hospa'));

      // each reversal entry mirrors the original entry
      const postingsOf = async (source: string, id: string) =>
        (
          await d.db
            .selectFrom('posting as p')
            .innerJoin('journal_entry as j', 'j.id', 'p.entry_id')
            .select(['p.account', 'p.amount_fen'])
            .where('j.source', '=', source)
            .where('j.source_id', '=', id)
            .orderBy('p.account')
            .execute()
        ).map((x) => [x.account, Number(x.amount_fen)]);
      for (const sid of [sids[1], sids[2], sids[3], sids[4]]) {
        const orig = await postingsOf('settlement', sid);
        assert.ok(orig.length >= 2);
        assert.deepEqual(await postingsOf('reversal', sid), orig.map(([a, f]) => [a, -(f as number)]));
      }

      const twice = await call('POST', `/api/v1/settlements/${sids[1]}/reverse`, tok.hospA);
      assert.equal(twice.status, 409);
      assert.equal(twice.json.error, 'ALREADY_REVERSED');
      assert.equal((await call('POST', '/api/v1/settlements/999999/reverse', tok.admin)).status, 404);

      // the newest one: nothing later to settle again
      const last = await call('POST', `/api/v1/settlements/${live[3].id}/reverse`, tok.admin);
      assert.equal(last.status, 200);
      assert.deepEqual(last.json.alsoReversed, []);
      assert.deepEqual(last.json.accumulators, year([0, 2, 3]).after);
      // a reversed encounter may be settled again
      const again = await settle(ids[1]);
      assert.equal(again.status, 201);
      assert.deepEqual(strip(again.json), year([0, 2, 3, 1]).results[3]);
      assert.deepEqual((await accumulatorsIn(p.id))!.data, fenOf(year([0, 2, 3, 1]).after));
      const actions = await d.db.selectFrom('audit_log').select(['action', sql<number>`count(*)::int`.as('n')]).where('entity', '=', 'settlement').where('action', 'in', ['reverse', 'resettle']).groupBy('action').orderBy('action').execute();
      assert.deepEqual(actions.map((a) => [a.action, a.n]), [['resettle', 3], ['reverse', 5]]);
    });

    test('the ledger balances: postings sum to zero, no entry is unbalanced, payable to hospitals equals the funds’ payments of live settlements', async () => {
      const tb = await call('GET', '/api/v1/ledger/balances', tok.auditor);
      assert.equal(tb.status, 200);
      assert.equal(tb.json.sumFen, 0);
      assert.equal(tb.json.balanced, true);
      assert.deepEqual(tb.json.unbalancedEntries, []);
      assert.equal(tb.json.totalDebit, tb.json.totalCredit);
      const live = await d.db
        .selectFrom('settlement')
        .select(['hospital_code', sql<string>`sum(basic_fund_fen + critical_illness_fen + medical_assistance_fen)`.as('fen'), sql<string>`sum(basic_fund_fen)`.as('basic')])
        .where('reversed_at', 'is', null)
        .groupBy('hospital_code')
        .orderBy('hospital_code')
        .execute();
      const totalLive = live.reduce((s, r) => s + Number(r.fen), 0);
      assert.ok(totalLive > 0);
      const payable = tb.json.accounts.find((a: { account: string }) => a.account === 'payable_hospitals');
      assert.equal(Math.round(payable.natural * 100), totalLive);
      assert.equal(Math.round(payable.balance * 100), -totalLive, 'a credit balance');
      assert.deepEqual(
        tb.json.payableByHospital.map((h: { hospitalCode: string; payableFen: number }) => [h.hospitalCode, h.payableFen]),
        live.map((r) => [r.hospital_code, Number(r.fen)]),
      );
      assert.equal(tb.json.payableOther, 0);
      const basicFund = tb.json.accounts.find((a: { account: string }) => a.account === 'basic_fund');
      assert.equal(Math.round(basicFund.balance * 100), live.reduce((s, r) => s + Number(r.basic), 0), 'the basic fund is debited with what it paid');

      // the journal, page by page
      const all: { id: string; postings: { amountFen: number }[] }[] = [];
      let after = '';
      for (;;) {
        const page = await call('GET', `/api/v1/ledger/entries?limit=7${after ? `&after=${after}` : ''}`, tok.officer);
        assert.equal(page.status, 200);
        all.push(...page.json.entries);
        if (!page.json.next) break;
        after = page.json.next;
      }
      const n = await d.db.selectFrom('journal_entry').select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow();
      assert.equal(all.length, Number(n.n));
      assert.equal(new Set(all.map((e) => e.id)).size, all.length);
      for (const e of all) assert.equal(e.postings.reduce((s, p) => s + p.amountFen, 0), 0);
      const rev = await call('GET', '/api/v1/ledger/entries?source=reversal&account=critical_illness_fund', tok.admin);
      assert.ok(rev.json.entries.length >= 1);
      assert.ok(rev.json.entries.every((e: { source: string; postings: { account: string }[] }) => e.source === 'reversal' && e.postings.some((p) => p.account === 'critical_illness_fund')));
      assert.equal((await call('GET', '/api/v1/ledger/entries?limit=0', tok.admin)).json.field, 'limit');
    });

    test('an unbalanced entry is refused: by post() before writing, and by the database at commit', async () => {
      await assert.rejects(d.db.transaction().execute((tx) => post(tx, 'bad', 'test', null, [{ account: 'basic_fund', fen: 100 }])), UnbalancedEntryError);
      await assert.rejects(
        d.db.transaction().execute(async (tx) => {
          const e = await tx.insertInto('journal_entry').values({ memo: 'unbalanced by hand', source: 'test' }).returning('id').executeTakeFirstOrThrow();
          await tx.insertInto('posting').values({ entry_id: e.id, account: 'basic_fund', amount_fen: 100 }).execute();
          await tx.insertInto('posting').values({ entry_id: e.id, account: 'payable_hospitals', amount_fen: -99 }).execute();
        }),
        /does not balance/,
      );
      const left = await d.db.selectFrom('journal_entry').select('id').where('memo', '=', 'unbalanced by hand').execute();
      assert.equal(left.length, 0, 'nothing of it was kept');
      // a balanced one inserted line by line is accepted (the check is deferred to commit)
      await d.db.transaction().execute(async (tx) => {
        const e = await tx.insertInto('journal_entry').values({ memo: 'balanced by hand', source: 'test' }).returning('id').executeTakeFirstOrThrow();
        await tx.insertInto('posting').values({ entry_id: e.id, account: 'contributions_received', amount_fen: 100 }).execute();
        await tx.insertInto('posting').values({ entry_id: e.id, account: 'basic_fund', amount_fen: -100 }).execute();
      });
      // the service's role holds no UPDATE or DELETE on them; the owner meets the triggers (test/app-role.test.ts)
      await assert.rejects(d.db.updateTable('posting').set({ amount_fen: 1 }).execute(), /permission denied for table posting/);
      await assert.rejects(d.db.deleteFrom('journal_entry').execute(), /permission denied for table journal_entry/);
      const tb = await call('GET', '/api/v1/ledger/balances', tok.admin);
      assert.equal(tb.json.balanced, true);
      assert.equal(tb.json.sumFen, 0);
    });
  });
