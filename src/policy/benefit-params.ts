/**
 * Benefit parameters of the three tiers (基本医保, 大病保险, 医疗救助) in a pack: one key per
 * value, so each value carries its own citation or example mark.
 */
import { z } from 'zod';
import { rate, statusOrGroup, yuan } from './pack-values.js';
import { yuanToFen } from '../money.js';
import { ENCOUNTER_TYPES, HOSPITAL_LEVELS, TIERS } from './vocabulary.js';

const byLevel = <T extends z.ZodType>(t: T) =>
  z.union([t, z.object(Object.fromEntries(HOSPITAL_LEVELS.map((l) => [l, t])) as Record<(typeof HOSPITAL_LEVELS)[number], T>).strict()]);
const byTier = <T extends z.ZodType>(t: T) =>
  z.union([t, z.object(Object.fromEntries(TIERS.map((l) => [l, t])) as Record<(typeof TIERS)[number], T>).strict()]);
const encounterType = z.enum(ENCOUNTER_TYPES);

/** Keys of the paid encounter types as they appear in parameter names. */
export const TYPE_KEYS = {
  inpatient: 'inpatient',
  general_outpatient: 'generalOutpatient',
  hypertension_diabetes: 'hypertensionDiabetes',
  chronic_special_outpatient: 'chronicSpecialOutpatient',
} as const;

export const segmentsSchema = z
  .array(z.object({ from: yuan, ratio: rate }).strict())
  .min(1)
  .superRefine((segs, ctx) => {
    if (yuanToFen(segs[0].from) !== 0) ctx.addIssue({ code: 'custom', path: [0, 'from'], message: 'the first segment must start at 0 (the deductible)' });
    for (let i = 1; i < segs.length; i++)
      if (yuanToFen(segs[i].from) <= yuanToFen(segs[i - 1].from))
        ctx.addIssue({ code: 'custom', path: [i, 'from'], message: 'segments must start at increasing amounts' });
  });

export const assistanceClassSchema = z
  .array(z.object({ status: z.array(statusOrGroup).min(1), deductible: yuan, ratio: rate, label: z.string().optional() }).strict())
  .min(1);

export const BENEFIT_FAMILIES: { pattern: RegExp; schema: z.ZodType; doc: string; yearly?: boolean }[] = [
  { pattern: /^benefits\.inpatient\.policyScopeRatio$/, schema: rate, doc: 'target share of in-scope inpatient costs paid by the fund (information; the yearly settlement reports the realised share)', yearly: true },
  {
    pattern: /^benefits\.(inpatient|generalOutpatient|hypertensionDiabetes|chronicSpecialOutpatient)\.deductible$/,
    schema: byTier(byLevel(yuan)),
    doc: 'basic-fund deductible: per admission (inpatient) or per year (outpatient types), by tier and hospital level',
    yearly: true,
  },
  {
    pattern: /^benefits\.(inpatient|generalOutpatient|hypertensionDiabetes|chronicSpecialOutpatient)\.ratio$/,
    schema: byTier(byLevel(rate)),
    doc: 'share of in-scope costs above the deductible the basic fund pays, by tier and hospital level',
    yearly: true,
  },
  { pattern: /^benefits\.inpatient\.laterAdmissionDeductible$/, schema: rate, doc: 'the deductible of the second and later admissions of the year, as a share of the first', yearly: true },
  { pattern: /^benefits\.basic\.annualLimit$/, schema: byTier(yuan), doc: 'annual limit of the basic fund for inpatient and chronic/special outpatient care', yearly: true },
  { pattern: /^benefits\.(generalOutpatient|hypertensionDiabetes)\.annualLimit$/, schema: byTier(yuan), doc: 'annual limit of the basic fund for this outpatient type', yearly: true },
  {
    pattern: /^benefits\.chronicSpecialOutpatient\.diseases$/,
    schema: z.array(z.object({ code: z.string().min(1), name: z.string().min(1), annualLimit: yuan }).strict()).min(1),
    doc: 'the chronic / special outpatient disease list (门诊慢特病病种) with each disease’s annual limit',
    yearly: true,
  },
  { pattern: /^benefits\.maternity\.settleAs$/, schema: z.literal('by_setting'), doc: 'maternity costs: outpatient ones under the general-outpatient rules, inpatient ones under the inpatient rules', yearly: true },
  {
    pattern: /^benefits\.outOfArea\.ratioReduction$/,
    schema: z.object({ in_province: rate, out_of_province: rate, unreferred: rate }).strict(),
    doc: 'percentage points taken off the basic ratio for care outside the area, and further when not referred',
    yearly: true,
  },
  {
    pattern: /^benefits\.outOfArea\.filingExempt$/,
    schema: z.array(z.object({ scope: z.enum(['in_province']), encounterTypes: z.array(encounterType).min(1), hospitalLevels: z.array(z.enum(HOSPITAL_LEVELS)).min(1) }).strict()).min(1),
    doc: 'care outside the area that needs no filing (异地就医备案): counted as filed (not unreferred) without one',
    yearly: true,
  },
  { pattern: /^benefits\.criticalIllness\.deductible$/, schema: yuan, doc: '大病保险 deductible (起付线) per person-year', yearly: true },
  { pattern: /^benefits\.criticalIllness\.segments$/, schema: segmentsSchema, doc: '大病保险 payment segments above the deductible', yearly: true },
  { pattern: /^benefits\.criticalIllness\.annualLimit$/, schema: z.union([yuan, z.literal('none')]), doc: '大病保险 annual limit', yearly: true },
  { pattern: /^benefits\.criticalIllness\.encounterTypes$/, schema: z.array(encounterType).min(1), doc: 'encounter types whose in-scope personal burden counts towards 大病保险', yearly: true },
  { pattern: /^benefits\.criticalIllness\.preferentialStatuses$/, schema: z.array(statusOrGroup).min(1), doc: 'who gets 大病保险 preferential payment (倾斜支付)', yearly: true },
  {
    pattern: /^benefits\.criticalIllness\.preferential$/,
    schema: z.object({ deductibleRate: rate, ratioIncrease: rate, annualLimit: z.enum(['none', 'same']) }).strict(),
    doc: 'the preferential payment: share of the deductible applied, ratio increase in percentage points, annual limit',
    yearly: true,
  },
  { pattern: /^benefits\.medicalAssistance\.classes$/, schema: assistanceClassSchema, doc: 'medical assistance (医疗救助) by status: annual deductible and ratio of the policy-scope personal burden', yearly: true },
  { pattern: /^benefits\.medicalAssistance\.annualLimit$/, schema: yuan, doc: 'medical assistance annual limit', yearly: true },
  { pattern: /^benefits\.medicalAssistance\.sharedLimit$/, schema: z.literal('outpatient_and_inpatient'), doc: 'outpatient and inpatient assistance share one annual limit', yearly: true },
  { pattern: /^benefits\.medicalAssistance\.encounterTypes$/, schema: z.array(encounterType).min(1), doc: 'encounter types medical assistance pays for', yearly: true },
  {
    pattern: /^benefits\.medicalAssistance\.preferential$/,
    schema: z.object({ threshold: yuan, ratio: rate, annualLimit: yuan, requiresReferral: z.boolean(), inProvinceOnly: z.boolean() }).strict(),
    doc: 'preferential assistance (倾斜救助) when the policy-scope burden stays heavy after the three tiers: yearly threshold, ratio above it, limit',
    yearly: true,
  },
];
