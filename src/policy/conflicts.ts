/**
 * Catala-style defaults and exceptions: within a rule group, two rules that may both
 * apply to one case and lead to different outcomes must say which is the exception.
 * Overlap is decided conservatively: rules are disjoint only when some condition both
 * of them state cannot hold at once (different tiers, kinds, statuses, payment-date
 * ranges, age ranges, guardian flag).
 */
import type { Condition, Rule } from './schema.js';
import { addMonths, parseDay, type Day } from '../dates.js';
import { STATUS_GROUPS } from './vocabulary.js';

export interface Interval {
  lo: Day;
  hi: Day;
}
const ALL: Interval = { lo: -Infinity, hi: Infinity };

/** The payment dates a condition admits, given the pack's enrollment window. */
export function paymentInterval(c: Condition, window: Interval | null, year: number): Interval | 'none' {
  if (c.paid === 'none') return 'none';
  let iv: Interval = { ...ALL };
  if (c.paid && window) {
    if (c.paid === 'in_window') iv = { lo: window.lo, hi: window.hi };
    else if (c.paid === 'before_window') iv = { lo: -Infinity, hi: window.lo - 1 };
    else if (c.paid === 'after_window') iv = { lo: window.hi + 1, hi: Infinity };
  }
  if (c.paidAfter) iv.lo = Math.max(iv.lo, parseDay(c.paidAfter) + 1);
  if (c.paidOnOrBefore) iv.hi = Math.min(iv.hi, parseDay(c.paidOnOrBefore));
  if (c.graduatingPaidWithin) {
    const from = parseDay(`${year}-${c.graduatingPaidWithin.from}`);
    iv.lo = Math.max(iv.lo, from);
    // the later last day of the two ways of counting (first day excluded or included): conservative
    iv.hi = Math.min(iv.hi, addMonths(from, c.graduatingPaidWithin.months));
  }
  return iv;
}

function expandStatuses(list: readonly string[], groups: ReadonlyMap<string, readonly string[]>): Set<string> {
  const out = new Set<string>();
  for (const s of list) {
    const g = groups.get(s) ?? (STATUS_GROUPS as Record<string, readonly string[]>)[s];
    if (g) g.forEach((x) => out.add(x));
    else out.add(s);
  }
  return out;
}

/**
 * True when no case can satisfy both conditions. A person may hold several needy statuses
 * (and some imply others), so different statuses prove nothing — except in the assistance
 * group, where a person matching several rules gets the most favourable one by design.
 */
export function disjoint(
  a: Condition,
  b: Condition,
  window: Interval | null,
  year: number,
  statusesExclusive = false,
  groups: ReadonlyMap<string, readonly string[]> = new Map(),
): boolean {
  if (a.tier && b.tier && a.tier !== b.tier) return true;
  if (a.kind && b.kind && !a.kind.some((k) => b.kind!.includes(k))) return true;
  if (statusesExclusive && a.status && b.status) {
    const sa = expandStatuses(a.status, groups);
    if (![...expandStatuses(b.status, groups)].some((s) => sa.has(s))) return true;
  }
  if (a.guardianEnrolled !== undefined && b.guardianEnrolled !== undefined && a.guardianEnrolled !== b.guardianEnrolled)
    return true;
  if (a.bornInCoverageYear !== undefined && b.bornInCoverageYear !== undefined && a.bornInCoverageYear !== b.bornInCoverageYear)
    return true;
  const ageA = { lo: a.ageAtLeast ?? 0, hi: (a.ageBelow ?? Infinity) - 1 };
  const ageB = { lo: b.ageAtLeast ?? 0, hi: (b.ageBelow ?? Infinity) - 1 };
  if (Math.max(ageA.lo, ageB.lo) > Math.min(ageA.hi, ageB.hi)) return true;
  const pa = paymentInterval(a, window, year);
  const pb = paymentInterval(b, window, year);
  if (pa === 'none' || pb === 'none') {
    // "not paid" never meets a condition that needs a payment date
    const needsPayment = (c: Condition, p: Interval | 'none'): boolean =>
      p !== 'none' &&
      (c.paid !== undefined ||
        c.paidAfter !== undefined ||
        c.paidOnOrBefore !== undefined ||
        c.paidWithinDaysOfBirth !== undefined ||
        c.enrolledWithinDaysOfBirth !== undefined || // enrollment conditions apply to a person who pays
        c.employeeGapWithinMonths !== undefined ||
        c.graduatingPaidWithin !== undefined ||
        c.graduatingEnrolledWithin !== undefined);
    if (needsPayment(a, pa) || needsPayment(b, pb)) return true;
    return false;
  }
  if (Math.max(pa.lo, pb.lo) > Math.min(pa.hi, pb.hi)) return true;
  return false;
}

export function sameOutcome(a: Rule, b: Rule): boolean {
  return JSON.stringify(a.then) === JSON.stringify(b.then);
}

/** Whether a overrides b directly or through a chain of exceptions. */
export function overrides(rules: Map<string, Rule>, a: string, b: string, seen = new Set<string>()): boolean {
  const ra = rules.get(a);
  if (!ra?.exceptionTo || seen.has(a)) return false;
  seen.add(a);
  if (ra.exceptionTo.includes(b)) return true;
  return ra.exceptionTo.some((x) => overrides(rules, x, b, seen));
}

/** Pairs of rules in a group that may claim the same case without a declared exception. */
export function findConflicts(
  rules: Map<string, Rule>,
  window: Interval | null,
  year: number,
  statusesExclusive = false,
  groups: ReadonlyMap<string, readonly string[]> = new Map(),
): [string, string][] {
  const ids = [...rules.keys()];
  const out: [string, string][] = [];
  for (let i = 0; i < ids.length; i++)
    for (let j = i + 1; j < ids.length; j++) {
      const a = rules.get(ids[i])!;
      const b = rules.get(ids[j])!;
      if (sameOutcome(a, b)) continue;
      if (disjoint(a.when, b.when, window, year, statusesExclusive, groups)) continue;
      if (overrides(rules, ids[i], ids[j]) || overrides(rules, ids[j], ids[i])) continue;
      out.push([ids[i], ids[j]]);
    }
  return out;
}
