/** The contribution-quote request and answer as JSON: one schema for CLI, HTTP and OpenAPI. */
import { z } from 'zod';
import { isDateString, parseDay, formatDay, dayOf } from '../dates.js';
import { InputError, fromZodIssues } from '../errors.js';
import type { PolicyLibrary } from '../policy/loader.js';
import {
  KIND_LABELS,
  NEEDY_STATUSES,
  PERSON_KINDS,
  REFUSAL_CODES,
  RESIDENCE_ALIASES,
  SUBSIDY_LEVELS,
  TIER_ALIASES,
  TIERS,
  WARNING_CODES,
  type Residence,
  type Tier } from '../policy/vocabulary.js';
import type { CompiledPack } from '../rules/compile.js';
import type { QuoteInput } from '../rules/input.js';
import type { ContributionResult } from '../rules/quote.js';
import { personMask } from '../rules/status-mask.js';

const dateStr = z.string().refine(isDateString, { message: 'must be a real date written YYYY-MM-DD' });

/** A value as users write it (several spellings) → its one identifier. */
function aliased<T extends string>(aliases: Record<string, T>, message: string) {
  return z.union([z.string(), z.number()]).transform((v, ctx): T => {
    const t = aliases[String(v).trim().toLowerCase()];
    if (t === undefined) ctx.addIssue({ code: 'custom', message });
    return t;
  });
}

export const tierInput = aliased<Tier>(TIER_ALIASES, 'must be a contribution tier: tier1 or tier2 (also written 1, 2, 一档, 二档)').describe(
  'contribution tier, where the region has tiers (Chongqing): tier1 / tier2, or 1 / 2, 一档 / 二档; the answer gives tier1 / tier2',
);
export const residenceInput = aliased<Residence>(RESIDENCE_ALIASES, 'must be a residence type: rural or urban (also written 农业, 农村, 非农业, 城镇)').describe(
  '户籍类型: rural (农业, 农村) or urban (非农业, 城镇); decides membership of groups such as 农村低收入人口. Absent: the pack’s assumption is used and the answer warns',
);

export const contributionRequestSchema = z
  .object({
    region: z.string().regex(/^\d{6}$/, 'must be a 6-digit region code (GB/T 2260), e.g. 500230'),
    coverageYear: z.number().int().min(2000).max(2100),
    tier: tierInput.optional(),
    person: z
      .object({
        birthDate: dateStr,
        kind: z.enum(PERSON_KINDS),
        statuses: z.array(z.enum(NEEDY_STATUSES)).default([]).describe('needy statuses (glossary identifiers)'),
        residence: residenceInput.optional(),
      })
      .strict(),
    paidOn: dateStr.optional().describe('payment date; absent: quoted as paid on the first day of the enrollment window'),
    enrolledOn: dateStr.optional().describe('enrollment date, where it differs from the payment date'),
    guardianEnrolled: z.boolean().optional().describe('newborns: the legal guardian is enrolled this year'),
    previousCoverage: z
      .object({ scheme: z.enum(['employee', 'resident']), endedOn: dateStr })
      .strict()
      .optional()
      .describe('the coverage that ended before this enrollment (employee insurance gap rules)'),
    graduationYear: z.number().int().min(1950).max(2100).optional(),
    subsidyClass: z
      .string()
      .optional()
      .describe('fiscal subsidy class where the pack splits the subsidy by class (Guangxi); absent: the answer gives the total without the split, and warns'),
    trace: z.boolean().optional().describe('include the trace (default true)'),
  })
  .strict();
export type ContributionRequest = z.input<typeof contributionRequestSchema>;

const yuan = z.number().describe('yuan, at most two decimals');
const traceStep = z.object({
  step: z.string(),
  value: z.unknown(),
  explain: z.string(),
  param: z.string().optional(),
  rule: z.string().optional(),
  pack: z.string().optional(),
  cite: z.string().optional(),
  quote: z.string().optional(),
  example: z.string().optional(),
  note: z.string().optional(),
});

export const contributionAnswerSchema = z.object({
  accepted: z.boolean(),
  reason: z.object({ code: z.enum(Object.keys(REFUSAL_CODES) as [string, ...string[]]), message: z.string() }).nullable(),
  region: z.string(),
  regionName: z.string(),
  coverageYear: z.number(),
  pack: z.string().describe('the pack that governs, region/year'),
  packChain: z.array(z.string()),
  tier: z.enum(TIERS).nullable().describe('the tier quoted, in one form (tier1 / tier2); null where the region has no tiers'),
  standardContribution: yuan,
  standardContributionLines: z
    .array(
      z.object({
        line: z.enum(['standard', 'arrears']).describe('standard: the coverage year’s own contribution; arrears: an earlier year’s collected late (补征)'),
        forYear: z.number().describe('the coverage year the amount is a contribution for'),
        amount: yuan,
        param: z.string(),
        pack: z.string(),
        cite: z.string().optional(),
        quote: z.string().optional(),
        example: z.string().optional(),
      }),
    )
    .describe('the lines the standard contribution is made of; they add up to standardContribution'),
  contributionAssistance: yuan.nullable(),
  individualDue: yuan.nullable(),
  fiscalSubsidyBorneByPerson: yuan.nullable(),
  fiscalSubsidy: z
    .object({
      total: yuan,
      shares: z
        .array(z.object({ level: z.enum(SUBSIDY_LEVELS), amount: yuan }))
        .nullable()
        .describe('the split by budget level; null where the pack splits by subsidy class and the request gave none'),
    })
    .nullable(),
  benefitPeriod: z.object({ start: z.string(), end: z.string() }).nullable(),
  waitingDays: z.number().nullable(),
  examplesUsed: z.array(z.string()).describe('parameters used that are example values, not cited policy'),
  warnings: z
    .array(
      z.object({
        code: z.enum(Object.keys(WARNING_CODES) as [keyof typeof WARNING_CODES]),
        field: z.string().nullable().describe('the request field it is about'),
        message: z.string(),
      }),
    )
    .describe('what the clerk should know about this answer: a parent region’s pack answered, a residence type was assumed, the subsidy split was not made'),
  trace: z.array(traceStep),
});
export type ContributionAnswer = z.infer<typeof contributionAnswerSchema>;

/** Validate a request against the schema and the library; the parsed input and its pack. */
export function parseContributionRequest(
  lib: PolicyLibrary,
  compiled: (packId: string) => CompiledPack,
  body: unknown,
): { input: QuoteInput; cp: CompiledPack; trace: boolean } {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new InputError('(request)', 'must be a JSON object');
  const parsed = contributionRequestSchema.safeParse(body);
  if (!parsed.success) throw fromZodIssues(parsed.error.issues);
  const r = parsed.data;
  if (!lib.regions.has(r.region)) throw new InputError('region', `unknown region code ${r.region}`);
  const packId = lib.packIdFor(r.region, r.coverageYear);
  if (!packId)
    throw new InputError('coverageYear', `no policy pack covers region ${r.region} in ${r.coverageYear} (years with packs: ${lib.years().join(', ')})`);
  const cp = compiled(packId);
  if (cp.tiers.length && !r.tier) throw new InputError('tier', `region ${r.region} has tiers in ${r.coverageYear}: one of ${cp.tiers.join(', ')}`);
  if (!cp.tiers.length && r.tier) throw new InputError('tier', `region ${r.region} has no contribution tiers in ${r.coverageYear}`);
  if (r.subsidyClass && !cp.splits.has(r.subsidyClass))
    throw new InputError('subsidyClass', cp.splits.size ? `must be one of ${[...cp.splits.keys()].join(', ')}` : `region ${r.region} does not distinguish subsidy classes`);
  const classKinds = r.subsidyClass ? cp.classKinds.get(r.subsidyClass) : undefined;
  if (classKinds && !classKinds.kinds.includes(r.person.kind))
    throw new InputError(
      'subsidyClass',
      `${r.subsidyClass} applies only to ${classKinds.kinds.map((k) => `${k} (${KIND_LABELS[k]})`).join(', ')} (${classKinds.param.cite ?? classKinds.param.example ?? classKinds.param.key}); this person is ${r.person.kind} (${KIND_LABELS[r.person.kind]})`,
    );
  const birth = parseDay(r.person.birthDate);
  if (birth > dayOf(r.coverageYear, 12, 31)) throw new InputError('person.birthDate', `is after the end of coverage year ${r.coverageYear}`);
  let paid: number | null = r.paidOn ? parseDay(r.paidOn) : null;
  let paidAssumed = false;
  if (paid !== null && paid < birth) throw new InputError('paidOn', 'is before the person’s birth date');
  if (paid === null && !(r.person.kind === 'newborn' && r.guardianEnrolled)) {
    paid = r.person.kind === 'newborn' && birth > cp.window.to ? birth : cp.window.from;
    paidAssumed = true;
  }
  if (r.enrolledOn && parseDay(r.enrolledOn) < birth) throw new InputError('enrolledOn', 'is before the person’s birth date');
  return {
    cp,
    trace: r.trace ?? true,
    input: {
      region: r.region,
      coverageYear: r.coverageYear,
      tier: r.tier ?? null,
      kind: r.person.kind,
      statusMask: personMask(r.person.statuses),
      statuses: r.person.statuses,
      birth,
      paid,
      paidAssumed,
      enrolled: r.enrolledOn ? parseDay(r.enrolledOn) : null,
      guardianEnrolled: r.guardianEnrolled ?? false,
      previousCoverage: r.previousCoverage ? { scheme: r.previousCoverage.scheme, endedOn: parseDay(r.previousCoverage.endedOn) } : null,
      graduationYear: r.graduationYear ?? null,
      subsidyClass: r.subsidyClass ?? null,
      residence: r.person.residence ?? null,
    },
  };
}

const y = (f: number | null): number | null => (f === null ? null : f / 100);

export function toAnswer(lib: PolicyLibrary, cp: CompiledPack, q: QuoteInput, res: ContributionResult): ContributionAnswer {
  return {
    accepted: res.accepted,
    reason: res.reason,
    region: q.region,
    regionName: lib.regions.get(q.region)?.name ?? q.region,
    coverageYear: q.coverageYear,
    pack: cp.pack.id,
    packChain: cp.pack.chain,
    tier: res.tier,
    standardContribution: res.standard / 100,
    standardContributionLines: res.standardLines.map((l) => ({
      line: l.line,
      forYear: l.forYear,
      amount: l.fen / 100,
      param: l.param.key,
      pack: l.param.from,
      ...(l.param.cite ? { cite: l.param.cite } : {}),
      ...(l.param.quote ? { quote: l.param.quote } : {}),
      ...(l.param.example ? { example: l.param.example } : {}),
    })),
    contributionAssistance: y(res.assistance),
    individualDue: y(res.individualDue),
    fiscalSubsidyBorneByPerson: y(res.subsidyBorneByPerson),
    fiscalSubsidy: res.subsidy
      ? { total: res.subsidy.total / 100, shares: res.subsidy.shares ? res.subsidy.shares.map((s) => ({ level: s.level, amount: s.fen / 100 })) : null }
      : null,
    benefitPeriod: res.period ? { start: formatDay(res.period.start), end: formatDay(res.period.end) } : null,
    waitingDays: res.period ? res.period.waitingDays : null,
    examplesUsed: res.examples.slice().sort(),
    warnings: res.warnings.map((w) => ({ ...w })),
    trace: res.trace,
  };
}
