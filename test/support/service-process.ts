/**
 * The service as a real process (`node --import tsx src/main.ts`, what `npm start` runs): started
 * with an environment of its own on a free port, its output kept, ready when it says it is
 * serving. For tests where the process itself is under test (it must not die; a second one must
 * be refused), so that an uncaught error kills the child, not the test runner.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const REPO = join(import.meta.dirname, '..', '..');

/** A port of 127.0.0.1 free at the moment of asking. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface ServiceProcess {
  child: ChildProcess;
  base: string;
  /** everything it printed so far (stdout and stderr) */
  output(): string;
  /** resolves with the exit code (or the signal's name) when it has ended */
  exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after 10 s; the exit code */
  stop(): Promise<number | string>;
}

/** Start the service; resolves once it prints that it is serving, rejects if it exits first (the output in the message). */
export async function startService(env: NodeJS.ProcessEnv, opts: { readyTimeoutMs?: number } = {}): Promise<ServiceProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'src', 'main.ts')], {
    cwd: REPO,
    env: { ...process.env, YIBAO_DEMO: 'off', LOG_LEVEL: 'warn', HOST: '127.0.0.1', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString('utf8')));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString('utf8')));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  const proc: ServiceProcess = {
    child,
    base: `http://127.0.0.1:${port}`,
    output: () => out,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        const code = await exited;
        clearTimeout(t);
        return code;
      }
      return exited;
    },
  };
  await startedOrExited(proc, opts.readyTimeoutMs ?? 60_000);
  return proc;
}

/** Wait until the process has said it is serving, or has exited (rejects with its output). */
async function startedOrExited(p: ServiceProcess, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  let code: number | string | undefined;
  void p.exited.then((c) => (code = c));
  while (Date.now() < until) {
    if (/yibao is serving/.test(p.output())) return;
    if (code !== undefined) throw new ServiceExited(code, p.output());
    await new Promise((r) => setTimeout(r, 50));
  }
  await p.stop();
  throw new Error(`the service did not start within ${timeoutMs} ms:\n${p.output()}`);
}

/** The service ended instead of starting. */
export class ServiceExited extends Error {
  constructor(
    readonly code: number | string,
    readonly output: string,
  ) {
    super(`the service exited with ${code}:\n${output}`);
  }
}
