/**
 * What a quote warns about, and the steps that explain what the rules consulted: the pack of a
 * parent region answering, a subsidy split left undone for want of the class, a residence type
 * assumed, the counting of periods. Pure.
 */
import { RESIDENCE_LABELS, STATUS_LABELS, WARNING_CODES, type NeedyStatus, type WarningCode } from '../policy/vocabulary.js';
import type { ResolvedParam } from '../policy/loader.js';
import type { CompiledPack, EvalContext } from './compile.js';
import type { GroupCheck } from './groups.js';
import type { QuoteInput } from './input.js';
import { matchedStatuses } from './status-mask.js';
import type { Trace } from './trace.js';

export interface QuoteWarning {
  code: WarningCode;
  /** the request field the warning is about, where there is one */
  field: string | null;
  message: string;
}

const warning = (code: WarningCode, field: string | null, detail: string): QuoteWarning => ({ code, field, message: `${WARNING_CODES[code]}：${detail}` });

/** No warnings: shared and frozen (most answers have none); add to a copy. */
export const NO_WARNINGS: readonly QuoteWarning[] = Object.freeze([]);

/** The pack answering is another region's (a parent's): say so first. */
export function packWarning(cp: CompiledPack, region: string, trace: Trace): readonly QuoteWarning[] {
  if (cp.pack.region === region) return NO_WARNINGS;
  const national = cp.pack.region === '000000';
  const detail = `区划 ${region} 在 ${cp.pack.year} 年没有本级政策包，按 ${cp.pack.id}（${cp.pack.name}）答复${national ? '；这是全国基线，所用数值多为示例，不是该地区的政策' : ''}`;
  if (trace.on) trace.add('pack', cp.pack.id, detail);
  return [warning('PACK_OF_PARENT_REGION', 'region', detail)];
}

export function subsidyClassWarning(cp: CompiledPack): QuoteWarning {
  return warning('SUBSIDY_CLASS_MISSING', 'subsidyClass', `本地区财政补助按类别分担（${[...cp.splits.keys()].join('、')}），请求未给出 subsidyClass；个人缴费、资助和待遇期不受影响，只是未划分各级财政分担`);
}

/** Steps for the groups whose residence was tested, and a warning where the residence was assumed. */
export function groupSteps(cp: CompiledPack, q: QuoteInput, ctx: EvalContext, trace: Trace): QuoteWarning[] {
  return ctx.groupChecks ? groupCheckSteps(ctx.groupChecks.values(), q.statuses, cp.residenceWhenUnknown.param, trace) : [];
}

/** The same for any caller that tested groups (settlement's 倾斜支付): one step per group, a warning per assumption. */
export function groupCheckSteps(checks: Iterable<GroupCheck>, statuses: readonly string[], whenUnknown: ResolvedParam | undefined, trace: Trace): QuoteWarning[] {
  const out: QuoteWarning[] = [];
  for (const c of checks) {
    if (!trace.on && !c.assumed) {
      trace.use(c.group.param); // nothing to say with tracing off: only the example values used
      continue;
    }
    const label = STATUS_LABELS[c.group.name as keyof typeof STATUS_LABELS] ?? c.group.name;
    const who = matchedStatuses(statuses, c.group.mask).map((s) => STATUS_LABELS[s as NeedyStatus] ?? s).join('、');
    const verdict = `${c.member ? '属于' : '不属于'}${label}（须为${RESIDENCE_LABELS[c.group.residence!]}户籍）`;
    if (c.assumed) {
      const other = c.residence === 'rural' ? 'urban' : 'rural';
      const detail = `请求未给出 person.residence，按${RESIDENCE_LABELS[c.residence]}户籍计（示例假定）：身份 ${who} ${verdict}；如为${RESIDENCE_LABELS[other]}户籍，则${c.member ? '不' : ''}属于${label}，适用于${label}的规则（如不设等待期）${c.member ? '不再' : '将'}适用`;
      if (trace.on) trace.add('residence', c.residence, detail, whenUnknown);
      else trace.use(whenUnknown);
      out.push(warning('RESIDENCE_ASSUMED', 'person.residence', detail));
    }
    if (trace.on) trace.add(`groups.${c.group.name}`, c.member, `身份 ${who}，${RESIDENCE_LABELS[c.residence]}户籍${c.assumed ? '（假定）' : ''}：${verdict}`, c.group.param);
    else trace.use(c.group.param);
  }
  return out;
}

/** Where a rule counted days or months, the step saying how (and the parameter it rests on). */
export function countingStep(cp: CompiledPack, ctx: EvalContext, trace: Trace): void {
  if (!ctx.periodsCounted) return;
  const c = cp.counting;
  if (trace.on)
    trace.add(
      'periods.counting',
      c.value,
      c.value === 'first_day_excluded'
        ? '期间（“90日内”“满90日”“3个月内”）开始的当日不计入，自下一日开始计算；按月计算的，到期月的对应日为最后一日，没有对应日的为月末日（民法典第二百零一条、第二百零二条）'
        : '期间（“90日内”“满90日”“3个月内”）自开始的当日起计算',
      c.param,
    );
  else trace.use(c.param);
}
