/**
 * The link of one area to the others through NATS JetStream (see protocol.ts): its durable
 * stream and consumer, publishing events with a message id, serving and making requests.
 * Nothing here knows settlement; area-service.ts gives the handlers.
 */
import { AckPolicy, DeliverPolicy, JSONCodec, connect, type ConsumerMessages, type NatsConnection, type Subscription } from 'nats';
import { eventSubject, rpcSubject, streamOf, type EventKind, type RpcOp } from './protocol.js';

const codec = JSONCodec<unknown>();

/** The other area did not answer (down, unreachable, or no area of that code is linked). */
export class AreaUnreachableError extends Error {
  constructor(
    readonly area: string,
    readonly why: 'timeout' | 'no_responders' | 'disconnected',
  ) {
    super(`area ${area} did not answer (${why})`);
  }
}

export interface LinkOptions {
  area: string;
  servers: string;
  /** stream replicas (3 on a 3-node cluster; default 1) */
  replicas?: number;
  /** how long a request waits for its answer (ms, default 5000) */
  timeoutMs?: number;
  /** the stream's dedupe window for message ids (ms, default two hours) */
  duplicateWindowMs?: number;
}

export type RpcHandler = (body: unknown) => Promise<unknown>;
export type EventHandler = (kind: EventKind, body: unknown) => Promise<void>;

export class AreaLink {
  private readonly subs: Subscription[] = [];
  private messages: ConsumerMessages | null = null;
  private consuming: Promise<void> | null = null;
  private closing = false;

  private constructor(
    readonly area: string,
    readonly nc: NatsConnection,
    private readonly opts: LinkOptions,
  ) {}

  static async open(opts: LinkOptions): Promise<AreaLink> {
    const nc = await connect({ servers: opts.servers.split(','), name: `yibao-area-${opts.area}`, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    const link = new AreaLink(opts.area, nc, opts);
    try {
      await link.ensureStream();
    } catch (e) {
      await nc.close().catch(() => undefined);
      throw e;
    }
    return link;
  }

  /** This area's stream and its durable consumer (made when missing; the same when there). */
  private async ensureStream(): Promise<void> {
    const jsm = await this.nc.jetstreamManager();
    const name = streamOf(this.area);
    const cfg = { name, subjects: [`yb.area.${this.area}.ev.>`], num_replicas: this.opts.replicas ?? 1, duplicate_window: (this.opts.duplicateWindowMs ?? 2 * 3600_000) * 1_000_000 };
    try {
      await jsm.streams.info(name);
    } catch {
      try {
        await jsm.streams.add(cfg);
      } catch (e) {
        // made meanwhile by another process of the same area
        await jsm.streams.info(name).catch(() => {
          throw e;
        });
      }
    }
    const durable = `yb-${this.area}`;
    try {
      await jsm.consumers.info(name, durable);
    } catch {
      await jsm.consumers.add(name, { durable_name: durable, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, ack_wait: 30_000_000_000, max_deliver: -1 });
    }
  }

  /** Send an event to an area's stream; the stream keeps one message per id within its window. */
  async publish(to: string, kind: EventKind, msgId: string, body: unknown): Promise<void> {
    const js = this.nc.jetstream();
    let last: unknown;
    for (let i = 0; i < 20; i++) {
      try {
        await js.publish(eventSubject(to, kind), codec.encode(body), { msgID: msgId, timeout: this.opts.timeoutMs ?? 5000 });
        return;
      } catch (e) {
        // a node went away or a leader is being elected: the same id again is stored once
        last = e;
        await new Promise((r) => setTimeout(r, 100 * Math.min(i + 1, 10)));
      }
    }
    throw last;
  }

  /**
   * Read this area's stream: each event handled, then acknowledged; a failure is redelivered later.
   * A JetStream node lost (heartbeats missed, the pull ended) reopens the durable consumer and goes
   * on from its acknowledged position: events are neither lost nor handled twice by this loop.
   */
  async consume(handle: EventHandler): Promise<void> {
    const js = this.nc.jetstream();
    const once = async () => {
      const consumer = await js.consumers.get(streamOf(this.area), `yb-${this.area}`);
      const msgs = await consumer.consume({ max_messages: 64, expires: 4000 });
      this.messages = msgs;
      void (async () => {
        for await (const st of await msgs.status()) if (st.type === 'heartbeats_missed' && Number(st.data) >= 2) msgs.stop();
      })().catch(() => undefined);
      for await (const m of msgs) {
        const kind = m.subject.split('.').pop() as EventKind;
        try {
          await handle(kind, codec.decode(m.data));
          m.ack();
        } catch {
          m.nak(500);
        }
      }
    };
    this.consuming = (async () => {
      while (!this.closing && !this.nc.isClosed()) {
        await once().catch(() => undefined);
        if (!this.closing) await new Promise((r) => setTimeout(r, 250));
      }
    })();
  }

  /** Answer requests of one kind addressed to this area. */
  serve(op: RpcOp, handle: RpcHandler): void {
    const sub = this.nc.subscribe(rpcSubject(this.area, op), {
      queue: `yb-${this.area}`,
      callback: (err, msg) => {
        if (err) return;
        void (async () => {
          let out: unknown;
          try {
            out = await handle(codec.decode(msg.data));
          } catch (e) {
            out = { ok: false, error: (e as Error).message };
          }
          msg.respond(codec.encode(out));
        })();
      },
    });
    this.subs.push(sub);
  }

  /** Ask another area; AreaUnreachableError when it does not answer in time. */
  async request<T>(to: string, op: RpcOp, body: unknown, timeoutMs?: number): Promise<T> {
    if (this.nc.isClosed()) throw new AreaUnreachableError(to, 'disconnected');
    try {
      const m = await this.nc.request(rpcSubject(to, op), codec.encode(body), { timeout: timeoutMs ?? this.opts.timeoutMs ?? 5000 });
      const out = codec.decode(m.data) as { ok?: boolean; error?: string };
      if (out && out.ok === false && out.error) throw new Error(`area ${to}: ${out.error}`);
      return out as T;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === '503') throw new AreaUnreachableError(to, 'no_responders');
      if (code === 'TIMEOUT' || code === 'REQUEST_TIMEOUT') throw new AreaUnreachableError(to, 'timeout');
      if (code === 'DISCONNECT' || code === 'CONNECTION_CLOSED') throw new AreaUnreachableError(to, 'disconnected');
      throw e;
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const s of this.subs) s.unsubscribe();
    this.messages?.stop();
    await this.consuming?.catch(() => undefined);
    await this.nc.drain().catch(() => undefined);
  }
}
