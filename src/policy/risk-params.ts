/**
 * Risk parameters of a pack (issue #18): the high-burden warning's thresholds, the fraud-screening
 * rules (one key each: its code, name, plain-Chinese explanation, parameters), the referral
 * thresholds for 临时救助 / 慈善救助. Each value cites the notice sentence it serves; the numbers the
 * notices do not give are marked as examples (the `example` mark on the parameter).
 */
import { z } from 'zod';
import { rate, statusOrGroup, yuan } from './pack-values.js';

export const burdenParamsSchema = z
  .object({
    /** the area's per-capita disposable income (居民人均可支配收入), yuan per year */
    perCapitaIncome: yuan,
    /** share of it above which anyone's out-of-pocket cost after the three tiers is warned of */
    share: rate,
    /** the lower share for the needy groups */
    needyShare: rate,
    needyStatuses: z.array(statusOrGroup).min(1),
    /** months of the rolling window (the coverage year is the other basis) */
    rollingMonths: z.number().int().min(1).max(24),
  })
  .strict();
export type BurdenParams = z.infer<typeof burdenParamsSchema>;

const paramValue = z.union([z.number(), z.string(), z.array(z.string())]);
export const screenRuleSchema = z
  .object({
    name: z.string().min(1),
    /** what the rule looks for, in plain Chinese */
    explain: z.string().min(1),
    /** the platform's 违规行为分类 (vola_bhvr_type, spec 表453: 1 就诊类, 2 项目类) of the 3101/3102 answers */
    behaviour: z.enum(['1', '2']),
    /** the platform's 严重程度 (sev_deg, spec 表452: 1 明确违规, 2 高度可疑, 3 轻度可疑) */
    severity: z.enum(['1', '2', '3']),
    params: z.record(z.string(), paramValue).default({}),
  })
  .strict();
export type ScreenRuleParams = z.infer<typeof screenRuleSchema>;

export const referralParamsSchema = z
  .object({
    /** burden left after the three tiers and assistance on application above which the person is referred to 临时救助 */
    temporaryAssistance: yuan,
    /** … and to 慈善救助 */
    charityAssistance: yuan,
  })
  .strict();

export const RISK_FAMILIES: { pattern: RegExp; schema: z.ZodType; doc: string; yearly?: boolean }[] = [
  { pattern: /^risk\.burden$/, schema: burdenParamsSchema, doc: 'high-burden warning (高额费用负担患者预警): per-capita disposable income, the shares for everyone and the needy groups, the rolling window' },
  { pattern: /^risk\.screen\.FR\d{2}$/, schema: screenRuleSchema, doc: 'a fraud-screening rule (智慧监管): name, plain explanation, the platform’s behaviour class and severity, its parameters' },
  { pattern: /^risk\.referral$/, schema: referralParamsSchema, doc: 'burden left after assistance above which a person is referred to 临时救助 / 慈善救助' },
];
