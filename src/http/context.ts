/** What record routes get: the quote service (policy library), the database, and auth. */
import type { AuthService } from '../services/auth.js';
import type { QuoteService } from '../services/quote-service.js';
import type { Database } from '../store/db.js';

export interface AppContext {
  quotes: QuoteService;
  database: Database;
  auth: AuthService;
}
