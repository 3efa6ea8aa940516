/**
 * The microsimulation: the demo town fed its own encounters gives the ledger's totals to the fen
 * (both databases); a reform that changes nothing gives zero differences; Chongqing 2022 → 2023
 * moves what it should; sums hold for any seed (property); the same seed, the same year.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { seedDemo } from '../src/sim/seed-demo.ts';
import { fundMonths } from '../src/ledger/fund-months.ts';
import { loadRegisters } from '../src/sim/microsim/registers.ts';
import { simulate } from '../src/sim/microsim/simulate.ts';
import { loadReform } from '../src/sim/microsim/reforms.ts';
import { parseReform } from '../src/policy/reform.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';

const quotes = QuoteService.load();
const ACCOUNT = { basicFund: 'basic_fund', criticalIllnessFund: 'critical_illness_fund', medicalAssistanceFund: 'medical_assistance_fund' } as const;

for (const backend of BACKENDS)
  describe(`the simulation of the demo town on ${backend}`, () => {
    let d: TestDatabase;
    before(async () => {
      d = await freshDatabase(backend);
      await seedDemo(d, quotes, { people: 300 });
    });
    after(() => d?.drop());

    test('fed the town’s own persons and encounters, it gives the ledger’s totals by fund, source and month, to the fen', async () => {
      const registers = await loadRegisters(d.db, quotes, '500230', 2022);
      const sim = simulate(quotes, { region: '500230', year: 2022, registers });
      const s = sim.baseline;
      const { lines } = await fundMonths(d.db, {});
      const ledger = (source: string, account: string, side: 'incomeFen' | 'spendingFen', month?: string) =>
        lines.filter((l) => l.source === source && l.account === account && (!month || l.month === month)).reduce((t, l) => t + l[side], 0);
      assert.equal(s.income.contributionsFen, ledger('payment', 'basic_fund', 'incomeFen'));
      assert.equal(s.income.assistanceFen, ledger('assistance', 'basic_fund', 'incomeFen'));
      assert.equal(s.income.assistanceFen, ledger('assistance', 'medical_assistance_fund', 'spendingFen'));
      assert.equal(s.income.subsidyFen, ledger('subsidy', 'basic_fund', 'incomeFen'));
      assert.equal(s.tiers.basicFundFen, ledger('settlement', 'basic_fund', 'spendingFen'));
      assert.equal(s.tiers.criticalIllnessFen, ledger('settlement', 'critical_illness_fund', 'spendingFen'));
      assert.equal(s.tiers.medicalAssistanceFen, ledger('settlement', 'medical_assistance_fund', 'spendingFen'));
      assert.ok(s.tiers.basicFundFen > 0 && s.income.subsidyFen > 0);
      // the town's own encounters: no example rates or costs, but the high-burden line is still an example
      assert.ok(!s.examplesUsed.some((e) => e.startsWith('sim.rates')), s.examplesUsed.join());
      assert.ok(s.examplesUsed.some((e) => e.startsWith('sim.highBurdenYuan')), s.examplesUsed.join());
      // by month: the basic fund's income (payments, assistance, subsidy) and each fund's settlement spending
      // (a newborn following its guardian has no payment date: the ledger dates its subsidy when it
      // was recorded, the simulation by the enrollment — those amounts move between months, no more)
      const undated = lines.filter((l) => l.source === 'subsidy' && l.account === 'basic_fund' && !s.months.some((m) => m.month === l.month)).reduce((t, l) => t + l.incomeFen, 0);
      let moved = 0;
      for (const m of s.months) {
        const inc = ledger('payment', 'basic_fund', 'incomeFen', m.month) + ledger('assistance', 'basic_fund', 'incomeFen', m.month) + ledger('subsidy', 'basic_fund', 'incomeFen', m.month);
        assert.ok(m.basicFund.incomeFen >= inc, m.month);
        moved += m.basicFund.incomeFen - inc;
        for (const k of ['basicFund', 'criticalIllnessFund', 'medicalAssistanceFund'] as const)
          assert.equal(m[k].spendingFen - (k === 'basicFund' ? (m.month === '2022-01' ? s.income.criticalIllnessAllocationFen : 0) : k === 'medicalAssistanceFund' ? ledger('assistance', ACCOUNT[k], 'spendingFen', m.month) : 0), ledger('settlement', ACCOUNT[k], 'spendingFen', m.month), `${k} ${m.month}`);
      }
      assert.equal(moved, undated);
      const levels = await d.db
        .selectFrom('posting as p')
        .innerJoin('journal_entry as j', 'j.id', 'p.entry_id')
        .select(['p.account', ({ fn }) => fn.sum<string>('p.amount_fen').as('fen')])
        .where('j.source', '=', 'subsidy')
        .where('p.account', 'like', 'subsidy_receivable_%')
        .groupBy('p.account')
        .execute();
      assert.deepEqual(Object.fromEntries(levels.map((l) => [l.account.replace('subsidy_receivable_', ''), Number(l.fen)])), s.income.subsidyByLevel);
      const settled = await d.db.selectFrom('settlement').select(({ fn }) => fn.countAll<string>().as('n')).where('reversed_at', 'is', null).executeTakeFirstOrThrow();
      assert.equal(s.encounters, Number(settled.n));
    });
  });

test('a reform that changes nothing gives zero differences, on the same draws', () => {
  const noop = parseReform({ name: 'no-op', baseline: '500230/2022', changes: [{ path: 'benefits.criticalIllness.deductible', value: 15412, from: '2022-01-01' }, { path: 'contribution.default.tier1', value: 320, from: '2022-05-01' }] });
  const sim = simulate(quotes, { region: '500230', year: 2022, persons: 3000, seed: 7, reform: noop });
  assert.ok(sim.reform);
  assert.ok(sim.reform.differences.length > 10);
  for (const x of sim.reform.differences) assert.equal(x.differenceFen, 0, x.what);
  assert.deepEqual(sim.reform.summary.months, sim.baseline.months);
});

test('Chongqing 2022 → 2023 on the 2022 town: contributions up by the standards, 大病保险 pays less with the higher deductible', () => {
  const reform = loadReform('chongqing-2022-2023');
  assert.equal(reform.changes.find((c) => c.path === 'benefits.criticalIllness.deductible')?.value, 16901);
  const sim = simulate(quotes, { region: '500230', year: 2022, persons: 5000, seed: 11, reform });
  const diff = (what: string) => sim.reform!.differences.find((x) => x.what === what)!.differenceFen;
  assert.ok(diff('income.contributions') > 0, 'persons pay more');
  assert.ok(diff('tiers.criticalIllness') <= 0, '大病保险 pays no more');
  assert.equal(diff('tiers.basicFund'), 0, 'the basic fund’s rules did not change');
  assert.equal(sim.baseline.encounters, sim.reform!.summary.encounters, 'the same draws');
  const hypo = simulate(quotes, { region: '500230', year: 2022, persons: 5000, seed: 11, reform: loadReform('hypothetical-ci-deductible') });
  assert.equal(hypo.reform!.hypothetical, true);
  assert.ok(hypo.reform!.differences.find((x) => x.what === 'tiers.criticalIllness')!.differenceFen >= 0);
  assert.ok(hypo.reform!.summary.examplesUsed.length > 0);
  for (const e of ['sim.rates', 'sim.highBurdenYuan']) assert.ok(sim.baseline.examplesUsed.some((x) => x.startsWith(e)), e);
});

test('property: for any seed the tiers add up to the costs, the months to the totals, the groups to all persons; the same seed gives the same year', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 1_000_000 }), (seed) => {
      const s = simulate(quotes, { region: '500230', year: 2022, persons: 400, seed }).baseline;
      const t = s.tiers;
      assert.equal(t.basicFundFen + t.criticalIllnessFen + t.medicalAssistanceFen + t.outOfPocketFen, t.totalCostFen);
      for (const k of ['basicFund', 'criticalIllnessFund', 'medicalAssistanceFund'] as const) {
        assert.equal(s.months.reduce((a, m) => a + m[k].incomeFen, 0), s.funds[k].incomeFen);
        assert.equal(s.months.reduce((a, m) => a + m[k].spendingFen, 0), s.funds[k].spendingFen);
      }
      assert.equal(s.outOfPocketByGroup.reduce((a, g) => a + g.persons, 0), s.persons);
      assert.equal(s.outOfPocketByGroup.reduce((a, g) => a + g.outOfPocketFen, 0), t.outOfPocketFen);
      assert.equal(s.outOfPocketByGroup.reduce((a, g) => a + g.highBurden, 0), s.highBurden.count);
      const shares = s.deciles.reduce((a, x) => a + x.share, 0);
      assert.ok(Math.abs(shares - (t.outOfPocketFen > 0 ? 1 : 0)) < 1e-9);
      assert.equal(s.income.subsidyFen, Object.values(s.income.subsidyByLevel).reduce((a, v) => a + v, 0));
      assert.deepEqual(simulate(quotes, { region: '500230', year: 2022, persons: 400, seed }).baseline, s);
    }),
    { numRuns: 8 },
  );
});

test('the age bands of a simulated year add up: the enrolled to the enrolled, the basic fund’s spending on them to its spending, to the fen', () => {
  const sim = simulate(quotes, { region: '500230', year: 2022, persons: 4000, seed: 11, reform: loadReform('chongqing-2022-2023') });
  for (const s of [sim.baseline, sim.reform!.summary]) {
    assert.deepEqual(s.ageBands.map((b) => b.from), [0, 6, 18, 45, 60, 70]);
    assert.equal(s.ageBands.reduce((t, b) => t + b.enrolled, 0), s.enrolled);
    assert.equal(s.ageBands.reduce((t, b) => t + b.basicFundSpendingFen, 0), s.funds.basicFund.spendingFen);
    const old = s.ageBands.at(-1)!;
    const young = s.ageBands[2];
    assert.ok(old.basicFundSpendingFen / old.enrolled > young.basicFundSpendingFen / young.enrolled, 'the example rates make the old cost more');
  }
});
