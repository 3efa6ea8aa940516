/** What every transaction of the platform gets: the checked envelope, the hospital, and the services it drives. */
import type { Kysely, Transaction } from 'kysely';
import type pg from 'pg';
import type { DB } from '../../store/schema.js';
import type { Actor } from '../../access/roles.js';
import type { QuoteService } from '../../quotes/quote-service.js';
import type { SettlementService } from '../../settlement/settlement-service.js';
import type { Envelope, Reply } from './envelope.js';
import type { Obj } from './fields.js';
import type { HospitalLevels } from './hospital-levels.js';

export type Db = Kysely<DB> | Transaction<DB>;

export interface Call {
  env: Envelope;
  actor: Actor;
  hospital: string;
  received: Date;
  /**
   * This sending claimed the msgid afresh (no earlier sending of it was ever claimed), so nothing
   * can have been done for it yet: a settlement need not look for one it made.
   */
  fresh?: boolean;
  /** the desk for persons insured in another area, when this area is linked to others */
  away?: AwayDesk;
  /**
   * Store this message's success reply inside `tx`, the transaction of the work itself, so that
   * the work and its reply commit together (a handler that uses it answers `kept: true`).
   */
  keep(tx: Db, output: unknown, effect?: Obj): Promise<void>;
}

export interface FsiDeps {
  db: Kysely<DB>;
  /** the same database's pool, for the hot path's named (prepared once per connection) statements */
  pool: pg.Pool;
  quotes: QuoteService;
  settlements: SettlementService;
  /** the hospitals' levels, kept a short while (hospital-levels.ts) */
  levels: HospitalLevels;
}

/** A transaction: its output, and what it did (kept with the stored reply, for 2601); `kept`: it stored its reply itself (Call.keep). */
export type Handler = (db: Db, c: Call) => Promise<{ output: unknown; effect?: Obj; kept?: boolean }>;

export interface PersonRow {
  id: string;
  id_number: string;
  name: string;
  gender: 'male' | 'female';
  birth_date: string;
  region: string;
  /** the register's person kind (src/policy/vocabulary.ts PERSON_KINDS); absent for a person of another area */
  kind?: string;
}

/**
 * A desk that answers some messages instead of this area's own handlers: settlements for persons
 * insured in another coordinating area, and their reversals (src/areas supplies it when the
 * area is linked to others). It keeps its own records and idempotency by message.
 */
export interface AwayDesk {
  claims(env: Envelope): Promise<boolean>;
  /** `hospital`: the sending hospital's row as the preflight read it (null: not in this area's register) */
  call(env: Envelope, actor: Actor, received: Date, hospital?: { code: string; name: string; level: string } | null): Promise<Reply>;
  /** The envelope's insured area (insuplc_admdvs) when it is another area than this one, else null. */
  insuredElsewhere(env: Envelope): string | null;
  /** 1101 for a person insured in another area: that area's answer (its own 1101 output). */
  personInfo(env: Envelope, received: Date): Promise<Obj>;
  /**
   * The person of a visit registration (2201 / 2401) insured in another area, as that area knows
   * them by psn_no, with this area's filing in force for them on the visit's day (null: none),
   * read through `db` (the registration's transaction).
   */
  /** The fee lines (feedetl_sn) of such a visit of the hospital that a live cross-area settlement (or one under way) carries, read through `db`. */
  claimedLines(db: Db, hospital: string, mdtrtId: string): Promise<string[]>;
  visitPerson(db: Db, env: Envelope, psnNo: string, kind: 'outpatient' | 'inpatient', day: string): Promise<{ person: PersonRow; filingId: string | null }>;
}
