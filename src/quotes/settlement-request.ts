/** The settlement-quote request and answer as JSON: one schema for CLI, HTTP and OpenAPI. */
import { z } from 'zod';
import { dayOf, formatDay, isDateString, parseDay } from '../dates.js';
import { InputError, fromZodIssues } from '../errors.js';
import { MAX_YUAN, parseRate, yuanToFen, type Fen } from '../money.js';
import { CARE_LOCATIONS, ENCOUNTER_TYPES, HOSPITAL_LEVELS, NEEDY_STATUSES, SETTLEMENT_CODES, WARNING_CODES } from '../policy/vocabulary.js';
import { residenceInput, tierInput } from './contribution-request.js';
import type { CompiledPack } from '../rules/compile.js';
import { classifyLines } from '../rules/settlement/costs.js';
import type { CompiledBenefits } from '../rules/settlement/compile.js';
import { emptyAccumulators, SCALAR_ACCUMULATORS, type Accumulators, type CostSplit, type Encounter, type FeeLine, type SettlementPerson } from '../rules/settlement/input.js';
import { processText, type SettlementResult } from '../rules/settlement/result.js';
import type { YearTotals } from '../rules/settlement/year.js';
import { personMask } from '../rules/status-mask.js';

const dateStr = z.string().refine(isDateString, { message: 'must be a real date written YYYY-MM-DD' });
const money = z
  .number()
  .nonnegative()
  .max(MAX_YUAN.bill, { message: `at most ${MAX_YUAN.bill} yuan (no real bill is larger)` })
  .refine((v) => Number.isInteger(Math.round(v * 100)) && Math.abs(v * 100 - Math.round(v * 100)) < 1e-6, { message: 'yuan with at most two decimals' })
  .describe(`yuan, at most two decimals, at most ${MAX_YUAN.bill}`);

const feeLine = z
  .object({
    sn: z.string().max(30).optional().describe('feedetl_sn'),
    catalogClass: z.enum(['A', 'B', 'C', '甲', '乙', '丙']).describe('catalogue class 甲/乙/丙 (A/B/C); 丙 is fully self-paid'),
    amount: money.describe('det_item_fee_sumamt'),
    quantity: z.number().positive().optional().describe('cnt, up to 4 decimals'),
    unitPrice: money.optional().describe('pric'),
    priceLimit: money.optional().describe('pric_uplmt_amt: above it the patient pays (超限价自费)'),
    selfPayRatio: z.union([z.string(), z.number()]).optional().describe('selfpay_prop of a 乙-class item, e.g. "10%" (先行自付)'),
  })
  .strict();

const costTotals = z
  .object({ total: money, fullOwnPay: money, overLimitSelfPay: money, preSelfPay: money, inScope: money })
  .strict()
  .describe('pre-classified totals (medfee_sumamt = fulamt_ownpay_amt + overlmt_selfpay + preselfpay_amt + inscp_scp_amt)');

export const encounterSchema = z
  .object({
    type: z.enum(ENCOUNTER_TYPES),
    setting: z.enum(['outpatient', 'inpatient']).optional().describe('maternity only: outpatient or inpatient care'),
    date: dateStr.describe('visit or admission date'),
    hospitalLevel: z.enum(HOSPITAL_LEVELS),
    location: z.enum(CARE_LOCATIONS).default('in_area'),
    referred: z.boolean().default(true).describe('referred according to the rules (规范转诊)'),
    disease: z.string().optional().describe('chronic / special outpatient: the disease code of the pack’s list'),
    fees: z.array(feeLine).min(1).optional(),
    costs: costTotals.optional(),
    stay: z
      .object({
        deductibleApplied: money.describe('the inpatient deductible the earlier parts applied (their act_pay_dedc), yuan'),
        admissionCounted: z.boolean().default(true).describe('the earlier parts counted the admission (they were settled by the funds)'),
      })
      .strict()
      .optional()
      .describe('inpatient only: a later part of an admission already settled in part (中途结算); the deductible is the admission’s, charged once'),
  })
  .strict();

const accumulatorsSchema = z
  .object({
    inpatientAdmissions: z.number().int().nonnegative().default(0),
    basicPaid: money.default(0),
    generalOutpatientPaid: money.default(0),
    generalOutpatientDeductible: money.default(0),
    hypertensionDiabetesPaid: money.default(0),
    hypertensionDiabetesDeductible: money.default(0),
    chronicDeductible: money.default(0),
    chronicPaid: z.record(z.string(), money).default({}),
    criticalIllnessBase: money.default(0),
    criticalIllnessPaid: money.default(0),
    assistanceDeductible: money.default(0),
    assistancePaid: money.default(0),
    burdenAfterThreeTiers: money.default(0),
    preferentialAssistancePaid: money.default(0),
  })
  .strict()
  .describe('the person’s year-to-date figures before this settlement (yuan; admissions a count)');

const personSchema = z
  .object({
    statuses: z.array(z.enum(NEEDY_STATUSES)).default([]),
    residence: residenceInput.optional(),
    benefitPeriod: z.object({ start: dateStr, end: dateStr }).strict().optional().describe('from the contribution quote; absent: the whole coverage year is assumed and the answer says so'),
  })
  .strict();

const base = {
  region: z.string().regex(/^\d{6}$/, 'must be a 6-digit region code (GB/T 2260), e.g. 500230'),
  coverageYear: z.number().int().min(2000).max(2100),
  tier: tierInput.optional(),
  person: personSchema.default({ statuses: [] }),
  accumulators: accumulatorsSchema.optional(),
  trace: z.boolean().optional().describe('include the trace (default true)'),
};

export const settlementRequestSchema = z.object({ ...base, encounter: encounterSchema }).strict();
export const settlementYearRequestSchema = z.object({ ...base, encounters: z.array(encounterSchema).min(1).max(1000) }).strict();
export type SettlementRequest = z.input<typeof settlementRequestSchema>;

const yuan = z.number();
const traceStep = z.object({ step: z.string(), value: z.unknown(), explain: z.string(), param: z.string().optional(), rule: z.string().optional(), pack: z.string().optional(), cite: z.string().optional(), quote: z.string().optional(), example: z.string().optional(), note: z.string().optional() });
const accumulatorsOut = z.record(z.string(), z.unknown());

export const settlementAnswerSchema = z.object({
  settledAs: z.string().nullable(),
  cashReason: z.object({ code: z.enum(Object.keys(SETTLEMENT_CODES) as [string, ...string[]]), message: z.string() }).nullable(),
  costs: z.object({ total: yuan, fullOwnPay: yuan, overLimitSelfPay: yuan, preSelfPay: yuan, inScope: yuan }),
  deductiblePaid: yuan,
  basicRatio: z.string().nullable(),
  basicFund: yuan,
  criticalIllness: yuan,
  medicalAssistance: yuan,
  fundTotal: yuan,
  personalCash: yuan,
  setlinfo: z.object({
    medfee_sumamt: yuan,
    fulamt_ownpay_amt: yuan,
    overlmt_selfpay: yuan,
    preselfpay_amt: yuan,
    inscp_scp_amt: yuan,
    act_pay_dedc: yuan,
    hifp_pay: yuan,
    pool_prop_selfpay: yuan,
    hifmi_pay: yuan,
    maf_pay: yuan,
    fund_pay_sumamt: yuan,
    psn_part_amt: yuan,
    acct_pay: yuan,
    psn_cash_pay: yuan,
  }),
  setldetail: z.array(z.object({ fund_pay_type: z.string(), fund_pay_type_name: z.string(), inscp_scp_amt: yuan, crt_payb_lmt_amt: yuan.nullable(), fund_payamt: yuan, setl_proc_info: z.string() })),
  detlcutinfo: z.array(z.object({ feedetl_sn: z.string(), det_item_fee_sumamt: yuan, fulamt_ownpay_amt: yuan, overlmt_selfpay: yuan, preselfpay_amt: yuan, inscp_scp_amt: yuan })).nullable(),
  accumulators: z.object({ before: accumulatorsOut, after: accumulatorsOut }),
  examplesUsed: z.array(z.string()),
  trace: z.array(traceStep),
});
export type SettlementAnswer = z.infer<typeof settlementAnswerSchema>;

const head = z.object({
  region: z.string(),
  regionName: z.string(),
  coverageYear: z.number(),
  pack: z.string(),
  packChain: z.array(z.string()),
  warnings: z
    .array(z.object({ code: z.enum(Object.keys(WARNING_CODES) as [keyof typeof WARNING_CODES]), field: z.string().nullable(), message: z.string() }))
    .optional()
    .describe('what the clerk should know: a parent region’s pack answered, a residence type was assumed (absent: nothing)'),
});
export const settlementQuoteAnswerSchema = head.extend(settlementAnswerSchema.shape);
export const settlementYearAnswerSchema = head.extend({
  settlements: z.array(settlementAnswerSchema),
  totals: z.object({
    encounters: z.number(),
    total: yuan,
    inScope: yuan,
    basicFund: yuan,
    criticalIllness: yuan,
    medicalAssistance: yuan,
    fundTotal: yuan,
    personalCash: yuan,
    inpatientPolicyScopeRatio: z.object({ realised: z.string().nullable(), target: z.string().nullable(), cite: z.string().nullable() }),
  }),
  accumulators: accumulatorsOut,
  examplesUsed: z.array(z.string()),
});

// ---- parsing ----

const CLASS: Record<string, 'A' | 'B' | 'C'> = { A: 'A', B: 'B', C: 'C', 甲: 'A', 乙: 'B', 丙: 'C' };

function fenField(field: string, v: number): Fen {
  try {
    return yuanToFen(v);
  } catch (e) {
    throw new InputError(field, (e as Error).message);
  }
}

function parseEncounter(raw: z.infer<typeof encounterSchema>, at: string, cb: CompiledBenefits): Encounter {
  if (raw.fees && raw.costs) throw new InputError(`${at}.costs`, 'give either fees (itemised lines) or costs (pre-classified totals), not both');
  if (!raw.fees && !raw.costs) throw new InputError(`${at}.fees`, 'give fees (itemised lines) or costs (pre-classified totals)');
  if (raw.type === 'maternity' && !raw.setting) throw new InputError(`${at}.setting`, 'maternity encounters need setting: outpatient or inpatient');
  if (raw.type !== 'maternity' && raw.setting) throw new InputError(`${at}.setting`, 'only maternity encounters take a setting');
  if (raw.type === 'chronic_special_outpatient' && !raw.disease) throw new InputError(`${at}.disease`, 'chronic / special outpatient encounters need the disease code');
  let costs: CostSplit;
  let lines: Encounter['lines'] = null;
  if (raw.fees) {
    const fee: FeeLine[] = raw.fees.map((f, i) => {
      const fa = `${at}.fees.${i}`;
      let ratio = null;
      if (f.selfPayRatio !== undefined) {
        try {
          ratio = parseRate(f.selfPayRatio);
        } catch (e) {
          throw new InputError(`${fa}.selfPayRatio`, (e as Error).message);
        }
      }
      const cls = CLASS[f.catalogClass];
      if (ratio && cls !== 'B') throw new InputError(`${fa}.selfPayRatio`, 'only 乙-class (B) items have a self-pay share');
      if (f.priceLimit !== undefined && (f.unitPrice === undefined || f.quantity === undefined))
        throw new InputError(`${fa}.priceLimit`, 'a price limit needs unitPrice and quantity');
      let q4: number | null = null;
      if (f.quantity !== undefined) {
        q4 = Math.round(f.quantity * 10000);
        if (Math.abs(q4 - f.quantity * 10000) > 1e-6) throw new InputError(`${fa}.quantity`, 'at most 4 decimals');
      }
      return {
        sn: f.sn ?? String(i + 1),
        catalogClass: cls,
        amount: fenField(`${fa}.amount`, f.amount),
        quantity4: q4,
        unitPrice: f.unitPrice === undefined ? null : fenField(`${fa}.unitPrice`, f.unitPrice),
        priceLimit: f.priceLimit === undefined ? null : fenField(`${fa}.priceLimit`, f.priceLimit),
        selfPayRatio: ratio,
      };
    });
    const c = classifyLines(fee);
    if (c.costs.total > MAX_YUAN.bill * 100) throw new InputError(`${at}.fees`, `add up to ${c.costs.total / 100} yuan: an encounter is at most ${MAX_YUAN.bill} yuan`);
    costs = c.costs;
    lines = c.lines;
  } else {
    const t = raw.costs!;
    costs = {
      total: fenField(`${at}.costs.total`, t.total),
      fullOwnPay: fenField(`${at}.costs.fullOwnPay`, t.fullOwnPay),
      overLimitSelfPay: fenField(`${at}.costs.overLimitSelfPay`, t.overLimitSelfPay),
      preSelfPay: fenField(`${at}.costs.preSelfPay`, t.preSelfPay),
      inScope: fenField(`${at}.costs.inScope`, t.inScope),
    };
    const sum = costs.fullOwnPay + costs.overLimitSelfPay + costs.preSelfPay + costs.inScope;
    if (sum !== costs.total) throw new InputError(`${at}.costs.total`, `is ${costs.total / 100} but the four parts add up to ${sum / 100}`);
  }
  const date = parseDay(raw.date);
  void cb;
  let stay: Encounter['stay'] = null;
  if (raw.stay) {
    if (raw.type !== 'inpatient') throw new InputError(`${at}.stay`, 'only an inpatient encounter continues a stay settled in part');
    stay = { deductibleApplied: fenField(`${at}.stay.deductibleApplied`, raw.stay.deductibleApplied), admissionCounted: raw.stay.admissionCounted };
  }
  return { type: raw.type, setting: raw.setting ?? null, date, level: raw.hospitalLevel, location: raw.location, referred: raw.referred, disease: raw.disease ?? null, costs, lines, stay };
}

function parseAccumulators(a: z.infer<typeof accumulatorsSchema> | undefined): Accumulators {
  if (!a) return emptyAccumulators();
  const out = emptyAccumulators();
  for (const k of SCALAR_ACCUMULATORS) out[k] = k === 'inpatientAdmissions' ? a[k] : fenField(`accumulators.${k}`, a[k]);
  for (const [code, v] of Object.entries(a.chronicPaid)) out.chronicPaid[code] = fenField(`accumulators.chronicPaid.${code}`, v);
  return out;
}

export interface ParsedSettlement {
  packId: string;
  person: SettlementPerson;
  encounters: Encounter[];
  accumulators: Accumulators;
  trace: boolean;
}

export function parseSettlementRequest(
  regions: ReadonlyMap<string, unknown>,
  packIdFor: (region: string, year: number) => string | null,
  years: () => number[],
  compiledPack: (packId: string) => CompiledPack,
  benefits: (packId: string) => CompiledBenefits,
  body: unknown,
  yearly: boolean,
): ParsedSettlement {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new InputError('(request)', 'must be a JSON object');
  const parsed = (yearly ? settlementYearRequestSchema : settlementRequestSchema).safeParse(body);
  if (!parsed.success) throw fromZodIssues(parsed.error.issues);
  const r = parsed.data as z.infer<typeof settlementRequestSchema> & { encounters?: z.infer<typeof encounterSchema>[] };
  if (!regions.has(r.region)) throw new InputError('region', `unknown region code ${r.region}`);
  const packId = packIdFor(r.region, r.coverageYear);
  if (!packId) throw new InputError('coverageYear', `no policy pack covers region ${r.region} in ${r.coverageYear} (years with packs: ${years().join(', ')})`);
  const cp = compiledPack(packId);
  if (cp.tiers.length && !r.tier) throw new InputError('tier', `region ${r.region} has tiers in ${r.coverageYear}: one of ${cp.tiers.join(', ')}`);
  if (!cp.tiers.length && r.tier) throw new InputError('tier', `region ${r.region} has no contribution tiers in ${r.coverageYear}`);
  const cb = benefits(packId);
  let start = cb.coverageStart;
  let end = cb.coverageEnd;
  const bp = r.person.benefitPeriod;
  if (bp) {
    start = parseDay(bp.start);
    end = parseDay(bp.end);
    if (end < start) throw new InputError('person.benefitPeriod.end', 'is before the start');
  }
  const raws = yearly ? r.encounters! : [r.encounter];
  const encounters = raws.map((e, i) => parseEncounter(e, yearly ? `encounters.${i}` : 'encounter', cb));
  if (yearly)
    for (let i = 1; i < encounters.length; i++)
      if (encounters[i].date < encounters[i - 1].date) throw new InputError(`encounters.${i}.date`, 'encounters must be in date order (they are settled in that order)');
  return {
    packId,
    person: {
      tier: r.tier ?? null,
      statusMask: personMask(r.person.statuses),
      statuses: r.person.statuses,
      benefitStart: start,
      benefitEnd: end,
      periodAssumed: !bp,
      residence: r.person.residence ?? null,
    },
    encounters,
    accumulators: parseAccumulators(r.accumulators),
    trace: r.trace ?? true,
  };
}

// ---- answers ----

const y = (f: Fen): number => f / 100;

/** Accumulators as answered: amounts in yuan (admissions a count), chronic-disease amounts by disease. */
export type AccumulatorsJson = { [K in Exclude<keyof Accumulators, 'chronicPaid'>]: number } & { chronicPaid: Record<string, number> };

export function accumulatorsJson(a: Accumulators): AccumulatorsJson {
  const out = { chronicPaid: Object.fromEntries(Object.entries(a.chronicPaid).map(([k, v]) => [k, y(v)])) } as AccumulatorsJson;
  for (const k of SCALAR_ACCUMULATORS) out[k] = k === 'inpatientAdmissions' ? a[k] : y(a[k]);
  return out;
}

function ratioDecimal(r: SettlementResult['basicRatio']): number {
  return r ? Math.round((r.num / r.den) * 10000) / 10000 : 0;
}

export function settlementJson(r: SettlementResult, before: Accumulators): SettlementAnswer {
  const c = r.costs;
  return {
    settledAs: r.settledAs,
    cashReason: r.cashReason,
    costs: { total: y(c.total), fullOwnPay: y(c.fullOwnPay), overLimitSelfPay: y(c.overLimitSelfPay), preSelfPay: y(c.preSelfPay), inScope: y(c.inScope) },
    deductiblePaid: y(r.deductiblePaid),
    basicRatio: r.basicRatio?.text ?? null,
    basicFund: y(r.basicFund),
    criticalIllness: y(r.criticalIllness),
    medicalAssistance: y(r.medicalAssistance),
    fundTotal: y(r.fundTotal),
    personalCash: y(r.personalBurden),
    setlinfo: {
      medfee_sumamt: y(c.total),
      fulamt_ownpay_amt: y(c.fullOwnPay),
      overlmt_selfpay: y(c.overLimitSelfPay),
      preselfpay_amt: y(c.preSelfPay),
      inscp_scp_amt: y(c.inScope),
      act_pay_dedc: y(r.deductiblePaid),
      hifp_pay: y(r.basicFund),
      pool_prop_selfpay: ratioDecimal(r.basicRatio),
      hifmi_pay: y(r.criticalIllness),
      maf_pay: y(r.medicalAssistance),
      fund_pay_sumamt: y(r.fundTotal),
      psn_part_amt: y(r.personalBurden),
      acct_pay: 0,
      psn_cash_pay: y(r.personalBurden),
    },
    setldetail: r.detail.map((d) => ({ fund_pay_type: d.fundPayType, fund_pay_type_name: d.fundName, inscp_scp_amt: y(d.base), crt_payb_lmt_amt: d.limitLeft === null ? null : y(d.limitLeft), fund_payamt: y(d.amount), setl_proc_info: processText(d) })),
    detlcutinfo: r.lines
      ? r.lines.map((l) => ({ feedetl_sn: l.sn, det_item_fee_sumamt: y(l.total), fulamt_ownpay_amt: y(l.fullOwnPay), overlmt_selfpay: y(l.overLimitSelfPay), preselfpay_amt: y(l.preSelfPay), inscp_scp_amt: y(l.inScope) }))
      : null,
    accumulators: { before: accumulatorsJson(before), after: accumulatorsJson(r.after) },
    examplesUsed: r.examples.slice().sort(),
    trace: r.trace,
  };
}

export function yearTotalsJson(t: YearTotals, cb: CompiledBenefits): z.infer<typeof settlementYearAnswerSchema>['totals'] {
  const target = cb.policyScopeRatio;
  return {
    encounters: t.encounters,
    total: y(t.total),
    inScope: y(t.inScope),
    basicFund: y(t.basicFund),
    criticalIllness: y(t.criticalIllness),
    medicalAssistance: y(t.medicalAssistance),
    fundTotal: y(t.fundTotal),
    personalCash: y(t.personalBurden),
    inpatientPolicyScopeRatio: {
      realised: t.inpatientInScope ? `${((t.inpatientBasicFund / t.inpatientInScope) * 100).toFixed(1)}%` : null,
      target: target ? String(target.value) : null,
      cite: target?.cite ?? null,
    },
  };
}

export { formatDay, dayOf };
