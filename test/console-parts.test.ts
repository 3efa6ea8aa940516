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

test('the campaign pages: their server messages in Chinese, the field named; half-month ends as the server counts them', async () => {
  const { endOnOrBefore, halfMonthEnd, rowsBelow } = await import('../web/src/parts/campaign-figures.ts');
  assert.equal(fieldLabel('asOf'), '统计日期');
  assert.equal(fieldLabel('town'), '乡镇（街道）');
  assert.equal(translateMessage("area 500230101 is outside village's area (500230100001)"), '区域 500230101 不在 village 的经办范围内');
  assert.equal(translateMessage('asOf: must be a date written YYYY-MM-DD'), '须为日期，格式 YYYY-MM-DD');
  assert.equal(translateMessage('town: 500230100001 is a village: give its township (9 digits) or the county'), '500230100001 是村（社区）：通报按乡镇（街道）或全县编制');
  assert.equal(translateMessage('no policy pack covers region 500230 in 2031'), '没有统筹区 500230 2031 年度的政策包');
  assert.equal(translateMessage('"x" is not one of the groups: dibao, destitute'), '不是七类对象之一');
  assert.deepEqual(['2022-02-28', '2022-02-27', '2022-02-15', '2022-02-14', '2022-01-01', '2024-02-29', '2024-03-10'].map(endOnOrBefore), ['2022-02-28', '2022-02-15', '2022-02-15', '2022-01-31', '2021-12-31', '2024-02-29', '2024-02-29']);
  assert.equal(halfMonthEnd('2023-02-28'), true);
  assert.equal(halfMonthEnd('2024-02-28'), false);
  // a county's townships: its villages summed, the rates of the sums (not of the villages' rates)
  const v = (code: string, target: number, paid: number, last: number) => ({ villageCode: code, villageName: code, townshipName: `T${code.slice(0, 9)}`, target, paid, unpaid: target - paid, refused: 0, blocked: 0, lastYear: { enrolled: last, enrolledSameDay: last, asOf: '', rate: null, change: 0 } });
  const p = { area: { code: '500230', name: '', level: 'county', region: '500230' }, villages: [v('500230100001', 3, 1, 2), v('500230100002', 3, 2, 2), v('500230101001', 7, 7, 0)] };
  const rows = rowsBelow(p as never, null, null, new Map());
  assert.deepEqual(rows.map((r) => [r.code, r.target, r.paid, r.rate?.text, r.lastYear, r.lastYearRate?.text ?? null, r.change]), [
    ['500230100', 6, 3, '50.00%', 4, '75.00%', -1],
    ['500230101', 7, 7, '100.00%', 0, null, 7],
  ]);
});
