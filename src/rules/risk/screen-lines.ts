/**
 * The screening rules that read one encounter's fee lines (FR04 repeated identical lines, FR05
 * quantity beyond the daily limit, FR06 dialysis beyond the weekly frequency, within the
 * encounter), as a pure function: fee lines in, hits out. The same tests as the set-based
 * statements of src/risk/screen-sql.ts, for checking a hospital's lines before settlement.
 */
import { hasPrefix, list, num, type ScreenCode, type ScreenRule } from './screen-rules.js';

export interface FeeLineIn {
  feedetlSn: string;
  /** med_list_codg */
  code: string;
  /** fee_ocur_time, yyyy-MM-dd HH:mm:ss */
  at: string;
  cnt: number;
  pric: number;
  amountFen: number;
}

export interface LineHit {
  rule: ScreenCode;
  name: string;
  explain: string;
  citation: ScreenRule['citation'];
  /** the fee lines behind the hit (feedetl_sn) */
  lines: string[];
  /** the amount at issue, fen */
  amountFen: number;
  detail: Record<string, unknown>;
}

const hit = (r: ScreenRule, lines: FeeLineIn[], amountFen: number, detail: Record<string, unknown>): LineHit => ({
  rule: r.code,
  name: r.name,
  explain: r.explain,
  citation: r.citation,
  lines: lines.map((l) => l.feedetlSn).sort(),
  amountFen,
  detail,
});

function groups<K extends string>(lines: FeeLineIn[], key: (l: FeeLineIn) => K | null): Map<K, FeeLineIn[]> {
  const out = new Map<K, FeeLineIn[]>();
  for (const l of lines) {
    const k = key(l);
    if (k === null) continue;
    const g = out.get(k);
    if (g) g.push(l);
    else out.set(k, [l]);
  }
  return out;
}

/** Monday of the ISO week of a yyyy-MM-dd day (as PostgreSQL's date_trunc('week')). */
function weekOf(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  const back = (d.getUTCDay() + 6) % 7;
  d.setUTCDate(d.getUTCDate() - back);
  return d.toISOString().slice(0, 10);
}

/** Over-limit share of an amount: amount × (quantity − limit) / quantity, rounded to the fen. */
const overShare = (amountFen: number, qty: number, limit: number) => Math.round((amountFen * (qty - limit)) / qty);

/** Screen one encounter's fee lines with the rules given (those of FR04–FR06 that are present). */
export function screenFeeLines(rules: Map<ScreenCode, ScreenRule>, lines: FeeLineIn[]): LineHit[] {
  const out: LineHit[] = [];
  const fr04 = rules.get('FR04');
  if (fr04) {
    const min = num(fr04, 'minRepeats');
    for (const g of groups(lines, (l) => `${l.code}\u0000${l.at}\u0000${l.cnt}\u0000${l.pric}`).values())
      if (g.length >= min) {
        const amounts = g.map((l) => l.amountFen);
        out.push(hit(fr04, g, amounts.reduce((a, b) => a + b, 0) - Math.min(...amounts), { item: g[0]!.code, at: g[0]!.at, cnt: g[0]!.cnt, pric: g[0]!.pric, repeats: g.length }));
      }
  }
  const fr05 = rules.get('FR05');
  if (fr05) {
    const max = num(fr05, 'maxPerDay');
    const prefixes = list(fr05, 'itemPrefixes');
    for (const g of groups(lines, (l) => (hasPrefix(l.code, prefixes) ? `${l.code}\u0000${l.at.slice(0, 10)}` : null)).values()) {
      const qty = g.reduce((a, l) => a + l.cnt, 0);
      if (qty > max) out.push(hit(fr05, g, overShare(g.reduce((a, l) => a + l.amountFen, 0), qty, max), { item: g[0]!.code, day: g[0]!.at.slice(0, 10), quantity: qty, maxPerDay: max }));
    }
  }
  const fr06 = rules.get('FR06');
  if (fr06) {
    const max = num(fr06, 'maxPerWeek');
    const prefixes = list(fr06, 'itemPrefixes');
    for (const [week, g] of groups(lines, (l) => (hasPrefix(l.code, prefixes) && /^\d{4}-\d{2}-\d{2}/.test(l.at) ? weekOf(l.at.slice(0, 10)) : null))) {
      const qty = g.reduce((a, l) => a + l.cnt, 0);
      if (qty > max) out.push(hit(fr06, g, overShare(g.reduce((a, l) => a + l.amountFen, 0), qty, max), { week, sessions: qty, maxPerWeek: max }));
    }
  }
  return out;
}
