/**
 * Exact money. Amounts are integer fen (分) inside the system; yuan with at most two
 * decimals only at the edges (JSON, CSV, screens). Rates are exact fractions of integers.
 */
export type Fen = number;

/**
 * The largest amounts the system takes, in yuan: what a real bill, a contribution payment and a
 * transfer between funds can be, far below where integer fen stop being exact in a double
 * (2^53 fen ≈ 90 trillion yuan) — so that no sum the services compute in JavaScript (a year's
 * settlements of a person, a batch) can leave the exact range. Beyond them a request is refused
 * (400 naming the field). Sums over whole tables (the ledger) are taken in the database's numeric.
 */
export const MAX_YUAN = {
  /** an encounter, a fee line or a year's accumulator of one person: 10 million yuan */
  bill: 10_000_000,
  /** one contribution payment: 100 000 yuan */
  payment: 100_000,
  /** one transfer into or between funds: 10 billion yuan */
  transfer: 10_000_000_000,
} as const;

const YUAN_RE = /^(-)?(\d+)(?:\.(\d{1,2}))?$/;

/** Parse a yuan amount ("91.5", 320, "0.29") into integer fen, refusing anything inexact. */
export function yuanToFen(v: string | number): Fen {
  const s = typeof v === 'number' ? numberToPlain(v) : v.trim();
  const m = YUAN_RE.exec(s);
  if (!m) throw new RangeError(`not a yuan amount with at most two decimals: ${String(v)}`);
  const whole = Number(m[2]);
  const frac = m[3] ? Number(m[3].padEnd(2, '0')) : 0;
  const fen = whole * 100 + frac;
  if (!Number.isSafeInteger(fen)) throw new RangeError(`amount out of range: ${String(v)}`);
  return m[1] ? -fen : fen;
}

function numberToPlain(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError(`not a finite amount: ${n}`);
  // Shortest round-trip representation: 91.5 -> "91.5", 0.1 -> "0.1".
  const s = String(n);
  if (/e/i.test(s)) throw new RangeError(`amount out of range: ${n}`);
  return s;
}

/** Integer fen to a JSON number of yuan (at most two decimals, exactly as the decimal). */
export function fenToYuan(f: Fen): number {
  return f / 100;
}

/** Integer fen to a fixed "320.00" string, for CSV / XLSX / screens. */
export function formatYuan(f: Fen): string {
  const neg = f < 0;
  const a = Math.abs(f);
  const s = `${Math.trunc(a / 100)}.${String(a % 100).padStart(2, '0')}`;
  return neg ? `-${s}` : s;
}

/** An exact rate num/den, with the text it was written as ("90%", "0.6"). */
export interface Rate {
  readonly num: number;
  readonly den: number;
  readonly text: string;
}

const RATE_RE = /^(\d+)(?:\.(\d+))?(%?)$/;

export function parseRate(v: string | number): Rate {
  const text = typeof v === 'number' ? numberToPlain(v) : v.trim();
  const m = RATE_RE.exec(text);
  if (!m) throw new RangeError(`not a rate (write "60%" or "0.6"): ${String(v)}`);
  const decimals = m[2] ?? '';
  let num = Number(m[1] + decimals);
  let den = 10 ** decimals.length * (m[3] === '%' ? 100 : 1);
  const g = gcd(num, den);
  num /= g;
  den /= g;
  if (num > den) throw new RangeError(`rate above 100%: ${String(v)}`);
  return { num, den, text };
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a || 1;
}

/** fen × rate, rounded half up to the fen (non-negative amounts). */
export function applyRate(fen: Fen, rate: Rate): Fen {
  if (rate.den === 1) return fen * rate.num;
  return Math.floor((2 * fen * rate.num + rate.den) / (2 * rate.den));
}

export function rateToString(r: Rate): string {
  return r.text;
}
