/** A fund projection as JSON for people: yuan with two decimals, months of reserve to 2 decimals, alerts with their citation. */
import { fenToYuan } from '../../money.js';
import type { Projection } from '../../rules/fund-projection.js';
import type { BaseFromSimulation } from './projection-from-sim.js';

export function projectionReport(p: Projection) {
  return {
    baseYear: p.baseYear,
    years: p.years.map((y) => ({
      year: y.year,
      persons: Math.round(y.persons),
      contributionPerPerson: fenToYuan(y.contributionPerPersonFen),
      subsidyPerPerson: fenToYuan(y.subsidyPerPersonFen),
      income: fenToYuan(y.incomeFen),
      spending: fenToYuan(y.spendingFen),
      surplus: fenToYuan(y.surplusFen),
      balance: fenToYuan(y.balanceFen),
      reserveMonths: y.reserveMonths === null ? null : Math.round(y.reserveMonths * 100) / 100,
      alerts: y.alerts.map((a) => ({ code: a.code, message: a.message, cite: a.citation.cite, quote: a.citation.quote })),
    })),
    firstCrossings: p.firstCrossings.map((c) => ({ code: c.code, year: c.year, message: c.alert.message, cite: c.alert.citation.cite, quote: c.alert.citation.quote })),
    assumptions: p.assumptions,
    examplesUsed: p.examplesUsed,
  };
}


/** Where a base year taken from a simulation came from, in yuan, with the base itself. */
export function baseFromReport(b: BaseFromSimulation) {
  const d = b.derivation;
  return {
    ...d,
    openingBalance: fenToYuan(d.openingBalanceFen),
    yearIncome: fenToYuan(d.yearIncomeFen),
    yearSpending: fenToYuan(d.yearSpendingFen),
    base: {
      year: b.base.year,
      account: b.base.account,
      balance: fenToYuan(b.base.balanceFen),
      bands: b.base.bands.map((x) => ({ persons: x.persons, spendingPerPerson: fenToYuan(x.spendingPerPersonFen) })),
      contributionPerPerson: fenToYuan(b.base.contributionPerPersonFen),
      subsidyPerPerson: fenToYuan(b.base.subsidyPerPersonFen),
    },
  };
}
