/** The ledger lines of a settlement: Dr each fund what it paid, Cr payable_hospitals the fund total (debit +, credit −). */
import type { Fen } from '../money.js';
import { ACCOUNTS, type PostingLine } from '../ledger/ledger.js';

/** The ledger lines of a settlement (zero lines left out); a reversal posts them negated. */
export function settlementLines(basicFund: Fen, criticalIllness: Fen, medicalAssistance: Fen): PostingLine[] {
  return [
    { account: ACCOUNTS.basicFund, fen: basicFund },
    { account: ACCOUNTS.criticalIllnessFund, fen: criticalIllness },
    { account: ACCOUNTS.medicalAssistanceFund, fen: medicalAssistance },
    { account: ACCOUNTS.payableHospitals, fen: -(basicFund + criticalIllness + medicalAssistance) },
  ].filter((l) => l.fen !== 0);
}
