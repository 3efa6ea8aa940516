/**
 * The per-encounter screen of fee lines (FR04–FR06 on one encounter's lines, before settlement):
 * a hit and a near miss each, with the pack's rules; and a property: the amount at issue of a
 * repeated line is every copy but one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { screenEncounterLines, type FeeLineIn } from '../src/risk/screening.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';

const lib = QuoteService.load().lib;
const line = (sn: number, code: string, at: string, cnt: number, pric: number): FeeLineIn => ({ feedetlSn: String(sn), code, at, cnt, pric, amountFen: Math.round(cnt * pric * 100) });
const screen = (lines: FeeLineIn[]) => screenEncounterLines(lib, '500230', 2022, lines);

test('FR04: the same line twice hits, the same item at another time does not', () => {
  const hits = screen([line(1, 'X01', '2022-07-01 09:00:00', 2, 15.5), line(2, 'X01', '2022-07-01 09:00:00', 2, 15.5)]);
  assert.deepEqual(hits.map((h) => [h.rule, h.lines, h.amountFen]), [['FR04', ['1', '2'], 3100]]);
  assert.equal(hits[0]!.citation.cite, '兴义府发〔2022〕3号 六');
  assert.equal(hits[0]!.name, '重复收费');
  assert.deepEqual(screen([line(1, 'X01', '2022-07-01 09:00:00', 2, 15.5), line(2, 'X01', '2022-07-01 21:00:00', 2, 15.5)]), []);
});

test('FR05: 31 in a day hits (example limit 30), 30 does not', () => {
  const hits = screen([line(1, 'Z10', '2022-08-01 08:00:00', 20, 1), line(2, 'Z10', '2022-08-01 20:00:00', 11, 1)]);
  assert.deepEqual(hits.map((h) => [h.rule, h.amountFen]), [['FR05', 100]]);
  assert.deepEqual(screen([line(1, 'Z10', '2022-08-01 08:00:00', 20, 1), line(2, 'Z10', '2022-08-01 20:00:00', 10, 1), line(3, 'Z10', '2022-08-02 08:00:00', 30, 1)]), []);
});

test('FR06: four dialysis sessions in a week hit, three a week do not', () => {
  const d = (sn: number, day: string) => line(sn, '003110000060000', `${day} 08:00:00`, 1, 400);
  const hits = screen([d(1, '2022-05-02'), d(2, '2022-05-04'), d(3, '2022-05-05'), d(4, '2022-05-08')]);
  assert.deepEqual(hits.map((h) => [h.rule, h.detail.week, h.amountFen]), [['FR06', '2022-05-02', 40000]]);
  assert.deepEqual(screen([d(1, '2022-05-02'), d(2, '2022-05-04'), d(3, '2022-05-06'), d(4, '2022-05-09')]), []);
});

test("each rule cites the notice that applies to the area: 丰都县 the town's notice, 山东 its own, elsewhere the national one", () => {
  const dialysis = [1, 2, 3, 4].map((sn, i) => line(sn, '003110000060000', `2022-05-0${2 + i} 08:00:00`, 1, 400));
  const repeated = [line(1, 'X01', '2022-07-01 09:00:00', 2, 15.5), line(2, 'X01', '2022-07-01 09:00:00', 2, 15.5)];
  const cite = (region: string, year: number, lines: FeeLineIn[], rule: string) => screenEncounterLines(lib, region, year, lines).find((h) => h.rule === rule)!.citation;
  assert.equal(cite('370000', 2022, dialysis, 'FR06').cite, '鲁医保发〔2022〕24号 八');
  assert.equal(cite('370100', 2023, dialysis, 'FR06').cite, '鲁医保发〔2022〕24号 八', "济南 by Shandong's pack");
  assert.equal(cite('370000', 2022, repeated, 'FR04').cite, '医保发〔2022〕20号 七', 'Shandong names no rule on repeated lines: the national notice');
  assert.equal(cite('500230', 2022, dialysis, 'FR06').cite, '医保发〔2022〕20号 七', '丰都县 is not governed by a Shandong notice');
  assert.equal(cite('500230', 2022, repeated, 'FR04').cite, '兴义府发〔2022〕3号 六');
  for (const region of ['450000', '660000', '500101'])
    for (const [lines, rule] of [[dialysis, 'FR06'], [repeated, 'FR04']] as const) {
      const c = cite(region, 2022, lines, rule);
      assert.equal(c.cite, '医保发〔2022〕20号 七', `${region} ${rule}`);
      assert.equal(c.quote, '继续开展打击欺诈骗保专项整治行动，不断拓展专项整治行动的广度和深度');
    }
});

test('property: a line repeated n times puts n − 1 copies at issue', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 99999 }), (n, cnt, fen) => {
      const lines = Array.from({ length: n }, (_, i) => ({ feedetlSn: String(i), code: 'X9', at: '2022-01-03 10:00:00', cnt, pric: fen / 100, amountFen: cnt * fen }));
      const h = screen(lines).filter((x) => x.rule === 'FR04');
      if (n < 2) return h.length === 0;
      return h.length === 1 && h[0]!.amountFen === (n - 1) * cnt * fen;
    }),
  );
});
