/**
 * High-burden warnings (issue #18 item 1): a warning is written when the settlement that crosses
 * the pack's threshold is written (not only by the batch scan); the needy groups' lower
 * threshold; a near miss below the threshold gives none; the batch scan finds the same.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { town, type Town } from './support/risk-town.ts';
import { riskDb } from '../src/risk/tables.ts';

for (const backend of BACKENDS)
  describe(`high-burden warnings on ${backend}`, () => {
    let d: TestDatabase;
    let t: Town;
    before(async () => {
      d = await freshDatabase(backend);
      t = await town(d);
    });
    after(async () => d?.drop());

    const warningsOf = (personId: string) => riskDb(d.db).selectFrom('risk_warning').selectAll().where('person_id', '=', personId).orderBy('basis').execute();

    test('the settlement that crosses 50% of the per-capita income (example 18000 元) writes the warning as it is written', async () => {
      const p = await t.person();
      const first = await t.settle(p.id, { date: '2022-03-01', ownPay: 5000 });
      assert.equal(first.cashFen, 500000, 'fully own-paid costs stay with the person');
      assert.deepEqual(await warningsOf(p.id), [], 'below 9000 元 no warning');
      const second = await t.settle(p.id, { date: '2022-05-10', ownPay: 4000 });
      const w = await warningsOf(p.id);
      assert.deepEqual(w.map((x) => x.basis), ['coverage_year', 'rolling_12_months']);
      for (const x of w) {
        assert.equal(Number(x.burden_fen), 900000);
        assert.equal(Number(x.threshold_fen), 900000);
        assert.equal(x.settlement_id, second.settlementId, 'the crossing settlement is named');
        assert.equal(x.found_by, 'settlement');
        assert.equal(x.encounters, 2);
        assert.equal(x.needy, false);
        const e = x.explanation as { text: string; citation: { cite: string; example: string | null } };
        assert.equal(e.citation.cite, '医保发〔2022〕20号 三');
        assert.ok(e.citation.example, 'the thresholds are marked as examples');
        assert.match(e.text, /9000\.00 元/);
      }
      // a third settlement does not write the same warning again
      await t.settle(p.id, { date: '2022-06-01', ownPay: 100 });
      assert.equal((await warningsOf(p.id)).length, 2);
    });

    test('near miss: 8999.99 元 in the year gives no warning', async () => {
      const p = await t.person();
      await t.settle(p.id, { date: '2022-03-01', ownPay: 5000 });
      await t.settle(p.id, { date: '2022-04-01', ownPay: 3999.99 });
      assert.deepEqual(await warningsOf(p.id), []);
    });

    test('a needy person (低保对象) is warned at 25% (4500 元), a person without status is not', async () => {
      const needy = await t.person({ statuses: ['dibao'] });
      const s = await t.settle(needy.id, { date: '2022-07-01', ownPay: 4600 });
      const w = await warningsOf(needy.id);
      assert.equal(w.length, 2);
      assert.equal(w[0].needy, true);
      assert.deepEqual(w[0].statuses, ['dibao']);
      assert.equal(Number(w[0].threshold_fen), 450000);
      assert.equal(w[0].settlement_id, s.settlementId);
      assert.match((w[0].explanation as { text: string }).text, /低保对象/);
      const other = await t.person();
      await t.settle(other.id, { date: '2022-07-01', ownPay: 4600 });
      assert.deepEqual(await warningsOf(other.id), []);
    });

    test('the batch scan finds what the settlements found and adds nothing twice', async () => {
      const before = await riskDb(d.db).selectFrom('risk_warning').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
      const added = await t.watch.assess([2022], null, 'scan');
      assert.equal(added.length, 0);
      const facts = await t.watch.facts([2022], null);
      assert.ok(facts.length >= 2);
      const after2 = await riskDb(d.db).selectFrom('risk_warning').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
      assert.equal(after2.n, before.n);
    });
  });
