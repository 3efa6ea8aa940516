/**
 * The policy-pack format: data, not code. A pack is one region's parameters for one
 * coverage year; each parameter carries a citation (document number + article, and the
 * sentence it comes from) or an explicit `example` mark with a note.
 */
import { z } from 'zod';
import { rate, statusOrGroup, yuan } from './pack-values.js';
import { isDateString, PERIOD_COUNTINGS } from '../dates.js';
import { BENEFIT_FAMILIES } from './benefit-params.js';
import { CAMPAIGN_FAMILIES } from './campaign-params.js';
import { RISK_FAMILIES } from './risk-params.js';
import {
  NEEDY_STATUSES,
  PERSON_KINDS,
  REFUSAL_CODES,
  REGION_CLASSES,
  RESIDENCES,
  STATUS_GROUPS,
  SUBSIDY_LEVELS,
  TIERS,
} from './vocabulary.js';

const date = z
  .string()
  .refine(isDateString, { message: 'not a real date in YYYY-MM-DD form' });
const monthDay = z.string().regex(/^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'expected MM-DD');
const tier = z.enum(TIERS);
const kind = z.enum(PERSON_KINDS);
const window = z.object({ from: date, to: date }).strict();

/** Amount by tier where the region has tiers, or one amount. */
const tiered = z.union([yuan, z.object({ tier1: yuan, tier2: yuan }).strict()]);

const monthsFrom = z.object({ from: monthDay, months: z.number().int().positive() }).strict();

/**
 * When a rule applies: every condition written must hold. `paid…` conditions read the payment
 * date (缴费); `enrolled…` conditions and `employeeGapWithinMonths` read the enrollment date (参保,
 * 参加居民医保: `enrolledOn`, or the payment date where it is not given) of a person who pays.
 * Periods ("90日内", "3个月内") are counted by the pack's `periods.counting` (src/dates.ts).
 */
export const conditionSchema = z
  .object({
    status: z.array(statusOrGroup).min(1).optional(),
    tier: tier.optional(),
    kind: z.array(kind).min(1).optional(),
    ageBelow: z.number().int().positive().optional(),
    ageAtLeast: z.number().int().nonnegative().optional(),
    paid: z.enum(['in_window', 'before_window', 'after_window', 'none']).optional(),
    paidAfter: date.optional(),
    paidOnOrBefore: date.optional(),
    /** paid within n days from the birth date (出生之日起n日内缴费) */
    paidWithinDaysOfBirth: z.number().int().positive().optional(),
    /** enrolled within n days from the birth date (出生之日起n日内办理独立参保) */
    enrolledWithinDaysOfBirth: z.number().int().positive().optional(),
    bornInCoverageYear: z.boolean().optional(),
    guardianEnrolled: z.boolean().optional(),
    /** enrolled within n months of the end of employee insurance (职工医保中断缴费n个月内参加居民医保) */
    employeeGapWithinMonths: z.number().int().positive().optional(),
    /** a graduate of the coverage year paying within the months from the day (毕业当年9月1日后3个月内…补缴当年费用) */
    graduatingPaidWithin: monthsFrom.optional(),
    /** a graduate of the coverage year enrolling within the months from the day (…参加居民医保) */
    graduatingEnrolledWithin: monthsFrom.optional(),
  })
  .strict();
export type Condition = z.infer<typeof conditionSchema>;

const assistanceAmount = z.union([
  z.object({ full: z.literal(true) }).strict(),
  z.object({ yuan }).strict(),
  z.object({ rate, of: z.enum(['own_standard', 'tier1']) }).strict(),
]);

const ruleBase = { exceptionTo: z.array(z.string()).optional(), label: z.string().optional() };

export const RULE_GROUPS = {
  acceptance: z
    .object({
      when: conditionSchema,
      then: z.union([
        z.object({ accept: z.enum(['window', 'late', 'newborn', 'guardian', 'graduate', 'exempt']) }).strict(),
        z.object({ refuse: z.enum(Object.keys(REFUSAL_CODES) as [keyof typeof REFUSAL_CODES]) }).strict(),
      ]),
      ...ruleBase,
    })
    .strict(),
  subsidy: z
    .object({
      when: conditionSchema,
      then: z
        .object({
          subsidy: z.enum(['granted', 'none_person_pays']),
          assistance: z.enum(['kept', 'lost']).optional(),
        })
        .strict(),
      ...ruleBase,
    })
    .strict(),
  assistance: z
    .object({ when: conditionSchema, then: z.object({ assist: assistanceAmount }).strict(), ...ruleBase })
    .strict(),
  benefitStart: z
    .object({
      when: conditionSchema,
      then: z
        .object({
          start: z.union([
            z.enum(['period_start', 'payment_date', 'enrollment_month', 'birth_date']),
            z.object({ monthDay }).strict(),
            z.object({ afterPaymentDays: z.number().int().positive() }).strict(),
          ]),
        })
        .strict(),
      ...ruleBase,
    })
    .strict(),
} as const;
export type RuleGroup = keyof typeof RULE_GROUPS;
export type Rule<G extends RuleGroup = RuleGroup> = z.infer<(typeof RULE_GROUPS)[G]>;

const splitLine = z.object({ level: z.enum(SUBSIDY_LEVELS), amount: yuan }).strict();

/** Typed parameter families: a key matches one pattern, whose schema checks the value. */
export const PARAM_FAMILIES: { pattern: RegExp; schema: z.ZodType; doc: string; yearly?: boolean }[] = [
  { pattern: /^tiers$/, schema: z.array(tier), doc: 'contribution tiers the region offers (empty: none)' },
  {
    pattern: new RegExp(`^contribution\\.(default|${PERSON_KINDS.join('|')})$`),
    schema: tiered,
    doc: 'individual contribution standard (yuan per person-year) by person kind, by tier where there are tiers',
    yearly: true,
  },
  {
    pattern: /^contribution\.average$/,
    schema: yuan,
    doc: 'average individual contribution: information, or with bound: min the average floor (平均不低于) the area’s own category standards must meet — not a floor for each person',
    yearly: true,
  },
  {
    pattern: /^contribution\.arrears$/,
    schema: z.object({ year: z.number().int().min(2000).max(2100), amount: yuan }).strict(),
    doc: 'part of the coverage year’s individual standard that is an earlier year’s contribution collected late (补征), shown as its own line',
    yearly: true,
  },
  {
    pattern: /^population\.shares$/,
    schema: z.partialRecord(kind, rate),
    doc: 'population shares by person kind (adding up to 100%), weighting the category standards against an average floor',
  },
  {
    pattern: /^population\.tierShares$/,
    schema: z.object({ tier1: rate, tier2: rate }).strict(),
    doc: 'shares of the population in each tier (adding up to 100%), weighting tiered standards against an average floor',
  },
  {
    pattern: /^periods\.counting$/,
    schema: z.enum(PERIOD_COUNTINGS),
    doc: 'how periods of days and months ("90日内", "满90日后", "3个月内") are counted: first_day_excluded (民法典 第二百零一条) or first_day_included',
  },
  {
    pattern: new RegExp(`^groups\\.(${Object.keys(STATUS_GROUPS).join('|')})$`),
    schema: z.object({ statuses: z.array(z.enum(NEEDY_STATUSES)).min(1), residence: z.enum(RESIDENCES).optional() }).strict(),
    doc: 'a derived group rules may name (农村低收入人口): the statuses that make a person a member, and the residence type (户籍) a member must have',
  },
  {
    pattern: /^residence\.whenUnknown$/,
    schema: z.enum(RESIDENCES),
    doc: 'the residence type (户籍类型) assumed when a request does not give it; the answer warns that it was assumed',
  },
  {
    pattern: /^college\.period$/,
    schema: z.enum(['academic_year', 'natural_year']),
    doc: 'whether college students enroll by academic year or natural year',
  },
  { pattern: /^college\.academicYear$/, schema: window, doc: 'the academic year a coverage year’s college contribution buys', yearly: true },
  {
    pattern: /^college\.graduateBenefitEnd$/,
    schema: z.enum(['academic_year_end', 'coverage_year_end']),
    doc: 'when benefits of a student graduating that year end',
  },
  { pattern: /^fiscalSubsidy\.perCapita$/, schema: yuan, doc: 'per-capita fiscal subsidy', yearly: true },
  {
    pattern: new RegExp(`^fiscalSubsidy\\.centralShare\\.(${REGION_CLASSES.join('|')})$`),
    schema: rate,
    doc: 'central budget share of the per-capita subsidy by region class',
  },
  { pattern: /^fiscalSubsidy\.regionClass$/, schema: z.enum(REGION_CLASSES), doc: 'the region class for the central share' },
  {
    pattern: /^fiscalSubsidy\.split\.[a-z_]+$/,
    schema: z.array(splitLine).min(1),
    doc: 'subsidy split by level for one subsidy class (amounts must add up to the per-capita subsidy)',
    yearly: true,
  },
  {
    pattern: /^fiscalSubsidy\.classKinds\.[a-z_]+$/,
    schema: z.array(kind).min(1),
    doc: 'the person kinds a subsidy class can apply to (a class without this applies to every kind)',
  },
  {
    pattern: /^fiscalSubsidy\.residencePermitHolders$/,
    schema: z.literal('same_as_residents'),
    doc: 'subsidy for residence-permit holders',
  },
  {
    pattern: /^assistance\.multipleStatuses$/,
    schema: z.literal('most_favourable'),
    doc: 'how a person with several needy statuses is assisted',
  },
  {
    pattern: /^age\.referenceDate$/,
    schema: z.enum(['coverage_start', 'payment_date']),
    doc: 'the date on which age conditions (周岁) are measured',
  },
  { pattern: /^enrollment\.window$/, schema: window, doc: 'the enrollment window (集中参保期)', yearly: true },
  {
    pattern: /^newborn\.followingGuardianContribution$/,
    schema: yuan,
    doc: 'what a newborn enrolled by following its guardian pays',
  },
  {
    pattern: /^rules\.(acceptance|subsidy|benefitStart)\.[a-z0-9_]+$/,
    schema: z.unknown(), // checked against RULE_GROUPS by the loader, by group
    doc: 'a dated rule: when (conditions), then (outcome), exceptionTo (rules it overrides)',
    yearly: true,
  },
  {
    pattern: /^rules\.assistance\.[a-z0-9_]+$/,
    schema: z.unknown(),
    doc: 'a classified contribution assistance rule: when (statuses, tier, kind, age), then (assist amount)',
  },
  // Parameters later stages compute with; carried now with their citations.
  ...BENEFIT_FAMILIES,
  ...CAMPAIGN_FAMILIES,
  ...RISK_FAMILIES,
  { pattern: /^fund\.[A-Za-z0-9_.]+$/, schema: z.union([z.number(), z.string(), rate]), doc: 'fund management bottom lines' },
  { pattern: /^targets\.[A-Za-z0-9_.]+$/, schema: z.union([z.number(), z.string(), rate]), doc: 'enrollment targets and reporting', yearly: true },
];

export function familyOf(key: string): (typeof PARAM_FAMILIES)[number] | undefined {
  return PARAM_FAMILIES.find((f) => f.pattern.test(key));
}

/** One parameter as written in a pack file. */
export const paramSchema = z
  .object({
    value: z.unknown(),
    cite: z.string().min(1).optional(),
    quote: z.string().min(1).optional(),
    example: z.string().min(1).optional(),
    note: z.string().optional(),
    bound: z.enum(['min', 'exact']).optional(),
  })
  .strict();
export type ParamInput = z.infer<typeof paramSchema>;

export const packFileSchema = z
  .object({
    pack: z.literal(1),
    region: z.string().regex(/^\d{6}$/, 'a 6-digit region code'),
    year: z.number().int().min(2000).max(2100),
    name: z.string().min(1),
    extends: z
      .string()
      .regex(/^\d{6}(\/\d{4})?$/, 'a parent region code, optionally with /year')
      .optional(),
    documents: z.array(z.string()).default([]),
    notes: z.string().optional(),
    params: z.record(z.string(), paramSchema),
  })
  .strict();
export type PackFile = z.infer<typeof packFileSchema>;
