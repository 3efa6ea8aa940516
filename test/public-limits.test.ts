/**
 * Issue #11 item 14: the public quote routes are bounded — a body larger than a quote needs is
 * refused before it is read (413), and one address gets QUOTES_PER_ADDRESS quotes at once, then
 * 429 with Retry-After, while other addresses and /health are answered as before.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { FastifyInstance } from 'fastify';
import { buildServer, QUOTES_PER_ADDRESS } from '../src/http/server.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { listen } from './support/http.ts';

let app: FastifyInstance;
let base: string;
before(async () => {
  // listening on every loopback address: 127.0.0.2 is another client
  // the default capacity, refilled so slowly that no token comes back during the test
  app = await buildServer(QuoteService.load(), { console: false, quoteLimit: { capacity: QUOTES_PER_ADDRESS, perSecond: 1 / 3600 } });
  await app.listen({ port: 0, host: '0.0.0.0' });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  void listen;
});
after(() => app.close());

const dibao = JSON.stringify({ region: '500230', coverageYear: 2022, tier: 'tier1', person: { birthDate: '1980-05-01', kind: 'adult', statuses: ['dibao'] } });

/** POST from a given local address; with `declare`, only the headers, announcing that many bytes. */
function post(path: string, body: string, from = '127.0.0.1', declare?: number): Promise<{ status: number; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    const u = new URL(path, base);
    const req = http.request({ host: '127.0.0.1', port: u.port, path, method: 'POST', localAddress: from, headers: { 'content-type': 'application/json', 'content-length': String(declare ?? Buffer.byteLength(body)) } });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined }));
      if (declare !== undefined) req.destroy();
    });
    req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e)));
    if (declare !== undefined) req.flushHeaders();
    else req.end(body);
  });
}

test('a body larger than a quote needs is refused before it is sent (413)', async () => {
  assert.equal((await post('/api/v1/quotes/contribution', '', '127.0.0.3', 1 << 20)).status, 413);
  assert.equal((await post('/api/v1/quotes/settlement', '', '127.0.0.3', 8 << 20)).status, 413);
  assert.equal((await post('/api/v1/quotes/settlement/year', '', '127.0.0.3', 32 << 20)).status, 413);
});

test(`one address gets ${QUOTES_PER_ADDRESS} quotes at once, then 429 with Retry-After; others and /health go on`, async () => {
  const statuses: number[] = [];
  let retryAfter: string | undefined;
  for (let i = 0; i <= QUOTES_PER_ADDRESS; i++) {
    const r = await post('/api/v1/quotes/contribution', dibao);
    statuses.push(r.status);
    retryAfter = r.retryAfter;
  }
  assert.deepEqual(statuses, [...Array(QUOTES_PER_ADDRESS).fill(200), 429]);
  assert.ok(Number(retryAfter) > 3000, `retry-after ${retryAfter}`);
  assert.equal((await post('/api/v1/quotes/contribution', dibao, '127.0.0.2')).status, 200, 'another address is not held up');
  const h = await fetch(`${base}/health`);
  assert.equal(h.status, 200);
});
