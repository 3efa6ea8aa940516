/**
 * The base year of a projection taken from a simulated year (the output of `yibao sim run` or
 * POST /api/v1/sim/runs) instead of a hand-written base: the basic fund's figures of the
 * simulated year, by the same definitions the projection uses (src/rules/fund-projection.ts):
 *   - persons by age band: the enrolled of each band (age on 1 July);
 *   - spending per person of a band: the basic fund's spending on the band's enrolled (its
 *     settlement payments, and the 大病保险 allocation per enrolled person) ÷ the band's enrolled;
 *   - contribution per person: (individual contributions + the medical-assistance fund's payment
 *     of assisted contributions) ÷ enrolled; subsidy per person: the fiscal subsidy ÷ enrolled;
 *   - balance at the year's end: the opening balance given (default 0 — a simulation starts
 *     from no balance; say so) + the simulated year's income − spending.
 * Per-person figures are rounded to whole fen once. The simulation's own examples stay examples.
 */
import { z } from 'zod';
import { fromZodIssues, InputError } from '../../errors.js';
import { yuanToFen, type Fen } from '../../money.js';
import type { ProjectionBase } from '../../rules/fund-projection.js';

const fen = z.number().finite();
const summarySchema = z.object({
  year: z.number().int().min(2000).max(2100),
  enrolled: z.number().int().min(0),
  funds: z.object({ basicFund: z.object({ incomeFen: fen, spendingFen: fen }).passthrough() }).passthrough(),
  income: z.object({ contributionsFen: fen, assistanceFen: fen, subsidyFen: fen }).passthrough(),
  ageBands: z.array(z.object({ from: z.number().int().min(0), enrolled: z.number().min(0), basicFundSpendingFen: fen }).strict()).min(1, { error: 'the simulation has no age bands (run it again with this version)' }),
  examplesUsed: z.array(z.string()).default([]),
});

export const simulationSchema = z
  .object({
    packId: z.string(),
    year: z.number().int(),
    baseline: summarySchema,
    reform: z.object({ name: z.string(), summary: summarySchema }).passthrough().nullable().default(null),
  })
  .passthrough();

export interface BaseFromSimulation {
  base: ProjectionBase;
  /** how each figure was taken, for the report */
  derivation: { packId: string; run: 'baseline' | 'reform'; reform: string | null; enrolled: number; openingBalanceFen: Fen; yearIncomeFen: Fen; yearSpendingFen: Fen; rule: string; examplesUsed: string[] };
}

export function baseFromSimulation(data: unknown, o: { use?: 'baseline' | 'reform'; openingBalanceYuan?: number | string; ageBands: readonly number[] }, field = 'simulation'): BaseFromSimulation {
  const r = simulationSchema.safeParse(data);
  if (!r.success) throw fromZodIssues(r.error.issues, field);
  const sim = r.data;
  const use = o.use ?? 'baseline';
  if (use === 'reform' && !sim.reform) throw new InputError('use', 'the simulation has no reform run');
  const s = use === 'reform' ? sim.reform!.summary : sim.baseline;
  const from = s.ageBands.map((b) => b.from);
  if (from.length !== o.ageBands.length || from.some((f, i) => f !== o.ageBands[i])) throw new InputError(`${field}.ageBands`, `the simulation's age bands (${from.join(', ')}) are not the projection's (${o.ageBands.join(', ')})`);
  if (s.enrolled === 0) throw new InputError(`${field}.enrolled`, 'nobody enrolled in the simulated year');
  let opening: Fen = 0;
  if (o.openingBalanceYuan !== undefined) {
    try {
      opening = yuanToFen(o.openingBalanceYuan);
    } catch (e) {
      throw new InputError('openingBalance', (e as Error).message);
    }
  }
  const per = (x: number, n: number) => (n > 0 ? Math.round(x / n) : 0);
  const income = s.funds.basicFund.incomeFen;
  const spending = s.funds.basicFund.spendingFen;
  return {
    base: {
      year: s.year,
      account: 'basic_fund',
      balanceFen: opening + income - spending,
      bands: s.ageBands.map((b) => ({ persons: b.enrolled, spendingPerPersonFen: per(b.basicFundSpendingFen, b.enrolled) })),
      contributionPerPersonFen: per(s.income.contributionsFen + s.income.assistanceFen, s.enrolled),
      subsidyPerPersonFen: per(s.income.subsidyFen, s.enrolled),
    },
    derivation: {
      packId: sim.packId,
      run: use,
      reform: use === 'reform' ? sim.reform!.name : null,
      enrolled: s.enrolled,
      openingBalanceFen: opening,
      yearIncomeFen: income,
      yearSpendingFen: spending,
      rule: '基准年取自模拟年度：各年龄段参保人数、基本医保基金人均支出（结算支付及按参保人数划转大病保险），人均个人缴费（含医疗救助资助参保）、人均财政补助；年末累计结余 = 期初结余（给定，缺省为 0）+ 模拟年度收入 − 支出',
      examplesUsed: s.examplesUsed,
    },
  };
}
