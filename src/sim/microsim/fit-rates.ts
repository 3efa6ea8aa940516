/**
 * Rates fitted from the registers' own settlements of a past year (issue #17 item 4: "example
 * rates in the pack, marked as such, or rates fitted from the registers' own settlements of a past
 * year"). Pure: from the past year's population and encounters as registers.ts reads them.
 *
 * - exposure: the persons enrolled that year (a paid enrollment, or a live settlement), each in
 *   the age band of their age on 1 July;
 * - sexFactor (female / male against all) and needyFactor (needy against not needy): ratios of the
 *   crude rates of the settled encounters other than maternity;
 * - rates[type][band]: the settled encounters of the type and band ÷ the band's exposure weighted
 *   by those factors (maternity over women only, as the draws give it), so that the expected count
 *   of each type and band under the fitted model is the count observed;
 * - costs[type]: median and σ of ln(total cost), the full-own-pay share of the cost and the
 *   pre-self-pay share of the rest; levels[type]: shares by hospital level; referred: the share
 *   referred. A type or band without settlements keeps the example value and is listed as kept.
 * The rest (population shares, 大病 allocation, high-burden line) stays the example's.
 */
import { ageOn, dayOf } from '../../dates.js';
import type { Encounters } from './draws.js';
import type { Population } from './population.js';
import { bandOfAge, SIM_TYPES, type SimRates } from './rates.js';

export interface RatesFit {
  /** the year whose settlements the rates were fitted from */
  year: number;
  persons: number;
  settlements: number;
  /** what is still the example's value (a type without settlements, the population shares …) */
  keptExamples: string[];
  method: string;
}

const MATERNITY = SIM_TYPES.indexOf('maternity');

export function fitRates(p: Population, e: Encounters, settled: Uint8Array, base: SimRates): { rates: SimRates; fit: RatesFit } {
  const band = bandOfAge(base);
  const nb = base.ageBands.length;
  const NT = SIM_TYPES.length;
  const mid = dayOf(p.year, 7, 1);
  const exposed = new Uint8Array(p.n);
  const bandOf = new Uint8Array(p.n);
  for (let i = 0; i < p.n; i++) {
    bandOf[i] = band[Math.max(0, Math.min(120, ageOn(p.birth[i], mid)))];
    let any = p.paid[i] >= 0;
    for (let k = e.start[i]; !any && k < e.start[i + 1]; k++) any = settled[k] === 1;
    exposed[i] = any ? 1 : 0;
  }
  // crude rates (encounters other than maternity per person) by sex and by needy flag
  const persons = [0, 0];
  const bySex = [0, 0];
  const needyPersons = [0, 0];
  const byNeedy = [0, 0];
  let settlements = 0;
  for (let i = 0; i < p.n; i++) {
    if (!exposed[i]) continue;
    const nd = p.statusMask[i] !== 0 ? 1 : 0;
    persons[p.sex[i]]++;
    needyPersons[nd]++;
    for (let k = e.start[i]; k < e.start[i + 1]; k++) {
      if (!settled[k]) continue;
      settlements++;
      if (e.type[k] === MATERNITY) continue;
      bySex[p.sex[i]]++;
      byNeedy[nd]++;
    }
  }
  const kept: string[] = [];
  const all = (bySex[0] + bySex[1]) / Math.max(1, persons[0] + persons[1]);
  const sexFactor = all > 0 && persons[0] > 0 && persons[1] > 0 ? { male: bySex[0] / persons[0] / all, female: bySex[1] / persons[1] / all } : (kept.push('sexFactor'), base.sexFactor);
  const needyFactor = needyPersons[0] > 0 && needyPersons[1] > 0 && byNeedy[0] > 0 ? byNeedy[1] / needyPersons[1] / (byNeedy[0] / needyPersons[0]) : (kept.push('needyFactor'), base.needyFactor);
  // weighted exposure per band (and per band, women only) and observed counts per type and band
  const weight = new Float64Array(nb * 2);
  const count = new Float64Array(NT * nb);
  const totals: number[][] = SIM_TYPES.map(() => []);
  const own = new Float64Array(NT);
  const pre = new Float64Array(NT);
  const cost = new Float64Array(NT);
  const level = SIM_TYPES.map(() => [0, 0, 0]);
  let referred = 0;
  for (let i = 0; i < p.n; i++) {
    if (!exposed[i]) continue;
    const w = (p.sex[i] ? sexFactor.female : sexFactor.male) * (p.statusMask[i] !== 0 ? needyFactor : 1);
    weight[bandOf[i] * 2] += w;
    if (p.sex[i]) weight[bandOf[i] * 2 + 1] += w;
    for (let k = e.start[i]; k < e.start[i + 1]; k++) {
      if (!settled[k]) continue;
      const t = e.type[k];
      count[t * nb + bandOf[i]]++;
      totals[t].push(e.total[k]);
      cost[t] += e.total[k];
      own[t] += e.fullOwnPay[k];
      pre[t] += e.preSelfPay[k];
      if (e.level[k] < 3) level[t][e.level[k]]++;
      referred += e.referred[k];
    }
  }
  const rates = structuredClone(base);
  rates.example = `就诊率、费用分布、医院等级构成按登记的 ${p.year} 年有效结算拟合（${persons[0] + persons[1]} 人、${settlements} 笔结算）；人口构成等其余参数仍为示例。`;
  rates.sexFactor = sexFactor;
  rates.needyFactor = needyFactor;
  SIM_TYPES.forEach((type, t) => {
    for (let b = 0; b < nb; b++) {
      const w = weight[b * 2 + (t === MATERNITY ? 1 : 0)];
      if (w > 0) rates.rates[type][b] = Math.min(50, count[t * nb + b] / w);
      else kept.push(`rates.${type}.${base.ageBands[b]}`);
    }
    const xs = totals[t].sort((a, z) => a - z);
    if (xs.length === 0) {
      kept.push(`costs.${type}`, `levels.${type}`);
      return;
    }
    const median = xs.length % 2 ? xs[(xs.length - 1) / 2] : (xs[xs.length / 2 - 1] + xs[xs.length / 2]) / 2;
    const logs = xs.map((x) => Math.log(Math.max(1, x) / 100));
    const mean = logs.reduce((s, x) => s + x, 0) / logs.length;
    const sigma = Math.sqrt(logs.reduce((s, x) => s + (x - mean) ** 2, 0) / logs.length);
    rates.costs[type] = { median: Math.max(0.01, median / 100), sigma: Math.min(3, sigma), fullOwnPay: cost[t] > 0 ? own[t] / cost[t] : 0, preSelfPay: cost[t] - own[t] > 0 ? pre[t] / (cost[t] - own[t]) : 0 };
    rates.levels[type] = level[t] as [number, number, number];
  });
  if (settlements > 0) rates.referred = referred / settlements;
  else kept.push('referred');
  kept.push('population', 'criticalIllnessPerCapita', 'highBurdenYuan');
  return {
    rates,
    fit: {
      year: p.year,
      persons: persons[0] + persons[1],
      settlements,
      keptExamples: kept,
      method: 'exposure: persons enrolled in the year, age on 1 July; sex and needy factors: ratios of crude rates; rate = settlements of the type and band ÷ the band’s exposure weighted by the factors; costs: median and σ of ln(cost), shares of the fee columns',
    },
  };
}
