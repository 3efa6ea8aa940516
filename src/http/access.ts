/**
 * Access on every route: a route under /api/ or /fsi/ must declare either the permission it
 * needs (`config.permission`) or that it is public (`config.public`); the server refuses to
 * start otherwise. The caller's bearer token becomes `request.actor`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthService } from '../access/auth.js';
import { requirePermission, type Actor, type Permission } from '../access/roles.js';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null;
  }
  interface FastifyContextConfig {
    permission?: Permission;
    public?: boolean;
  }
}

export interface RouteAccess {
  method: string;
  url: string;
  permission: Permission | null;
  public: boolean;
}

export function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m ? m[1] : undefined;
}

/** Whether the request announces a body (a length above 0, or chunks). */
export function hasBody(req: FastifyRequest): boolean {
  const n = Number(req.headers['content-length'] ?? 0);
  return n > 0 || req.headers['transfer-encoding'] !== undefined;
}

/** Install before any route is added. Returns the list of routes with their access, for tests. */
export function installAccess(app: FastifyInstance, auth: AuthService | null): RouteAccess[] {
  const routes: RouteAccess[] = [];
  app.decorateRequest('actor', null);
  app.addHook('onRoute', (route) => {
    const cfg = (route.config ?? {}) as { permission?: Permission; public?: boolean };
    const guarded = route.url.startsWith('/api/') || route.url.startsWith('/fsi/');
    if (guarded && !cfg.permission && !cfg.public) throw new Error(`route ${String(route.method)} ${route.url} declares neither a permission nor public access`);
    for (const m of [route.method].flat()) if (m !== 'HEAD') routes.push({ method: m, url: route.url, permission: cfg.permission ?? null, public: !!cfg.public });
    if (cfg.permission) {
      const p = cfg.permission;
      if (route.schema) route.schema = { ...route.schema, security: [{ bearer: [] }] } as typeof route.schema;
      // onRequest: before fastify reads the body (a content-type parser runs after onRequest,
      // before preHandler), so a caller without the right never has an upload read, buffered
      // or written to a temporary file
      const check = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
        try {
          req.actor = auth ? await auth.authenticate(bearer(req)) : null;
          requirePermission(req.actor, p);
        } catch (e) {
          // the body stays unread on the socket: the client must not send its next request on it
          if (hasBody(req)) reply.header('connection', 'close');
          throw e;
        }
      };
      const first = route.onRequest;
      route.onRequest = first ? [check, ...[first].flat()] : [check];
    }
  });
  return routes;
}
