/**
 * FR03 待遇期外结算 finds its candidates from three narrow sides (src/risk/screen-sql.ts): persons
 * whose enrollment of the year is not paid or does not cover the whole year, persons without an
 * enrollment of the year, and encounters dated outside the year. One must-hit case for each of
 * the two sides the main screening test does not plant, and near misses beside them. The rows are
 * put in the state the rule looks for straight in the tables (as owner): the settlement service
 * itself would refuse to settle them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { HA, quotes, town, type Town } from './support/risk-town.ts';
import { runScreening } from '../src/risk/screening.ts';
import { riskDb } from '../src/risk/tables.ts';

for (const backend of BACKENDS)
  describe(`FR03 candidates on ${backend}`, () => {
    let d: TestDatabase;
    let t: Town;
    const who: Record<string, string> = {};

    before(async () => {
      d = await freshDatabase(backend, { asOwner: true });
      t = await town(d);
      for (const name of ['noEnrollment', 'datedBefore', 'inside', 'enrolledOtherYearToo'] as const) who[name] = (await t.person({})).id;
      for (const id of Object.values(who)) await t.settle(id, { date: '2022-03-01', inScope: 1200, hospital: HA });
      // the enrollment of 2022 turns out to be of 2021: settled with none for its year
      await d.db.updateTable('enrollment').set({ coverage_year: 2021 }).where('person_id', '=', who.noEnrollment!).execute();
      // the encounter of coverage year 2022 was in fact on 30 December 2021, before the benefit period
      const enc = await d.db.selectFrom('settlement').select('encounter_id').where('person_id', '=', who.datedBefore!).executeTakeFirstOrThrow();
      await d.db.updateTable('encounter').set({ date: '2021-12-30' }).where('id', '=', enc.encounter_id).execute();
      // near miss: enrolled for 2021 as well as 2022 (paid, whole year), settled inside 2022
      const e = await d.db.selectFrom('enrollment').selectAll().where('person_id', '=', who.enrolledOtherYearToo!).executeTakeFirstOrThrow();
      const { id: _id, ...rest } = e as typeof e & { id: string };
      await d.db.insertInto('enrollment').values({ ...rest, coverage_year: 2021, benefit_start: '2021-01-01', benefit_end: '2021-12-31' } as never).execute();
      await runScreening(d.db, quotes.lib, { year: 2022, region: '500230', codes: ['FR03'] });
    });
    after(async () => d?.drop());

    test('settled without an enrollment of the year, and dated before the benefit period: hits; settled inside a paid whole year: none', async () => {
      const c = await riskDb(d.db).selectFrom('risk_case').selectAll().where('rule_code', '=', 'FR03').orderBy('person_id').execute();
      assert.deepEqual(c.map((x) => String(x.person_id)).sort(), [who.noEnrollment!, who.datedBefore!].sort());
      const byPerson = new Map(c.map((x) => [String(x.person_id), x.detail as { enrollment: string | null; benefitStart: string | null; stay: { admitted: string } }]));
      assert.equal(byPerson.get(who.noEnrollment!)!.enrollment, null, 'no enrollment of 2022');
      assert.equal(byPerson.get(who.datedBefore!)!.stay.admitted, '2021-12-30');
      assert.equal(byPerson.get(who.datedBefore!)!.benefitStart, '2022-01-01');
    });
  });
