/**
 * The fraud-screening rules as the pack states them (risk.screen.FRnn): code, name, plain
 * explanation, the platform's behaviour class and severity, parameters, and the notice sentence
 * each serves (with the example mark of its parameters). Pure: read from a resolved pack.
 */
import { parseRate, type Rate } from '../../money.js';
import type { ResolvedPack } from '../../policy/loader.js';
import { screenRuleSchema } from '../../policy/risk-params.js';
import { citationOf, type Citation } from './burden.js';

export const SCREEN_CODES = ['FR01', 'FR02', 'FR03', 'FR04', 'FR05', 'FR06', 'FR07', 'FR08', 'FR09', 'FR10'] as const;
export type ScreenCode = (typeof SCREEN_CODES)[number];

export interface ScreenRule {
  code: ScreenCode;
  name: string;
  explain: string;
  behaviour: string;
  severity: '1' | '2' | '3';
  params: Record<string, number | string | string[]>;
  citation: Citation;
  pack: string;
}

/** The pack's screening rules, by code (a rule the pack does not carry is not run). */
export function screenRulesOf(pack: ResolvedPack): Map<ScreenCode, ScreenRule> {
  const out = new Map<ScreenCode, ScreenRule>();
  for (const code of SCREEN_CODES) {
    const p = pack.params.get(`risk.screen.${code}`);
    if (!p) continue;
    const v = screenRuleSchema.parse(p.value);
    out.set(code, { code, ...v, params: v.params, citation: citationOf(p), pack: pack.id });
  }
  return out;
}

export function num(r: ScreenRule, key: string): number {
  const v = r.params[key];
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n)) throw new RangeError(`${r.pack} risk.screen.${r.code}: parameter ${key} is not a number`);
  return n;
}

export function list(r: ScreenRule, key: string): string[] {
  const v = r.params[key];
  if (!Array.isArray(v)) throw new RangeError(`${r.pack} risk.screen.${r.code}: parameter ${key} is not a list`);
  return v;
}

export function rate(r: ScreenRule, key: string): Rate {
  return parseRate(r.params[key] as string | number);
}

/** Whether an item code is one of the rule's item prefixes. */
export function hasPrefix(code: string, prefixes: readonly string[]): boolean {
  return prefixes.some((p) => code.startsWith(p));
}
