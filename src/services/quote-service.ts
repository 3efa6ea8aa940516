/** Quotes over the loaded policy library: validates JSON requests, caches compiled packs. */
import { PolicyLibrary } from '../policy/loader.js';
import { compilePack, type CompiledPack } from '../rules/compile.js';
import { quoteContribution } from '../rules/quote.js';
import { parseContributionRequest, toAnswer, type ContributionAnswer } from './contribution-request.js';

export class QuoteService {
  private readonly compiledPacks = new Map<string, CompiledPack>();

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

  /** A JSON request in, the JSON answer out; throws InputError for bad input. */
  contribution(body: unknown): ContributionAnswer {
    const { input, cp, trace } = parseContributionRequest(this.lib, this.compiled, body);
    const res = quoteContribution(cp, input, trace);
    return toAnswer(this.lib, cp, input, res);
  }
}
