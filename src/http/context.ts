/** What record routes get: the quote service (policy library), the database, auth, and the one settlement service (its batches are shared by the routes that settle). */
import type { AuthService } from '../access/auth.js';
import type { AreaService } from '../areas/area-service.js';
import type { AwayDesk } from '../hospitals/fsi/call.js';
import type { QuoteService } from '../quotes/quote-service.js';
import type { SettlementService } from '../settlement/settlement-service.js';
import type { Database } from '../store/db.js';

export interface AppContext {
  quotes: QuoteService;
  database: Database;
  auth: AuthService;
  settlements: SettlementService;
  /** the desk for persons insured in another area (src/areas), when this area is linked to others */
  away?: AwayDesk;
  /** this area's link to the others (filings, clearing), when it is linked */
  areas?: AreaService;
  /** the platform's 1101 look-ups per hospital */
  lookupLimit?: { capacity: number; perSecond: number };
}
