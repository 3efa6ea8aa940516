/**
 * Resident ID numbers (公民身份号码, GB 11643-1999): 6-digit region code of the place of
 * first registration, 8-digit birth date, 3-digit sequence (odd for men, even for women) and
 * a check character by ISO 7064 MOD 11-2 ('0'–'9' or 'X'). Validation is strict and says
 * what is wrong without echoing the number (it may end up in a log). Pure.
 */
import { isDateString } from '../dates.js';
import { InputError } from '../errors.js';

/** Weights of positions 1..17: 2^(18-i) mod 11. */
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
/** Check character for (sum mod 11). */
const CHECK = '10X98765432';

/**
 * Provinces (first two digits, GB/T 2260) that issue resident ID numbers; 71 Taiwan, and
 * 81/82/83 the residence permits of Hong Kong, Macao and Taiwan residents (810000, 820000, 830000).
 */
const PROVINCES = new Set([
  '11', '12', '13', '14', '15', '21', '22', '23', '31', '32', '33', '34', '35', '36', '37',
  '41', '42', '43', '44', '45', '46', '50', '51', '52', '53', '54', '61', '62', '63', '64', '65',
  '71', '81', '82', '83',
]);

/** Oldest birth date accepted (the oldest registered residents were born in the 1880s). */
const EARLIEST_BIRTH = '1850-01-01';

export interface IdInfo {
  /** normalised: 18 characters, check character upper-case */
  idNumber: string;
  region: string;
  birthDate: string;
  gender: 'male' | 'female';
}

/** The check character of the first 17 digits. */
export function checkChar(body17: string): string {
  if (!/^\d{17}$/.test(body17)) throw new InputError('idNumber', 'the first 17 characters must be digits');
  let s = 0;
  for (let i = 0; i < 17; i++) s += (body17.charCodeAt(i) - 48) * WEIGHTS[i];
  return CHECK[s % 11];
}

/** Whether a 6-digit code is a plausible region of first registration. */
export function plausibleRegion(region6: string): boolean {
  if (!/^\d{6}$/.test(region6)) return false;
  const prov = region6.slice(0, 2);
  if (!PROVINCES.has(prov)) return false;
  if (prov === '81' || prov === '82' || prov === '83') return region6.slice(2) === '0000';
  if (prov === '71') return true;
  return region6.slice(2, 4) !== '00'; // a prefecture (or 省直辖) must be named
}

let todayCache = { until: 0, value: '' };

/** Today's date in China (UTC+8), as YYYY-MM-DD. */
export function todayInChina(now?: Date): string {
  if (now) return new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
  const t = Date.now();
  if (t < todayCache.until) return todayCache.value; // validating a million rows should not make a million dates
  todayCache = { until: t + 1000, value: new Date(t + 8 * 3600_000).toISOString().slice(0, 10) };
  return todayCache.value;
}

/** Trim, full-width digits and X to half-width, lower-case x to X. */
export function normalizeIdNumber(raw: string): string {
  return raw
    .trim()
    .replace(/[\uFF10-\uFF19]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xff10 + 48))
    .replace(/[xｘＸ]/g, 'X');
}

/** What is wrong with an ID number, or null when it is valid. `today` bounds the birth date. */
export function idNumberProblem(raw: string, today: string = todayInChina()): string | null {
  const id = normalizeIdNumber(raw);
  if (id === '') return 'is empty';
  if (/^\d(\.\d+)?E\+\d+$/i.test(id)) return 'was stored as a number by the spreadsheet and lost its last digits; format the column as text';
  if (/^\d{15}$/.test(id)) return 'is a 15-digit number of the old format; give the 18-digit number';
  if (id.length !== 18) return `has ${[...id].length} characters; a resident ID number has 18`;
  if (!/^\d{17}[\dX]$/.test(id)) return 'must be 17 digits followed by a digit or X';
  const region = id.slice(0, 6);
  if (!plausibleRegion(region)) return `starts with ${region}, which is not a region code (GB/T 2260)`;
  const birth = `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`;
  if (!isDateString(birth)) return `holds the birth date ${id.slice(6, 14)}, which is not a date`;
  if (birth < EARLIEST_BIRTH) return `holds the birth date ${birth}, before ${EARLIEST_BIRTH}`;
  if (birth > today) return `holds the birth date ${birth}, which is in the future`;
  const want = checkChar(id.slice(0, 17));
  if (id[17] !== want) return 'has a wrong check character (GB 11643): a character is mistyped';
  return null;
}

export function isValidIdNumber(raw: string, today?: string): boolean {
  return idNumberProblem(raw, today) === null;
}

/** Validate and take apart; an InputError naming `field` when the number is not valid. */
export function parseIdNumber(raw: string, field = 'idNumber', today?: string): IdInfo {
  const problem = idNumberProblem(raw, today);
  if (problem) throw new InputError(field, `the ID number ${problem}`);
  const id = normalizeIdNumber(raw);
  return { idNumber: id, region: id.slice(0, 6), birthDate: birthDateOf(id), gender: genderOf(id) };
}

/** Birth date (YYYY-MM-DD) of a valid ID number. */
export function birthDateOf(id: string): string {
  return `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`;
}

/** Gender of a valid ID number: the 17th digit is odd for men, even for women. */
export function genderOf(id: string): 'male' | 'female' {
  return (id.charCodeAt(16) - 48) % 2 === 1 ? 'male' : 'female';
}

/**
 * A valid ID number from its parts: region (6 digits), birth date (YYYY-MM-DD) and sequence
 * (0–999; odd for a man, even for a woman). Used by generators of test populations.
 */
export function makeIdNumber(region6: string, birthDate: string, seq3: number | string): string {
  if (!plausibleRegion(region6)) throw new InputError('region', `${region6} is not a plausible region code`);
  if (!isDateString(birthDate)) throw new InputError('birthDate', `${birthDate} is not a date (YYYY-MM-DD)`);
  const seq = typeof seq3 === 'number' ? seq3 : Number(seq3);
  if (!Number.isInteger(seq) || seq < 0 || seq > 999 || (typeof seq3 === 'string' && !/^\d{1,3}$/.test(seq3)))
    throw new InputError('seq', `${seq3} is not a sequence number 0–999`);
  const body = `${region6}${birthDate.replaceAll('-', '')}${String(seq).padStart(3, '0')}`;
  return body + checkChar(body);
}
