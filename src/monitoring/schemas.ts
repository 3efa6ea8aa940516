/** The monitoring answers as zod schemas: the OpenAPI document (and the console) read them; the handlers return these shapes. */
import { z } from 'zod';
import { SUBSIDY_LEVELS } from '../policy/vocabulary.js';

const rate = z
  .object({ numerator: z.number().int(), denominator: z.number().int(), percent: z.number().describe('two decimals, rounded half up'), text: z.string().describe('e.g. "97.53%"') })
  .nullable()
  .describe('null when there is nothing to measure against');
const area = z.object({ code: z.string(), name: z.string(), level: z.enum(['county', 'township', 'village']), region: z.string() });
const yuan = z.number().describe('yuan, two decimals');

export const importSummarySchema = z.object({
  batchId: z.string(),
  kind: z.string(),
  fileName: z.string(),
  sha256: z.string(),
  rows: z.number().int(),
  inserted: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  bad: z.number().int(),
  problems: z.array(z.object({ line: z.number().int(), field: z.string(), reason: z.string(), idNumber: z.string() })).describe('bad rows by line (the first 1000)'),
});

/** A payment file's answer (src/monitoring/payment-file.ts): the sheet's counts, and of its bad rows those refused by the rules. */
export const paymentFileSummarySchema = importSummarySchema.extend({
  inserted: z.number().int().describe('payments recorded'),
  replayed: z.number().int().describe('rows whose reference was recorded before with the same payment: nothing changed'),
  refused: z.number().int().describe('of the bad rows, those refused by the rules (after the final deadline, duplicate enrollment, reused reference, outside the area, no enrollment …)'),
  newbornsFollowing: z.number().int().describe('newborns of the payers’ households enrolled following their guardian'),
});

export const targetsSchema = z.object({
  area,
  coverageYear: z.number().int(),
  baseDate: z.string(),
  basis: z.object({ derived: z.string(), cite: z.string().nullable(), quote: z.string().nullable() }),
  villages: z.array(
    z.object({
      villageCode: z.string(),
      villageName: z.string(),
      townshipName: z.string().nullable(),
      imported: z.object({ enrollment: z.number().int(), evoucher: z.number().int().nullable(), importBatchId: z.string().nullable(), updatedBy: z.string(), updatedAt: z.string() }).nullable(),
      derived: z.object({ enrollment: z.number().int(), registered: z.number().int(), employeeInsurance: z.number().int(), baseDate: z.string() }),
      enrollment: z.number().int().describe('the target rates are measured against'),
      source: z.enum(['imported', 'derived']),
      evoucher: z.number().int().nullable(),
    }),
  ),
});

const figures = {
  target: z.number().int(),
  targetSource: z.enum(['imported', 'derived', 'mixed']),
  enrollments: z.number().int().describe('enrollment rows of the year'),
  paid: z.number().int().describe('enrolled on or before asOf'),
  unpaid: z.number().int().describe('assessed but not paid on asOf'),
  refused: z.number().int(),
  blocked: z.number().int(),
  rate,
  lastYear: z.object({ enrolled: z.number().int(), enrolledSameDay: z.number().int(), asOf: z.string(), rate, change: z.number().int() }),
  contributionsYuan: yuan,
  assistanceYuan: yuan,
  subsidyYuan: yuan,
  subsidyByLevelYuan: z.object(Object.fromEntries(SUBSIDY_LEVELS.map((l) => [l, yuan])) as Record<(typeof SUBSIDY_LEVELS)[number], typeof yuan>),
};

export const progressSchema = z.object({
  area,
  coverageYear: z.number().int(),
  asOf: z.string(),
  pack: z.string(),
  window: z.object({ from: z.string(), to: z.string(), cite: z.string().nullable() }),
  targetBase: z.string(),
  totals: z.object(figures),
  villages: z.array(z.object({ villageCode: z.string(), villageName: z.string(), townshipName: z.string().nullable(), ...figures })),
  assistanceByGroup: z.array(z.object({ group: z.string(), label: z.string(), statuses: z.array(z.string()), persons: z.number().int(), yuan })),
  series: z.array(z.object({ asOf: z.string(), paid: z.number().int(), rate })).describe('enrolled at each half-month end from the window’s start'),
  explain: z.array(z.object({ figure: z.string(), rule: z.string(), cite: z.string().optional() })),
});

const groupFigure = z.object({ group: z.string(), label: z.string(), persons: z.number().int(), enrolled: z.number().int(), missing: z.number().int(), rate, met: z.boolean() });
const villageGroups = { groups: z.array(groupFigure), persons: z.number().int(), enrolled: z.number().int(), missing: z.number().int(), rate };
export const groupsSchema = z.object({
  area,
  coverageYear: z.number().int(),
  asOf: z.string(),
  countedOn: z.string(),
  window: z.object({ from: z.string(), to: z.string() }),
  target: z.string(),
  cite: z.string().nullable(),
  quote: z.string().nullable(),
  groups: z.array(z.object({ id: z.string(), label: z.string(), statuses: z.array(z.string()) })),
  villages: z.array(z.object({ villageCode: z.string(), villageName: z.string(), ...villageGroups })),
  totals: z.object(villageGroups),
});

const statusLine = z.object({ status: z.string(), label: z.string(), source: z.string(), sourceLabel: z.string(), validFrom: z.string(), reference: z.string().nullable() });
export const missingSchema = z.object({
  area,
  coverageYear: z.number().int(),
  asOf: z.string(),
  countedOn: z.string(),
  fullIdNumbers: z.boolean(),
  persons: z.array(
    z.object({
      personId: z.string(),
      idNumber: z.string(),
      name: z.string(),
      villageCode: z.string(),
      villageName: z.string(),
      houseNo: z.string().nullable(),
      groups: z.array(z.object({ group: z.string(), label: z.string() })),
      statuses: z.array(statusLine),
      enrollmentId: z.string().nullable(),
      state: z.string().nullable(),
      dueYuan: yuan.nullable(),
      paidOn: z.string().nullable(),
      blocker: z.object({ code: z.enum(['NOT_ASSESSED', 'UNPAID', 'PAID_AFTER_WINDOW', 'REFUSED', 'DUPLICATE_ENROLLMENT', 'EMPLOYEE_INSURANCE']), message: z.string() }),
    }),
  ),
});

export const missingPageSchema = missingSchema.extend({
  group: z.string().nullable().describe('the group asked for, or null: all seven'),
  page: z.number().int(),
  pageSize: z.number().int(),
  total: z.number().int().describe('missing persons in all pages'),
});

const ev = { target: z.number().int(), targetSource: z.enum(['imported', 'enrollment_target']), activated: z.number().int(), notActivated: z.number().int(), rate, byChannel: z.record(z.string(), z.number().int()) };
export const evouchersSchema = z.object({
  area,
  coverageYear: z.number().int(),
  asOf: z.string(),
  villages: z.array(z.object({ villageCode: z.string(), villageName: z.string(), ...ev })),
  totals: z.object(ev),
});
export const notActivatedSchema = z.object({
  area,
  coverageYear: z.number().int(),
  asOf: z.string(),
  fullIdNumbers: z.boolean(),
  persons: z.array(z.object({ personId: z.string(), idNumber: z.string(), name: z.string(), villageCode: z.string(), villageName: z.string(), houseNo: z.string().nullable(), enrollmentState: z.string() })),
});

export const notActivatedPageSchema = notActivatedSchema.extend({ page: z.number().int(), pageSize: z.number().int(), total: z.number().int().describe('residents not activated in all pages') });

const reportRow = {
  target: z.number().int(),
  enrolled: z.number().int(),
  unpaid: z.number().int(),
  rate,
  change: z.number().int().describe('enrolled since the last report'),
  groups: z.object({ persons: z.number().int(), enrolled: z.number().int(), missing: z.number().int(), rate }),
  evouchers: z.object({ target: z.number().int(), activated: z.number().int(), rate }),
};
export const halfMonthlySchema = z.object({
  title: z.string(),
  town: area,
  coverageYear: z.number().int(),
  asOf: z.string(),
  previousAsOf: z.string(),
  pack: z.string(),
  window: z.object({ from: z.string(), to: z.string() }),
  villages: z.array(
    z.object({
      villageCode: z.string(),
      villageName: z.string(),
      targetSource: z.enum(['imported', 'derived']),
      rank: z.number().int().nullable(),
      previous: z.object({ enrolled: z.number().int(), rate, rank: z.number().int().nullable() }),
      rankChange: z.number().int().nullable(),
      lagging: z.boolean(),
      ...reportRow,
    }),
  ),
  totals: z.object({ ...reportRow, previous: z.object({ enrolled: z.number().int(), rate }), targetSource: z.enum(['imported', 'derived', 'mixed']) }),
  notes: z.array(z.string()),
  cite: z.string(),
});

export const ledgerSchema = z.object({
  area,
  coverageYear: z.number().int(),
  asOf: z.string(),
  statuses: z.array(z.string()),
  fullIdNumbers: z.boolean(),
  villages: z.array(z.object({ villageCode: z.string(), villageName: z.string(), persons: z.number().int(), enrolled: z.number().int(), rate })),
  entries: z.array(
    z.object({
      personId: z.string(),
      idNumber: z.string(),
      name: z.string(),
      townshipName: z.string().nullable(),
      villageCode: z.string(),
      villageName: z.string(),
      houseNo: z.string().nullable(),
      statuses: z.array(statusLine),
      enrollmentState: z.string().nullable(),
      enrolled: z.boolean(),
      paidOn: z.string().nullable(),
      tier: z.string().nullable(),
      paidYuan: yuan,
      assistanceYuan: yuan.nullable(),
      benefitStart: z.string().nullable(),
      benefitEnd: z.string().nullable(),
    }),
  ),
});

export const dropOutsSchema = z.object({
  area,
  coverageYear: z.number().int(),
  asOf: z.string(),
  kind: z.enum(['lapsed', 'never_enrolled']),
  fullIdNumbers: z.boolean(),
  byReason: z.record(z.string(), z.number().int()),
  persons: z.array(
    z.object({
      personId: z.string(),
      idNumber: z.string(),
      name: z.string(),
      villageCode: z.string(),
      villageName: z.string(),
      houseNo: z.string().nullable(),
      birthDate: z.string(),
      dateOfDeath: z.string().nullable(),
      lastEnrolledYear: z.number().int().nullable(),
      enrollmentState: z.string().nullable(),
      reason: z.object({ code: z.string(), message: z.string() }),
    }),
  ),
  unknownReasons: z.string(),
});
