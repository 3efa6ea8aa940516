/**
 * NATS JetStream nodes on loopback for the areas (`yibao areas up`, the loopback tests, the
 * bench): one node, or a cluster of three routed to each other, each with its own JetStream
 * directory. The binary is `nats-server` from PATH (NATS_SERVER or --nats-server to name
 * another; Debian installs it as /usr/sbin/nats-server, tried when PATH does not have it).
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { delimiter, join } from 'node:path';

/** The nats-server binary: the one named, else the one on PATH, else Debian's. */
export function natsServerBinary(named?: string): string {
  if (named) return named;
  if (process.env.NATS_SERVER) return process.env.NATS_SERVER;
  for (const d of (process.env.PATH ?? '').split(delimiter)) if (d && existsSync(join(d, 'nats-server'))) return join(d, 'nats-server');
  return '/usr/sbin/nats-server';
}

/** A port of 127.0.0.1 free at the moment of asking. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const accepts = (port: number) =>
  new Promise<boolean>((res) => {
    const c = connect(port, '127.0.0.1', () => {
      c.end();
      res(true);
    });
    c.on('error', () => res(false));
  });

export interface NatsNodes {
  /** the client URLs, one a node */
  urls: string[];
  procs: ChildProcess[];
  /** SIGTERM every node still running and wait for it to end */
  stop(): Promise<void>;
}

export interface NatsNodesOptions {
  /** 1: one node; 3: a cluster */
  nodes: 1 | 3;
  /** each node's JetStream directory is <dir>/jetstream-<i> */
  dir: string;
  /** client ports (default: free ones) and, for a cluster, route ports */
  ports?: number[];
  clusterPorts?: number[];
  bin?: string;
  stdio?: StdioOptions;
  /** how long to wait for every node to accept connections (ms, default 10 000) */
  readyMs?: number;
}

export async function startNatsNodes(o: NatsNodesOptions): Promise<NatsNodes> {
  const n = o.nodes;
  const ports = o.ports ?? (await Promise.all(Array.from({ length: n }, freeLoopbackPort)));
  const cports = n > 1 ? (o.clusterPorts ?? (await Promise.all(Array.from({ length: n }, freeLoopbackPort)))) : [];
  const routes = cports.map((p) => `nats://127.0.0.1:${p}`).join(',');
  const bin = natsServerBinary(o.bin);
  const procs = ports.map((p, i) => {
    const sd = join(o.dir, `jetstream-${i}`);
    mkdirSync(sd, { recursive: true });
    const args = ['-a', '127.0.0.1', '-p', String(p), '-js', '-sd', sd, '-n', `yibao-${i}`];
    if (n > 1) args.push('--cluster_name', 'yibao', '--cluster', `nats://127.0.0.1:${cports[i]}`, '--routes', routes);
    return spawn(bin, args, { stdio: o.stdio ?? 'ignore' });
  });
  const nodes: NatsNodes = {
    urls: ports.map((p) => `nats://127.0.0.1:${p}`),
    procs,
    stop: async () => {
      await Promise.all(
        procs.map((k) =>
          k.exitCode !== null || k.signalCode !== null
            ? undefined
            : new Promise<void>((res) => {
                k.once('exit', () => res());
                k.kill('SIGTERM');
              }),
        ),
      );
    },
  };
  let failed: Error | null = null;
  for (const k of procs) k.once('error', (e) => (failed = new Error(`cannot start ${bin}: ${e.message}`)));
  const until = Date.now() + (o.readyMs ?? 10_000);
  for (const p of ports) {
    while (!(await accepts(p))) {
      if (failed || Date.now() > until) {
        await nodes.stop();
        throw failed ?? new Error(`nats-server on 127.0.0.1:${p} did not start`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return nodes;
}
