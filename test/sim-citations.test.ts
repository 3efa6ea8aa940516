/**
 * The numbers the microsimulation's data files take from the notices (issue #17): every cited
 * change of a shipped reform and every cited projection assumption quotes a sentence that is in
 * the cited notice's own text (policies/sources, whitespace-insensitive, as the pack loader checks
 * pack values), and the number it sets is in that sentence; every number without a citation is
 * marked (a reform's note and `hypothetical`, an assumption's `example`). The bundled notices are
 * the shared originals unchanged, where those are at hand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { PolicyLibrary } from '../src/policy/loader.ts';
import { documentOf, normalizeText } from '../src/policy/citation.ts';
import { shippedReforms } from '../src/sim/microsim/reforms.ts';
import { DEFAULT_PROJECTION_FILE, loadProjectionAssumptions } from '../src/sim/microsim/projection-assumptions.ts';

const lib = PolicyLibrary.load();

/** The numbers a value sets (a number, or the numbers of an object's fields). */
const numbersOf = (v: unknown): number[] => (typeof v === 'number' ? [v] : v && typeof v === 'object' ? Object.values(v).flatMap(numbersOf) : []);

/** Why a citation does not hold, or null when it does: the notice is bundled, the sentence is in it, and each number is in the sentence. */
function citationProblem(cite: string, quote: string | null | undefined, numbers: number[]): string | null {
  const no = documentOf(cite);
  const doc = no ? lib.documents.get(no) : undefined;
  if (!doc) return `"${cite}" names no bundled notice`;
  if (!quote) return 'a citation without its sentence (quote)';
  if (!doc.text.includes(normalizeText(quote))) return `the sentence is not in ${no}`;
  for (const n of numbers) if (!quote.includes(String(n))) return `${n} is not in the quoted sentence`;
  return null;
}

test('the citation check itself: a sentence not in the notice, or a number not in the sentence, is refused', () => {
  const q = '从2023年1月1日起，将大病保险起付线调整为16901元/人·年';
  assert.equal(citationProblem('渝医保发〔2022〕25号 二', q, [16901]), null);
  assert.match(citationProblem('渝医保发〔2022〕25号 二', q.replace('16901', '16902'), [16902])!, /not in 渝医保发/);
  assert.match(citationProblem('渝医保发〔2022〕25号 二', q, [16900])!, /16900 is not in the quoted sentence/);
  assert.match(citationProblem('兴义府发〔2022〕3号', q, [16901])!, /not in 兴义府发/);
  assert.match(citationProblem('某发〔2099〕1号', q, [16901])!, /names no bundled notice/);
});

test('shipped reforms: each cited change quotes its notice and the number it sets; an uncited one is a marked hypothesis', () => {
  const reforms = shippedReforms();
  assert.ok(reforms.some((r) => r.id === 'chongqing-2022-2023') && reforms.some((r) => r.reform.hypothetical), 'the Chongqing reform and a hypothetical one are shipped');
  for (const { id, reform } of reforms)
    for (const [i, c] of reform.changes.entries()) {
      if (c.cite) assert.equal(citationProblem(c.cite, c.quote, numbersOf(c.value)), null, `${id} changes.${i} (${c.path})`);
      else {
        assert.ok(reform.hypothetical, `${id} changes.${i} (${c.path}) has no citation, so the reform must be hypothetical`);
        assert.ok(c.note, `${id} changes.${i} (${c.path}) has no citation, so it says why (note)`);
      }
    }
});

test('Chongqing 2022 → 2023: the baseline pack holds the 2022 numbers and the reform sets the 2023 ones (320 → 350, 695 → 725, 15412 → 16901)', () => {
  const chongqing = shippedReforms().find((r) => r.id === 'chongqing-2022-2023')!.reform;
  const base = lib.resolve(chongqing.baseline);
  const to = (path: string) => chongqing.changes.find((c) => c.path === path)?.value;
  assert.deepEqual(base.params.get('contribution.default')?.value, { tier1: 320, tier2: 695 });
  assert.deepEqual(to('contribution.default'), { tier1: 350, tier2: 725 });
  assert.equal(base.params.get('benefits.criticalIllness.deductible')?.value, 15412);
  assert.equal(to('benefits.criticalIllness.deductible'), 16901);
  // the 2023 pack says the same as the reform: the reform is the 2023 notice's numbers on the 2022 year
  const y2023 = lib.resolve(lib.packIdFor('500230', 2023)!);
  assert.deepEqual(y2023.params.get('contribution.default')?.value, to('contribution.default'));
  assert.equal(y2023.params.get('benefits.criticalIllness.deductible')?.value, to('benefits.criticalIllness.deductible'));
});

test('projection assumptions: each cited one quotes its notice and its number; the rest are marked example', () => {
  const raw = parse(readFileSync(DEFAULT_PROJECTION_FILE, 'utf8')) as Record<string, { value?: number; cite?: string; quote?: string; example?: string }>;
  const a = loadProjectionAssumptions(DEFAULT_PROJECTION_FILE);
  let cited = 0;
  for (const name of ['ageing', 'costGrowth', 'contributionRise', 'subsidyRise', 'enrollmentChange'] as const) {
    assert.equal(a[name].value, raw[name].value);
    if (a[name].cite) {
      cited++;
      assert.equal(citationProblem(a[name].cite!, a[name].quote, [a[name].value]), null, name);
    } else assert.ok(a[name].example, `${name} is neither cited nor marked example`);
  }
  assert.ok(cited >= 2, 'the 30-yuan rises are cited');
});

test('the bundled notices are the shared originals, unchanged', { skip: !existsSync('/work/shared/policy-docs') && 'no shared copy here' }, () => {
  const shared = '/work/shared/policy-docs';
  const bundled = join(import.meta.dirname, '..', 'policies', 'sources');
  for (const f of readdirSync(shared).filter((x) => x.endsWith('.txt'))) assert.ok(readFileSync(join(shared, f)).equals(readFileSync(join(bundled, f))), `${f} differs from the shared copy`);
});
