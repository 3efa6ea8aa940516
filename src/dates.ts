/**
 * Calendar rules on plain dates. A date is a day number (days since 1970-01-01, UTC),
 * exchanged as ISO "YYYY-MM-DD".
 */
export type Day = number;

const MS_PER_DAY = 86_400_000;
const DAYS_BEFORE_MONTH = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

export function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

export function daysInMonth(y: number, m: number): number {
  return m === 2 ? (isLeap(y) ? 29 : 28) : [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
}

/** Day number of a calendar date (proleptic Gregorian). */
export function dayOf(y: number, m: number, d: number): Day {
  // days from civil (Howard Hinnant's public-domain algorithm, restated)
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const mp = (m + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Parse "YYYY-MM-DD" strictly; returns NaN when it is not a real date. */
export function parseDay(s: string): Day {
  if (s.length !== 10 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return NaN;
  const y = digits(s, 0, 4);
  const m = digits(s, 5, 7);
  const d = digits(s, 8, 10);
  if (y < 0 || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return NaN;
  return dayOf(y, m, d);
}

function digits(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

export function isDateString(s: string): boolean {
  return !Number.isNaN(parseDay(s));
}

export interface Ymd {
  y: number;
  m: number;
  d: number;
}

/** Calendar date of a day number, by integer arithmetic on 400-year eras (no Date object). */
export function ymd(day: Day): Ymd {
  const z = day + 719468; // days from 0000-03-01
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097; // day of era [0, 146096]
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100)); // day of March-based year
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d };
}

export function formatDay(day: Day): string {
  const { y, m, d } = ymd(day);
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** The same day n calendar months later, clamped to the month's end (01-31 + 1 month = 02-28). */
export function addMonths(day: Day, n: number): Day {
  const { y, m, d } = ymd(day);
  const total = y * 12 + (m - 1) + n;
  const ny = Math.floor(total / 12);
  const nm = (total % 12) + 1;
  return dayOf(ny, nm, Math.min(d, daysInMonth(ny, nm)));
}

export function firstOfMonth(day: Day): Day {
  const { y, m } = ymd(day);
  return dayOf(y, m, 1);
}

/** Full years of age on `at` for someone born on `birth` (周岁). */
export function ageOn(birth: Day, at: Day): number {
  const b = ymd(birth);
  const a = ymd(at);
  let age = a.y - b.y;
  if (a.m < b.m || (a.m === b.m && a.d < b.d)) age--;
  return age;
}

export function yearStart(y: number): Day {
  return dayOf(y, 1, 1);
}

export function yearEnd(y: number): Day {
  return dayOf(y, 12, 31);
}

/** Day of year (0-based) of a date, used only to spot-check calendars in tests. */
export function dayOfYear(day: Day): number {
  const { y, m, d } = ymd(day);
  return DAYS_BEFORE_MONTH[m - 1] + (m > 2 && isLeap(y) ? 1 : 0) + d - 1;
}

/**
 * How a period of days or months that runs from a day is counted ("出生之日起90日内",
 * "完清费用之日起满90日后", "中断缴费3个月内", "9月1日后3个月内"). With `first_day_excluded`
 * (民法典 第二百零一条: 开始的当日不计入，自下一日开始计算; 第二百零二条: 到期月的对应日为期间的
 * 最后一日，没有对应日的，月末日为最后一日) 90 days from 03-01 run 03-02..05-30 and 3 months from
 * 03-15 run to 06-15; with `first_day_included` the day itself is the first day (03-01..05-29;
 * 03-15..06-14). Every period rule of the engine is counted here and nowhere else.
 */
export const PERIOD_COUNTINGS = ['first_day_excluded', 'first_day_included'] as const;
export type PeriodCounting = (typeof PERIOD_COUNTINGS)[number];
export type PeriodUnit = 'day' | 'month';

/** The last day of a period of n days or months that runs from `from`. */
export function periodLastDay(from: Day, n: number, unit: PeriodUnit, counting: PeriodCounting): Day {
  const end = unit === 'day' ? from + n : addMonths(from, n);
  return counting === 'first_day_excluded' ? end : end - 1;
}

/** Whether `day` falls within the n days or months from `from` ("90日内", "3个月内"): from ≤ day ≤ the last day. */
export function withinPeriod(day: Day, from: Day, n: number, unit: PeriodUnit, counting: PeriodCounting): boolean {
  return day >= from && day <= periodLastDay(from, n, unit, counting);
}

/** The first day after a full period of n days or months from `from` ("满90日后"). */
export function dayAfterPeriod(from: Day, n: number, unit: PeriodUnit, counting: PeriodCounting): Day {
  return periodLastDay(from, n, unit, counting) + 1;
}
