import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../src/http/server.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { listen } from './support/http.ts';

let app: FastifyInstance;
let base: string;

before(async () => {
  app = await buildServer(QuoteService.load());
  base = await listen(app);
});
after(() => app.close());

const dibao = { region: '500230', coverageYear: 2022, tier: 'tier1', person: { birthDate: '1980-05-01', kind: 'adult', statuses: ['dibao'] } };

async function post(body: string, type = 'application/json'): Promise<{ status: number; json: Record<string, any> }> {
  const res = await fetch(`${base}/api/v1/quotes/contribution`, { method: 'POST', headers: { 'content-type': type }, body });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

describe('HTTP quote API over a real socket', () => {
  test('a 低保 person in 丰都县 2022 tier 1 gets a cited quote', async () => {
    const { status, json } = await post(JSON.stringify(dibao));
    assert.equal(status, 200);
    assert.equal(json.accepted, true);
    assert.equal(json.standardContribution, 320);
    assert.equal(json.contributionAssistance, 288);
    assert.equal(json.individualDue, 32);
    assert.equal(json.fiscalSubsidy.total, 610);
    assert.deepEqual(json.benefitPeriod, { start: '2022-01-01', end: '2022-12-31' });
    const step = json.trace.find((s: { step: string }) => s.step === 'contributionAssistance');
    assert.match(step.cite, /^兴义府发〔2022〕3号 二\(四\)/);
    assert.ok(step.quote.length > 0);
    assert.ok(json.examplesUsed.includes('fiscalSubsidy.regionClass'), 'the example region class is declared');
  });

  test('CLI and HTTP give the same answer for the same request', async () => {
    const { json } = await post(JSON.stringify(dibao));
    const direct = QuoteService.load().contribution(structuredClone(dibao));
    assert.deepEqual(json, JSON.parse(JSON.stringify(direct)));
  });

  const bad: [string, string, string][] = [
    ['malformed JSON', '{"region":', '(body)'],
    ['not an object', '[1,2]', '(request)'],
    ['unknown region', JSON.stringify({ ...dibao, region: '999999' }), 'region'],
    ['region not 6 digits', JSON.stringify({ ...dibao, region: '5002' }), 'region'],
    ['year without a pack', JSON.stringify({ ...dibao, coverageYear: 2030 }), 'coverageYear'],
    ['impossible date', JSON.stringify({ ...dibao, person: { ...dibao.person, birthDate: '1980-02-30' } }), 'person.birthDate'],
    ['unknown status', JSON.stringify({ ...dibao, person: { ...dibao.person, statuses: ['rich'] } }), 'person.statuses.0'],
    ['wrong type', JSON.stringify({ ...dibao, coverageYear: '2022' }), 'coverageYear'],
    ['unknown field', JSON.stringify({ ...dibao, colour: 'red' }), 'colour'],
    ['missing tier where the region has tiers', JSON.stringify({ ...dibao, tier: undefined }), 'tier'],
    ['subsidy class where none exists', JSON.stringify({ ...dibao, subsidyClass: 'other_county' }), 'subsidyClass'],
    ['区直高校 class for an adult', JSON.stringify({ region: '450100', coverageYear: 2022, subsidyClass: 'regional_university', person: { birthDate: '1980-05-01', kind: 'adult' } }), 'subsidyClass'],
    ['a tier no one writes', JSON.stringify({ ...dibao, tier: '三档' }), 'tier'],
    ['a residence type that is neither', JSON.stringify({ ...dibao, person: { ...dibao.person, residence: 'mars' } }), 'person.residence'],
  ];

  test('tiers and residence types as users write them; the answer in one form, with its warnings', async () => {
    const { status, json } = await post(JSON.stringify({ ...dibao, tier: '一档', person: { ...dibao.person, residence: '农业' }, paidOn: '2022-04-10' }));
    assert.equal(status, 200);
    assert.equal(json.tier, 'tier1');
    assert.equal(json.waitingDays, 0);
    assert.deepEqual(json.warnings, []);
    const urban = await post(JSON.stringify({ ...dibao, tier: 2, person: { ...dibao.person, residence: '城镇' }, paidOn: '2022-04-10' }));
    assert.equal(urban.json.tier, 'tier2');
    assert.equal(urban.json.waitingDays, 90);
    const schema = ((await (await fetch(`${base}/docs/json`)).json()) as any).paths['/api/v1/quotes/contribution'].post.requestBody.content['application/json'].schema;
    assert.match(JSON.stringify(schema.properties.tier), /一档/, 'the OpenAPI document describes the tier spellings');
    assert.ok(schema.properties.person.properties.residence, 'and the residence type');
  });

  test('Guangxi without subsidyClass: 200, the split null and a warning naming subsidyClass', async () => {
    const { status, json } = await post(JSON.stringify({ region: '450000', coverageYear: 2022, person: { birthDate: '1980-05-01', kind: 'adult' } }));
    assert.equal(status, 200);
    assert.deepEqual(json.fiscalSubsidy, { total: 610, shares: null });
    assert.equal(json.individualDue, 350);
    assert.equal(json.warnings[0].field, 'subsidyClass');
  });

  test('a pack of a parent region says so: the quote’s warnings, and GET /api/v1/packs', async () => {
    const { json } = await post(JSON.stringify({ region: '370100', coverageYear: 2023, person: { birthDate: '1980-05-01', kind: 'adult' } }));
    assert.equal(json.pack, '370000/2023');
    assert.equal(json.warnings[0].code, 'PACK_OF_PARENT_REGION');
    const p = (await (await fetch(`${base}/api/v1/packs/370100/2023`)).json()) as any;
    assert.equal(p.id, '370000/2023');
    assert.deepEqual(p.requested, { region: '370100' });
    assert.match(p.warnings[0].message, /370100（济南市） 在 2023 年没有本级政策包/);
    const own = (await (await fetch(`${base}/api/v1/packs/370000/2023`)).json()) as any;
    assert.deepEqual(own.warnings, []);
  });
  for (const [name, body, field] of bad)
    test(`400 naming the field: ${name}`, async () => {
      const { status, json } = await post(body);
      assert.equal(status, 400);
      assert.equal(json.error, 'invalid_input');
      assert.equal(json.field, field);
      assert.ok(!/at .*\.ts:\d+/.test(json.message), 'no stack trace');
    });

  test('a business refusal is a 200 with a coded reason', async () => {
    const { status, json } = await post(JSON.stringify({ ...dibao, paidOn: '2023-06-01' }));
    assert.equal(status, 200);
    assert.equal(json.accepted, false);
    assert.equal(json.reason.code, 'AFTER_FINAL_DEADLINE');
    assert.equal(json.individualDue, null);
  });

  test('the OpenAPI document describes the quote route with its request schema', async () => {
    const res = await fetch(`${base}/docs/json`);
    assert.equal(res.status, 200);
    const doc = (await res.json()) as any;
    const op = doc.paths['/api/v1/quotes/contribution'].post;
    const schema = op.requestBody.content['application/json'].schema;
    assert.ok(schema.properties.region && schema.properties.person && schema.properties.coverageYear);
    assert.ok(op.responses['200']);
    const ui = await fetch(`${base}/docs`);
    assert.equal(ui.status, 200);
  });

  test('packs: a county without a pack gets its parent’s; diff lists changes', async () => {
    const p = (await (await fetch(`${base}/api/v1/packs/500101/2023`)).json()) as any;
    assert.equal(p.id, '500000/2023');
    const std = p.params.find((x: { key: string }) => x.key === 'contribution.default');
    assert.deepEqual(std.value, { tier1: 350, tier2: 725 });
    assert.match(std.cite, /渝医保发〔2022〕25号/);
    const d = (await (await fetch(`${base}/api/v1/pack-diff?from=500000/2022&to=500000/2023`)).json()) as any;
    const c = d.changes.find((x: { key: string }) => x.key === 'contribution.default');
    assert.deepEqual([c.from.value, c.to.value], [{ tier1: 320, tier2: 695 }, { tier1: 350, tier2: 725 }]);
    const badRef = await fetch(`${base}/api/v1/pack-diff?from=500000&to=500000/2023`);
    assert.equal(badRef.status, 400);
    assert.equal(((await badRef.json()) as any).field, 'from');
  });

  test('settlement over HTTP: one encounter, a year, and a 400 naming the field', async () => {
    const enc = { type: 'inpatient', date: '2022-03-01', hospitalLevel: 'secondary', costs: { total: 10000, fullOwnPay: 0, overLimitSelfPay: 0, preSelfPay: 0, inScope: 10000 } };
    const body = { region: '500230', coverageYear: 2022, tier: 'tier1', person: { statuses: [] }, encounter: enc };
    const one = await fetch(`${base}/api/v1/quotes/settlement`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(one.status, 200);
    const a = (await one.json()) as any;
    assert.equal(a.setlinfo.hifp_pay, 6650);
    assert.equal(a.setldetail[0].fund_pay_type, '390100');
    const yr = await fetch(`${base}/api/v1/quotes/settlement/year`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, encounter: undefined, encounters: [enc, { ...enc, date: '2022-05-01' }] }) });
    assert.equal(yr.status, 200);
    const y = (await yr.json()) as any;
    assert.equal(y.settlements[1].deductiblePaid, 250);
    const bad = await fetch(`${base}/api/v1/quotes/settlement`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, encounter: { ...enc, hospitalLevel: 'x' } }) });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as any).field, 'encounter.hospitalLevel');
  });

  test('unknown routes are JSON 404s', async () => {
    const res = await fetch(`${base}/api/v1/nothing`);
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as any).error, 'not_found');
  });
});
