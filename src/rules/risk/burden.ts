/**
 * The high-burden warning (高额费用负担患者预警, 医保发〔2022〕20号 三), pure: a person's out-of-pocket
 * cost after the three tiers (the cash part of their settlements) over the coverage year and over
 * a rolling window, against a share of the area's per-capita disposable income — a lower share
 * for the needy groups. The thresholds come from the pack's `risk.burden` (example values marked).
 */
import { applyRate, formatYuan, parseRate, yuanToFen, type Fen } from '../../money.js';
import type { ResolvedPack, ResolvedParam } from '../../policy/loader.js';
import { burdenParamsSchema } from '../../policy/risk-params.js';
import { STATUS_GROUPS, STATUS_LABELS, type NeedyStatus } from '../../policy/vocabulary.js';

export interface BurdenRule {
  pack: string;
  perCapitaIncome: Fen;
  general: Fen;
  needy: Fen;
  shareText: string;
  needyShareText: string;
  needyStatuses: ReadonlySet<string>;
  rollingMonths: number;
  citation: Citation;
}

export interface Citation {
  rule: string;
  cite: string | null;
  quote: string | null;
  /** set when the values are examples (the notices do not give them) */
  example: string | null;
}

export function citationOf(p: ResolvedParam): Citation {
  return { rule: p.key, cite: p.cite ?? null, quote: p.quote ?? null, example: p.example ?? null };
}

/** The pack's burden rule, or null when the pack has none. */
export function burdenRuleOf(pack: ResolvedPack): BurdenRule | null {
  const p = pack.params.get('risk.burden');
  if (!p) return null;
  const v = burdenParamsSchema.parse(p.value);
  const income = yuanToFen(v.perCapitaIncome);
  const share = parseRate(v.share);
  const needyShare = parseRate(v.needyShare);
  const statuses = new Set<string>();
  for (const s of v.needyStatuses) for (const x of (STATUS_GROUPS as Record<string, readonly string[]>)[s] ?? [s]) statuses.add(x);
  return {
    pack: pack.id,
    perCapitaIncome: income,
    general: applyRate(income, share),
    needy: applyRate(income, needyShare),
    shareText: share.text,
    needyShareText: needyShare.text,
    needyStatuses: statuses,
    rollingMonths: v.rollingMonths,
    citation: citationOf(p),
  };
}

/** What the settlements say about one person (computed by src/risk in one statement). */
export interface BurdenFacts {
  personId: string;
  villageCode: string;
  coverageYear: number;
  /** needy statuses valid on the last encounter's date */
  statuses: readonly string[];
  yearBurden: Fen;
  yearEncounters: number;
  yearFrom: string;
  yearTo: string;
  rollingBurden: Fen;
  rollingEncounters: number;
  rollingFrom: string;
  rollingTo: string;
  /** the latest settlement counted (the one that crossed, when called as it is written) */
  lastSettlementId: string | null;
}

/** The rule's name and its two bases as the console and the lists name them (the rule's own words). */
export const BURDEN_RULE_LABEL = '高额费用负担预警';
export const BASIS_LABELS: Record<BurdenWarning['basis'], string> = { coverage_year: '年度', rolling_12_months: '滚动12个月' };

export interface BurdenWarning {
  personId: string;
  villageCode: string;
  coverageYear: number;
  basis: 'coverage_year' | 'rolling_12_months';
  periodFrom: string;
  periodTo: string;
  burden: Fen;
  threshold: Fen;
  needy: boolean;
  statuses: string[];
  encounters: number;
  settlementId: string | null;
  explanation: { text: string; citation: Citation; perCapitaIncome: Fen; share: string; pack: string };
}

/** The warnings a person's burden gives (none, one or both bases). */
export function assessBurden(rule: BurdenRule, f: BurdenFacts): BurdenWarning[] {
  const needyOnes = f.statuses.filter((s) => rule.needyStatuses.has(s));
  const needy = needyOnes.length > 0;
  const threshold = needy ? rule.needy : rule.general;
  const share = needy ? rule.needyShareText : rule.shareText;
  const who = needy ? `困难群众（${needyOnes.map((s) => STATUS_LABELS[s as NeedyStatus] ?? s).join('、')}）` : '参保人';
  const out: BurdenWarning[] = [];
  const one = (basis: BurdenWarning['basis'], burden: Fen, n: number, from: string, to: string, label: string): void => {
    if (burden < threshold) return;
    out.push({
      personId: f.personId,
      villageCode: f.villageCode,
      coverageYear: f.coverageYear,
      basis,
      periodFrom: from,
      periodTo: to,
      burden,
      threshold,
      needy,
      statuses: [...f.statuses],
      encounters: n,
      settlementId: f.lastSettlementId,
      explanation: {
        text: `${who}${label}（${from} 至 ${to}）经基本医保、大病保险、医疗救助三重制度保障后个人负担 ${formatYuan(burden)} 元，达到预警线 ${formatYuan(threshold)} 元（居民人均可支配收入 ${formatYuan(rule.perCapitaIncome)} 元的 ${share}）。`,
        citation: rule.citation,
        perCapitaIncome: rule.perCapitaIncome,
        share,
        pack: rule.pack,
      },
    });
  };
  one('coverage_year', f.yearBurden, f.yearEncounters, f.yearFrom, f.yearTo, `${f.coverageYear} 年度`);
  one('rolling_12_months', f.rollingBurden, f.rollingEncounters, f.rollingFrom, f.rollingTo, `近 ${rule.rollingMonths} 个月`);
  return out;
}
