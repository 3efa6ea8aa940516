/**
 * The tests' HTTP client: the app on a real socket of 127.0.0.1, and requests to it with a
 * bearer token, JSON bodies (or raw text and bytes), and the reply read as JSON when it is JSON.
 */
import type { FastifyInstance } from 'fastify';

/** Listen on a free port of 127.0.0.1; the base URL. */
export async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
}

export interface Reply {
  status: number;
  headers: Headers;
  buf: Buffer;
  text: string;
  /** the body parsed, when the reply's content type is JSON; null otherwise */
  json: any;
}

/** A request: a string, bytes or an ArrayBuffer body is sent as it is, anything else as JSON. */
export async function request(base: string, method: string, path: string, token?: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const raw = typeof body === 'string' || body instanceof Uint8Array || body instanceof ArrayBuffer;
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined && !raw ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : raw ? (body as never) : JSON.stringify(body),
  });
  const buf = Buffer.from(await res.arrayBuffer());
  const text = buf.toString('utf8');
  const json = (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : null;
  return { status: res.status, headers: res.headers, buf, text, json };
}

/** Log in with a password: the session token. */
export async function logIn(base: string, username: string, password: string): Promise<string> {
  const r = await request(base, 'POST', '/api/v1/session', undefined, { username, password });
  if (r.status !== 200) throw new Error(`log-in of ${username}: HTTP ${r.status} ${r.text}`);
  return r.json.token as string;
}
