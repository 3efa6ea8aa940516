/** Resident ID numbers (GB 11643-1999): properties of the check character, the generator, and the messages. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatDay, parseDay } from '../src/dates.ts';
import { InputError } from '../src/errors.ts';
import {
  birthDateOf,
  checkChar,
  genderOf,
  idNumberProblem,
  isValidIdNumber,
  makeIdNumber,
  normalizeIdNumber,
  parseIdNumber,
  plausibleRegion,
  todayInChina,
} from '../src/registers/id-number.ts';

const PROVINCES = ['11', '12', '13', '14', '15', '21', '22', '23', '31', '32', '33', '34', '35', '36', '37', '41', '42', '43', '44', '45', '46', '50', '51', '52', '53', '54', '61', '62', '63', '64', '65'];
const TODAY = '2024-06-30';

const region = fc
  .tuple(fc.constantFrom(...PROVINCES), fc.integer({ min: 1, max: 99 }), fc.integer({ min: 0, max: 99 }))
  .map(([p, a, b]) => `${p}${String(a).padStart(2, '0')}${String(b).padStart(2, '0')}`);
const birth = fc.integer({ min: parseDay('1900-01-01'), max: parseDay(TODAY) }).map(formatDay);
const seq = fc.integer({ min: 0, max: 999 });
const idNumber = fc.tuple(region, birth, seq).map(([r, b, s]) => ({ id: makeIdNumber(r, b, s), r, b, s }));
const CHARS = '0123456789X';

describe('ID numbers: properties', () => {
  test('generated numbers validate, and give back their region, birth date and gender', () => {
    fc.assert(
      fc.property(idNumber, ({ id, r, b, s }) => {
        assert.equal(id.length, 18);
        assert.equal(idNumberProblem(id, TODAY), null);
        const info = parseIdNumber(id, 'idNumber', TODAY);
        assert.deepEqual(info, { idNumber: id, region: r, birthDate: b, gender: s % 2 === 1 ? 'male' : 'female' });
        assert.equal(birthDateOf(id), b);
        assert.equal(genderOf(id), s % 2 === 1 ? 'male' : 'female');
      }),
      { numRuns: 2000 },
    );
  });

  test('any single changed character is caught', () => {
    fc.assert(
      fc.property(idNumber, fc.integer({ min: 0, max: 17 }), fc.integer({ min: 1, max: 10 }), ({ id }, pos, shift) => {
        const c = CHARS[(CHARS.indexOf(id[pos]) + shift) % 11];
        const changed = id.slice(0, pos) + c + id.slice(pos + 1);
        assert.notEqual(changed, id);
        assert.equal(isValidIdNumber(changed, TODAY), false, `${changed} (position ${pos + 1}) passed`);
      }),
      { numRuns: 5000 },
    );
  });

  test('every single changed character, exhaustively, for some numbers', () => {
    fc.assert(
      fc.property(idNumber, ({ id }) => {
        for (let pos = 0; pos < 18; pos++)
          for (const c of CHARS) {
            if (c === id[pos]) continue;
            assert.equal(isValidIdNumber(id.slice(0, pos) + c + id.slice(pos + 1), TODAY), false);
          }
      }),
      { numRuns: 200 },
    );
  });

  test('swapping two different neighbouring characters is caught', () => {
    fc.assert(
      fc.property(idNumber, fc.integer({ min: 0, max: 16 }), ({ id }, pos) => {
        fc.pre(id[pos] !== id[pos + 1]);
        const swapped = id.slice(0, pos) + id[pos + 1] + id[pos] + id.slice(pos + 2);
        assert.equal(isValidIdNumber(swapped, TODAY), false);
      }),
      { numRuns: 3000 },
    );
  });

  test('lower-case x, full-width digits and spaces around are normalised', () => {
    fc.assert(
      fc.property(idNumber, ({ id }) => {
        const wide = [...id].map((c) => (c >= '0' && c <= '9' ? String.fromCharCode(c.charCodeAt(0) - 48 + 0xff10) : c.toLowerCase())).join('');
        assert.equal(normalizeIdNumber(` ${wide} `), id);
        assert.equal(parseIdNumber(` ${wide} `, 'idNumber', TODAY).idNumber, id);
      }),
      { numRuns: 300 },
    );
  });
});

describe('ID numbers: cases', () => {
  test('the examples of GB 11643-1999', () => {
    assert.equal(checkChar('11010519491231002'), 'X');
    assert.equal(checkChar('44052418800101001'), '4');
    assert.ok(isValidIdNumber('11010519491231002X'));
    assert.ok(isValidIdNumber('440524188001010014'));
    assert.deepEqual(parseIdNumber('11010519491231002x'), { idNumber: '11010519491231002X', region: '110105', birthDate: '1949-12-31', gender: 'female' });
  });

  test('each kind of problem has its own message, without the number itself', () => {
    const good = makeIdNumber('500230', '1980-05-01', 123);
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['5.00230198005011E+17', /stored as a number/],
      ['500230800501123', /15-digit/],
      [good.slice(0, 17), /17 characters/],
      [`${good.slice(0, 16)}Y${good[17]}`, /17 digits followed by a digit or X/],
      [`990230${good.slice(6)}`, /not a region code/],
      [`${good.slice(0, 10)}0230${good.slice(14)}`, /not a date/],
      [makeIdNumber('500230', '2030-01-01', 1), /in the future/],
      [makeIdNumber('500230', '1849-12-31', 1), /before 1850/],
      [`${good.slice(0, 17)}${good[17] === '0' ? '1' : '0'}`, /check character/],
    ];
    for (const [id, re] of cases) {
      const p = idNumberProblem(id, TODAY);
      assert.ok(p, `${id} should be refused`);
      assert.match(p, re, id);
      if (id.length >= 18) assert.ok(!p.includes(id), 'the message does not repeat the number');
    }
    assert.throws(() => parseIdNumber('123', '身份证号'), (e: unknown) => e instanceof InputError && e.field === '身份证号');
  });

  test('the birth date is bounded by today in China', () => {
    const today = todayInChina();
    assert.ok(isValidIdNumber(makeIdNumber('500230', today, 2)));
    const tomorrow = formatDay(parseDay(today) + 1);
    assert.equal(isValidIdNumber(makeIdNumber('500230', tomorrow, 2)), false);
    assert.equal(todayInChina(new Date('2024-06-30T16:30:00Z')), '2024-07-01');
  });

  test('regions: provinces, prefectures, and the residence permits of Hong Kong, Macao and Taiwan residents', () => {
    for (const r of ['500230', '110105', '810000', '820000', '830000', '469001']) assert.ok(plausibleRegion(r), r);
    for (const r of ['000000', '100000', '500000', '810100', '99', 'abcdef', '5002301']) assert.equal(plausibleRegion(r), false, r);
  });

  test('the generator refuses parts that cannot make a number', () => {
    assert.throws(() => makeIdNumber('990000', '1980-01-01', 1), /region/);
    assert.throws(() => makeIdNumber('500230', '1980-02-30', 1), /birthDate/);
    assert.throws(() => makeIdNumber('500230', '1980-01-01', 1000), /seq/);
    assert.throws(() => makeIdNumber('500230', '1980-01-01', -1), /seq/);
    assert.equal(makeIdNumber('500230', '1980-01-01', '7'), makeIdNumber('500230', '1980-01-01', 7));
  });
});
