/**
 * Needy but not covered (issue #18 item 3 / brief item 2): needy persons not enrolled, enrolled
 * without paying, or enrolled without the assistance their status gives — with the reason; the
 * near misses (assisted, or no status) are not listed; a clerk sees only their villages.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { quotes, town, VILLAGE_B, type Town } from './support/risk-town.ts';
import { coverageGaps } from '../src/risk/coverage-gaps.ts';
import { SYSTEM, type Actor } from '../src/access/roles.ts';

for (const backend of BACKENDS)
  describe(`needy but not covered on ${backend}`, () => {
    let d: TestDatabase;
    let t: Town;
    before(async () => {
      d = await freshDatabase(backend);
      t = await town(d);
    });
    after(async () => d?.drop());

    test('each gap with its reason; the assisted and those without status are not listed', async () => {
      const notEnrolled = await t.person({ statuses: ['dibao'], enrolled: null });
      const notPaid = await t.person({ statuses: ['destitute'], enrolled: 'assessed' });
      const unassisted = await t.person({ statuses: ['dibao'], assistanceFen: 0 });
      const assisted = await t.person({ statuses: ['dibao'], assistanceFen: 19200 });
      const noStatus = await t.person({ enrolled: null });
      const otherVillage = await t.person({ statuses: ['orphan'], enrolled: null, village: VILLAGE_B });
      const r = await coverageGaps(d.db, quotes.lib, SYSTEM, 2022);
      const by = new Map(r.gaps.map((g) => [g.personId, g]));
      assert.equal(by.get(notEnrolled.id)?.reason, 'not_enrolled');
      assert.equal(by.get(notEnrolled.id)?.cite, '兴义府发〔2022〕3号 五');
      assert.equal(by.get(notPaid.id)?.reason, 'not_paid');
      const u = by.get(unassisted.id)!;
      assert.equal(u.reason, 'no_assistance');
      assert.equal(u.cite, '医保发〔2022〕20号 三');
      assert.ok(u.rules!.some((x) => x.startsWith('dibao')), JSON.stringify(u.rules));
      assert.match(u.text, /低保对象/);
      assert.equal(by.has(assisted.id), false, 'assisted: covered');
      assert.equal(by.has(noStatus.id), false, 'no needy status: not this list');
      assert.equal(by.get(otherVillage.id)?.reason, 'not_enrolled');
      assert.match(by.get(notEnrolled.id)!.idNumber, /\*{8}/);
      const clerk: Actor = { userId: '9', username: 'clerk-a', role: 'clerk', villages: ['500230100001'], hospitalCode: null };
      const mine = await coverageGaps(d.db, quotes.lib, clerk, 2022);
      assert.ok(mine.gaps.length >= 3);
      assert.ok(mine.gaps.every((g) => g.villageCode === '500230100001'));
    });
  });
