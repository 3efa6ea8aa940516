// `npm ci` / `npm install` (the prepare script): build the web console into web/dist. An install
// without dev dependencies (npm ci --omit=dev) has no Vite: it says so and goes on, and the
// server then serves the API without the console. A build error fails the install.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

if (!existsSync(fileURLToPath(new URL('../node_modules/vite/package.json', import.meta.url)))) {
  console.warn('yibao: Vite is not installed (an install without dev dependencies): the web console is not built');
  process.exit(0);
}
const t0 = performance.now();
const { build } = await import('vite');
await build({ configFile: fileURLToPath(new URL('./vite.config.ts', import.meta.url)), logLevel: 'warn' });
console.log(`yibao: web console built into web/dist in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
