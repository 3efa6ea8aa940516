/**
 * The console's pure parts, in node: finding a pack's quoted sentence in a notice's text as
 * held (whitespace and line breaks anywhere; the packs' quotes are checked without them), and
 * the Chinese error text that names the field the server named.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { highlight, normalize } from '../web/src/parts/highlight.ts';
import { fieldLabel, translateMessage } from '../web/src/labels.ts';
import { formField } from '../web/src/pages/quote-fields.ts';

const han = fc.constantFrom(...'参保缴费标准人均财政补助元年度居民医疗保险大病救助起付线比例'.split(''));
const ws = fc.constantFrom(' ', '\n', '\u3000', '\t');

test('highlight: the segments are the text; each hit, without whitespace, is the quote', () => {
  fc.assert(
    fc.property(fc.array(han, { minLength: 1, maxLength: 12 }), fc.array(han, { maxLength: 30 }), fc.array(han, { maxLength: 30 }), fc.array(fc.tuple(fc.nat(60), ws), { maxLength: 10 }), (q, pre, post, spaces) => {
      const chars = [...pre, ...q, ...post];
      for (const [at, w] of spaces) chars.splice(at % (chars.length + 1), 0, w);
      const text = chars.join('');
      const quote = q.join('');
      const { segments, found } = highlight(text, [quote]);
      assert.equal(segments.map((s) => s.text).join(''), text);
      assert.equal(found[0], true);
      const hits = segments.filter((s) => s.quote === 0).map((s) => normalize(s.text)).join('');
      assert.ok(hits.length >= quote.length && hits.length % quote.length === 0, 'whole occurrences only');
      for (let i = 0; i < hits.length; i += quote.length) assert.equal(hits.slice(i, i + quote.length), quote);
    }),
  );
});

test('highlight: a sentence that is not there is reported as not found, nothing marked', () => {
  const { segments, found } = highlight('一、2022年居民医保人均财政补助标准新增30元。', ['人均个人缴费标准']);
  assert.deepEqual(found, [false]);
  assert.ok(segments.every((s) => s.quote === -1));
});

test('errors name the field in Chinese, and the common messages are in Chinese', () => {
  assert.equal(fieldLabel('amountYuan'), '金额（元）');
  assert.equal(fieldLabel('encounter.fees.1.amount'), '费用明细第2项 · 金额');
  assert.equal(fieldLabel('encounter.date'), '就诊日期');
  assert.equal(fieldLabel('encounter.fees.1'), '费用明细第2项');
  assert.equal(translateMessage('amountYuan: 321.00 yuan is not the amount due: 320.00 yuan (paid on 2022-02-15)'), '321.00 元不是应缴金额：按缴费日期 2022-02-15 应缴 320.00 元');
  assert.equal(translateMessage('paidOn: must be a real date written YYYY-MM-DD'), '须为真实日期，格式 YYYY-MM-DD');
  assert.equal(translateMessage('wrong user name or password'), '用户名或密码错误');
  assert.match(translateMessage('something new', 'AFTER_FINAL_DEADLINE'), /^已超过最迟缴费期限（something new）$/);
});

test('the settlement form: a server field path is the form field', () => {
  assert.deepEqual(formField('encounter.fees.0.amount'), ['fees', 0, 'amount']);
  assert.deepEqual(formField('encounter.costs.total'), ['costs', 'total']);
  assert.deepEqual(formField('encounter.date'), ['encounter', 'date']);
  assert.deepEqual(formField('person.statuses.0'), ['statuses']);
  assert.deepEqual(formField('tier'), ['tier']);
});
