/** 个人缴费标准: the individual contribution by person kind and tier, and the lines it is made of. */
import type { Fen } from '../money.js';
import { formatYuan } from '../money.js';
import type { ResolvedParam } from '../policy/loader.js';
import { KIND_LABELS, TIER_LABELS } from '../policy/vocabulary.js';
import type { CompiledPack } from './compile.js';
import type { QuoteInput } from './input.js';
import type { Trace } from './trace.js';

/** One line of the standard: the coverage year's own contribution, or an earlier year's collected late (补征). */
export interface StandardLine {
  line: 'standard' | 'arrears';
  /** the coverage year the amount is a contribution for */
  forYear: number;
  fen: Fen;
  param: ResolvedParam;
}

export function individualStandard(cp: CompiledPack, q: QuoteInput, trace: Trace): { fen: Fen; lines: StandardLine[] } {
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
  if (!a || a.fen > fen) return { fen, lines: [{ line: 'standard', forYear: cp.pack.year, fen, param: s.param }] };
  if (trace.on)
    trace.add('contribution.arrears', a.fen / 100, `个人缴费标准中 ${formatYuan(a.fen)} 元为补征 ${a.year} 年个人缴费，${cp.pack.year} 年度个人缴费为 ${formatYuan(fen - a.fen)} 元`, a.param);
  else trace.use(a.param);
  return {
    fen,
    lines: [
      { line: 'standard', forYear: cp.pack.year, fen: fen - a.fen, param: s.param },
      { line: 'arrears', forYear: a.year, fen: a.fen, param: a.param },
    ],
  };
}

/** The tier-1 standard of the default kind, which Chongqing's assistance table is written against. */
export function tier1Standard(cp: CompiledPack): Fen {
  const s = cp.standard.adult;
  return s.byTier ? s.byTier[0] : s.single!;
}
