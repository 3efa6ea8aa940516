/**
 * A resolved pack's benefit parameters compiled for settlement: amounts in fen, rates exact,
 * lookups by tier and hospital level. A type the pack says nothing about is not covered.
 */
import { dayOf, yearStart, type Day } from '../../dates.js';
import { parseRate, yuanToFen, type Fen, type Rate } from '../../money.js';
import type { ResolvedPack, ResolvedParam } from '../../policy/loader.js';
import { TYPE_KEYS } from '../../policy/benefit-params.js';
import { HOSPITAL_LEVELS, type EncounterType, type HospitalLevel, type Residence, type Tier } from '../../policy/vocabulary.js';
import { compileGroups, compileStatusList, type StatusList } from '../groups.js';
import { statusBit } from '../status-mask.js';

export type PaidType = keyof typeof TYPE_KEYS;

/** A value by tier and hospital level, as the pack writes it (either may be absent). */
export class TierLevel<T> {
  constructor(
    private readonly byTier: Record<string, Record<HospitalLevel, T>> | null,
    private readonly single: Record<HospitalLevel, T> | null,
    readonly param: ResolvedParam,
  ) {}
  get(tier: Tier | null, level: HospitalLevel): T {
    if (this.byTier) return this.byTier[tier ?? 'tier1'][level];
    return (this.single as Record<HospitalLevel, T>)[level];
  }
}

function levels<T>(v: unknown, conv: (x: number | string) => T): Record<HospitalLevel, T> {
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<HospitalLevel, number | string>;
    return Object.fromEntries(HOSPITAL_LEVELS.map((l) => [l, conv(o[l])])) as Record<HospitalLevel, T>;
  }
  const one = conv(v as number | string);
  return Object.fromEntries(HOSPITAL_LEVELS.map((l) => [l, one])) as Record<HospitalLevel, T>;
}

function tierLevel<T>(p: ResolvedParam, conv: (x: number | string) => T): TierLevel<T> {
  const v = p.value;
  if (typeof v === 'object' && v !== null && 'tier1' in v) {
    const o = v as Record<Tier, unknown>;
    return new TierLevel({ tier1: levels(o.tier1, conv), tier2: levels(o.tier2, conv) }, null, p);
  }
  return new TierLevel(null, levels(v, conv), p);
}

export class ByTier<T> {
  constructor(
    private readonly v: { tier1: T; tier2: T } | T,
    private readonly tiered: boolean,
    readonly param: ResolvedParam,
  ) {}
  get(tier: Tier | null): T {
    return this.tiered ? (this.v as { tier1: T; tier2: T })[tier ?? 'tier1'] : (this.v as T);
  }
}

function byTierYuan(p: ResolvedParam): ByTier<Fen> {
  const v = p.value;
  if (typeof v === 'object' && v !== null) {
    const o = v as { tier1: number | string; tier2: number | string };
    return new ByTier({ tier1: yuanToFen(o.tier1), tier2: yuanToFen(o.tier2) }, true, p);
  }
  return new ByTier(yuanToFen(v as number | string), false, p);
}

export interface BasicBenefit {
  deductible: TierLevel<Fen>;
  ratio: TierLevel<Rate>;
  /** own annual limit (outpatient types); inpatient and chronic use the basic limit */
  annualLimit: ByTier<Fen> | null;
}

export interface CompiledBenefits {
  pack: ResolvedPack;
  /** the residence type tested for a group with a residence when the person's is unknown */
  residenceWhenUnknown: { value: Residence; param: ResolvedParam | undefined };
  coverageStart: Day;
  coverageEnd: Day;
  basic: Partial<Record<PaidType, BasicBenefit>>;
  laterAdmission: { rate: Rate; param: ResolvedParam } | null;
  basicLimit: ByTier<Fen> | null;
  diseases: { byCode: Map<string, { name: string; limit: Fen }>; param: ResolvedParam } | null;
  maternity: ResolvedParam | null;
  outOfArea: { in_province: Rate; out_of_province: Rate; unreferred: Rate; param: ResolvedParam } | null;
  policyScopeRatio: ResolvedParam | undefined;
  criticalIllness: {
    deductible: Fen;
    deductibleParam: ResolvedParam;
    segments: { from: Fen; rate: Rate }[];
    segmentsParam: ResolvedParam;
    limit: Fen | null;
    limitParam: ResolvedParam;
    types: Set<EncounterType>;
    typesParam: ResolvedParam;
    /** every status the preferential list names, groups expanded (residence not tested) */
    preferentialMask: number;
    /** the list as the rule tests it: statuses, and groups with their residence */
    preferentialList: StatusList;
    preferentialStatusesParam: ResolvedParam | undefined;
    preferential: { deductibleRate: Rate; ratioIncrease: Rate; noLimit: boolean; segments: { from: Fen; rate: Rate }[]; param: ResolvedParam } | null;
  } | null;
  assistance: {
    classes: { mask: number; statuses: string[]; deductible: Fen; rate: Rate; label: string }[];
    classesParam: ResolvedParam;
    limit: Fen;
    limitParam: ResolvedParam;
    sharedParam: ResolvedParam | undefined;
    types: Set<EncounterType>;
    typesParam: ResolvedParam;
    preferential: { threshold: Fen; rate: Rate; limit: Fen; requiresReferral: boolean; inProvinceOnly: boolean; param: ResolvedParam } | null;
  } | null;
}

const rate = (x: number | string): Rate => parseRate(x);
const fen = (x: number | string): Fen => yuanToFen(x);

export function compileBenefits(pack: ResolvedPack): CompiledBenefits {
  const get = (k: string): ResolvedParam | undefined => pack.params.get(k);
  const basic: CompiledBenefits['basic'] = {};
  for (const [type, key] of Object.entries(TYPE_KEYS) as [PaidType, string][]) {
    const d = get(`benefits.${key}.deductible`);
    const r = get(`benefits.${key}.ratio`);
    if (!d || !r) continue;
    const lim = get(`benefits.${key}.annualLimit`);
    basic[type] = { deductible: tierLevel(d, fen), ratio: tierLevel(r, rate), annualLimit: lim ? byTierYuan(lim) : null };
  }
  const later = get('benefits.inpatient.laterAdmissionDeductible');
  const basicLimit = get('benefits.basic.annualLimit');
  const diseases = get('benefits.chronicSpecialOutpatient.diseases');
  const ooa = get('benefits.outOfArea.ratioReduction');
  const ciD = get('benefits.criticalIllness.deductible');
  const ciS = get('benefits.criticalIllness.segments');
  const ciL = get('benefits.criticalIllness.annualLimit');
  const ciT = get('benefits.criticalIllness.encounterTypes');
  const ciPS = get('benefits.criticalIllness.preferentialStatuses');
  const ciP = get('benefits.criticalIllness.preferential');
  const maC = get('benefits.medicalAssistance.classes');
  const maL = get('benefits.medicalAssistance.annualLimit');
  const maT = get('benefits.medicalAssistance.encounterTypes');
  const maP = get('benefits.medicalAssistance.preferential');
  const groups = compileGroups(pack.params);
  const mask = (list: string[]): number => list.reduce((m, s) => m | (groups.get(s)?.mask ?? statusBit(s)), 0);
  const whenUnknown = get('residence.whenUnknown');
  return {
    pack,
    residenceWhenUnknown: { value: (whenUnknown?.value as Residence | undefined) ?? 'rural', param: whenUnknown },
    coverageStart: yearStart(pack.year),
    coverageEnd: dayOf(pack.year, 12, 31),
    basic,
    laterAdmission: later ? { rate: rate(later.value as string), param: later } : null,
    basicLimit: basicLimit ? byTierYuan(basicLimit) : null,
    diseases: diseases
      ? {
          byCode: new Map((diseases.value as { code: string; name: string; annualLimit: number | string }[]).map((d) => [d.code, { name: d.name, limit: fen(d.annualLimit) }])),
          param: diseases,
        }
      : null,
    maternity: get('benefits.maternity.settleAs') ?? null,
    outOfArea: ooa
      ? (() => {
          const v = ooa.value as Record<'in_province' | 'out_of_province' | 'unreferred', string>;
          return { in_province: rate(v.in_province), out_of_province: rate(v.out_of_province), unreferred: rate(v.unreferred), param: ooa };
        })()
      : null,
    policyScopeRatio: get('benefits.inpatient.policyScopeRatio'),
    criticalIllness:
      ciD && ciS && ciL && ciT
        ? {
            deductible: fen(ciD.value as number),
            deductibleParam: ciD,
            segments: (ciS.value as { from: number | string; ratio: number | string }[]).map((s) => ({ from: fen(s.from), rate: rate(s.ratio) })),
            segmentsParam: ciS,
            limit: ciL.value === 'none' ? null : fen(ciL.value as number),
            limitParam: ciL,
            types: new Set(ciT.value as EncounterType[]),
            typesParam: ciT,
            preferentialMask: ciPS ? mask(ciPS.value as string[]) : 0,
            preferentialList: compileStatusList(ciPS ? (ciPS.value as string[]) : [], groups),
            preferentialStatusesParam: ciPS,
            preferential: ciP
              ? (() => {
                  const v = ciP.value as { deductibleRate: string; ratioIncrease: string; annualLimit: 'none' | 'same' };
                  const inc = rate(v.ratioIncrease);
                  const segments = (ciS.value as { from: number | string; ratio: number | string }[]).map((s) => ({ from: fen(s.from), rate: addRate(rate(s.ratio), inc) }));
                  return { deductibleRate: rate(v.deductibleRate), ratioIncrease: inc, noLimit: v.annualLimit === 'none', segments, param: ciP };
                })()
              : null,
          }
        : null,
    assistance:
      maC && maL && maT
        ? {
            classes: (maC.value as { status: string[]; deductible: number | string; ratio: string; label?: string }[]).map((c) => ({
              mask: mask(c.status),
              statuses: c.status,
              deductible: fen(c.deductible),
              rate: rate(c.ratio),
              label: c.label ?? c.status.join('、'),
            })),
            classesParam: maC,
            limit: fen(maL.value as number),
            limitParam: maL,
            sharedParam: get('benefits.medicalAssistance.sharedLimit'),
            types: new Set(maT.value as EncounterType[]),
            typesParam: maT,
            preferential: maP
              ? (() => {
                  const v = maP.value as { threshold: number; ratio: string; annualLimit: number; requiresReferral: boolean; inProvinceOnly: boolean };
                  return { threshold: fen(v.threshold), rate: rate(v.ratio), limit: fen(v.annualLimit), requiresReferral: v.requiresReferral, inProvinceOnly: v.inProvinceOnly, param: maP };
                })()
              : null,
          }
        : null,
  };
}

/** a − b percentage points, not below zero, exactly. */
export function subtractRate(a: Rate, b: Rate): Rate {
  const num = a.num * b.den - b.num * a.den;
  const den = a.den * b.den;
  if (num <= 0) return { num: 0, den: 1, text: '0%' };
  return reduce(num, den);
}

/** a + b, at most 100 %. */
export function addRate(a: Rate, b: Rate): Rate {
  const num = a.num * b.den + b.num * a.den;
  const den = a.den * b.den;
  if (num >= den) return { num: 1, den: 1, text: '100%' };
  return reduce(num, den);
}

/** A derived rate; its text is written only when someone reads it. */
class DerivedRate implements Rate {
  constructor(
    readonly num: number,
    readonly den: number,
  ) {}
  get text(): string {
    return pct(this.num, this.den);
  }
}

function reduce(num: number, den: number): Rate {
  let x = num;
  let y = den;
  while (y) [x, y] = [y, x % y];
  return new DerivedRate(num / x, den / x);
}

/** "62.5%" for 5/8; an exact decimal where there is one, else the fraction. */
export function pct(num: number, den: number): string {
  for (let dec = 0; dec <= 6; dec++) {
    const scaled = (num * 100 * 10 ** dec) / den;
    if (Number.isInteger(scaled)) return `${(scaled / 10 ** dec).toFixed(dec)}%`;
  }
  return `${num}/${den}`;
}
