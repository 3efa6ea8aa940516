/**
 * The microsimulation on worker threads (src/sim/microsim/threads.ts): the same seed gives the
 * single-thread year to the fen — baseline and reform, every month, group and decile — because
 * each block of persons draws from its own seed; a share drawn alone is the same persons and
 * encounters as in the whole population; the shares cover every person once, in whole blocks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Rng } from '../src/sim/random.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { InputError } from '../src/errors.ts';
import { drawEncounters, type Encounters } from '../src/sim/microsim/draws.ts';
import { BLOCK, generatePopulation, type Population } from '../src/sim/microsim/population.ts';
import { loadRates } from '../src/sim/microsim/rates.ts';
import { loadReform } from '../src/sim/microsim/reforms.ts';
import { diseasesOf, planFor, RATE_EXAMPLES, runOptions, simulate } from '../src/sim/microsim/simulate.ts';
import { summarise, differences } from '../src/sim/microsim/summary.ts';
import { runThreaded, shares } from '../src/sim/microsim/threads.ts';

const quotes = QuoteService.load();
const rates = loadRates();
const PACK = '500230/2022';

test('two worker threads give the single-thread year to the fen, baseline and reform on the same draws', async () => {
  const persons = 2 * BLOCK + 5077; // three blocks, the last one short
  const reform = loadReform('chongqing-2022-2023');
  const single = simulate(quotes, { region: '500230', year: 2022, persons, seed: 13, reform });
  const threaded = await runThreaded({ packId: PACK, region: '500230', year: 2022, persons, seed: 13, threads: 2, reform });
  assert.equal(threaded.shares.length, 2);
  assert.ok(threaded.shares.every((s) => s.encounters > 0));
  const hb = runOptions(rates).highBurdenFen;
  const extra = RATE_EXAMPLES;
  const bands = { from: rates.ageBands, criticalIllnessPerCapitaFen: runOptions(rates).criticalIllnessPerCapitaFen };
  const base = summarise(threaded.baseline, hb, extra, bands);
  const ref = summarise(threaded.reform!, hb, extra, bands);
  assert.equal(base.ageBands.length, rates.ageBands.length, 'the threaded year counts the age bands too');
  assert.equal(base.persons, persons);
  assert.ok(base.encounters > 3 * persons, 'about four encounters a person (example rates)');
  assert.deepEqual(base, single.baseline);
  assert.deepEqual(ref, single.reform!.summary);
  assert.deepEqual(differences(base, ref), single.reform!.differences);
  assert.notEqual(single.reform!.differences.find((d) => d.what === 'income.contributions')!.differenceFen, 0, 'the reform moved something');
});

test('a share of whole blocks drawn alone is the same persons and encounters as in the whole population (a share ends at a block boundary or at the last person)', () => {
  const seed = 20220101;
  const n = 2 * BLOCK + 5000; // the share: the second block and the short last one
  const diseases = diseasesOf(planFor(quotes, PACK).base);
  const whole = generatePopulation(n, seed, '500230', 2022, rates);
  const we = drawEncounters(whole, rates, diseases, seed);
  const part = generatePopulation(n - BLOCK, seed, '500230', 2022, rates, BLOCK);
  const pe = drawEncounters(part, rates, diseases, seed);
  const cols: (keyof Population & ('birth' | 'sex' | 'kind' | 'tier' | 'statusMask' | 'statusSet' | 'paid' | 'residence' | 'group'))[] = ['birth', 'sex', 'kind', 'tier', 'statusMask', 'statusSet', 'paid', 'residence', 'group'];
  for (const c of cols) assert.deepEqual(part[c], whole[c].slice(BLOCK, n), c);
  const k0 = we.start[BLOCK];
  const k1 = we.start[n];
  assert.equal(pe.count, k1 - k0);
  for (let i = 0; i <= n - BLOCK; i++) assert.equal(pe.start[i], we.start[BLOCK + i] - k0);
  const ecols: (keyof Encounters & ('type' | 'setting' | 'date' | 'level' | 'referred' | 'disease' | 'total' | 'fullOwnPay' | 'preSelfPay' | 'inScope'))[] = ['type', 'setting', 'date', 'level', 'referred', 'disease', 'total', 'fullOwnPay', 'preSelfPay', 'inScope'];
  for (const c of ecols) assert.deepEqual(pe[c], we[c].slice(k0, k1), c);
  assert.throws(() => generatePopulation(10, seed, '500230', 2022, rates, 5), RangeError);
});

test('the shares cover every person once, in whole blocks; a bad thread count names the field', async () => {
  for (const [persons, threads] of [[1, 2], [BLOCK, 2], [BLOCK + 1, 2], [10 * BLOCK + 7, 3], [100, 1]] as const) {
    const s = shares(persons, threads);
    assert.equal(s[0].from, 0);
    assert.equal(s[s.length - 1].to, persons);
    for (let i = 1; i < s.length; i++) assert.equal(s[i].from, s[i - 1].to);
    for (const x of s) assert.equal(x.from % BLOCK, 0);
    assert.ok(s.length <= threads && s.every((x) => x.to > x.from));
  }
  await assert.rejects(runThreaded({ packId: PACK, region: '500230', year: 2022, persons: 10, seed: 1, threads: 0 }), (e: unknown) => e instanceof InputError && /threads/.test(JSON.stringify(e)));
});

test('the generator keeps its state as int32 and gives the sfc32 stream of uint32 words (the populations of earlier runs)', () => {
  // sfc32 as first written, every state word brought back to uint32 before each step
  const reference = (seed: number) => {
    let a = 0x9e3779b9;
    let b = 0x243f6a88;
    let c = 0xb7e15162;
    let d = seed >>> 0;
    return () => {
      a >>>= 0;
      b >>>= 0;
      c >>>= 0;
      d >>>= 0;
      let t = (a + b) | 0;
      a = b ^ (b >>> 9);
      b = (c + (c << 3)) | 0;
      c = (c << 21) | (c >>> 11);
      d = (d + 1) | 0;
      t = (t + d) | 0;
      c = (c + t) | 0;
      return (t >>> 0) / 4294967296;
    };
  };
  fc.assert(
    fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }), (seed) => {
      const r = new Rng(seed);
      const ref = reference(seed);
      for (let i = 0; i < 15; i++) ref();
      for (let i = 0; i < 200; i++) assert.equal(r.next(), ref());
    }),
    { numRuns: 200 },
  );
});
