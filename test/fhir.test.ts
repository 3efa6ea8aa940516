/**
 * The HL7 FHIR R4 mapping over real HTTP on both databases: a person's Coverage for a year
 * (one per tier of protection, ordered; 医疗救助 only for a covered status), a settlement as
 * an ExplanationOfBenefit whose adjudication equals the settlement to the fen, the access
 * rules, and errors as OperationOutcome.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../src/http/server.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { AuthService } from '../src/access/auth.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { SettlementService } from '../src/settlement/settlement-service.ts';
import { fhirJson, money } from '../src/hospitals/fhir/fhir-service.ts';
import { makeIdNumber } from '../src/registers/id-number.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { listen } from './support/http.ts';

const quotes = QuoteService.load();
const VILLAGE = '500230100001';
const HA = 'H500230001';
const HB = 'H500230002';
const ADJ = 'http://terminology.hl7.org/CodeSystem/adjudication';
const FUND = 'https://yibao.example.org/fhir/CodeSystem/fund-pay-type';

const idNumberOf = (seq: number): string => makeIdNumber('500230', '1980-05-01', seq);
const fen = (m: { value: number; currency: string }): number => {
  assert.equal(m.currency, 'CNY');
  return Math.round(m.value * 100);
};

test('money is written with exactly two decimals', () => {
  assert.equal(fhirJson({ a: money(1250), b: money(7), c: money(0), d: money(-1999), e: money('123456') }), '{"a":{"value":12.50,"currency":"CNY"},"b":{"value":0.07,"currency":"CNY"},"c":{"value":0.00,"currency":"CNY"},"d":{"value":-19.99,"currency":"CNY"},"e":{"value":1234.56,"currency":"CNY"}}');
});

for (const backend of BACKENDS)
  describe(`fhir r4 on ${backend}`, () => {
    let d: TestDatabase;
    let app: FastifyInstance;
    let base: string;
    const tok: Record<string, string> = {};
    let seq = 0;
    let svc: SettlementService;

    async function person(opts: { statuses?: string[]; state?: 'paid' | 'assessed' | 'refused' } = {}) {
      seq += 1;
      const idNumber = idNumberOf(seq);
      const p = await d.db
        .insertInto('person')
        .values({ id_number: idNumber, name: `测试${seq}号`, gender: 'female', birth_date: '1980-05-01', village_code: VILLAGE, kind: 'adult' })
        .returning('id')
        .executeTakeFirstOrThrow();
      const state = opts.state ?? 'paid';
      await d.db
        .insertInto('enrollment')
        .values({ person_id: p.id, coverage_year: 2022, region: '500230', pack: '500230/2022', tier: 'tier1', state, standard_fen: 32000, quote: JSON.stringify({}), benefit_start: state === 'paid' ? '2022-01-01' : null, benefit_end: state === 'paid' ? '2022-12-31' : null })
        .execute();
      for (const s of opts.statuses ?? []) await d.db.insertInto('needy_status').values({ person_id: p.id, status: s, source: 'civil_affairs', valid_from: '2021-01-01', valid_to: null }).execute();
      return { id: String(p.id), idNumber };
    }
    const hospA = { userId: '0', username: 'hospa', role: 'hospital' as const, villages: [], hospitalCode: HA };
    async function settled(personId: string, body: Record<string, unknown>) {
      // a hospital names its patient by ID number (issue #11 item 8)
      const { id_number: idNumber } = await d.db.selectFrom('person').select('id_number').where('id', '=', personId).executeTakeFirstOrThrow();
      const e = await svc.createEncounter(hospA, { idNumber, coverageYear: 2022, ...body } as Parameters<typeof svc.createEncounter>[1]);
      const s = await svc.settle(hospA, e.id as string, { trace: false });
      return s;
    }
    const get = async (path: string, token?: string) => {
      const res = await fetch(`${base}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      const text = await res.text();
      return { status: res.status, type: res.headers.get('content-type') ?? '', text, json: JSON.parse(text) as any };
    };
    const outcome = (r: { status: number; type: string; json: any }, status: number, code: string) => {
      assert.equal(r.status, status, JSON.stringify(r.json));
      assert.match(r.type, /^application\/fhir\+json/);
      assert.equal(r.json.resourceType, 'OperationOutcome');
      assert.equal(r.json.issue[0].severity, 'error');
      assert.equal(r.json.issue[0].code, code);
      assert.doesNotMatch(JSON.stringify(r.json), /at .*\.ts|Error:/);
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
        { username: 'clerk', role: 'clerk' as const, villages: ['500230100'] },
        { username: 'hospa', role: 'hospital' as const, hospitalCode: HA },
        { username: 'hospb', role: 'hospital' as const, hospitalCode: HB },
      ];
      for (const u of users) {
        const id = await auth.createUser(SYSTEM, { ...u, displayName: u.username, password: `${u.username}-test-password` }); // an admin needs a password
        tok[u.username] = await auth.issueApiToken(SYSTEM, id, 'test');
      }
      svc = new SettlementService(d, quotes);
      app = await buildServer(quotes, { database: d });
      base = await listen(app);
    });
    after(async () => {
      await app?.close();
      await d?.drop();
    });

    test('Coverage: three tiers in order for a 低保 person, two without a status; required R4 fields', async () => {
      const poor = await person({ statuses: ['dibao'] });
      const plain = await person();
      await settled(poor.id, { type: 'general_outpatient', date: '2022-03-01', costs: { total: 100, fullOwnPay: 0, overLimitSelfPay: 0, preSelfPay: 0, inScope: 100 } });
      const r = await get(`/fhir/r4/Coverage?beneficiary=Patient/${poor.id}&year=2022`, tok.hospa);
      assert.equal(r.status, 200, r.text);
      assert.match(r.type, /^application\/fhir\+json/);
      assert.equal(r.json.resourceType, 'Bundle');
      assert.equal(r.json.type, 'searchset');
      assert.equal(r.json.total, 3);
      const cov = r.json.entry.map((e: any) => e.resource);
      assert.deepEqual(cov.map((c: any) => c.order), [1, 2, 3]);
      assert.deepEqual(cov.map((c: any) => c.type.coding[0].code), ['390', '392', '610100']);
      assert.deepEqual(cov.map((c: any) => c.payor[0].identifier.value), ['390100', '390200', '610100']);
      for (const c of cov) {
        assert.equal(c.resourceType, 'Coverage');
        assert.equal(c.status, 'active');
        assert.equal(c.beneficiary.reference, `Patient/${poor.id}`);
        assert.ok(c.payor.length >= 1);
        assert.deepEqual(c.period, { start: '2022-01-01', end: '2022-12-31' });
        assert.equal(c.class[0].type.coding[0].code, 'plan');
        assert.equal(c.class[0].value, '500230/2022');
      }
      assert.equal(cov[0].class[1].value, 'tier1');
      assert.match(cov[2].class.at(-1).value, /dibao/);
      assert.ok(cov[2].costToBeneficiary.some((x: any) => x.type.coding[0].code === 'deductible' && x.valueMoney.currency === 'CNY'));
      assert.match(r.text, /"value":\d+\.\d\d,"currency":"CNY"/, 'money with two decimals in the text');
      const two = await get(`/fhir/r4/Coverage?beneficiary=${plain.id}&year=2022`, tok.admin);
      assert.equal(two.status, 200);
      assert.equal(two.json.total, 2);
      assert.deepEqual(two.json.entry.map((e: any) => e.resource.order), [1, 2]);
      // a person not yet paid: draft; a refused one: cancelled; another year: nothing
      const unpaid = await person({ state: 'assessed' });
      assert.deepEqual((await get(`/fhir/r4/Coverage?beneficiary=Patient/${unpaid.id}&year=2022`, tok.auditor)).json.entry.map((e: any) => e.resource.status), ['draft', 'draft']);
      const refused = await person({ state: 'refused' });
      assert.deepEqual((await get(`/fhir/r4/Coverage?beneficiary=Patient/${refused.id}&year=2022`, tok.auditor)).json.entry.map((e: any) => e.resource.status), ['cancelled', 'cancelled']);
      const none = await get(`/fhir/r4/Coverage?beneficiary=Patient/${plain.id}&year=2023`, tok.admin);
      assert.equal(none.json.total, 0);
    });

    test('metadata: a CapabilityStatement without logging in; Patient?identifier= by ID number or record id, a hospital seeing only its own', async () => {
      const m = await get('/fhir/r4/metadata');
      assert.equal(m.status, 200, m.text);
      assert.match(m.type, /^application\/fhir\+json/);
      assert.equal(m.json.resourceType, 'CapabilityStatement');
      assert.equal(m.json.fhirVersion, '4.0.1');
      assert.deepEqual(m.json.rest[0].resource.map((r: any) => r.type), ['Patient', 'Coverage', 'ExplanationOfBenefit']);
      const seen = await person();
      await settled(seen.id, { type: 'general_outpatient', date: '2022-03-01', costs: { total: 100, fullOwnPay: 0, overLimitSelfPay: 0, preSelfPay: 0, inScope: 100 } });
      const unseen = await person();
      const byId = await get(`/fhir/r4/Patient?identifier=${encodeURIComponent(`https://yibao.example.org/fhir/NamingSystem/resident-id-number|${seen.idNumber}`)}`, tok.hospa);
      assert.equal(byId.status, 200, byId.text);
      assert.equal(byId.json.type, 'searchset');
      assert.equal(byId.json.total, 1);
      assert.equal(byId.json.entry[0].resource.id, seen.id);
      assert.equal((await get(`/fhir/r4/Patient?identifier=${seen.idNumber.toLowerCase()}`, tok.admin)).json.total, 1);
      assert.equal((await get(`/fhir/r4/Patient?identifier=${encodeURIComponent(`https://yibao.example.org/fhir/NamingSystem/person-id|${seen.id}`)}`, tok.admin)).json.total, 1);
      assert.equal((await get(`/fhir/r4/Patient?identifier=${unseen.idNumber}`, tok.hospa)).json.total, 0, 'a hospital finds only its own patients');
      assert.equal((await get(`/fhir/r4/Patient?identifier=${unseen.idNumber}`, tok.admin)).json.total, 1);
      assert.equal((await get(`/fhir/r4/Patient?identifier=110105194912310029`, tok.admin)).json.total, 0);
    });

    test('ExplanationOfBenefit: adjudication per fund equals the settlement to the fen; items from the fee lines', async () => {
      const p = await person({ statuses: ['dibao'] });
      const s = await settled(p.id, {
        type: 'inpatient',
        date: '2022-05-10',
        externalId: 'ZY-1',
        fees: [
          { catalogClass: '甲', amount: 20000.15 },
          { catalogClass: '乙', amount: 10000, selfPayRatio: '10%' },
          { catalogClass: '丙', amount: 1500.5 },
        ],
      });
      const r = await get(`/fhir/r4/ExplanationOfBenefit/${s.settlementId}`, tok.hospa);
      assert.equal(r.status, 200, r.text);
      assert.match(r.type, /^application\/fhir\+json/);
      const eob = r.json;
      assert.equal(eob.resourceType, 'ExplanationOfBenefit');
      for (const k of ['status', 'type', 'use', 'patient', 'created', 'insurer', 'provider', 'outcome', 'insurance']) assert.ok(eob[k] !== undefined, `EOB.${k}`);
      assert.equal(eob.status, 'active');
      assert.equal(eob.use, 'claim');
      assert.equal(eob.outcome, 'complete');
      assert.equal(eob.type.coding[0].code, 'institutional');
      assert.equal(eob.patient.reference, `Patient/${p.id}`);
      assert.equal(eob.provider.identifier.value, HA);
      assert.deepEqual(eob.insurance.map((i: any) => [i.focal, i.coverage.reference]), [
        [true, `Coverage/${p.id}-2022-390`],
        [false, `Coverage/${p.id}-2022-392`],
        [false, `Coverage/${p.id}-2022-610`],
      ]);
      // the Coverage bundle has the same ids
      const cov = await get(`/fhir/r4/Coverage?beneficiary=Patient/${p.id}&year=2022`, tok.hospa);
      assert.deepEqual(cov.json.entry.map((e: any) => `Coverage/${e.resource.id}`), eob.insurance.map((i: any) => i.coverage.reference));
      const adj = (code: string, fund?: string) => {
        const a = eob.adjudication.filter((x: any) => x.category.coding[0].system === ADJ && x.category.coding[0].code === code && (!fund || x.category.coding[1]?.code === fund));
        assert.equal(a.length, 1, `${code} ${fund ?? ''}`);
        return fen(a[0].amount);
      };
      const row = await d.db.selectFrom('settlement').selectAll().where('id', '=', s.settlementId).executeTakeFirstOrThrow();
      assert.equal(adj('submitted'), Number(row.total_fen));
      assert.equal(adj('eligible'), Math.round(s.costs.inScope * 100));
      assert.equal(adj('deductible'), Math.round(s.deductiblePaid * 100));
      assert.equal(adj('benefit', '390100'), Number(row.basic_fund_fen));
      assert.equal(adj('benefit', '390200'), Number(row.critical_illness_fen));
      assert.equal(adj('benefit', '610100'), Number(row.medical_assistance_fen));
      assert.equal(adj('copay'), Number(row.cash_fen));
      assert.ok(Number(row.medical_assistance_fen) > 0, 'the 低保 person got medical assistance');
      const benefits = eob.adjudication.filter((x: any) => x.category.coding[0].code === 'benefit').reduce((a: number, x: any) => a + fen(x.amount), 0);
      assert.equal(benefits + adj('copay'), adj('submitted'), 'fund benefits + patient cash = submitted (fen)');
      assert.equal(eob.adjudication[0].category.coding[0].system, ADJ);
      assert.ok(eob.adjudication.some((x: any) => x.category.coding[1]?.system === FUND));
      const total = (code: string) => fen(eob.total.find((t: any) => t.category.coding[0].code === code).amount);
      assert.equal(total('submitted'), 3150065);
      assert.equal(total('benefit') + total('copay'), total('submitted'));
      assert.equal(fen(eob.payment.amount), total('benefit'));
      assert.equal(eob.item.length, 3);
      assert.deepEqual(eob.item.map((i: any) => fen(i.net)), [2000015, 1000000, 150050]);
      assert.equal(eob.item.reduce((a: number, i: any) => a + fen(i.net), 0), total('submitted'));
      assert.match(r.text, /"net":\{"value":20000\.15,"currency":"CNY"\}/);
      assert.match(r.text, /"net":\{"value":10000\.00,"currency":"CNY"\}/);
      // an outpatient visit: professional, basic fund from the outpatient pool when the engine says so
      const o = await settled(p.id, { type: 'general_outpatient', date: '2022-06-01', costs: { total: 80, fullOwnPay: 0, overLimitSelfPay: 0, preSelfPay: 0, inScope: 80 } });
      const oe = (await get(`/fhir/r4/ExplanationOfBenefit/${o.settlementId}`, tok.auditor)).json;
      assert.equal(oe.type.coding[0].code, 'professional');
      assert.equal(oe.item, undefined, 'no fee lines, no items');
      const basicCodes = oe.adjudication.filter((x: any) => x.category.coding[0].code === 'benefit').map((x: any) => x.category.coding[1].code);
      assert.equal(basicCodes.length, 3);
      assert.ok(['390100', '390102'].includes(basicCodes[0]));
      // a reversed settlement is cancelled
      await svc.reverse(hospA, o.settlementId, { trace: false });
      assert.equal((await get(`/fhir/r4/ExplanationOfBenefit/${o.settlementId}`, tok.auditor)).json.status, 'cancelled');
    });

    test('Patient: identifiers in full for admin; the treating hospital sees the name but the ID number masked (unless it searched by it); masked for the auditor', async () => {
      const p = await person();
      await settled(p.id, { type: 'general_outpatient', date: '2022-03-02', costs: { total: 50, fullOwnPay: 0, overLimitSelfPay: 0, preSelfPay: 0, inScope: 50 } });
      const a = await get(`/fhir/r4/Patient/${p.id}`, tok.hospa);
      assert.equal(a.status, 200);
      assert.equal(a.json.resourceType, 'Patient');
      assert.match(a.json.identifier[0].value, /^500230\*{8}\d{3}[\dX]$/, 'a hospital reading Patient/{id} gets the ID number masked');
      assert.doesNotMatch(a.text, new RegExp(p.idNumber));
      assert.doesNotMatch(a.json.name[0].text, /\*/, 'the treating hospital sees the name');
      const searched = await get(`/fhir/r4/Patient?identifier=${p.idNumber}`, tok.hospa);
      assert.equal(searched.json.entry[0].resource.identifier[0].value, p.idNumber, 'searching by the number it holds, the hospital gets it back');
      const bySeq = await get(`/fhir/r4/Patient?identifier=${encodeURIComponent(`https://yibao.example.org/fhir/NamingSystem/person-id|${p.id}`)}`, tok.hospa);
      assert.equal(bySeq.json.total, 1);
      assert.doesNotMatch(bySeq.text, new RegExp(p.idNumber), 'searching by record id does not reveal the ID number');
      assert.equal((await get(`/fhir/r4/Patient/${p.id}`, tok.admin)).json.identifier[0].value, p.idNumber);
      const m = await get(`/fhir/r4/Patient/${p.id}`, tok.auditor);
      assert.equal(m.status, 200);
      assert.match(m.json.identifier[0].value, /^500230\*{8}\d{3}[\dX]$/);
      assert.doesNotMatch(m.text, new RegExp(p.idNumber));
      assert.match(m.json.name[0].text, /\*/);
      assert.equal(m.json.birthDate, '1980');
    });

    test('access: not logged in 401, clerk 403, another hospital 403; bad input 400; unknown 404 — all OperationOutcome', async () => {
      const p = await person({ statuses: ['dibao'] });
      const s = await settled(p.id, { type: 'general_outpatient', date: '2022-04-01', costs: { total: 60, fullOwnPay: 0, overLimitSelfPay: 0, preSelfPay: 0, inScope: 60 } });
      const stranger = await person();
      outcome(await get(`/fhir/r4/ExplanationOfBenefit/${s.settlementId}`), 401, 'login');
      outcome(await get(`/fhir/r4/ExplanationOfBenefit/${s.settlementId}`, 'not-a-token'), 401, 'login');
      outcome(await get(`/fhir/r4/ExplanationOfBenefit/${s.settlementId}`, tok.clerk), 403, 'forbidden');
      outcome(await get(`/fhir/r4/Coverage?beneficiary=Patient/${p.id}&year=2022`, tok.clerk), 403, 'forbidden');
      outcome(await get(`/fhir/r4/Patient/${p.id}`, tok.clerk), 403, 'forbidden');
      outcome(await get(`/fhir/r4/ExplanationOfBenefit/${s.settlementId}`, tok.hospb), 403, 'forbidden');
      outcome(await get(`/fhir/r4/Coverage?beneficiary=Patient/${p.id}&year=2022`, tok.hospb), 403, 'forbidden');
      outcome(await get(`/fhir/r4/Patient/${p.id}`, tok.hospb), 403, 'forbidden');
      outcome(await get(`/fhir/r4/Patient/${stranger.id}`, tok.hospa), 403, 'forbidden');
      // the treating hospital, but another year
      outcome(await get(`/fhir/r4/Coverage?beneficiary=Patient/${p.id}&year=2023`, tok.hospa), 403, 'forbidden');
      // without a year: the current one (issue #16)
      const thisYear = new Date(Date.now() + 8 * 3600_000).getUTCFullYear();
      const noYear = await get(`/fhir/r4/Coverage?beneficiary=Patient/${p.id}`, tok.admin);
      assert.equal(noYear.status, 200, noYear.text);
      const withYear = await get(`/fhir/r4/Coverage?beneficiary=Patient/${p.id}&year=${thisYear}`, tok.admin);
      assert.deepEqual(noYear.json.entry, withYear.json.entry);
      assert.equal(noYear.json.total, withYear.json.total);
      outcome(await get(`/fhir/r4/Patient?identifier=`, tok.admin), 400, 'invalid');
      outcome(await get(`/fhir/r4/Patient?identifier=urn:other|1`, tok.admin), 400, 'invalid');
      outcome(await get(`/fhir/r4/Coverage?beneficiary=Practitioner/1&year=2022`, tok.admin), 400, 'invalid');
      outcome(await get(`/fhir/r4/Coverage?beneficiary=Patient/${p.id}&year=22`, tok.admin), 400, 'invalid');
      outcome(await get(`/fhir/r4/Coverage?beneficiary=Patient/${p.id}&year=2022&foo=1`, tok.admin), 400, 'invalid');
      outcome(await get(`/fhir/r4/ExplanationOfBenefit/abc`, tok.admin), 400, 'invalid');
      outcome(await get(`/fhir/r4/ExplanationOfBenefit/999999`, tok.admin), 404, 'not-found');
      outcome(await get(`/fhir/r4/Patient/999999`, tok.admin), 404, 'not-found');
      outcome(await get(`/fhir/r4/Coverage?beneficiary=Patient/999999&year=2022`, tok.admin), 404, 'not-found');
      outcome(await get(`/fhir/r4/Claim/1`, tok.admin), 404, 'not-supported');
    });
  });
