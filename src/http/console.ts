/**
 * The web console at /: the built single-page application (web/dist) with a fallback to its
 * index.html for the console's own paths (/persons/123 …). The fallback never answers for the
 * API, the platform interface, FHIR, the OpenAPI page or /health: an unknown path there is the
 * API's JSON 404. The console's responses carry a strict Content-Security-Policy.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';
import { CONSOLE_DIST } from './console-build.js';
import { setNotFoundFallback } from './errors.js';

/** What the console needs and nothing more: its own scripts, styles and API; no inline code, no eval. */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Paths that belong to the server, never to the console. */
export const SERVER_PREFIXES = ['/api/', '/fsi/', '/fhir/', '/docs', '/health'];

export const isServerPath = (url: string): boolean => {
  const path = url.split('?')[0];
  return SERVER_PREFIXES.some((p) => path === p.replace(/\/$/, '') || path.startsWith(p.endsWith('/') ? p : `${p}/`) || path === p);
};

function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    .header('x-frame-options', 'DENY');
}

/** Serve the console when it is built; otherwise / points to the OpenAPI page and says why. */
export async function installConsole(app: FastifyInstance, dist = CONSOLE_DIST): Promise<boolean> {
  const built = existsSync(join(dist, 'index.html'));
  if (!built) {
    app.get('/', { schema: { hide: true } }, (_req, reply) => reply.redirect('/docs'));
    return false;
  }
  await app.register(fastifyStatic, {
    root: dist,
    prefix: '/',
    wildcard: false,
    index: false,
    serve: true,
    setHeaders: (res, path) => {
      res.header('content-security-policy', CONSOLE_CSP);
      res.header('x-content-type-options', 'nosniff');
      res.header('cache-control', path.includes(`${join(dist, 'assets')}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  const index = (reply: FastifyReply) => secure(reply).header('cache-control', 'no-cache').type('text/html; charset=utf-8').sendFile('index.html');
  app.get('/', { schema: { hide: true } }, (_req, reply) => index(reply));
  // the console's client routes: any other GET that no route answers, except the server's own
  // paths (/api, /fsi, /fhir, /docs, /health: their 404s stay theirs) and missing files
  setNotFoundFallback(app, (req, reply) => {
    const path = req.url.split('?')[0];
    if ((req.method !== 'GET' && req.method !== 'HEAD') || isServerPath(path) || /\.[a-z0-9]{1,8}$/i.test(path)) return null;
    return index(reply);
  });
  return true;
}
