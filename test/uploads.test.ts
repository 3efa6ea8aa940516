/**
 * Issue #11 item 7: bodies are read after the permission check and within the limit. Without a
 * token no upload is read (the 401 comes before the body is even sent), nothing is written to
 * a temporary file, and every temporary file of an upload is gone once its response closes —
 * answered, refused or cut off. On PGlite and on the PostgreSQL server.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../src/http/server.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { AuthService } from '../src/access/auth.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { XLSX_MIME } from '../src/sheets.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { listen, logIn, request } from './support/http.ts';

// the service's temporary files go under a directory of this test alone
const scratch = mkdtempSync(join(tmpdir(), 'yibao-uploads-test-'));
process.env.TMPDIR = scratch;
const leftovers = (): string[] => readdirSync(scratch);

const UPLOAD_ROUTES = ['/api/v1/imports/persons', '/api/v1/imports/statuses', '/api/v1/imports/payments', '/api/v1/imports/employee-insurance', '/api/v1/monitoring/imports/targets', '/api/v1/monitoring/imports/evouchers', '/api/v1/monitoring/imports/payment-files'];

/** Send only the headers (a large Content-Length, no body): the status that comes back, or 'no answer' when the server waits for the body. */
function headersOnly(base: string, path: string, length: number, token?: string, type = 'text/csv'): Promise<number> {
  return new Promise((resolve, reject) => {
    const u = new URL(path, base);
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': type, 'content-length': String(length), ...(token ? { authorization: `Bearer ${token}` } : {}) } });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
    req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e)));
    req.flushHeaders();
  });
}

/** Send part of a body, then cut the connection; resolves when the socket is closed. */
function cutOff(base: string, path: string, token: string): Promise<void> {
  return new Promise((resolve) => {
    const u = new URL(path, base);
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'text/csv', 'content-length': String(10 << 20), authorization: `Bearer ${token}` } });
    req.on('error', () => undefined);
    req.on('close', () => resolve());
    req.write(Buffer.alloc(1 << 20, 0x41), () => req.destroy());
  });
}

after(() => rmSync(scratch, { recursive: true, force: true }));

for (const backend of BACKENDS)
  describe(`uploads on ${backend}`, () => {
    let d: TestDatabase;
    let app: FastifyInstance;
    let base: string;
    let clerk: string;
    before(async () => {
      d = await freshDatabase(backend);
      const auth = new AuthService(d.db);
      await auth.createUser(SYSTEM, { username: 'admin', displayName: '管理员', password: 'upload-admin-pw-1', role: 'admin' });
      await auth.createUser(SYSTEM, { username: 'clerk1', displayName: '村办', password: 'upload-clerk-pw-1', role: 'clerk', villages: ['500230100'] });
      app = await buildServer(QuoteService.load(), { database: d, console: false });
      base = await listen(app);
      clerk = await logIn(base, 'clerk1', 'upload-clerk-pw-1');
    });
    after(async () => {
      await app?.close();
      await d?.drop();
    });

    test('without a token the 401 comes before the body is sent: nothing is read or buffered', async () => {
      for (const path of UPLOAD_ROUTES) {
        assert.equal(await headersOnly(base, path, 200 << 20), 401, path);
        assert.equal(await headersOnly(base, path, 200 << 20, 'not-a-token', XLSX_MIME), 401, path);
      }
      assert.deepEqual(leftovers(), []);
    });

    test('without a token a whole body sent to any route of the registers leaves no file behind', async () => {
      const body = Buffer.alloc(2 << 20, 0x41);
      for (const path of [...UPLOAD_ROUTES, '/api/v1/persons', '/api/v1/areas', '/api/v1/households']) {
        const r = await request(base, 'POST', path, undefined, body, { 'content-type': 'text/csv' });
        assert.equal(r.status, 401, path);
      }
      assert.deepEqual(leftovers(), []);
    });

    test('a declared length beyond the limit is refused before the body is sent, with the right too', async () => {
      const admin = await logIn(base, 'admin', 'upload-admin-pw-1');
      for (const path of UPLOAD_ROUTES) assert.equal(await headersOnly(base, path, 300 << 20, admin), 413, path);
      assert.deepEqual(leftovers(), []);
    });

    test('a file sent to a route that takes JSON is refused (415) and not written anywhere', async () => {
      const r = await request(base, 'POST', '/api/v1/persons', clerk, Buffer.alloc(1 << 20, 0x41), { 'content-type': 'text/csv' });
      assert.equal(r.status, 415);
      assert.deepEqual(leftovers(), []);
    });

    test('an upload answered, refused as bad, or cut off halfway leaves no file behind', async () => {
      const ok = await request(base, 'POST', '/api/v1/imports/persons', clerk, '身份证号,姓名,村(居)代码,人员类别\n', { 'content-type': 'text/csv' });
      assert.equal(ok.status, 200, ok.text);
      const bad = await request(base, 'POST', '/api/v1/imports/persons', clerk, 'PK\u0003\u0004 not really a workbook', { 'content-type': XLSX_MIME });
      assert.equal(bad.status, 400, bad.text);
      await cutOff(base, '/api/v1/imports/statuses', clerk);
      // the server sees the cut connection after the client does: wait for it to close the response
      for (let i = 0; i < 200 && leftovers().length; i++) await new Promise((r) => setTimeout(r, 25));
      assert.deepEqual(leftovers(), []);
    });
  });
