/**
 * The web console's build (web/ → web/dist): whether it is missing or older than its sources,
 * and the build itself through Vite's API. `npm ci` builds it (the `prepare` script); `npm
 * start` builds it again when web/dist is missing or older than web/src, so a checkout that
 * changed the console never serves a stale one.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WEB_DIR = resolve(fileURLToPath(new URL('../../web', import.meta.url)));
export const CONSOLE_DIST = join(WEB_DIR, 'dist');

function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let m = 0;
  for (const e of readdirSync(path)) m = Math.max(m, newest(join(path, e)));
  return m;
}

/** Why the console must be built, or null when web/dist is current. */
export function consoleStaleness(dist = CONSOLE_DIST): string | null {
  const index = join(dist, 'index.html');
  if (!existsSync(index)) return 'web/dist is missing';
  const built = statSync(index).mtimeMs;
  const sources = Math.max(...['src', 'public', 'index.html', 'vite.config.ts'].map((p) => newest(join(WEB_DIR, p))), newest(resolve(WEB_DIR, '../src/policy/vocabulary.ts')));
  return sources > built ? 'web/src is newer than web/dist' : null;
}

/** Build the console with Vite (a dev dependency: a production install without it serves no console). */
export async function buildConsole(): Promise<{ seconds: number }> {
  const t0 = performance.now();
  const vite = await import('vite');
  await vite.build({ configFile: join(WEB_DIR, 'vite.config.ts'), logLevel: 'warn' });
  return { seconds: (performance.now() - t0) / 1000 };
}

/** Build when stale; the reason and time, or null when nothing was needed. */
export async function ensureConsoleBuilt(log: (msg: string) => void = () => {}): Promise<{ reason: string; seconds: number } | null> {
  const reason = consoleStaleness();
  if (!reason) return null;
  log(`building the web console (${reason}) …`);
  const { seconds } = await buildConsole();
  log(`web console built in ${seconds.toFixed(1)} s`);
  return { reason, seconds };
}
