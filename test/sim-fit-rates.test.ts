/**
 * Rates fitted from a past year's settlements (src/sim/microsim/fit-rates.ts, issue #17 item 4):
 * under the fitted rates the draws' own intensities add up, type by type and band by band, to the
 * settlements observed; only settled encounters of enrolled persons count; a large year drawn from
 * known rates gives those rates back; a type without settlements keeps the example's costs. And
 * the simulation says where its rates came from.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ageOn, dayOf } from '../src/dates.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { drawEncounters } from '../src/sim/microsim/draws.ts';
import { fitRates } from '../src/sim/microsim/fit-rates.ts';
import { generatePopulation } from '../src/sim/microsim/population.ts';
import { bandOfAge, loadRates, SIM_TYPES, type SimRates } from '../src/sim/microsim/rates.ts';
import { simulate } from '../src/sim/microsim/simulate.ts';

const example = loadRates();
const quotes = QuoteService.load();

function year(n: number, seed: number) {
  const p = generatePopulation(n, seed, '500230', 2022, example);
  const e = drawEncounters(p, example, ['I10'], seed);
  // settled: the encounters of enrolled persons (as the registers settle them)
  const settled = new Uint8Array(e.count);
  for (let i = 0; i < p.n; i++) if (p.paid[i] >= 0) for (let k = e.start[i]; k < e.start[i + 1]; k++) settled[k] = 1;
  return { p, e, settled };
}

/** The draws' intensity of a person for a type (as drawEncounters computes it). */
const lambda = (r: SimRates, t: number, band: number, sex: number, needy: boolean) =>
  SIM_TYPES[t] === 'maternity' && sex === 0 ? 0 : r.rates[SIM_TYPES[t]][band] * (sex ? r.sexFactor.female : r.sexFactor.male) * (needy ? r.needyFactor : 1);

test('under the fitted rates the expected settlements of each type and band are the settlements observed', () => {
  const { p, e, settled } = year(6000, 3);
  const { rates, fit } = fitRates(p, e, settled, example);
  const band = bandOfAge(example);
  const nb = example.ageBands.length;
  const mid = dayOf(2022, 7, 1);
  const expected = new Float64Array(SIM_TYPES.length * nb);
  const observed = new Float64Array(SIM_TYPES.length * nb);
  let persons = 0;
  let settlements = 0;
  for (let i = 0; i < p.n; i++) {
    if (p.paid[i] < 0) continue;
    persons++;
    const b = band[Math.max(0, Math.min(120, ageOn(p.birth[i], mid)))];
    for (let t = 0; t < SIM_TYPES.length; t++) expected[t * nb + b] += lambda(rates, t, b, p.sex[i], p.statusMask[i] !== 0);
    for (let k = e.start[i]; k < e.start[i + 1]; k++) {
      observed[e.type[k] * nb + b]++;
      settlements++;
    }
  }
  assert.equal(fit.persons, persons);
  assert.equal(fit.settlements, settlements);
  for (let x = 0; x < expected.length; x++) assert.ok(Math.abs(expected[x] - observed[x]) < 1e-6, `${SIM_TYPES[Math.floor(x / nb)]} band ${x % nb}: ${expected[x]} ≠ ${observed[x]}`);
});

test('an encounter without a live settlement is not counted', () => {
  const { p, e, settled } = year(2000, 5);
  const all = fitRates(p, e, settled, example).fit.settlements;
  const fewer = settled.slice();
  let dropped = 0;
  for (let k = 0; k < fewer.length; k += 2)
    if (fewer[k]) {
      fewer[k] = 0;
      dropped++;
    }
  assert.ok(dropped > 0);
  assert.equal(fitRates(p, e, fewer, example).fit.settlements, all - dropped);
});

test('a large year drawn from known rates gives them back: the intensity of each well-observed cell within 15 %', () => {
  const { p, e, settled } = year(60_000, 11);
  const { rates } = fitRates(p, e, settled, example);
  let checked = 0;
  for (let t = 0; t < SIM_TYPES.length; t++)
    for (let b = 0; b < example.ageBands.length; b++)
      for (const sex of [0, 1])
        for (const needy of [false, true]) {
          const want = lambda(example, t, b, sex, needy);
          if (want * 2000 < 300) continue; // too few to judge in a cell of about 2 000 persons
          const got = lambda(rates, t, b, sex, needy);
          assert.ok(Math.abs(got / want - 1) < 0.15, `${SIM_TYPES[t]} band ${b} sex ${sex} needy ${needy}: ${got} vs ${want}`);
          checked++;
        }
  assert.ok(checked > 10, `${checked} cells checked`);
  // costs: the median of the drawn log-normal costs
  const m = rates.costs.inpatient.median / example.costs.inpatient.median;
  assert.ok(Math.abs(m - 1) < 0.1, `inpatient median ${rates.costs.inpatient.median} vs ${example.costs.inpatient.median}`);
});

test('a type without settlements keeps the example costs and says so; the simulation says where its rates came from', () => {
  const { p, e, settled } = year(3000, 7);
  const mat = SIM_TYPES.indexOf('maternity');
  for (let k = 0; k < e.count; k++) if (e.type[k] === mat) settled[k] = 0;
  const { rates, fit } = fitRates(p, e, settled, example);
  assert.deepEqual(rates.costs.maternity, example.costs.maternity);
  assert.ok(fit.keptExamples.includes('costs.maternity'));
  assert.deepEqual(rates.rates.maternity, example.rates.maternity.map(() => 0), 'no births observed: no births drawn');
  const sim = simulate(quotes, { region: '500230', year: 2022, persons: 500, seed: 2, rates, ratesFit: fit });
  assert.deepEqual(sim.ratesFrom, fit);
  assert.ok(sim.baseline.examplesUsed.some((x) => x.startsWith('sim.rates（就诊率、费用按 2022 年登记结算拟合')), sim.baseline.examplesUsed.join());
  assert.ok(!sim.baseline.examplesUsed.includes('sim.rates（policies/sim/rates-example.yaml：就诊率、费用分布、医院等级构成，示例）'));
  assert.equal(simulate(quotes, { region: '500230', year: 2022, persons: 500, seed: 2 }).ratesFrom, null);
});
