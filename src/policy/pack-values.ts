/** The value types pack parameters are written in: yuan amounts, rates, needy statuses or their groups. */
import { z } from 'zod';
import { parseRate, yuanToFen } from '../money.js';
import { NEEDY_STATUSES, STATUS_GROUPS } from './vocabulary.js';

/** A yuan amount with at most two decimals, not negative. */
export const yuan = z.union([z.number(), z.string()]).superRefine((v, ctx) => {
  try {
    if (yuanToFen(v) < 0) ctx.addIssue({ code: 'custom', message: 'amount must not be negative' });
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
  }
});

/** An exact rate: "60%" or 0.6. */
export const rate = z.union([z.number(), z.string()]).superRefine((v, ctx) => {
  try {
    parseRate(v);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
  }
});

export const statusOrGroup = z.enum([...NEEDY_STATUSES, ...(Object.keys(STATUS_GROUPS) as (keyof typeof STATUS_GROUPS)[])]);
