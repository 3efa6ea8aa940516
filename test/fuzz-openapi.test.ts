/**
 * Issue #11: a fuzz over every route of the OpenAPI document (GET /docs/json) that fails on any
 * 5xx — and, on the platform's interface, on "系统内部错误". Seeded fast-check, bounded in count:
 * per backend, each route gets a few requests with odd path parameters, query strings and
 * bodies (the schema's own fields with wrong, huge, NUL or half-character values, or any JSON),
 * with an admin's token, a hospital's token and no token.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import fc from 'fast-check';
import { buildServer } from '../src/http/server.ts';
import { QuoteService } from '../src/quotes/quote-service.ts';
import { AuthService } from '../src/access/auth.ts';
import { SYSTEM } from '../src/access/roles.ts';
import { BACKENDS, freshDatabase, type TestDatabase } from './support/databases.ts';
import { listen, logIn } from './support/http.ts';

/** Requests per route and caller (3 callers): about 70 operations × 3 × 3 ≈ 630 requests a backend. */
const RUNS_PER_ROUTE = 3;
const SEED = 20261202;

interface Op {
  method: string;
  path: string;
  params: string[];
  query: string[];
  body: string[] | null;
}

type JsonSchema = { properties?: Record<string, unknown>; type?: string };

function operations(doc: { paths: Record<string, Record<string, { parameters?: { in: string; name: string }[]; requestBody?: { content?: Record<string, { schema?: JsonSchema }> } }>> }): Op[] {
  const ops: Op[] = [];
  for (const [path, methods] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(methods)) {
      const params = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      for (const m of path.matchAll(/\{(\w+)\}/g)) if (!params.includes(m[1])) params.push(m[1]);
      const query = (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
      const schema = op.requestBody?.content?.['application/json']?.schema;
      ops.push({ method: method.toUpperCase(), path, params, query, body: schema ? Object.keys(schema.properties ?? {}) : method === 'get' || method === 'delete' ? null : [] });
    }
  return ops;
}

const odd = fc.constantFrom('0', '-1', '1', '2022', '99999999999999999999', '9223372036854775808', '1e300', 'NaN', '\u0000', 'a\u0000b', '\ud800', '2022-02-30', '500230198005011234', '', ' ', '%', '../../etc/passwd', 'Patient/1', '=1+1', 'true', '[]', '{}');
const text = fc.oneof(odd, fc.string({ maxLength: 12 }), fc.fullUnicodeString({ maxLength: 6 }), fc.integer().map(String), fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String));
const value: fc.Arbitrary<unknown> = fc.oneof(
  text,
  fc.integer(),
  fc.double(),
  fc.constantFrom(null, true, false, 2 ** 63, -1, 1e300, Number.MAX_SAFE_INTEGER + 2),
  fc.array(text, { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 4 }), text, { maxKeys: 3 }),
);

function request(op: Op): fc.Arbitrary<{ path: string; body: string | undefined; type: string }> {
  const params = fc.tuple(...op.params.map(() => text));
  const query = fc.subarray(op.query).chain((keys) => fc.tuple(fc.constant(keys), fc.tuple(...keys.map(() => text))));
  const body: fc.Arbitrary<string | undefined> =
    op.body === null
      ? fc.constant(undefined)
      : fc.oneof(
          op.body.length ? fc.subarray(op.body).chain((keys) => fc.tuple(...keys.map(() => value)).map((vs) => JSON.stringify(Object.fromEntries(keys.map((k, i) => [k, vs[i]]))))) : fc.constant('{}'),
          fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
          fc.constantFrom('{', '{"a":"\\ud800"}', '{"a":"\\u0000"}', '[]', 'null', '"x"'),
        );
  return fc.record({ params, query, body, type: fc.constantFrom('application/json', 'application/json', 'text/csv') }).map((r) => {
    let path = op.path;
    op.params.forEach((name, i) => (path = path.replace(`{${name}}`, encodeURIComponent(r.params[i] as string) || '0')));
    const [keys, vals] = r.query as [string[], string[]];
    const qs = keys.map((k, i) => `${encodeURIComponent(k)}=${encodeURIComponent(vals[i])}`).join('&');
    return { path: qs ? `${path}?${qs}` : path, body: r.body, type: r.body === undefined ? '' : r.type };
  });
}

for (const backend of BACKENDS)
  describe(`fuzz of the OpenAPI routes on ${backend}`, () => {
    let d: TestDatabase;
    let app: FastifyInstance;
    let base: string;
    const callers: Record<string, string | undefined> = { anonymous: undefined };
    before(async () => {
      d = await freshDatabase(backend);
      const auth = new AuthService(d.db);
      await d.db.insertInto('hospital').values({ code: 'H001', name: '丰都县人民医院', level: 'secondary', region: '500230' }).execute();
      await auth.createUser(SYSTEM, { username: 'admin', displayName: '管理员', password: 'fuzz-admin-pw-1', role: 'admin' });
      const h = await auth.createUser(SYSTEM, { username: 'h001', displayName: '医院', role: 'hospital', hospitalCode: 'H001' });
      app = await buildServer(QuoteService.load(), { database: d, console: false });
      base = await listen(app);
      callers.admin = await logIn(base, 'admin', 'fuzz-admin-pw-1');
      callers.hospital = await auth.issueApiToken(SYSTEM, h, 'fuzz');
    });
    after(async () => {
      await app?.close();
      await d?.drop();
    });

    test('no route answers any request with a 5xx (or the platform with 系统内部错误)', async () => {
      const doc = await (await fetch(`${base}/docs/json`)).json();
      // logging out would end the fuzz's own session
      const ops = operations(doc).filter((o) => !(o.method === 'DELETE' && o.path === '/api/v1/session'));
      assert.ok(ops.length > 40, `only ${ops.length} operations in the OpenAPI document`);
      const failures: string[] = [];
      let sent = 0;
      for (const [who, token] of Object.entries(callers))
        for (const [k, op] of ops.entries())
          await fc.assert(
            fc.asyncProperty(request(op), async (r) => {
              sent += 1;
              const res = await fetch(`${base}${r.path}`, {
                method: op.method,
                headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(r.type ? { 'content-type': r.type } : {}) },
                body: r.body,
              });
              const t = await res.text();
              const internal = res.status >= 500 || (op.path.startsWith('/fsi/') && t.includes('系统内部错误'));
              if (internal) failures.push(`${who} ${op.method} ${r.path} ${r.type} ${r.body?.slice(0, 200)} → ${res.status} ${t.slice(0, 200)}`);
              return !internal;
            }),
            { numRuns: RUNS_PER_ROUTE, seed: SEED + k, endOnFailure: true },
          ).catch(() => undefined);
      assert.deepEqual(failures, []);
      assert.ok(sent >= ops.length * 3, `${sent} requests sent`);
    });
  });
