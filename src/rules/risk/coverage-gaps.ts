/**
 * Needy but not covered (应保尽保、应资尽资), pure: a person with a needy status valid in the coverage
 * year who is not enrolled, enrolled without paying, refused or blocked, or enrolled without the
 * contribution assistance a rule of the pack gives their status — each with its reason.
 */
import { formatYuan } from '../../money.js';
import type { ResolvedPack } from '../../policy/loader.js';
import { STATUS_GROUPS, STATUS_LABELS, type NeedyStatus } from '../../policy/vocabulary.js';

export const COVERAGE_GAP_BASIS = {
  enrol: { cite: '兴义府发〔2022〕3号 五', quote: '建立健全农村低收入人口参保台账，确保农村低收入人口应保尽保' },
  assist: { cite: '医保发〔2022〕20号 三', quote: '统筹提高医疗救助资金使用效率，用足用好资助参保、直接救助政策，确保应资尽资、应救尽救' },
} as const;

export type GapReason = 'not_enrolled' | 'not_paid' | 'refused' | 'blocked' | 'no_assistance';

export interface GapFacts {
  statuses: readonly string[];
  enrollment: { state: string; assistanceFen: number | null; refusalCode: string | null; blockReason: string | null } | null;
}

export interface Gap {
  reason: GapReason;
  text: string;
  cite: string;
  quote: string;
  /** the pack's assistance rules the statuses meet (no_assistance) */
  rules?: string[];
}

/** The pack's assistance rules naming one of the statuses (directly or through a group). */
export function assistanceRulesFor(pack: ResolvedPack, statuses: readonly string[]): string[] {
  const out: string[] = [];
  for (const [id, r] of pack.rules.assistance) {
    const named = new Set<string>();
    for (const s of r.when.status ?? []) for (const x of (STATUS_GROUPS as Record<string, readonly string[]>)[s] ?? [s]) named.add(x);
    if (statuses.some((s) => named.has(s))) out.push(id);
  }
  return out;
}

const labels = (ss: readonly string[]): string => ss.map((s) => STATUS_LABELS[s as NeedyStatus] ?? s).join('、');

export function coverageGap(pack: ResolvedPack | null, f: GapFacts): Gap | null {
  const who = `困难群众（${labels(f.statuses)}）`;
  const e = f.enrollment;
  const enrol = COVERAGE_GAP_BASIS.enrol;
  if (!e) return { reason: 'not_enrolled', text: `${who}本年度未参保`, ...enrol };
  if (e.state === 'assessed') return { reason: 'not_paid', text: `${who}已登记参保但尚未缴费`, ...enrol };
  if (e.state === 'refused') return { reason: 'refused', text: `${who}参保被拒（${e.refusalCode ?? '原因未记'}）`, ...enrol };
  if (e.state === 'blocked') return { reason: 'blocked', text: `${who}参保受阻（${e.blockReason ?? '原因未记'}）`, ...enrol };
  if (!pack) return null;
  const rules = assistanceRulesFor(pack, f.statuses);
  if (rules.length && !(e.assistanceFen && e.assistanceFen > 0))
    return { reason: 'no_assistance', text: `${who}已参保，但未获其身份应享的参保资助（${rules.map((r) => `rules.assistance.${r}`).join('、')}）${e.assistanceFen === 0 ? `，资助 ${formatYuan(0)} 元` : ''}`, ...COVERAGE_GAP_BASIS.assist, rules };
  return null;
}
