/** 个人缴费标准: the individual contribution by person kind and tier. */
import type { Fen } from '../money.js';
import { formatYuan } from '../money.js';
import { KIND_LABELS } from '../policy/vocabulary.js';
import type { CompiledPack } from './compile.js';
import type { QuoteInput } from './input.js';
import type { Trace } from './trace.js';

export function individualStandard(cp: CompiledPack, q: QuoteInput, trace: Trace): Fen {
  const s = cp.standard[q.kind];
  const fen = s.byTier ? s.byTier[q.tier === 'tier2' ? 1 : 0] : s.single!;
  { if (trace.on) trace.add(
    'standardContribution',
    fen / 100,
    `${KIND_LABELS[q.kind]}${q.tier ? (q.tier === 'tier1' ? '一档' : '二档') : ''}个人缴费标准 ${formatYuan(fen)} 元${s.param.bound === 'min' ? '（通知规定的下限）' : ''}`,
    s.param,
  ); else trace.use(s.param); }
  return fen;
}

/** The tier-1 standard of the default kind, which Chongqing's assistance table is written against. */
export function tier1Standard(cp: CompiledPack): Fen {
  const s = cp.standard.adult;
  return s.byTier ? s.byTier[0] : s.single!;
}
