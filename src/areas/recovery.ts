/**
 * Recovery of cross-area settlements left half-way (issue #20 item 5): a process of the treating
 * or the insured area killed mid-settlement, an answer or a confirmation lost. Run by the area
 * service on start and then periodically; each step asks the other side by the settlement id and
 * only moves a record the way both sides can agree on, so every settlement ends settled once in
 * both areas or in neither.
 *
 * Treating side (就医地), a claim still pending after the grace period (the hospital got no
 * answer): ask the insured area's state (status).
 *   - settled / confirmed there → record its answer here (the same answer the hospital gets when
 *     it retries with the same message id) and confirm it;
 *   - it never heard of it, or cancelled / reversed it → send a cancel (its stream, the id as
 *     message id: a settlement of it still in flight there is reversed when it lands, a late
 *     request is refused) and mark the claim abandoned;
 *   - unreachable → left pending for the next round.
 * Insured side (参保地), a settlement not confirmed after the grace period: ask the treating
 * area's claim (claim).
 *   - settled or reversed there → confirmed here;
 *   - refused, abandoned, or unknown there → reversed here (as a cancel would);
 *   - still pending, or unreachable → left for the treating side's recovery / the next round.
 */
import { audit } from '../access/audit.js';
import { SYSTEM, type Actor } from '../access/roles.js';
import type { InsuredDesk } from './insured.js';
import type { AreaLink } from './link.js';
import type { ClaimAnswer, StatusAnswer, StatusRequest } from './protocol.js';
import { plain, type AreasDB } from './tables.js';
import type { TreatingDesk } from './treating.js';
import type { Kysely } from 'kysely';

/** Recovery acts as the system, under a name of its own in the audit log. */
export const RECOVERY: Actor = { ...SYSTEM, username: 'system:area-recovery' };

export interface RecoveryReport {
  /** treating side: pending claims found settled in the insured area, recorded */
  recorded: string[];
  /** treating side: pending claims the insured area never settled, cancelled there and abandoned here */
  abandoned: string[];
  /** insured side: settlements the treating area has recorded, confirmed here */
  confirmed: string[];
  /** insured side: settlements the treating area gave up or never had, reversed here */
  reversed: string[];
  /** left for another round (the other side unreachable or still deciding) */
  left: string[];
}

export class Recovery {
  constructor(
    private readonly area: string,
    private readonly db: Kysely<AreasDB>,
    private readonly link: AreaLink,
    private readonly treating: TreatingDesk,
    private readonly insured: InsuredDesk,
    /** how old a pending claim / unconfirmed settlement must be before it is recovered (longer than a request's timeout) */
    private readonly graceMs: number,
  ) {}

  async run(): Promise<RecoveryReport> {
    const out: RecoveryReport = { recorded: [], abandoned: [], confirmed: [], reversed: [], left: [] };
    await this.claims(out);
    await this.settlements(out);
    return out;
  }

  private async ask<T>(to: string, op: 'status' | 'claim', setlId: string): Promise<T | null> {
    try {
      return await this.link.request<T>(to, op, { setlId, from: this.area } satisfies StatusRequest);
    } catch {
      // unreachable (AreaUnreachableError), or its handler failed (its database away): left for the next round, the others go on
      return null;
    }
  }

  private async claims(out: RecoveryReport): Promise<void> {
    const pending = await this.treating.pending(this.graceMs);
    for (const c of pending) {
      const s = await this.ask<StatusAnswer>(c.insured_area, 'status', c.setl_id);
      if (!s || s.state === 'pending') {
        out.left.push(c.setl_id);
        continue;
      }
      if ((s.state === 'settled' || s.state === 'confirmed') && s.answer?.ok) {
        await this.treating.record(c.setl_id, c.insured_area, s.answer, RECOVERY);
        out.recorded.push(c.setl_id);
        continue;
      }
      // nothing settled there (or given up): it must stay so, whatever is still in flight
      await this.link.publish(c.insured_area, 'cancel', `cancel:${c.setl_id}`, { setlId: c.setl_id, treatArea: this.area, hospital: c.hospital_code });
      const done = await this.db.transaction().execute(async (tx) => {
        const row = await tx.updateTable('area_claim').set({ state: 'abandoned', updated_at: new Date().toISOString() }).where('setl_id', '=', c.setl_id).where('state', '=', 'pending').returning('setl_id').executeTakeFirst();
        if (row) await audit(plain(tx), RECOVERY, 'xa_abandon', 'area_claim', c.setl_id, { insured: c.insured_area, theirState: s.state });
        return !!row;
      });
      (done ? out.abandoned : out.left).push(c.setl_id);
    }
  }

  private async settlements(out: RecoveryReport): Promise<void> {
    const open = await this.insured.unconfirmed(this.graceMs);
    for (const r of open) {
      const c = await this.ask<ClaimAnswer>(r.treat_area, 'claim', r.setl_id);
      if (!c || c.state === 'pending') {
        out.left.push(r.setl_id);
        continue;
      }
      if (c.state === 'settled' || c.state === 'reversed') {
        await this.insured.confirm({ setlId: r.setl_id, treatArea: r.treat_area });
        out.confirmed.push(r.setl_id);
      } else {
        await this.insured.cancel({ setlId: r.setl_id, treatArea: r.treat_area });
        out.reversed.push(r.setl_id);
      }
    }
  }
}

/** Run recovery now and then every `everyMs` (never two rounds at once); stop() ends it. */
export function schedule(recovery: Recovery, everyMs: number, onError: (e: unknown) => void): { stop(): Promise<void>; first: Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const round = () => {
    running = running.then(async () => {
      if (stopped) return;
      try {
        await recovery.run();
      } catch (e) {
        onError(e);
      }
    });
    return running;
  };
  const first = round();
  const timer = setInterval(round, everyMs);
  timer.unref();
  return {
    first,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
