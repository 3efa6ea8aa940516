/**
 * The counter-time screening rules (src/rules/risk/counter-rules.ts) as pure functions on the
 * real packs' FR04 / FR05: properties over random encounters (each hit's amount is the sum of its
 * lines'; no line is counted twice; FR05's amount is the quantity beyond the limit at the price;
 * duplicating a line k times is one FR04 hit of k-1 copies) and the pack's citation carried.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { screenRulesOf } from '../src/rules/risk/screen-rules.ts';
import { beyondDailyLimit, repeatedLines, screenAtCounter, type CounterLine } from '../src/rules/risk/counter-rules.ts';

const pack = QuoteService.load().lib.packFor('500230', 2022)!;
const rules = screenRulesOf(pack);
const FR04 = rules.get('FR04')!;
const FR05 = rules.get('FR05')!;

const lineArb = fc.record({
  item: fc.constantFrom('X0001', 'X0002', 'Z0003', '001', 'C0004'),
  cnt100: fc.integer({ min: 1, max: 2000 }),
  priceFen: fc.integer({ min: 1, max: 100000 }),
  day: fc.integer({ min: 10, max: 12 }),
  hour: fc.integer({ min: 8, max: 10 }),
});
const toLines = (xs: { item: string; cnt100: number; priceFen: number; day: number; hour: number }[]): CounterLine[] =>
  xs.map((x, i) => ({ rxId: `RX${i}`, itemCode: x.item, itemName: x.item, cnt100: x.cnt100, priceFen: x.priceFen, amountFen: Math.round((x.cnt100 * x.priceFen) / 100), at: `2022-03-${x.day} ${String(x.hour).padStart(2, '0')}:00:00` }));

test('each hit: its amount is the sum of its lines, every line belongs to one hit of a rule, amounts never negative', () => {
  fc.assert(
    fc.property(fc.array(lineArb, { maxLength: 60 }), (xs) => {
      const lines = toLines(xs);
      const hits = screenAtCounter(rules, lines);
      for (const h of hits) {
        assert.equal(h.amountFen, h.lines.reduce((s, l) => s + l.amountFen, 0));
        assert.ok(h.lines.every((l) => l.amountFen >= 0));
        assert.match(h.evidence, /兴义府发〔2022〕3号 六/);
      }
      for (const code of ['FR04', 'FR05']) {
        const seen = hits.filter((h) => h.code === code).flatMap((h) => h.lines.map((l) => l.rxId));
        assert.equal(new Set(seen).size, seen.length, `${code}: a line in two hits`);
      }
      // FR04 never claims more than the lines themselves
      for (const h of repeatedLines(FR04, lines)) assert.ok(h.amountFen <= h.lines.reduce((s, l) => s + lines.find((x) => x.rxId === l.rxId)!.amountFen, 0));
    }),
    { numRuns: 300 },
  );
});

test('FR05 at one price: the amount is exactly the quantity beyond the daily limit at that price; at the limit, no hit', () => {
  const max100 = Number(FR05.params.maxPerDay) * 100;
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 1500 }), { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 50000 }), (cnts, priceFen) => {
      const lines: CounterLine[] = cnts.map((c, i) => ({ rxId: `R${i}`, itemCode: 'X0001', itemName: 'x', cnt100: c, priceFen, amountFen: Math.round((c * priceFen) / 100), at: `2022-03-10 ${String(8 + i).padStart(2, '0')}:00:00` }));
      const total = cnts.reduce((s, c) => s + c, 0);
      const hits = beyondDailyLimit(FR05, lines);
      if (total <= max100) assert.equal(hits.length, 0);
      else {
        assert.equal(hits.length, 1);
        const expectFen = cnts.reduce((acc, c, i) => {
          const before = cnts.slice(0, i).reduce((s, x) => s + x, 0);
          const over = c - Math.max(0, Math.min(c, max100 - before));
          return acc + Math.round((over * priceFen) / 100);
        }, 0);
        assert.equal(hits[0]!.amountFen, expectFen);
        // within a fen per line of (total - limit) × price
        assert.ok(Math.abs(hits[0]!.amountFen - ((total - max100) * priceFen) / 100) <= cnts.length);
      }
    }),
  );
});

test('FR04: a line sent k times is one hit of k-1 copies; another quantity is a near miss', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 6 }), lineArb, (k, x) => {
      const [base] = toLines([x]);
      const lines = Array.from({ length: k }, (_v, i) => ({ ...base!, rxId: `C${i}` }));
      const near = { ...base!, rxId: 'N', cnt100: base!.cnt100 + 1 };
      const hits = repeatedLines(FR04, [...lines, near]);
      if (k < Number(FR04.params.minRepeats)) assert.equal(hits.length, 0);
      else {
        assert.equal(hits.length, 1);
        assert.equal(hits[0]!.amountFen, (k - 1) * base!.amountFen);
        assert.ok(!hits[0]!.lines.some((l) => l.rxId === 'N'));
      }
    }),
  );
});

test('rule codes narrow the rules run; a pack without the rule runs nothing of it', () => {
  const lines = toLines([{ item: 'X0001', cnt100: 3100, priceFen: 100, day: 10, hour: 8 }, { item: 'X0001', cnt100: 3100, priceFen: 100, day: 10, hour: 8 }]);
  assert.deepEqual(screenAtCounter(rules, lines).map((h) => h.code).sort(), ['FR04', 'FR05']);
  assert.deepEqual(screenAtCounter(rules, lines, ['FR04']).map((h) => h.code), ['FR04']);
  assert.deepEqual(screenAtCounter(new Map(), lines), []);
});
