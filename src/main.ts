/** `npm start`: the HTTP service on embedded defaults (policies from ./policies). */
import { buildServer } from './http/server.js';
import { QuoteService } from './services/quote-service.js';
import { PackError } from './policy/errors.js';

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';

let service: QuoteService;
try {
  service = QuoteService.load(process.env.YIBAO_POLICIES);
} catch (e) {
  if (e instanceof PackError) {
    console.error(`The policy packs do not load:\n${e.message}`);
    process.exit(2);
  }
  throw e;
}
const app = await buildServer(service, { logger: { level: process.env.LOG_LEVEL ?? 'info' } });
try {
  await app.listen({ port, host });
} catch (e) {
  console.error(`cannot listen on ${host}:${port}: ${(e as Error).message} (set PORT to use another port)`);
  process.exit(1);
}
console.log(`yibao is serving ${service.lib.packIds().length} policy packs.
  OpenAPI page:  http://${host}:${port}/docs
  Quote:         curl -s http://${host}:${port}/api/v1/quotes/contribution -H 'content-type: application/json' \\
                   -d '{"region":"500230","coverageYear":2022,"tier":"tier1","person":{"birthDate":"1980-05-01","kind":"adult","statuses":["dibao"]}}'`);
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => void app.close().then(() => process.exit(0)));
