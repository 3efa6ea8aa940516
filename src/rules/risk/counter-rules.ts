/**
 * The screening rules that need only the fee lines of one encounter, as they are sent at the
 * counter before settlement (platform 3101 事前 / 3102 事中): FR04 identical lines repeated and
 * FR05 quantity of one item beyond its daily limit. Same rules, names, parameters and citations
 * as the office screening (risk.screen.FR04 / FR05 of the pack); pure, no I/O.
 */
import { hasPrefix, num, list, type ScreenRule } from './screen-rules.js';

/** One fee line of the message; quantities in hundredths (cnt has 2 decimals), money in fen. */
export interface CounterLine {
  rxId: string;
  itemCode: string;
  itemName: string;
  cnt100: number;
  priceFen: number;
  amountFen: number;
  /** the order's begin time (yyyy-MM-dd HH:mm:ss) */
  at: string;
}

export interface CounterHit {
  code: string;
  name: string;
  severity: string;
  behaviour: string;
  /** plain-Chinese explanation of this hit */
  text: string;
  /** the lines concerned, each with the amount at issue */
  lines: { rxId: string; amountFen: number }[];
  amountFen: number;
  /** the notice sentence the rule serves (and the example mark of its parameters) */
  evidence: string;
}

function evidenceOf(r: ScreenRule): string {
  const c = r.citation;
  const parts = [c.cite, c.quote ? `“${c.quote}”` : null, c.example ? `example: ${c.example}` : null].filter(Boolean);
  return `${r.pack} risk.screen.${r.code}：${parts.join(' ')}`;
}

const qty = (cnt100: number): string => (cnt100 / 100).toString();

/** FR04: lines with the same item, time, quantity and price appearing minRepeats times or more; every copy after the first is at issue. */
export function repeatedLines(rule: ScreenRule, lines: readonly CounterLine[]): CounterHit[] {
  const min = num(rule, 'minRepeats');
  const groups = new Map<string, CounterLine[]>();
  for (const l of lines) {
    const k = `${l.itemCode}\u0000${l.at}\u0000${l.cnt100}\u0000${l.priceFen}`;
    const g = groups.get(k);
    if (g) g.push(l);
    else groups.set(k, [l]);
  }
  const hits: CounterHit[] = [];
  for (const g of groups.values()) {
    if (g.length < min) continue;
    const concerned = g.map((l, i) => ({ rxId: l.rxId, amountFen: i === 0 ? 0 : l.amountFen }));
    const amountFen = concerned.reduce((s, l) => s + l.amountFen, 0);
    const f = g[0]!;
    hits.push({
      code: rule.code, name: rule.name, severity: rule.severity, behaviour: rule.behaviour,
      text: `${rule.explain}项目【${f.itemName}】（${f.itemCode}）于 ${f.at} 以数量 ${qty(f.cnt100)}、单价 ${(f.priceFen / 100).toFixed(2)} 元出现 ${g.length} 次（明细 ${g.map((l) => l.rxId).join('、')}）。`,
      lines: concerned, amountFen, evidence: evidenceOf(rule),
    });
  }
  return hits;
}

/** FR05: one item (of the rule's item prefixes) whose quantity in one day exceeds maxPerDay; the quantity beyond the limit, at the line's price, is at issue. */
export function beyondDailyLimit(rule: ScreenRule, lines: readonly CounterLine[]): CounterHit[] {
  const max100 = Math.round(num(rule, 'maxPerDay') * 100);
  const prefixes = list(rule, 'itemPrefixes');
  const groups = new Map<string, CounterLine[]>();
  for (const l of lines) {
    if (!hasPrefix(l.itemCode, prefixes)) continue;
    const k = `${l.itemCode}\u0000${l.at.slice(0, 10)}`;
    const g = groups.get(k);
    if (g) g.push(l);
    else groups.set(k, [l]);
  }
  const hits: CounterHit[] = [];
  for (const g of groups.values()) {
    const total = g.reduce((s, l) => s + l.cnt100, 0);
    if (total <= max100) continue;
    // the lines in time order; what passes the limit is at issue, line by line
    const sorted = [...g].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    let used = 0;
    const concerned = sorted.map((l) => {
      const within = Math.max(0, Math.min(l.cnt100, max100 - used));
      used += l.cnt100;
      const over = l.cnt100 - within;
      return { rxId: l.rxId, amountFen: Math.round((over * l.priceFen) / 100) };
    });
    const amountFen = concerned.reduce((s, l) => s + l.amountFen, 0);
    const f = g[0]!;
    hits.push({
      code: rule.code, name: rule.name, severity: rule.severity, behaviour: rule.behaviour,
      text: `${rule.explain}项目【${f.itemName}】（${f.itemCode}）${f.at.slice(0, 10)} 共 ${qty(total)}，超过日限量 ${qty(max100)}。`,
      lines: concerned, amountFen, evidence: evidenceOf(rule),
    });
  }
  return hits;
}

/** The counter-time rules the pack carries, run on one encounter's lines (codes: only these, when given). */
export function screenAtCounter(rules: ReadonlyMap<string, ScreenRule>, lines: readonly CounterLine[], codes?: readonly string[]): CounterHit[] {
  const want = (c: string) => !codes || codes.length === 0 || codes.includes(c);
  const out: CounterHit[] = [];
  const r4 = rules.get('FR04');
  if (r4 && want('FR04')) out.push(...repeatedLines(r4, lines));
  const r5 = rules.get('FR05');
  if (r5 && want('FR05')) out.push(...beyondDailyLimit(r5, lines));
  return out;
}

export const COUNTER_CODES = ['FR04', 'FR05'] as const;
