/**
 * SettlementService.settleKnownEncounter (the insured area's settlement of a visit in another
 * area, src/areas/insured.ts): the encounter and its settlement written in one statement give
 * what recording the encounter and settling it (createKnownEncounter + settle) give; the same
 * externalId again writes nothing and is refused DUPLICATE_ENCOUNTER; a bad request writes nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { ConflictError, InputError } from '../src/errors.ts';
import { SettlementService } from '../src/settlement/settlement-service.ts';
import { makeIdNumber } from '../src/registers/id-number.ts';
import { freshDatabase, type TestDatabase } from './support/databases.ts';

const quotes = QuoteService.load();
const VILLAGE = '500230100001';
const AWAY = '500103:H50010300001';

describe('settleKnownEncounter on pglite', () => {
  let d: TestDatabase;
  let s: SettlementService;
  let seq = 0;

  before(async () => {
    d = await freshDatabase('pglite');
    await d.db
      .insertInto('admin_area')
      .values([
        { code: '500230', name: '丰都县', level: 'county', parent_code: null, region: '500230' },
        { code: '500230100', name: '兴义镇', level: 'township', parent_code: '500230', region: '500230' },
        { code: VILLAGE, name: '兴义村', level: 'village', parent_code: '500230100', region: '500230' },
      ])
      .execute();
    await d.db.insertInto('hospital').values({ code: AWAY, name: '重庆市渝中区人民医院', level: 'tertiary', region: '500103' }).execute();
    s = new SettlementService(d, quotes);
  });
  after(async () => d.drop());

  async function person() {
    seq += 1;
    const idNumber = makeIdNumber('500230', '1970-03-01', seq);
    const p = await d.db.insertInto('person').values({ id_number: idNumber, name: `异地${seq}`, gender: 'female', birth_date: '1970-03-01', village_code: VILLAGE, kind: 'adult' }).returning('id').executeTakeFirstOrThrow();
    await d.db
      .insertInto('enrollment')
      .values({ person_id: p.id, coverage_year: 2022, region: '500230', pack: '500230/2022', tier: 'tier1', state: 'paid', standard_fen: 32000, quote: JSON.stringify({}), benefit_start: '2022-01-01', benefit_end: '2022-12-31' })
      .execute();
    return { id: String(p.id), idNumber };
  }
  const body = (idNumber: string, externalId: string, inScope: number) => ({
    hospitalCode: AWAY,
    idNumber,
    coverageYear: 2022,
    type: 'inpatient' as const,
    date: '2022-06-01',
    location: 'out_of_province' as const,
    referred: false,
    costs: { total: inScope + 120, fullOwnPay: 120, overLimitSelfPay: 0, preSelfPay: 0, inScope },
    externalId,
  });
  const rowsOf = async (externalId: string) => {
    const e = await d.db.selectFrom('encounter').select(['id', 'total_fen']).where('external_id', '=', externalId).execute();
    const st = e.length ? await d.db.selectFrom('settlement').select(['id', 'basic_fund_fen', 'cash_fen', 'result']).where('encounter_id', 'in', e.map((x) => x.id)).execute() : [];
    return { e, st };
  };

  test('one statement settles as recording and settling do, to the fen, with the audit and ledger rows', async () => {
    const [p, q] = [await person(), await person()];
    const known = (x: { id: string }) => ({ person: { id: x.id, region: '500230' }, hospitalLevel: 'tertiary' });
    const got = await s.settleKnownEncounter(SYSTEM, body(p.idNumber, 'xa:K1', 8000), known(p));
    const encId = await s.encounters.createKnownEncounter(SYSTEM, body(q.idNumber, 'xa:K2', 8000), known(q));
    const ref = await s.settle(SYSTEM, encId, { trace: false });
    const { personId: _p, encounterId: _e, settlementId: _s, ...mine } = got.view as unknown as Record<string, unknown>;
    const { personId: _p2, encounterId: _e2, settlementId: _s2, ...theirs } = ref as unknown as Record<string, unknown>;
    assert.deepEqual(mine, theirs);
    assert.ok(got.view.basicFund > 0);
    const { e, st } = await rowsOf('xa:K1');
    assert.equal(e.length, 1);
    assert.equal(String(e[0]!.id), got.encounterId);
    assert.equal(st.length, 1);
    assert.equal(String(st[0]!.id), got.view.settlementId);
    assert.equal(Number(st[0]!.basic_fund_fen), Math.round(got.view.basicFund * 100));
    const audit = await d.db.selectFrom('audit_log').select(['action', 'entity']).where((w) => w.or([w.and([w('entity', '=', 'encounter'), w('entity_id', '=', got.encounterId)]), w.and([w('entity', '=', 'settlement'), w('entity_id', '=', got.view.settlementId)])])).orderBy('entity').execute();
    assert.deepEqual(audit, [
      { action: 'create', entity: 'encounter' },
      { action: 'settle', entity: 'settlement' },
    ]);
    const entry = await d.db.selectFrom('journal_entry as j').innerJoin('posting as x', 'x.entry_id', 'j.id').select((eb) => eb.fn.sum<string>('x.amount_fen').as('sum')).where('j.source', '=', 'settlement').where('j.source_id', '=', got.view.settlementId).executeTakeFirstOrThrow();
    assert.equal(Number(entry.sum), 0);
    const acc = await d.db.selectFrom('accumulator').select(['version']).where('person_id', '=', p.id).where('coverage_year', '=', 2022).executeTakeFirstOrThrow();
    assert.equal(acc.version, 1);
  });

  test('the same externalId again writes nothing and is refused DUPLICATE_ENCOUNTER; a bad request writes nothing', async () => {
    const p = await person();
    const known = { person: { id: p.id, region: '500230' }, hospitalLevel: 'tertiary' };
    await s.settleKnownEncounter(SYSTEM, body(p.idNumber, 'xa:K3', 5000), known);
    const before = await rowsOf('xa:K3');
    await assert.rejects(s.settleKnownEncounter(SYSTEM, body(p.idNumber, 'xa:K3', 5000), known), (e: unknown) => e instanceof ConflictError && e.code === 'DUPLICATE_ENCOUNTER');
    assert.deepEqual(await rowsOf('xa:K3'), before);
    const bad = { ...body(p.idNumber, 'xa:K4', 5000), costs: { total: 1, fullOwnPay: 0, overLimitSelfPay: 0, preSelfPay: 0, inScope: 5000 } };
    await assert.rejects(s.settleKnownEncounter(SYSTEM, bad, known), (e: unknown) => e instanceof InputError);
    const { externalId: _x, ...unnamed } = body(p.idNumber, 'xa:K5', 5000);
    await assert.rejects(s.settleKnownEncounter(SYSTEM, unnamed, known), (e: unknown) => e instanceof InputError && e.field === 'externalId');
    assert.equal((await rowsOf('xa:K4')).e.length, 0);
    const acc = await d.db.selectFrom('accumulator').select(['version']).where('person_id', '=', p.id).where('coverage_year', '=', 2022).executeTakeFirstOrThrow();
    assert.equal(acc.version, 1);
  });
});
