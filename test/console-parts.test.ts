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

test('the imports of 缴费与导入: the reasons of payment files, targets and e-voucher lists in Chinese, the column named', () => {
  assert.equal(fieldLabel('activatedOn'), '激活日期');
  assert.equal(fieldLabel('header'), '表头');
  // the server's words (src/monitoring/sheet-import.ts, payment-file.ts, targets.ts, evouchers.ts) as a row's reason carries them
  const cases: [string, string][] = [
    ['header: no reference column (accepted headings: reference, 流水号, 缴费流水号)', '缺少必需的列（可用的列名：reference, 流水号, 缴费流水号）'],
    ['repeats line 2 (the same reference)', '与第 2 行重复（缴费流水号相同）'],
    ['repeats line 7 (the same ID number)', '与第 7 行重复（身份证号相同）'],
    ['"2022-13-01" is not a date (YYYY-MM-DD)', '「2022-13-01」不是日期（格式 YYYY-MM-DD）'],
    ['2027-01-01 is in the future', '2027-01-01 晚于今天'],
    ['"abc" is not an amount in yuan (not a yuan amount with at most two decimals: abc)', '「abc」不是金额（元，至多两位小数）'],
    ['is empty: give the channel, or a default channel for the file', '为空：请填写缴费渠道，或为文件选择默认缴费渠道'],
    ['"现金" is not a channel (线上, 线下, 税务, 医疗救助)', '「现金」不是可识别的渠道（可填：线上, 线下, 税务, 医疗救助）'],
    ['PAYMENT_REFERENCE_REUSED: reference TAX-1 was recorded for another payment (channel, person, amount or date differ)', '缴费流水号 TAX-1 已用于另一笔缴费（渠道、人员、金额或日期不同）'],
    ['no enrollment for this ID number in 2022 (is the person registered, and the year assessed?)', '该身份证号没有 2022 年度的参保登记（人员是否已登记、该年度是否已核定）'],
    ["this person is registered in village 500230101001, outside clerk1's area", '该人员登记在村（社区）500230101001，不在 clerk1 的经办范围内'],
    ['DUPLICATE_ENROLLMENT: 重复参保 — already paid for 2022 (payment TAX-9); refused and flagged', '重复参保：2022 年度已缴费（缴费流水号 TAX-9），本笔被拒绝并已标记'],
    ['AFTER_FINAL_DEADLINE: 已超过最迟缴费期限: payment on 2022-07-01 is not accepted for 2022', '已超过最迟缴费期限：2022-07-01 的缴费不予受理（2022 年度）'],
    ['1.00 yuan is not the amount due: 320.00 yuan (paid on 2022-02-10)', '1.00 元不是应缴金额：按缴费日期 2022-02-10 应缴 320.00 元'],
    ['nothing is due from the person (the medical-assistance fund pays 320.00 yuan): record it with channel 医疗救助', '该人员个人无需缴费（医疗救助资助 320.00 元）：请以“医疗救助”渠道登记'],
    ['"十五" is not a whole number of persons', '「十五」不是整数人数'],
    ['no village named 三合社区 in 500230100 in the registers', '没有名为「三合社区」的村（社区）（在 500230100 内）'],
    ['长江村 names 2 villages (500230100002, 500230101002): give --town or the 区划代码 column', '「长江村」对应 2 个村（500230100002, 500230101002）：请选择所在镇，或改用“区划代码”列'],
    ['the total line says 300, the villages of the sheet add up to 298', '合计行为 300，表中各村相加为 298'],
    ['year: the sheet has no 年度 column: give the coverage year (--year / ?year=)', '表中没有“年度”列：请选择年度'],
    ['no person with this ID number in the registers', '人员登记中没有该身份证号'],
  ];
  for (const [server, chinese] of cases) assert.equal(translateMessage(server), chinese, server);
});
