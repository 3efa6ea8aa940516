/**
 * A read-only mapping of the system of record to HL7 FHIR R4, for systems outside China's
 * platform: a minimal Patient, the person's Coverage for a year (one per tier of protection:
 * 城乡居民基本医疗保险 390, 大病保险 392 and — for a person holding a status the pack's
 * medical-assistance classes cover — 医疗救助, ordered 1, 2, 3), and a settlement as an
 * ExplanationOfBenefit with adjudication per fund.
 *
 * Money leaves as FHIR Money { value, currency: 'CNY' }; the value is built from integer fen
 * and written with exactly two decimals (see fhirJson). The national fund codes (fund_pay_type
 * 390100 / 390102 / 390200 / 610100) and insurance types (insutype 390 / 392) are written in
 * code systems of this project (FUND_SYSTEM, INSUTYPE_SYSTEM); the standard HL7 code systems
 * are used where one fits (adjudication, claim-type, coverage-class, copay type).
 *
 * Access (the routes need settlement.read): admin, policy officer and auditor read everything;
 * a hospital reads only its own settlements and the patients it has encounters with (Coverage:
 * an encounter in that coverage year). Identifiers are shown in full only to admin and to a
 * hospital with an encounter with the person; everyone else gets them masked.
 */
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import { ForbiddenError, InputError, NotFoundError, fromZodIssues } from '../../errors.js';
import type { Fen } from '../../money.js';
import type { CompiledBenefits } from '../../rules/settlement/compile.js';
import type { LineSplit } from '../../rules/settlement/input.js';
import type { Database } from '../../store/db.js';
import type { DB } from '../../store/schema.js';
import { requireHospital, type Actor } from '../../access/roles.js';
import { maskIdNumber, maskName } from '../../access/privacy.js';
import type { QuoteService } from '../../quotes/quote-service.js';

export const BASE = 'https://yibao.example.org/fhir';
export const FUND_SYSTEM = `${BASE}/CodeSystem/fund-pay-type`;
export const INSUTYPE_SYSTEM = `${BASE}/CodeSystem/insutype`;
export const SETTLEMENT_SYSTEM = `${BASE}/CodeSystem/settlement-amount`;
export const ID_NUMBER_SYSTEM = `${BASE}/NamingSystem/resident-id-number`;
export const PERSON_SYSTEM = `${BASE}/NamingSystem/person-id`;
export const HOSPITAL_SYSTEM = `${BASE}/NamingSystem/fixmedins-code`;
export const SETTLEMENT_ID_SYSTEM = `${BASE}/NamingSystem/settlement-id`;
export const ADMDVS_SYSTEM = `${BASE}/NamingSystem/admdvs`;
const ADJUDICATION = 'http://terminology.hl7.org/CodeSystem/adjudication';
const CLAIM_TYPE = 'http://terminology.hl7.org/CodeSystem/claim-type';
const COVERAGE_CLASS = 'http://terminology.hl7.org/CodeSystem/coverage-class';
const COPAY_TYPE = 'http://terminology.hl7.org/CodeSystem/coverage-copay-type';
const RELATIONSHIP = 'http://terminology.hl7.org/CodeSystem/subscriber-relationship';
const PAYMENT_TYPE = 'http://terminology.hl7.org/CodeSystem/ex-paymenttype';

export const FUNDS = {
  '390100': '城乡居民基本医疗保险统筹基金',
  '390102': '城乡居民基本医疗保险门诊统筹基金',
  '390200': '城乡居民大病医疗保险基金',
  '610100': '医疗救助基金',
} as const;
type FundCode = keyof typeof FUNDS;

/**
 * Money in fen, written as a JSON number with exactly two decimals. JSON.stringify cannot
 * write 12.50, so toJSON leaves a marker that fhirJson replaces with the literal.
 */
class Yuan {
  constructor(readonly fen: Fen) {
    if (!Number.isSafeInteger(fen)) throw new Error(`money must be whole fen, got ${fen}`);
  }
  toJSON(): string {
    return `\u0000fen:${this.fen}\u0000`;
  }
}
const MARK = /"\\u0000fen:(-?\d+)\\u0000"/g;
const twoDecimals = (fen: number): string => {
  const sign = fen < 0 ? '-' : '';
  const a = Math.abs(fen);
  return `${sign}${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`;
};

/** A resource as the FHIR JSON text, money values with exactly two decimals. */
export function fhirJson(resource: unknown): string {
  return JSON.stringify(resource).replace(MARK, (_m, f: string) => twoDecimals(Number(f)));
}

export const money = (fen: Fen | string | number) => ({ value: new Yuan(Number(fen)), currency: 'CNY' as const });

type Resource = Record<string, unknown> & { resourceType: string; id?: string };

const coding = (system: string, code: string, display?: string) => ({ system, code, ...(display ? { display } : {}) });
const adjCategory = (code: string, display: string, extra?: { system: string; code: string; display?: string }) => ({
  coding: [coding(ADJUDICATION, code, display), ...(extra ? [coding(extra.system, extra.code, extra.display)] : [])],
});
const ownCategory = (code: string, display: string) => ({ coding: [coding(SETTLEMENT_SYSTEM, code, display)] });

const day = (v: unknown): string | null => {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  return String(v).slice(0, 10);
};
const iso = (v: unknown): string => new Date(v as string | Date).toISOString();

const idPattern = /^[1-9]\d{0,17}$/;
const patientRef = z
  .string()
  .regex(/^(?:Patient\/)?[1-9]\d{0,17}$/, 'must be Patient/{id} with a record id')
  .transform((s) => s.replace(/^Patient\//, ''));
export const coverageQuerySchema = z
  .object({
    beneficiary: patientRef.describe('Patient/{id}'),
    // without a year: the current one (China time)
    year: z.string().regex(/^\d{4}$/, 'must be a coverage year, e.g. 2022').transform(Number).pipe(z.number().int().min(2000).max(2100)).optional(),
    _format: z.string().optional(),
  })
  .strict();
/** The Coverage search as sent (query-string text). */
export type CoverageQuery = z.input<typeof coverageQuerySchema>;

function checkId(field: string, id: string): string {
  if (!idPattern.test(id)) throw new InputError(field, 'must be a record id (a positive integer)');
  return id;
}

/** The tiers of protection of a person in a year, as the Coverage resources say them. */
interface Tiers {
  personId: string;
  year: number;
  region: string;
  regionName: string;
  packId: string | null;
  packName: string | null;
  enrollment: { state: string; tier: string | null; benefitStart: string | null; benefitEnd: string | null } | null;
  /** the medical-assistance class the person's statuses fall in, or null */
  assistance: { label: string; statuses: string[]; deductible: Fen; rate: { num: number; den: number; text: string }; from: string; to: string | null } | null;
  cb: CompiledBenefits | null;
}

const coverageId = (personId: string, year: number, code: '390' | '392' | '610'): string => `${personId}-${year}-${code}`;

export class FhirService {
  private readonly db: Kysely<DB>;

  constructor(
    database: Database,
    private readonly quotes: QuoteService,
  ) {
    this.db = database.db;
  }

  private async hospitalSees(actor: Actor, personId: string, year?: number): Promise<boolean> {
    let q = this.db.selectFrom('encounter').select('id').where('person_id', '=', personId).where('hospital_code', '=', actor.hospitalCode ?? '');
    if (year !== undefined) q = q.where('coverage_year', '=', year);
    return !!(await q.limit(1).executeTakeFirst());
  }

  /**
   * GET Patient/{id}: identifiers and name, masked unless the caller may see them. A treating
   * hospital sees the name and birth date it needs at the counter, but the ID number masked
   * (it named the patient by it: it has it already), unless it searched by that very number
   * (`idNumberKnown`), when the number it sent is shown back.
   */
  async patient(actor: Actor, id: string, idNumberKnown = false): Promise<Resource> {
    checkId('id', id);
    const p = await this.db.selectFrom('person').select(['id', 'id_number', 'name', 'gender', 'birth_date', 'village_code']).where('id', '=', id).executeTakeFirst();
    if (!p) throw new NotFoundError('Patient', id);
    let full = actor.role === 'admin';
    let fullIdNumber = full;
    if (actor.role === 'hospital') {
      if (!(await this.hospitalSees(actor, id))) throw new ForbiddenError(`hospital ${actor.hospitalCode} has no encounter with patient ${id}`);
      full = true;
      fullIdNumber = idNumberKnown;
    }
    const birth = day(p.birth_date);
    return {
      resourceType: 'Patient',
      id: String(p.id),
      ...(full && fullIdNumber ? {} : { meta: { security: [coding('http://terminology.hl7.org/CodeSystem/v3-ObservationValue', 'MASKED', 'masked')] } }),
      identifier: [
        { use: 'official', system: ID_NUMBER_SYSTEM, value: fullIdNumber ? p.id_number : maskIdNumber(p.id_number) },
        { use: 'secondary', system: PERSON_SYSTEM, value: String(p.id) },
      ],
      active: true,
      name: [{ use: 'official', text: full ? p.name : maskName(p.name) }],
      gender: p.gender === 'female' ? 'female' : 'male',
      // the birth date is part of the ID number: only the year when masked
      ...(birth ? { birthDate: full ? birth : birth.slice(0, 4) } : {}),
      address: [{ use: 'home', district: p.village_code.slice(0, 6), text: p.village_code }],
    };
  }

  private async tiers(personId: string, year: number): Promise<Tiers> {
    const p = await this.db
      .selectFrom('person as p')
      .innerJoin('admin_area as a', 'a.code', 'p.village_code')
      .select(['p.id', 'a.region'])
      .where('p.id', '=', personId)
      .executeTakeFirst();
    if (!p) throw new NotFoundError('Patient', personId);
    const en = await this.db
      .selectFrom('enrollment')
      .select(['state', 'tier', 'benefit_start', 'benefit_end', 'pack'])
      .where('person_id', '=', personId)
      .where('coverage_year', '=', year)
      .executeTakeFirst();
    const packId = this.quotes.lib.packIdFor(p.region, year) ?? en?.pack ?? null;
    let cb: CompiledBenefits | null = null;
    let packName: string | null = null;
    if (packId) {
      try {
        cb = this.quotes.benefits(packId);
        packName = cb.pack.name;
      } catch {
        cb = null;
      }
    }
    let assistance: Tiers['assistance'] = null;
    if (cb?.assistance) {
      const statuses = await this.db
        .selectFrom('needy_status')
        .select(['status', 'valid_from', 'valid_to'])
        .where('person_id', '=', personId)
        .where('valid_from', '<=', `${year}-12-31`)
        .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>=', `${year}-01-01`)]))
        .orderBy('valid_from')
        .execute();
      // the first class (the pack's order: the most favourable first) any held status falls in
      for (const cls of cb.assistance.classes) {
        const held = statuses.filter((s) => cls.statuses.includes(s.status));
        if (held.length) {
          const from = held.map((s) => day(s.valid_from)!).sort()[0];
          const tos = held.map((s) => day(s.valid_to));
          const to = tos.includes(null) ? null : (tos as string[]).sort().at(-1)!;
          assistance = { label: cls.label, statuses: [...new Set(held.map((s) => s.status))].sort(), deductible: cls.deductible, rate: cls.rate, from, to };
          break;
        }
      }
    }
    return {
      personId: String(p.id),
      year,
      region: p.region,
      regionName: this.quotes.lib.regions.get(p.region)?.name ?? p.region,
      packId,
      packName,
      enrollment: en ? { state: en.state, tier: en.tier, benefitStart: day(en.benefit_start), benefitEnd: day(en.benefit_end) } : null,
      assistance,
      cb,
    };
  }

  private coverages(t: Tiers): Resource[] {
    if (!t.enrollment) return [];
    const e = t.enrollment;
    // paid with a benefit period: active; refused or blocked: cancelled; assessed, not yet paid: draft
    const status = e.state === 'paid' && e.benefitStart && e.benefitEnd ? 'active' : e.state === 'assessed' ? 'draft' : 'cancelled';
    const period = e.benefitStart && e.benefitEnd ? { start: e.benefitStart, end: e.benefitEnd } : { start: `${t.year}-01-01`, end: `${t.year}-12-31` };
    const beneficiary = { reference: `Patient/${t.personId}` };
    const payor = (code: FundCode) => [{ identifier: { system: FUND_SYSTEM, value: code }, display: FUNDS[code] }];
    const plan = t.packId ? [{ type: { coding: [coding(COVERAGE_CLASS, 'plan')] }, value: t.packId, ...(t.packName ? { name: t.packName } : {}) }] : [];
    const common = (code: '390' | '392' | '610', order: number, st: string, per: { start: string; end: string }) => ({
      resourceType: 'Coverage',
      id: coverageId(t.personId, t.year, code),
      identifier: [{ system: `${BASE}/NamingSystem/coverage`, value: coverageId(t.personId, t.year, code) }],
      status: st,
      subscriber: beneficiary,
      beneficiary,
      relationship: { coding: [coding(RELATIONSHIP, 'self')] },
      period: per,
      network: `${t.region} ${t.regionName}`,
      order,
    });
    const tierClass = e.tier ? [{ type: { coding: [coding(COVERAGE_CLASS, 'class')] }, value: e.tier, name: e.tier === 'tier1' ? '一档' : '二档' }] : [];
    const out: Resource[] = [
      {
        ...common('390', 1, status, period),
        type: { coding: [coding(INSUTYPE_SYSTEM, '390', '城乡居民基本医疗保险')] },
        payor: payor('390100'),
        class: [...plan, ...tierClass],
      },
    ];
    const ci = t.cb?.criticalIllness;
    out.push({
      ...common('392', 2, status, period),
      type: { coding: [coding(INSUTYPE_SYSTEM, '392', '城乡居民大病保险')] },
      payor: payor('390200'),
      class: [...plan, ...tierClass],
      ...(ci ? { costToBeneficiary: [{ type: { coding: [coding(COPAY_TYPE, 'deductible', 'Deductible')], text: '大病保险起付线（年度累计）' }, valueMoney: money(ci.deductible) }] } : {}),
    });
    const a = t.assistance;
    if (a) {
      // the status's validity within the benefit period
      const start = a.from > period.start ? a.from : period.start;
      const end = a.to !== null && a.to < period.end ? a.to : period.end;
      const pct = Math.round((1 - a.rate.num / a.rate.den) * 10000) / 100;
      out.push({
        ...common('610', 3, status, { start, end }),
        type: { coding: [coding(FUND_SYSTEM, '610100', '医疗救助')] },
        payor: payor('610100'),
        class: [...plan, { type: { coding: [coding(COVERAGE_CLASS, 'subgroup')] }, value: a.statuses.join(','), name: a.label }],
        costToBeneficiary: [
          { type: { coding: [coding(COPAY_TYPE, 'deductible', 'Deductible')], text: '医疗救助起付线' }, valueMoney: money(a.deductible) },
          { type: { coding: [coding(COPAY_TYPE, 'copaypct', 'Copay Percentage')], text: `救助比例 ${a.rate.text}` }, valueQuantity: { value: pct, unit: '%', system: 'http://unitsofmeasure.org', code: '%' } },
        ],
      });
    }
    return out;
  }

  /** GET Patient?identifier=[system|]value (the ID number, or the record id under PERSON_SYSTEM): a searchset Bundle, empty when there is none the caller may see. */
  async patientSearch(actor: Actor, identifier: unknown, selfUrl: string): Promise<Resource> {
    if (typeof identifier !== 'string' || !identifier || identifier.length > 200) throw new InputError('identifier', 'give identifier=[system|]value');
    const bar = identifier.lastIndexOf('|');
    const system = bar >= 0 ? identifier.slice(0, bar) : '';
    const value = (bar >= 0 ? identifier.slice(bar + 1) : identifier).trim();
    if (system && system !== ID_NUMBER_SYSTEM && system !== PERSON_SYSTEM) throw new InputError('identifier', `unknown identifier system ${system} (known: ${ID_NUMBER_SYSTEM}, ${PERSON_SYSTEM})`);
    let q = this.db.selectFrom('person').select('id');
    q = system === PERSON_SYSTEM ? (idPattern.test(value) ? q.where('id', '=', value) : q.where(sql<boolean>`false`)) : q.where('id_number', '=', value.toUpperCase());
    const row = await q.executeTakeFirst();
    const found: Resource[] = [];
    if (row) {
      try {
        found.push(await this.patient(actor, String(row.id), system !== PERSON_SYSTEM));
      } catch (e) {
        if (!(e instanceof ForbiddenError)) throw e; // a hospital sees only its patients: for others, nothing
      }
    }
    return { resourceType: 'Bundle', type: 'searchset', total: found.length, link: [{ relation: 'self', url: selfUrl }], entry: found.map((p) => ({ fullUrl: `${BASE}/r4/Patient/${p.id}`, resource: p, search: { mode: 'match' } })) };
  }

  /** GET Coverage?beneficiary=Patient/{id}&year=YYYY: a searchset Bundle, one Coverage per tier of protection, ordered. */
  async coverageSearch(actor: Actor, query: CoverageQuery, selfUrl: string): Promise<Resource> {
    const r = coverageQuerySchema.safeParse(query ?? {});
    if (!r.success) throw fromZodIssues(r.error.issues);
    const { beneficiary } = r.data;
    const year = r.data.year ?? new Date(Date.now() + 8 * 3600_000).getUTCFullYear();
    const exists = await this.db.selectFrom('person').select('id').where('id', '=', beneficiary).executeTakeFirst();
    if (!exists) throw new NotFoundError('Patient', beneficiary);
    if (actor.role === 'hospital' && !(await this.hospitalSees(actor, beneficiary, year)))
      throw new ForbiddenError(`hospital ${actor.hospitalCode} has no encounter with patient ${beneficiary} in ${year}`);
    const cov = this.coverages(await this.tiers(beneficiary, year));
    return {
      resourceType: 'Bundle',
      type: 'searchset',
      total: cov.length,
      link: [{ relation: 'self', url: selfUrl }],
      entry: cov.map((c) => ({ fullUrl: `${BASE}/r4/Coverage/${c.id}`, resource: c, search: { mode: 'match' } })),
    };
  }

  /** GET ExplanationOfBenefit/{settlementId}: the settlement with adjudication per fund. */
  async explanationOfBenefit(actor: Actor, id: string): Promise<Resource> {
    checkId('id', id);
    const s = await this.db
      .selectFrom('settlement as s')
      .innerJoin('encounter as e', 'e.id', 's.encounter_id')
      .innerJoin('hospital as h', 'h.code', 's.hospital_code')
      .select([
        's.id',
        's.person_id',
        's.hospital_code',
        's.coverage_year',
        's.basic_fund_fen',
        's.critical_illness_fen',
        's.medical_assistance_fen',
        's.cash_fen',
        's.total_fen',
        's.cash_reason',
        's.result',
        's.settled_at',
        's.reversed_at',
        'e.id as encounter_id',
        'e.type',
        'e.setting',
        'e.date',
        'e.lines',
        'e.in_scope_fen',
        'e.full_own_pay_fen',
        'e.over_limit_fen',
        'e.pre_self_pay_fen',
        'e.external_id',
        'h.name as hospital_name',
      ])
      .where('s.id', '=', id)
      .executeTakeFirst();
    if (!s) throw new NotFoundError('ExplanationOfBenefit', id);
    requireHospital(actor, s.hospital_code);
    const personId = String(s.person_id);
    const t = await this.tiers(personId, s.coverage_year);
    const result = (s.result ?? {}) as { deductiblePaid?: number; basicRatio?: string | null; setldetail?: { fund_pay_type: string; fund_payamt: number }[]; setlinfo?: { pool_prop_selfpay?: number }; cashReason?: { code: string; message: string } | null };
    const basicCode: FundCode = result.setldetail?.some((d) => d.fund_pay_type === '390102') ? '390102' : '390100';
    const total = Number(s.total_fen);
    const basic = Number(s.basic_fund_fen);
    const ci = Number(s.critical_illness_fen);
    const ma = Number(s.medical_assistance_fen);
    const cash = Number(s.cash_fen);
    const funds = basic + ci + ma;
    const deductible = Math.round((result.deductiblePaid ?? 0) * 100);
    const inpatient = s.type === 'inpatient' || (s.type === 'maternity' && s.setting === 'inpatient');
    const settled = iso(s.settled_at);
    const encDate = day(s.date)!;
    const fund = (code: FundCode) => ({ system: FUND_SYSTEM, code, display: FUNDS[code] });

    const adjudication: Record<string, unknown>[] = [
      { category: adjCategory('submitted', 'Submitted Amount'), amount: money(total) },
      { category: adjCategory('eligible', 'Eligible Amount'), amount: money(Number(s.in_scope_fen)) },
      { category: adjCategory('deductible', 'Deductible'), amount: money(deductible) },
      // the basic fund's reimbursement ratio as a percentage (absent when the basic fund did not apply)
      ...(result.setlinfo?.pool_prop_selfpay ? [{ category: adjCategory('eligpercent', 'Eligible %'), value: Math.round(result.setlinfo.pool_prop_selfpay * 10000) / 100 }] : []),
      { category: adjCategory('benefit', 'Benefit Amount', fund(basicCode)), amount: money(basic) },
      { category: adjCategory('benefit', 'Benefit Amount', fund('390200')), amount: money(ci) },
      { category: adjCategory('benefit', 'Benefit Amount', fund('610100')), amount: money(ma) },
      { category: ownCategory('fulamt_ownpay_amt', '全自费金额'), amount: money(Number(s.full_own_pay_fen)) },
      { category: ownCategory('overlmt_selfpay', '超限价自费费用'), amount: money(Number(s.over_limit_fen)) },
      { category: ownCategory('preselfpay_amt', '先行自付金额'), amount: money(Number(s.pre_self_pay_fen)) },
      {
        category: { coding: [coding(ADJUDICATION, 'copay', 'CoPay'), coding(SETTLEMENT_SYSTEM, 'psn_cash_pay', '个人现金支付')] },
        ...(s.cash_reason ? { reason: { coding: [coding(`${BASE}/CodeSystem/cash-reason`, s.cash_reason)], ...(result.cashReason?.message ? { text: result.cashReason.message } : {}) } } : {}),
        amount: money(cash),
      },
    ];

    const lines = (s.lines as LineSplit[] | null) ?? [];
    const item = lines.map((l, i) => ({
      sequence: i + 1,
      productOrService: { coding: [coding(`${BASE}/CodeSystem/fee-line`, String(l.sn))], text: `费用明细 ${l.sn}` },
      servicedDate: encDate,
      net: money(l.total),
      adjudication: [
        { category: adjCategory('submitted', 'Submitted Amount'), amount: money(l.total) },
        { category: adjCategory('eligible', 'Eligible Amount'), amount: money(l.inScope) },
        { category: ownCategory('fulamt_ownpay_amt', '全自费金额'), amount: money(l.fullOwnPay) },
        { category: ownCategory('overlmt_selfpay', '超限价自费费用'), amount: money(l.overLimitSelfPay) },
        { category: ownCategory('preselfpay_amt', '先行自付金额'), amount: money(l.preSelfPay) },
      ],
    }));

    const insurance = [
      { focal: true, coverage: { reference: `Coverage/${coverageId(personId, s.coverage_year, '390')}` } },
      { focal: false, coverage: { reference: `Coverage/${coverageId(personId, s.coverage_year, '392')}` } },
      ...(t.assistance ? [{ focal: false, coverage: { reference: `Coverage/${coverageId(personId, s.coverage_year, '610')}` } }] : []),
    ];

    return {
      resourceType: 'ExplanationOfBenefit',
      id: String(s.id),
      identifier: [{ system: SETTLEMENT_ID_SYSTEM, value: String(s.id) }],
      status: s.reversed_at ? 'cancelled' : 'active',
      type: { coding: [coding(CLAIM_TYPE, inpatient ? 'institutional' : 'professional', inpatient ? 'Institutional' : 'Professional')], text: s.type },
      use: 'claim',
      patient: { reference: `Patient/${personId}` },
      billablePeriod: { start: encDate, end: encDate },
      created: settled,
      insurer: { identifier: { system: ADMDVS_SYSTEM, value: t.region }, display: `${t.regionName}医疗保障局` },
      provider: { identifier: { system: HOSPITAL_SYSTEM, value: s.hospital_code }, display: s.hospital_name },
      ...(s.external_id ? { claim: { identifier: { system: `${BASE}/NamingSystem/mdtrt-id/${s.hospital_code}`, value: s.external_id } } } : {}),
      outcome: 'complete',
      ...(s.cash_reason ? { disposition: result.cashReason?.message ?? s.cash_reason } : {}),
      insurance,
      ...(item.length ? { item } : {}),
      adjudication,
      total: [
        { category: adjCategory('submitted', 'Submitted Amount'), amount: money(total) },
        { category: adjCategory('eligible', 'Eligible Amount'), amount: money(Number(s.in_scope_fen)) },
        { category: adjCategory('benefit', 'Benefit Amount'), amount: money(funds) },
        { category: adjCategory('copay', 'CoPay'), amount: money(cash) },
      ],
      payment: {
        type: { coding: [coding(PAYMENT_TYPE, 'complete', 'Complete')] },
        date: settled.slice(0, 10),
        amount: money(funds),
      },
    };
  }
}
