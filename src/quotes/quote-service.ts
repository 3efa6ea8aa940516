/**
 * Room src/quotes/ — the engine answering requests: request and answer schemas (contribution, settlement), pack references, batch assessment of a sheet.
 * May import: src/rules, src/policy, the base.
 *
 * Quotes over the loaded policy library: validates JSON requests, caches compiled packs.
 */
import { PolicyLibrary } from '../policy/loader.js';
import { compilePack, type CompiledPack } from '../rules/compile.js';
import { quoteContribution } from '../rules/quote.js';
import { compileBenefits, type CompiledBenefits } from '../rules/settlement/compile.js';
import { settle } from '../rules/settlement/settle.js';
import { settleYear } from '../rules/settlement/year.js';
import type { SettlementResult } from '../rules/settlement/result.js';
import { Trace } from '../rules/trace.js';
import { packWarning, type QuoteWarning } from '../rules/warnings.js';
import { parseContributionRequest, toAnswer, type ContributionAnswer } from './contribution-request.js';
import {
  accumulatorsJson,
  parseSettlementRequest,
  settlementJson,
  yearTotalsJson,
  type ParsedSettlement,
  type settlementQuoteAnswerSchema,
  type settlementYearAnswerSchema,
} from './settlement-request.js';
import type { z } from 'zod';

export type SettlementQuoteAnswer = z.infer<typeof settlementQuoteAnswerSchema>;
export type SettlementYearAnswer = z.infer<typeof settlementYearAnswerSchema>;

export class QuoteService {
  private readonly compiledPacks = new Map<string, CompiledPack>();
  private readonly compiledBenefits = new Map<string, CompiledBenefits>();

  constructor(readonly lib: PolicyLibrary) {}

  static load(dir?: string): QuoteService {
    return new QuoteService(PolicyLibrary.load(dir));
  }

  compiled = (packId: string): CompiledPack => {
    let cp = this.compiledPacks.get(packId);
    if (!cp) {
      cp = compilePack(this.lib.resolve(packId));
      this.compiledPacks.set(packId, cp);
    }
    return cp;
  };

  benefits = (packId: string): CompiledBenefits => {
    let cb = this.compiledBenefits.get(packId);
    if (!cb) {
      cb = compileBenefits(this.lib.resolve(packId));
      this.compiledBenefits.set(packId, cb);
    }
    return cb;
  };

  /** A JSON request in, the JSON answer out; throws InputError for bad input. */
  contribution(body: unknown): ContributionAnswer {
    const { input, cp, trace } = parseContributionRequest(this.lib, this.compiled, body);
    const res = quoteContribution(cp, input, trace);
    return toAnswer(this.lib, cp, input, res);
  }

  parseSettlement(body: unknown, yearly: boolean): ParsedSettlement {
    return parseSettlementRequest(this.lib.regions, (r, y) => this.lib.packIdFor(r, y), () => this.lib.years(), this.compiled, this.benefits, body, yearly);
  }

  /**
   * What a settlement answer warns about: a parent region's pack answering, a residence type
   * assumed (once each). Empty for most answers, which then carry no `warnings` field; the
   * settlement service's stored answers carry the same (src/settlement/compute.ts head()).
   */
  settlementWarnings(packId: string, region: string, results: readonly SettlementResult[]): QuoteWarning[] {
    const all = [...packWarning(this.compiled(packId), region, new Trace(false)), ...results.flatMap((r) => r.warnings ?? [])];
    const seen = new Set<string>();
    return all.filter((w) => !seen.has(w.message) && seen.add(w.message)).map((w) => ({ ...w }));
  }

  private head(packId: string, region: string, results: readonly SettlementResult[]) {
    const pack = this.lib.resolve(packId);
    const warnings = this.settlementWarnings(packId, region, results);
    return {
      region,
      regionName: this.lib.regions.get(region)?.name ?? region,
      coverageYear: pack.year,
      pack: pack.id,
      packChain: pack.chain,
      ...(warnings.length ? { warnings } : {}),
    };
  }

  /** One encounter through the three tiers. */
  settlement(body: unknown): SettlementQuoteAnswer {
    const req = this.parseSettlement(body, false);
    const cb = this.benefits(req.packId);
    const r = settle(cb, req.person, req.encounters[0], req.accumulators, req.trace);
    return { ...this.head(req.packId, (body as { region: string }).region, [r]), ...settlementJson(r, req.accumulators) };
  }

  /** A year of encounters in date order: each settlement and the year's totals per fund. */
  settlementYear(body: unknown): SettlementYearAnswer {
    const req = this.parseSettlement(body, true);
    const cb = this.benefits(req.packId);
    const { results, totals, after } = settleYear(cb, req.person, req.encounters, req.accumulators, req.trace);
    let before = req.accumulators;
    const settlements = results.map((r) => {
      const j = settlementJson(r, before);
      before = r.after;
      return j;
    });
    const examples = [...new Set(results.flatMap((r) => r.examples))].sort();
    return { ...this.head(req.packId, (body as { region: string }).region, results), settlements, totals: yearTotalsJson(totals, cb), accumulators: accumulatorsJson(after), examplesUsed: examples };
  }
}
