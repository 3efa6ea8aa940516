/** The demo town goes through the real services and leaves a consistent system (small town, both databases). */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { QuoteService } from '../src/services/quote-service.ts';
import { trialBalance } from '../src/services/ledger-report.ts';
import { generateTown } from '../src/sim/population.ts';
import { seedDemo } from '../src/sim/seed-demo.ts';
import { isValidIdNumber } from '../src/services/id-number.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';

test('the generated town is reproducible, with valid and unique ID numbers and realistic shares', () => {
  const a = generateTown({ people: 3000, encounters: false });
  const b = generateTown({ people: 3000, encounters: false });
  assert.deepEqual(a.persons.slice(0, 50), b.persons.slice(0, 50));
  assert.equal(new Set(a.persons.map((p) => p.idNumber)).size, a.persons.length);
  assert.ok(a.persons.every((p) => isValidIdNumber(p.idNumber)));
  const share = (f: (p: (typeof a.persons)[number]) => boolean) => a.persons.filter(f).length / a.persons.length;
  const dibao = share((p) => p.statuses.some((s) => s.status === 'dibao'));
  assert.ok(dibao > 0.02 && dibao < 0.12, `低保 share ${dibao}`);
  assert.ok(share((p) => p.payment !== null) > 0.85);
  assert.ok(share((p) => Number(p.birthDate.slice(0, 4)) <= 1962) > 0.15, 'many elderly, as in a mountain township');
});

for (const backend of BACKENDS)
  describe(`demo seeding on ${backend}`, () => {
    let d: TestDatabase;
    before(async () => {
      d = await freshDatabase(backend);
    });
    after(() => d?.drop());
    test('a small town: persons, payments, settlements; the ledger balances', async () => {
      const s = await seedDemo(d, QuoteService.load(), { people: 300 });
      assert.equal(s.persons, 300);
      assert.ok(s.payments > 250, `payments ${s.payments}`);
      assert.equal(s.paymentProblems, 0);
      assert.ok(s.settlements > 200 && s.settlements === s.encounters, `settlements ${s.settlements} of ${s.encounters}`);
      const tb = await trialBalance(d.db);
      assert.equal(tb.balanced, true);
      const n = await d.db.selectFrom('audit_log').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
      assert.ok(n.n > 100, 'the demo is audited as system');
    });
  });
