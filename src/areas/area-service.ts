/**
 * One area joined to the others (异地就医直接结算): its link (link.ts), serving as the insured
 * area (insured.ts: settle / reverse / status requests, confirm / cancel / filing events) and as
 * the treating area (treating.ts, the platform envelope's AwayDesk), with its filing and clearing
 * desks (filing-desk.ts, clearing-desk.ts) and recovery (recovery.ts: on start, then periodically).
 * Started by `yibao serve --area <admdvs> --nats <servers>`; without them the service is
 * single-area and needs no NATS.
 */
import type { Database } from '../store/db.js';
import type { QuoteService } from '../quotes/quote-service.js';
import type { SettlementService } from '../settlement/settlement-service.js';
import { InsuredDesk } from './insured.js';
import { AreaLink } from './link.js';
import { SYSTEM, type Actor } from '../access/roles.js';
import { storeFiling, filingOf } from './filing.js';
import { ClearingDesk } from './clearing-desk.js';
import { FilingDesk } from './filing-desk.js';
import { Recovery, schedule } from './recovery.js';
import type { EventKind, CancelEvent, ConfirmEvent, Filing, PersonRequest, PostRequest, ReverseRequest, SettleRequest, Statement, StatementRequest, StatusRequest } from './protocol.js';
import { TreatingDesk } from './treating.js';
import { PhaseLog } from './phases.js';
import { withAreas } from './tables.js';

export interface AreaServiceOptions {
  area: string;
  servers: string;
  replicas?: number;
  timeoutMs?: number;
  /** how many times to retry joining (every 500 ms; default 20) */
  openTries?: number;
  /** recovery (recovery.ts): how often it runs (ms, default 30 000) and how old a record must be first (ms, default 60 000) */
  recoveryEveryMs?: number;
  recoveryGraceMs?: number;
  /** a file for the bench's phase timings of each cross-area settlement (phases.ts; default: none) */
  phasesFile?: string;
}

export class AreaService {
  private constructor(
    readonly link: AreaLink,
    readonly insured: InsuredDesk,
    readonly treating: TreatingDesk,
    readonly recovery: Recovery,
    private readonly database: Database,
    private readonly phases: PhaseLog | null,
  ) {
    this.filings = new FilingDesk(link.area, withAreas(database.db), link);
    this.clearing = new ClearingDesk(link.area, withAreas(database.db), link);
  }

  readonly filings: FilingDesk;
  readonly clearing: ClearingDesk;
  private recovering: { stop(): Promise<void>; first: Promise<void> } | null = null;

  /** An event of this area's stream (also what a redelivery runs again): each handled idempotently. */
  async handle(kind: EventKind, body: unknown): Promise<void> {
    const db = withAreas(this.database.db);
    if (kind === 'confirm') await this.insured.confirm(body as ConfirmEvent);
    else if (kind === 'cancel') await this.insured.cancel(body as CancelEvent);
    else if (kind === 'filing') await storeFiling(db, body as Filing);
  }

  /** The first recovery round after start (done once it has run). */
  get recovered(): Promise<void> {
    return this.recovering?.first ?? Promise.resolve();
  }

  static async start(opts: AreaServiceOptions, database: Database, quotes: QuoteService, settlements: SettlementService): Promise<AreaService> {
    if (!/^\d{6}$/.test(opts.area)) throw new Error(`--area must be a 6-digit admdvs, got ${opts.area}`);
    const db = withAreas(database.db);
    // a cluster just started may still be electing its leader: retry for a while before giving up
    let link: AreaLink | undefined;
    for (let i = 0; !link; i++) {
      try {
        link = await AreaLink.open({ area: opts.area, servers: opts.servers, ...(opts.replicas ? { replicas: opts.replicas } : {}), ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) });
      } catch (e) {
        if (i >= (opts.openTries ?? 20)) throw e;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    const phases = opts.phasesFile ? new PhaseLog(opts.phasesFile) : null;
    const insured = new InsuredDesk(opts.area, db, quotes, settlements, phases);
    const treating = new TreatingDesk(opts.area, db, link, phases);
    const recovery = new Recovery(opts.area, db, link, treating, insured, opts.recoveryGraceMs ?? 60_000);
    const svc = new AreaService(link, insured, treating, recovery, database, phases);
    link.serve('settle', (b) => insured.settle(b as SettleRequest));
    link.serve('reverse', (b) => insured.reverse(b as ReverseRequest));
    link.serve('status', (b) => insured.status((b as StatusRequest).setlId));
    link.serve('person', (b) => insured.person(b as PersonRequest));
    link.serve('claim', (b) => treating.claimState((b as StatusRequest).setlId));
    link.serve('statement', (b) => svc.clearing.statement('insured', (b as StatementRequest).treatArea, (b as StatementRequest).month));
    link.serve('post', (b) => svc.clearing.answerPost(b as PostRequest));
    await link.consume((kind, body) => svc.handle(kind, body));
    // what a process killed mid-settlement left pending: on start, then periodically
    svc.recovering = schedule(recovery, opts.recoveryEveryMs ?? 30_000, (e) => console.error(`area ${opts.area} recovery: ${(e as Error).message}`));
    return svc;
  }

  get area(): string {
    return this.link.area;
  }

  /** File a person of this area for care in another area: kept here and sent to the treating area's stream. */
  async file(body: Parameters<typeof filingOf>[1], actor: Actor = SYSTEM): Promise<Filing> {
    const f = filingOf(this.area, body);
    await this.filings.keepAndSend(actor, 'xa_filing', f);
    return f;
  }

  /**
   * The monthly clearing with an insured area, run by this (treating) area: both statements made
   * from each side's own records, compared line by line; only when they agree to the fen the
   * insured area posts its side, then this area posts its own (each once).
   */
  async clear(insuredArea: string, month: string, actor: Actor = SYSTEM): Promise<{ statement: Statement; entryId: string | null; theirEntryId: string | null }> {
    return this.clearing.post(actor, insuredArea, month);
  }

  async close(): Promise<void> {
    await this.recovering?.stop();
    await this.treating.drain();
    await this.link.close();
    await this.phases?.close();
  }
}
