/**
 * Encounters recorded in a batch (EncounterService.createEncounters, what the demo's settlements
 * use), on PGlite and on the PostgreSQL server: the rows and audit entries are those recording
 * them one by one gives, each bad request is answered with the error createEncounter gives it
 * (the field named) and written not at all while the rest of the batch is, duplicates of an
 * externalId are refused inside the batch and against the table, and a hospital account keeps
 * the same limits as on its own.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { SYSTEM, type Actor } from '../src/access/roles.ts';
import { ConflictError, InputError } from '../src/errors.ts';
import { SettlementService } from '../src/settlement/settlement-service.ts';
import type { EncounterRequest } from '../src/settlement/requests.ts';
import { makeIdNumber } from '../src/registers/id-number.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';

const quotes = QuoteService.load();
const VILLAGE = '500230100001';
const HA = 'H500230001';
const HB = 'H500230002';
const hospitalA: Actor = { userId: '7', username: 'hospa', role: 'hospital', villages: [], hospitalCode: HA };

const costs = (inScope: number, fullOwnPay = 0) => ({ total: inScope + fullOwnPay, fullOwnPay, overLimitSelfPay: 0, preSelfPay: 0, inScope });
const errorOf = async (p: Promise<unknown>): Promise<Error> => {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a refusal');
};

for (const backend of BACKENDS)
  describe(`encounters in a batch on ${backend}`, () => {
    let d: TestDatabase;
    let service: SettlementService;
    const ids: string[] = [];
    const personIds: string[] = [];

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
      for (let i = 1; i <= 4; i++) {
        const idNumber = makeIdNumber('500230', '1980-05-01', i);
        ids.push(idNumber);
        const p = await d.db.insertInto('person').values({ id_number: idNumber, name: `测试${i}号`, gender: 'male', birth_date: '1980-05-01', village_code: VILLAGE, kind: 'adult' }).returning('id').executeTakeFirstOrThrow();
        personIds.push(String(p.id));
      }
      service = new SettlementService(d, quotes);
    });
    after(async () => {
      await d?.drop();
    });

    const columns = ['hospital_code', 'person_id', 'coverage_year', 'type', 'setting', 'date', 'location', 'referred', 'disease', 'total_fen', 'full_own_pay_fen', 'over_limit_fen', 'pre_self_pay_fen', 'in_scope_fen', 'lines'] as const;
    const rowOf = async (id: string) => d.db.selectFrom('encounter').select(columns).where('id', '=', id).executeTakeFirstOrThrow();
    const auditOf = async (id: string) => d.db.selectFrom('audit_log').select(['actor', 'role', 'action', 'detail']).where('entity', '=', 'encounter').where('entity_id', '=', id).execute();

    test('a batch writes what recording one by one writes, and answers each bad request with its own error', async () => {
      const good: EncounterRequest[] = [
        { hospitalCode: HA, idNumber: ids[0], coverageYear: 2022, type: 'inpatient', date: '2022-03-01', costs: costs(5000, 300) },
        { hospitalCode: HB, personId: personIds[1], coverageYear: 2022, type: 'general_outpatient', date: '2022-03-02', costs: costs(120) },
        { hospitalCode: HA, idNumber: ids[2], coverageYear: 2022, type: 'inpatient', date: '2022-03-03', costs: costs(800), externalId: 'B-1' },
      ];
      const bad: EncounterRequest[] = [
        { hospitalCode: 'H999', idNumber: ids[0], coverageYear: 2022, type: 'inpatient', date: '2022-03-01', costs: costs(100) },
        { hospitalCode: HA, idNumber: makeIdNumber('500230', '1990-01-01', 99), coverageYear: 2022, type: 'inpatient', date: '2022-03-01', costs: costs(100) },
        { hospitalCode: HA, idNumber: ids[3], coverageYear: 1999, type: 'inpatient', date: '2022-03-01', costs: costs(100) },
        { hospitalCode: HA, idNumber: ids[3], personId: personIds[3], coverageYear: 2022, type: 'inpatient', date: '2022-03-01', costs: costs(100) },
        { hospitalCode: HA, idNumber: ids[3], coverageYear: 2022, type: 'inpatient', date: 'yesterday', costs: costs(100) },
        { hospitalCode: HA, idNumber: ids[3], coverageYear: 2022, type: 'inpatient', date: '2022-03-01', costs: costs(800), externalId: 'B-1' },
      ];
      const before = Number((await d.db.selectFrom('encounter').select((e) => e.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      const answers = await service.createEncounters(SYSTEM, [bad[0], good[0], bad[1], good[1], bad[2], bad[3], good[2], bad[4], bad[5]]);
      const got = answers.map((a) => ('id' in a ? 'id' : a.error instanceof InputError ? `input:${a.error.field}` : a.error instanceof ConflictError ? 'conflict' : a.error.message));
      assert.deepEqual(got, ['input:hospitalCode', 'id', 'input:idNumber', 'id', 'input:coverageYear', 'input:personId', 'id', 'input:date', 'conflict']);
      // each refusal is the one createEncounter gives the same request alone
      for (const b of bad.slice(0, 5)) {
        const alone = await errorOf(service.createEncounter(SYSTEM, b));
        const inBatch = (await service.createEncounters(SYSTEM, [b]))[0];
        assert.ok('error' in inBatch);
        assert.equal(inBatch.error.constructor, alone.constructor);
        assert.equal(inBatch.error.message, alone.message);
      }
      const after = Number((await d.db.selectFrom('encounter').select((e) => e.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      assert.equal(after - before, 3, 'only the three good requests are written');

      // the same good requests one by one (fresh externalIds) give the same rows and audit details
      const batchIds = answers.flatMap((a) => ('id' in a ? [a.id] : []));
      for (const [k, g] of good.entries()) {
        const one = await service.createEncounter(SYSTEM, { ...g, ...(g.externalId ? { externalId: `${g.externalId}-alone` } : {}) });
        assert.deepEqual(await rowOf(batchIds[k]), await rowOf(one.id));
        const [a1, a2] = [await auditOf(batchIds[k]), await auditOf(one.id)];
        assert.equal(a1.length, 1);
        const strip = (a: (typeof a1)[number]) => ({ ...a, detail: { ...(a.detail as Record<string, unknown>), externalId: null } });
        assert.deepEqual(a1.map(strip), a2.map(strip));
      }
    });

    test('duplicates of an externalId: the later one in the batch, and one the table holds already', async () => {
      const r = (externalId: string, person: number): EncounterRequest => ({ hospitalCode: HB, idNumber: ids[person], coverageYear: 2022, type: 'general_outpatient', date: '2022-04-01', costs: costs(50), externalId });
      const first = await service.createEncounters(SYSTEM, [r('D-1', 0), r('D-1', 1), r('D-2', 2)]);
      assert.ok('id' in first[0] && 'error' in first[1] && 'id' in first[2]);
      assert.ok('error' in first[1] && first[1].error instanceof ConflictError);
      const again = await service.createEncounters(SYSTEM, [r('D-2', 3), r('D-3', 3)]);
      assert.ok('error' in again[0] && again[0].error instanceof ConflictError, 'D-2 is in the table already');
      assert.ok('id' in again[1]);
      const n = await d.db.selectFrom('encounter').select('external_id').where('hospital_code', '=', HB).where('external_id', 'in', ['D-1', 'D-2', 'D-3']).execute();
      assert.deepEqual(n.map((x) => x.external_id).sort(), ['D-1', 'D-2', 'D-3']);
    });

    test('a hospital account: only its own hospital, and a bare personId only for a patient it has a visit with', async () => {
      const answers = await service.createEncounters(hospitalA, [
        { hospitalCode: HB, idNumber: ids[0], coverageYear: 2022, type: 'general_outpatient', date: '2022-05-01', costs: costs(10) },
        { personId: personIds[3], coverageYear: 2022, type: 'general_outpatient', date: '2022-05-01', costs: costs(10) },
        { personId: personIds[0], coverageYear: 2022, type: 'general_outpatient', date: '2022-05-01', costs: costs(10) },
        { idNumber: ids[3], coverageYear: 2022, type: 'general_outpatient', date: '2022-05-01', costs: costs(10) },
      ]);
      const alone = await errorOf(service.createEncounter(hospitalA, { hospitalCode: HB, idNumber: ids[0], coverageYear: 2022, type: 'general_outpatient', date: '2022-05-01', costs: costs(10) }));
      assert.ok('error' in answers[0]);
      assert.equal(answers[0].error.constructor, alone.constructor, 'another hospital is refused as createEncounter refuses it');
      assert.ok('error' in answers[1] && answers[1].error instanceof InputError && answers[1].error.field === 'personId', 'person 4 had no visit at HA before this batch');
      assert.ok('id' in answers[2], 'person 1 has a visit at HA (the first test)');
      assert.ok('id' in answers[3]);
      const a = await auditOf((answers[3] as { id: string }).id);
      assert.deepEqual(a.map((x) => [x.actor, x.role, x.action]), [['hospa', 'hospital', 'create']]);
    });
  });
