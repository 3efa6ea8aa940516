/**
 * The HTTP server of part B of bench/record.ts, in a child process of its own (the load
 * generator runs in the parent, so the two do not share one event loop): the ordinary
 * buildServer over a PostgreSQL server database, a pool of BENCH_SETTLE_POOL connections,
 * no request logging. It tells the parent its port over IPC, and on 'cpu' reports its own
 * CPU time (all, and the part spent in the kernel), on 'stop' closes and exits.
 *
 * Environment: BENCH_SETTLE_URL (the database), BENCH_SETTLE_POOL (default 10).
 */
import { buildServer } from '../../src/http/server.js';
import { QuoteService } from '../../src/quotes/quote-service.js';
import { openDatabase } from '../../src/store/db.js';

async function main(): Promise<void> {
  const url = process.env.BENCH_SETTLE_URL;
  if (!url || !process.send) throw new Error('settle-server.ts is started by bench/record.ts (BENCH_SETTLE_URL, IPC)');
  const max = Number(process.env.BENCH_SETTLE_POOL ?? 10);
  const database = await openDatabase({ url, max, migrate: false });
  const app = await buildServer(QuoteService.load(), { database, logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  process.on('message', (m: unknown) => {
    if (m === 'cpu') {
      const c = process.cpuUsage();
      process.send!({ cpu: (c.user + c.system) / 1e6, system: c.system / 1e6 });
    } else if (m === 'stop') {
      void (async () => {
        await app.close();
        await database.close();
        process.exit(0);
      })();
    }
  });
  process.on('disconnect', () => process.exit(0)); // the parent went away
  process.send({ port, pool: max });
}

main().catch((e: Error) => {
  console.error(`settle-server: ${e.stack ?? e.message}`);
  process.exit(1);
});
