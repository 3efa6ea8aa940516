/** 个人缴费标准: the individual contribution by person kind and tier, and the lines it is made of. */
import type { Fen } from '../money.js';
import { formatYuan } from '../money.js';
import { KIND_LABELS, TIER_LABELS } from '../policy/vocabulary.js';
import type { CompiledPack, StandardLine } from './compile.js';
import type { QuoteInput } from './input.js';
import type { Trace } from './trace.js';

export type { StandardLine };

export function individualStandard(cp: CompiledPack, q: QuoteInput, trace: Trace): Fen {
  const s = cp.standard[q.kind];
  const fen = s.byTier ? s.byTier[q.tier === 'tier2' ? 1 : 0] : s.single!;
  { if (trace.on) trace.add(
    'standardContribution',
    fen / 100,
    `${KIND_LABELS[q.kind]}${q.tier ? TIER_LABELS[q.tier] : ''}个人缴费标准 ${formatYuan(fen)} 元${s.param.bound === 'min' ? '（通知规定每人不低于此数）' : ''}`,
    s.param,
  ); else trace.use(s.param); }
  const floor = cp.averageFloor;
  if (floor) {
    if (trace.on)
      trace.add(
        'contribution.averageFloor',
        floor.fen / 100,
        `通知规定个人缴费平均不低于 ${formatYuan(floor.fen)} 元：这是统筹区各类人员缴费标准（按人数加权）须达到的平均下限，不是每个人的缴费下限`,
        floor.param,
      );
    else trace.use(floor.param);
  }
  const a = cp.arrears;
  if (a && a.fen <= fen) {
    if (trace.on)
      trace.add('contribution.arrears', a.fen / 100, `个人缴费标准中 ${formatYuan(a.fen)} 元为补征 ${a.year} 年个人缴费，${cp.pack.year} 年度个人缴费为 ${formatYuan(fen - a.fen)} 元`, a.param);
    else trace.use(a.param);
  }
  return fen;
}

/** The lines the standard of the person's kind and tier is made of (computed with the pack; frozen). */
export function standardLines(cp: CompiledPack, q: QuoteInput): readonly StandardLine[] {
  return cp.standardLines[q.kind][q.tier === 'tier2' ? 1 : 0];
}

/** The tier-1 standard of the default kind, which Chongqing's assistance table is written against. */
export function tier1Standard(cp: CompiledPack): Fen {
  const s = cp.standard.adult;
  return s.byTier ? s.byTier[0] : s.single!;
}
