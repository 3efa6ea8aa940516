/** 财政补助: the per-capita fiscal subsidy and its split by budget level. */
import { applyRate, formatYuan, type Fen } from '../money.js';
import { KIND_LABELS, type SubsidyLevel } from '../policy/vocabulary.js';
import type { CompiledPack } from './compile.js';
import type { QuoteInput } from './input.js';
import type { Trace } from './trace.js';

export interface SubsidyShare {
  level: SubsidyLevel;
  fen: Fen;
}

const LEVEL_LABELS: Record<SubsidyLevel, string> = {
  central: '中央',
  provincial: '省级',
  prefecture: '市级',
  county: '县级',
  local: '地方（未分级）',
  unallocated: '未划分',
};

/** The split of the per-capita subsidy by budget level; null when the pack splits by class and the request names none. */
export function subsidyShares(cp: CompiledPack, q: QuoteInput, trace: Trace): SubsidyShare[] | null {
  const total = cp.perCapita.fen;
  { if (trace.on) trace.add('fiscalSubsidy.total', total / 100, `人均财政补助 ${formatYuan(total)} 元${cp.perCapita.param.bound === 'min' ? '（通知规定的下限）' : ''}`, cp.perCapita.param); else trace.use(cp.perCapita.param); }
  if (q.subsidyClass) {
    const split = cp.splits.get(q.subsidyClass)!;
    const kinds = cp.classKinds.get(q.subsidyClass);
    if (kinds) { if (trace.on) trace.add('fiscalSubsidy.classKinds', kinds.kinds, `补助类别 ${q.subsidyClass} 只适用于：${kinds.kinds.map((k) => KIND_LABELS[k]).join('、')}`, kinds.param); else trace.use(kinds.param); }
    { if (trace.on) trace.add(
      'fiscalSubsidy.shares',
      q.subsidyClass,
      `按补助类别 ${q.subsidyClass} 分担：${split.lines.map((l) => `${LEVEL_LABELS[l.level]} ${formatYuan(l.fen)} 元`).join('，')}`,
      split.param,
    ); else trace.use(split.param); }
    return split.lines.map((l) => ({ level: l.level, fen: l.fen }));
  }
  if (cp.splits.size) {
    { if (trace.on) trace.add('fiscalSubsidy.shares', null, `本地区按补助类别（${[...cp.splits.keys()].join('、')}）划分各级财政分担；未提供补助类别（subsidyClass），不划分`); }
    return null;
  }
  if (cp.central) {
    const c = applyRate(total, cp.central.rate);
    { if (trace.on) trace.add('fiscalSubsidy.regionClass', cp.central.regionClass, `中央财政补助地区类别：${cp.central.regionClass}`, cp.central.classParam); else trace.use(cp.central.classParam); }
    { if (trace.on) trace.add('fiscalSubsidy.centralShare', c / 100, `中央财政按 ${cp.central.rate.text} 补助 ${formatYuan(c)} 元，其余 ${formatYuan(total - c)} 元由地方财政负担`, cp.central.param); else trace.use(cp.central.param); }
    return [
      { level: 'central', fen: c },
      { level: 'local', fen: total - c },
    ];
  }
  { if (trace.on) trace.add('fiscalSubsidy.shares', 'unallocated', '本政策包未设地区类别，无法划分各级财政分担'); }
  return [{ level: 'unallocated', fen: total }];
}
