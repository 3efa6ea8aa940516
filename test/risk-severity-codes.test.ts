/**
 * The 3101/3102 answers' sev_deg (严重程度) and vola_bhvr_type (违规行为分类) are the codes of the
 * spec's dictionary (fsi-interface-v1.1.27.md 6.79 表452 and 6.80 表453 — the spec numbers a
 * transaction's tables 452/453 too, the dictionary's are meant). The dictionary is read from the
 * spec here, not copied; each rule's codes in the packs are checked against what the rule is:
 *
 *   表452严重程度: | 1 | 明确违规 | 3 | 轻度可疑 |  /  | 2 | 高度可疑 |
 *   表453违规行为分类: | 1 | 就诊类 | 2 | 项目类 |
 *
 * (the table has two code columns per row, so 3 轻度可疑 stands beside 1 and 2 高度可疑 below it:
 * 1 is the surest, 3 the least sure; not swapped in the packs).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { screenRulesOf } from '../src/rules/risk/screen-rules.ts';

const SPEC = readFileSync(join(import.meta.dirname, '../../shared/specs/fsi-interface-v1.1.27.md'), 'utf8');

/** A dictionary table of the spec (code → name), from its title line to the next blank line. */
function dictionary(title: string): Map<string, string> {
  const at = SPEC.indexOf(`\n${title}\n`);
  assert.ok(at >= 0, `the spec has ${title}`);
  const out = new Map<string, string>();
  for (const row of SPEC.slice(at + title.length + 2).split('\n\n')[0]!.split('\n').slice(1)) {
    const cells = row.split('|').map((c) => c.trim()).slice(1, -1);
    for (let i = 0; i + 1 < cells.length; i += 2) if (cells[i]) out.set(cells[i]!, cells[i + 1]!);
  }
  return out;
}

const SEVERITY = dictionary('表 452严重程度');
const BEHAVIOUR = dictionary('表 453违规行为分类');

test('the spec dictionary: 表452 1 明确违规, 2 高度可疑, 3 轻度可疑; 表453 1 就诊类, 2 项目类', () => {
  assert.deepEqual([...SEVERITY].sort(), [['1', '明确违规'], ['2', '高度可疑'], ['3', '轻度可疑']]);
  assert.deepEqual([...BEHAVIOUR].sort(), [['1', '就诊类'], ['2', '项目类']]);
});

test("each pack's rules carry the code whose name fits the rule", () => {
  const lib = QuoteService.load().lib;
  // what the rule is: a registered fact contradicted (明确违规), a pattern that needs a look (高度可疑), a statistic (轻度可疑)
  const severity: Record<string, string> = { FR01: '明确违规', FR02: '明确违规', FR03: '高度可疑', FR04: '高度可疑', FR05: '高度可疑', FR06: '高度可疑', FR07: '高度可疑', FR08: '高度可疑', FR09: '轻度可疑', FR10: '高度可疑' };
  // about fee items (the lines) or about the encounter
  const behaviour: Record<string, string> = { FR01: '就诊类', FR02: '就诊类', FR03: '就诊类', FR04: '项目类', FR05: '项目类', FR06: '项目类', FR07: '项目类', FR08: '就诊类', FR09: '就诊类', FR10: '就诊类' };
  let packs = 0;
  for (const [region, year] of [['500230', 2022], ['500230', 2023], ['000000', 2022], ['000000', 2023]] as const) {
    const pack = lib.packFor(region, year);
    if (!pack) continue;
    packs++;
    const rules = screenRulesOf(pack);
    assert.equal(rules.size, 10, `${pack.id} carries the ten rules`);
    for (const [code, r] of rules) {
      assert.equal(SEVERITY.get(r.severity), severity[code], `${pack.id} ${code} sev_deg ${r.severity}`);
      assert.equal(BEHAVIOUR.get(r.behaviour), behaviour[code], `${pack.id} ${code} vola_bhvr_type ${r.behaviour}`);
    }
  }
  assert.ok(packs >= 2);
});
