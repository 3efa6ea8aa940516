/**
 * A confirmed case's recovery split over the funds that paid, pure: in proportion to what each
 * fund paid on the case's settlements (largest remainder to the fen), never more than a fund
 * paid, adding up exactly to the amount recovered.
 */
import type { Fen } from '../../money.js';

export interface FundPaid {
  basic: Fen;
  criticalIllness: Fen;
  medicalAssistance: Fen;
}

export function splitRecovery(amount: Fen, paid: FundPaid): FundPaid {
  const keys = ['basic', 'criticalIllness', 'medicalAssistance'] as const;
  const total = keys.reduce((s, k) => s + paid[k], 0);
  if (!Number.isInteger(amount) || amount < 0) throw new RangeError(`a recovery is a whole, non-negative number of fen: ${amount}`);
  if (amount > total) throw new RangeError(`recovery ${amount} fen is more than the funds paid (${total} fen)`);
  const out: FundPaid = { basic: 0, criticalIllness: 0, medicalAssistance: 0 };
  if (amount === 0) return out;
  const rem: { k: (typeof keys)[number]; r: bigint }[] = [];
  let given = 0;
  for (const k of keys) {
    // exact in integers (bigint: amount·paid may pass 2^53): amount·paid / total
    const p = BigInt(amount) * BigInt(paid[k]);
    const q = p / BigInt(total);
    out[k] = Number(q);
    given += Number(q);
    rem.push({ k, r: p - q * BigInt(total) });
  }
  rem.sort((a, b) => (b.r > a.r ? 1 : b.r < a.r ? -1 : 0));
  for (let i = 0; given < amount; i = (i + 1) % rem.length) {
    const k = rem[i].k;
    if (out[k] < paid[k]) {
      out[k] += 1;
      given += 1;
    }
  }
  return out;
}
