/**
 * OpenFisca-style policy cases: `policies/cases/<region>-<year>.yaml`, one file per pack.
 *
 * A case checks one sentence of a notice against the engine, and cites it:
 *
 *   - name: 城乡低保对象参加一档资助288元
 *     cite: 兴义府发〔2022〕3号 二(四)1          # document number + article
 *     quote: 城乡低保对象参加一档按一档标准的90%（即288元/人•年）资助   # verbatim
 *     request: { region: "500230", coverageYear: 2022, tier: tier1, person: {...} }   # the quote API request
 *     expect: { contributionAssistance: 288, individualDue: 32 }                     # partial answer
 *
 * or, for a pack value no contribution quote uses (outpatient limits, 大病 deductibles, targets):
 *
 *   - name: 大病保险起付线15412元
 *     cite: 兴义府发〔2022〕3号 四(一)
 *     quote: 从2022年1月1日起，将大病保险起付线调整为15412元/人•年
 *     value: { pack: "500000/2022", param: benefits.criticalIllness.deductible, equals: 15412 }
 *
 * `expect` is a deep partial match: objects name only the keys they check; arrays are compared
 * whole, element by element, unless written `{ $contains: [...] }`, where each listed item must
 * partially match some element (e.g. one step of the trace). Optional: `note` (why the case
 * expects what it does) and `knownIssue` (an engine or pack defect the case demonstrates: the case
 * still runs, is reported as skipped with the reason while it fails, and fails once it passes).
 *
 * The runner also checks that every quote is in the cited notice's own text (whitespace-
 * insensitively; where two notices share one text file, in that notice's part of it), and that
 * every cited parameter of every pack is exercised by some case (coverage).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { QuoteService } from '../src/quotes/quote-service.js';
import { contributionAnswerSchema, type ContributionAnswer } from '../src/quotes/contribution-request.js';
import type { PolicyLibrary } from '../src/policy/loader.js';

const service = QuoteService.load();
const lib = service.lib;
const CASES_DIR = join(lib.dir, 'cases');

// ---------------------------------------------------------------------------------------------
// Case files and their shape
// ---------------------------------------------------------------------------------------------

const PACK_ID = /^\d{6}\/\d{4}$/;
const ANSWER_KEYS = Object.keys(contributionAnswerSchema.shape) as [string, ...string[]];

const caseBase = {
  name: z.string().min(1, 'a case needs a name'),
  cite: z
    .string()
    .min(1)
    .refine((s) => /^[^\s号]+号\s*\S/u.test(s), { message: 'must start with a document number ending in 号, then the article, e.g. "兴义府发〔2022〕3号 二(四)"' }),
  quote: z.string().min(1, 'must copy the sentence of the notice the case checks'),
  note: z.string().optional(),
  knownIssue: z.string().min(1).optional(),
};

const requestCase = z
  .object({
    ...caseBase,
    request: z.record(z.string(), z.unknown()),
    expect: z
      .record(z.string(), z.unknown())
      .refine((e) => Object.keys(e).length > 0, { message: 'must name at least one field of the answer' })
      .superRefine((e, ctx) => {
        for (const k of Object.keys(e))
          if (!ANSWER_KEYS.includes(k))
            ctx.addIssue({ code: 'custom', path: [k], message: `is not a field of the quote answer (fields: ${ANSWER_KEYS.join(', ')})` });
      }),
  })
  .strict();

const valueCase = z
  .object({
    ...caseBase,
    value: z
      .object({
        pack: z.string().regex(PACK_ID, 'must be a pack id such as "500000/2022"'),
        param: z.string().min(1),
        equals: z.unknown().refine((v) => v !== undefined, { message: 'is required: the value the notice states' }),
      })
      .strict(),
  })
  .strict();

type RequestCase = z.infer<typeof requestCase>;
type ValueCase = z.infer<typeof valueCase>;
type PolicyCase = (RequestCase & { kind: 'request' }) | (ValueCase & { kind: 'value' });

interface CaseFile {
  file: string;
  pack: string | null;
  cases: PolicyCase[];
  problems: string[];
}

function fmtPath(path: PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
}

/** Read and shape-check one case file; problems name the file and the case. */
function readCaseFile(file: string, dir = CASES_DIR, shown = 'policies/cases'): CaseFile {
  const out: CaseFile = { file: `${shown}/${file}`, pack: null, cases: [], problems: [] };
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(join(dir, file), 'utf8'));
  } catch (e) {
    out.problems.push(`${out.file}: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
    return out;
  }
  const top = z
    .object({ pack: z.string().regex(PACK_ID, 'must be the pack id these cases exercise, e.g. "500230/2022"'), cases: z.array(z.unknown()).min(1) })
    .strict()
    .safeParse(raw);
  if (!top.success) {
    for (const i of top.error.issues) out.problems.push(`${out.file}: ${fmtPath(i.path) || '(file)'}: ${i.message}`);
    return out;
  }
  out.pack = top.data.pack;
  const expectedName = `${top.data.pack.replace('/', '-')}.yaml`;
  if (file !== expectedName) out.problems.push(`${out.file}: pack ${top.data.pack} belongs in policies/cases/${expectedName}`);
  if (!lib.hasPack(top.data.pack)) out.problems.push(`${out.file}: pack: no pack ${top.data.pack} in policies/`);
  const names = new Set<string>();
  top.data.cases.forEach((c, i) => {
    const label = `${out.file}: case #${i + 1}${c && typeof c === 'object' && 'name' in c ? ` "${String((c as { name: unknown }).name)}"` : ''}`;
    const isValue = c !== null && typeof c === 'object' && 'value' in c;
    const parsed = (isValue ? valueCase : requestCase).safeParse(c);
    if (!parsed.success) {
      const form = isValue ? 'a value case (name, cite, quote, value)' : 'a request case (name, cite, quote, request, expect)';
      for (const issue of parsed.error.issues) out.problems.push(`${label}: ${fmtPath(issue.path) || '(case)'}: ${issue.message} — expected ${form}`);
      return;
    }
    if (names.has(parsed.data.name)) out.problems.push(`${label}: another case of this file has the same name`);
    names.add(parsed.data.name);
    const pc: PolicyCase = isValue ? { ...(parsed.data as ValueCase), kind: 'value' } : { ...(parsed.data as RequestCase), kind: 'request' };
    if (pc.kind === 'value' && pc.value.pack !== top.data.pack) out.problems.push(`${label}: value.pack ${pc.value.pack} is not this file's pack ${top.data.pack}`);
    out.cases.push(pc);
  });
  return out;
}

const caseFiles: CaseFile[] = readdirSync(CASES_DIR)
  .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
  .sort()
  .map((f) => readCaseFile(f));

// ---------------------------------------------------------------------------------------------
// Notice texts
// ---------------------------------------------------------------------------------------------

const squash = (s: string): string => s.replace(/\s+/gu, '');

/**
 * The whitespace-free text of each notice. Where several notices share a text file (the XPCC
 * forward and the national notice it forwards), each gets its own part: from the line that is
 * its document number to the next such line.
 */
function noticeTexts(library: PolicyLibrary): Map<string, string> {
  const byFile = new Map<string, string[]>();
  for (const d of library.documents.values()) byFile.set(d.file, [...(byFile.get(d.file) ?? []), d.number]);
  const out = new Map<string, string>();
  for (const [file, numbers] of byFile) {
    const lines = readFileSync(join(library.dir, 'sources', file), 'utf8').split('\n');
    if (numbers.length === 1) {
      out.set(numbers[0], squash(lines.join('\n')));
      continue;
    }
    const starts = numbers
      .map((n) => ({ n, at: lines.findIndex((l) => squash(l) === squash(n)) }))
      .sort((a, b) => a.at - b.at);
    for (const s of starts) if (s.at < 0) throw new Error(`sources/${file}: no line reads "${s.n}", so its part of the shared file cannot be found`);
    starts.forEach((s, i) => {
      const from = i === 0 ? 0 : s.at;
      const to = i + 1 < starts.length ? starts[i + 1].at : lines.length;
      out.set(s.n, squash(lines.slice(from, to).join('\n')));
    });
  }
  return out;
}

const texts = noticeTexts(lib);

function documentNumber(cite: string): string | null {
  const i = cite.indexOf('号');
  return i > 0 ? cite.slice(0, i + 1) : null;
}

/** Why a quote is not in the document its citation names, or null when it is. */
function quoteProblem(cite: string, quote: string): string | null {
  const doc = documentNumber(cite);
  if (!doc || !texts.has(doc)) return `cite "${cite}" does not start with a document of policies/sources/index.yaml (${[...texts.keys()].join(', ')})`;
  if (!texts.get(doc)!.includes(squash(quote))) return `the quote is not in ${doc}: "${quote}"`;
  return null;
}

// ---------------------------------------------------------------------------------------------
// Deep partial match
// ---------------------------------------------------------------------------------------------

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const show = (v: unknown): string => JSON.stringify(v);

/** Mismatches of `actual` against the partial `expected`, each naming its path. */
function partialMismatches(actual: unknown, expected: unknown, path: string): string[] {
  if (isPlainObject(expected) && Object.keys(expected).length === 1 && '$contains' in expected) {
    const wanted = expected.$contains;
    if (!Array.isArray(wanted)) return [`${path}: $contains must list items`];
    if (!Array.isArray(actual)) return [`${path}: expected an array, got ${show(actual)}`];
    return wanted.flatMap((w, i) =>
      actual.some((a) => partialMismatches(a, w, path).length === 0) ? [] : [`${path}: no element matches $contains[${i}] ${show(w)}`],
    );
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${path}: expected the array ${show(expected)}, got ${show(actual)}`];
    try {
      assert.deepStrictEqual(actual, expected);
      return [];
    } catch {
      return [`${path}: expected ${show(expected)}, got ${show(actual)}`];
    }
  }
  if (isPlainObject(expected)) {
    if (!isPlainObject(actual)) return [`${path}: expected an object like ${show(expected)}, got ${show(actual)}`];
    return Object.entries(expected).flatMap(([k, v]) =>
      k in actual ? partialMismatches(actual[k], v, `${path}.${k}`) : [`${path}.${k}: missing (expected ${show(v)})`],
    );
  }
  return Object.is(actual, expected) ? [] : [`${path}: expected ${show(expected)}, got ${show(actual)}`];
}

// ---------------------------------------------------------------------------------------------
// Running the cases (once; the coverage test reads the same answers)
// ---------------------------------------------------------------------------------------------

interface Outcome {
  /** what went wrong, empty when the case holds */
  mismatches: string[];
  /** params the case touched, "pack param" */
  touched: string[];
}

function runRequest(file: CaseFile, c: RequestCase): Outcome {
  let answer: ContributionAnswer;
  try {
    answer = service.contribution(structuredClone(c.request));
  } catch (e) {
    return { mismatches: [`the request was not answered: ${(e as Error).name}: ${(e as Error).message}`], touched: [] };
  }
  const mismatches = partialMismatches(answer, c.expect, 'answer');
  if (answer.pack !== file.pack) mismatches.unshift(`answer.pack: the request is governed by ${answer.pack}, not by this file's pack ${file.pack}`);
  const shape = contributionAnswerSchema.safeParse(answer);
  if (!shape.success) mismatches.push(`the answer does not fit its own schema: ${shape.error.issues.map((i) => `${fmtPath(i.path)}: ${i.message}`).join('; ')}`);
  const touched = answer.trace.filter((s) => s.param && s.pack).map((s) => `${s.pack} ${s.param}`);
  return { mismatches, touched };
}

function runValue(c: ValueCase): Outcome {
  let pack;
  try {
    pack = lib.resolve(c.value.pack);
  } catch (e) {
    return { mismatches: [`pack ${c.value.pack} does not resolve: ${(e as Error).message}`], touched: [] };
  }
  const p = pack.params.get(c.value.param);
  if (!p) return { mismatches: [`pack ${c.value.pack} has no parameter ${c.value.param}`], touched: [] };
  const mismatches: string[] = [];
  try {
    assert.deepStrictEqual(p.value, c.value.equals);
  } catch {
    mismatches.push(`${c.value.pack} ${c.value.param}: the notice says ${show(c.value.equals)}, the pack has ${show(p.value)} (set in ${p.from})`);
  }
  if (!p.cite) mismatches.push(`${c.value.pack} ${c.value.param} carries no citation (it is an example: ${p.example ?? '?'})`);
  else if (documentNumber(p.cite) !== documentNumber(c.cite))
    mismatches.push(`${c.value.pack} ${c.value.param} cites ${p.cite}, the case cites ${c.cite}`);
  return { mismatches, touched: [`${p.from} ${c.value.param}`] };
}

const outcomes = new Map<PolicyCase, Outcome>();
for (const f of caseFiles)
  for (const c of f.cases) outcomes.set(c, c.kind === 'request' ? runRequest(f, c) : runValue(c));

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

describe('policy cases', () => {
  test('there is a case file for every pack', () => {
    const files = new Set(caseFiles.map((f) => f.pack));
    const missing = lib.packIds().filter((id) => !files.has(id));
    assert.deepEqual(missing, [], `packs without policies/cases/<region>-<year>.yaml: ${missing.join(', ')}`);
  });

  for (const f of caseFiles)
    describe(f.file, () => {
      test('case file is well formed', () => {
        assert.equal(f.problems.length, 0, `\n${f.problems.join('\n')}`);
      });
      for (const c of f.cases)
        test(c.name, (t) => {
          const where = `${f.file}: "${c.name}"`;
          const qp = quoteProblem(c.cite, c.quote);
          assert.equal(qp, null, `${where}: ${qp}`);
          const { mismatches } = outcomes.get(c)!;
          if (c.knownIssue) {
            assert.ok(mismatches.length > 0, `${where}: marked knownIssue ("${c.knownIssue}") but now holds — remove the mark`);
            t.skip(`knownIssue: ${c.knownIssue} | ${mismatches.join('; ')}`);
            return;
          }
          assert.equal(mismatches.length, 0, `${where} (${c.cite}):\n  ${mismatches.join('\n  ')}`);
        });
    });

  test('coverage: every cited parameter of every pack is exercised by a case', () => {
    const touched = new Set<string>();
    for (const o of outcomes.values()) for (const k of o.touched) touched.add(k);
    const uncovered: string[] = [];
    for (const id of lib.packIds())
      for (const [key, p] of Object.entries(lib.raw(id)!.params))
        if (p.cite && p.value !== null && !touched.has(`${id} ${key}`))
          uncovered.push(`${lib.fileOf(id)}: ${key} (${p.cite}${p.example ? '; example' : ''})`);
    assert.deepEqual(
      uncovered,
      [],
      `${uncovered.length} cited parameter(s) no case touches — add a request case whose trace names it (param + pack), or a value case:\n  ${uncovered.join('\n  ')}`,
    );
  });

  test('every pack quote is in its cited notice’s own text', () => {
    const bad: string[] = [];
    for (const id of lib.packIds())
      for (const [key, p] of Object.entries(lib.raw(id)!.params))
        if (p.cite && p.quote) {
          const qp = quoteProblem(p.cite, p.quote);
          if (qp) bad.push(`${lib.fileOf(id)}: params.${key}: ${qp}`);
        }
    assert.deepEqual(bad, [], bad.join('\n'));
  });

  test('a malformed case file is refused case by case, naming the file, the case and the field', () => {
    const bad = readCaseFile('500230-2022.yaml', join(import.meta.dirname, 'fixtures', 'bad-cases'), 'test/fixtures/bad-cases');
    const f = 'test/fixtures/bad-cases/500230-2022.yaml';
    assert.deepEqual(bad.problems, [
      `${f}: case #1 "no expect": expect: Invalid input: expected record, received undefined — expected a request case (name, cite, quote, request, expect)`,
      `${f}: case #2 "misspelt answer field": expect.individualdue: is not a field of the quote answer (fields: ${ANSWER_KEYS.join(', ')}) — expected a request case (name, cite, quote, request, expect)`,
      `${f}: case #3 "cite without its article": cite: must start with a document number ending in 号, then the article, e.g. "兴义府发〔2022〕3号 二(四)" — expected a request case (name, cite, quote, request, expect)`,
      `${f}: case #4 "value without equals": value.equals: is required: the value the notice states — expected a value case (name, cite, quote, value)`,
      `${f}: case #5 "unknown key": (case): Unrecognized key: "expected" — expected a request case (name, cite, quote, request, expect)`,
      `${f}: case #7 "duplicate": another case of this file has the same name`,
    ]);
    assert.equal(bad.cases.length, 2);
    assert.equal(quoteProblem('兴义府发〔2022〕3号 二(四)', '这句话不在通知里'), 'the quote is not in 兴义府发〔2022〕3号: "这句话不在通知里"');
    assert.match(quoteProblem('医保发〔2022〕20号 四', '对特困人员、孤儿参加居民基本医疗保险给予全额资助') ?? '', /not in 医保发〔2022〕20号/, 'a sentence of the XPCC forward is not in the national notice, though both share one text file');
    assert.equal(quoteProblem('兵医保发〔2022〕23号 四', '对特困人员、孤儿参加居民基本医疗保险给予全额资助'), null);
  });

  test('the partial match itself', () => {
    assert.deepEqual(partialMismatches({ a: 1, b: { c: 2, d: 3 } }, { b: { c: 2 } }, 'x'), []);
    assert.deepEqual(partialMismatches({ a: [1, 2] }, { a: [1] }, 'x'), ['x.a: expected [1], got [1,2]']);
    assert.deepEqual(partialMismatches({ a: null }, { a: { b: 1 } }, 'x'), ['x.a: expected an object like {"b":1}, got null']);
    assert.deepEqual(partialMismatches({}, { a: 0 }, 'x'), ['x.a: missing (expected 0)']);
    assert.deepEqual(partialMismatches([{ s: 'a', v: 1 }, { s: 'b', v: 2 }], { $contains: [{ s: 'b' }] }, 'x'), []);
    assert.equal(partialMismatches([{ s: 'a' }], { $contains: [{ s: 'b' }] }, 'x').length, 1);
    assert.deepEqual(partialMismatches(91.5, 91.5, 'x'), []);
  });
});
