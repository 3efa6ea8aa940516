/** What every transaction of the platform gets: the checked envelope, the hospital, and the services it drives. */
import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../store/schema.js';
import type { Actor } from '../../access/roles.js';
import type { QuoteService } from '../../quotes/quote-service.js';
import type { SettlementService } from '../../settlement/settlement-service.js';
import type { Envelope } from './envelope.js';
import type { Obj } from './fields.js';

export type Db = Kysely<DB> | Transaction<DB>;

export interface Call {
  env: Envelope;
  actor: Actor;
  hospital: string;
  received: Date;
}

export interface FsiDeps {
  db: Kysely<DB>;
  quotes: QuoteService;
  settlements: SettlementService;
}

/** A transaction: its output, and what it did (kept with the stored reply, for 2601). */
export type Handler = (db: Db, c: Call) => Promise<{ output: unknown; effect?: Obj }>;

export interface PersonRow {
  id: string;
  id_number: string;
  name: string;
  gender: 'male' | 'female';
  birth_date: string;
  region: string;
}
