/**
 * The base year of a projection as a file or request gives it (yuan at the edge, whole fen
 * inside): the balance at the base year's end, the enrolled persons by age band with the fund's
 * spending per person in each, and the contribution and fiscal subsidy per person.
 */
import { z } from 'zod';
import { fromZodIssues } from '../../errors.js';
import { yuanToFen } from '../../money.js';
import type { ProjectionBase } from '../../rules/fund-projection.js';

const yuan = z.union([z.number(), z.string()]).transform((v, c) => {
  try {
    return yuanToFen(v);
  } catch (e) {
    c.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});

export const projectionBaseSchema = z
  .object({
    year: z.number().int().min(2000).max(2100),
    account: z.string().min(1).default('basic_fund'),
    balance: yuan.describe('累计结余 at the end of the base year, yuan'),
    bands: z.array(z.object({ persons: z.number().min(0).max(1e9), spendingPerPerson: yuan }).strict()).min(1),
    contributionPerPerson: yuan,
    subsidyPerPerson: yuan,
  })
  .strict();

export function parseProjectionBase(data: unknown): ProjectionBase {
  const r = projectionBaseSchema.safeParse(data);
  if (!r.success) throw fromZodIssues(r.error.issues, 'base');
  const b = r.data;
  return {
    year: b.year,
    account: b.account,
    balanceFen: b.balance,
    bands: b.bands.map((x) => ({ persons: x.persons, spendingPerPersonFen: x.spendingPerPerson })),
    contributionPerPersonFen: b.contributionPerPerson,
    subsidyPerPersonFen: b.subsidyPerPerson,
  };
}
