/** Log-in, the caller, users and API tokens (admin), and the audit log (admin, auditor). */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { fromZodIssues } from '../../errors.js';
import { permissionsOf, ROLES } from '../../access/roles.js';
import { API_TOKEN_DAYS, API_TOKEN_MAX_DAYS } from '../../access/auth.js';
import { PASSWORD_MAX } from '../../access/passwords.js';
import { TooManyRequestsError, UnauthorizedError } from '../../errors.js';
import { TokenBuckets } from '../../access/rate-limit.js';
import type { AppContext } from '../context.js';
import { plainName } from '../input-guard.js';
import { bearer } from '../access.js';

export function parse<T extends z.ZodType>(schema: T, data: unknown, prefix = ''): z.infer<T> {
  const r = schema.safeParse(data ?? {});
  if (!r.success) throw fromZodIssues(r.error.issues, prefix);
  return r.data;
}

const loginBody = z.object({ username: z.string().min(1).max(80), password: z.string().min(1).max(PASSWORD_MAX) }).strict();
const tokenBody = z.object({ label: z.string().min(1).max(100), days: z.number().int().min(1).max(API_TOKEN_MAX_DAYS).optional().describe(`how long the token is valid (default ${API_TOKEN_DAYS} days)`) }).strict();
const userBody = z
  .object({
    username: z.string(),
    displayName: plainName(60),
    password: z.string().optional(),
    role: z.enum(ROLES),
    villages: z.array(z.string().regex(/^\d{6,12}$/)).optional(),
    hospitalCode: z.string().optional(),
  })
  .strict();
const userParams = z.object({ id: z.string().regex(/^\d{1,18}$/, 'is not a user id') });
const auditQuery = z
  .object({
    after: z.coerce.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).default(0).describe('paging, oldest first: the last id of the previous page'),
    before: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional().describe('paging, newest first: the last id of the previous page (gives the newest first)'),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    entity: z.string().optional(),
    actor: z.string().max(80).optional().describe('the user name'),
    action: z.string().max(60).optional(),
    newestFirst: z.enum(['true', 'false']).optional(),
  })
  .strict();

export async function sessionRoutes(root: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  // failed log-ins allowed: 20 from one address, then one every 30 s; 10 for one account name,
  // then one a minute (example settings, not policy); the account itself locks after
  // LOCK_AFTER_FAILURES in a row (src/access/auth.ts)
  const failedFrom = new TokenBuckets({ capacity: 20, perSecond: 1 / 30 });
  const failedAs = new TokenBuckets({ capacity: 10, perSecond: 1 / 60 });
  app.post(
    '/api/v1/session',
    { config: { public: true }, schema: { tags: ['session'], summary: 'Log in with user name and password; returns a bearer token', body: loginBody } },
    async (req) => {
      const b = parse(loginBody, req.body);
      // failed log-ins are limited per address and per account name before any password is checked
      const wait = Math.max(failedFrom.waitFor(req.ip), failedAs.waitFor(b.username));
      if (wait) throw new TooManyRequestsError(wait, `too many failed log-ins; try again in ${wait} s`);
      let s: Awaited<ReturnType<typeof ctx.auth.login>>;
      try {
        s = await ctx.auth.login(b.username, b.password, 12, req.ip);
      } catch (e) {
        if (e instanceof UnauthorizedError) {
          failedFrom.take(req.ip);
          failedAs.take(b.username);
        }
        throw e;
      }
      return { token: s.token, expiresAt: s.expiresAt.toISOString(), user: { username: s.actor.username, role: s.actor.role, villages: s.actor.villages, hospitalCode: s.actor.hospitalCode, permissions: permissionsOf(s.actor.role) } };
    },
  );
  app.delete('/api/v1/session', { config: { permission: 'session' }, schema: { tags: ['session'], summary: 'Log out (revoke this token)' } }, async (req) => {
    await ctx.auth.revoke(req.actor!, bearer(req)!);
    return { ok: true };
  });
  app.get('/api/v1/me', { config: { permission: 'session' }, schema: { tags: ['session'], summary: 'Who I am and what I may touch' } }, (req) => ({ ...req.actor!, permissions: permissionsOf(req.actor!.role) }));
  app.post('/api/v1/users', { config: { permission: 'users.admin' }, schema: { tags: ['session'], summary: 'Create a user (admin)', body: userBody } }, async (req, reply) => {
    const b = parse(userBody, req.body);
    const id = await ctx.auth.createUser(req.actor!, b);
    reply.code(201);
    return { id };
  });
  app.post(
    '/api/v1/users/:id/tokens',
    { config: { permission: 'users.admin' }, schema: { tags: ['session'], summary: `Issue an API token for a user (shown once), valid for \`days\` (default ${API_TOKEN_DAYS}, at most ${API_TOKEN_MAX_DAYS})`, params: z.object({ id: z.string() }), body: tokenBody } },
    async (req, reply) => {
      const { id } = parse(userParams, req.params);
      const { label, days } = parse(tokenBody, req.body);
      const t = await ctx.auth.issueApiTokenWithExpiry(req.actor!, id, label, days);
      reply.code(201);
      return { token: t.token, expiresAt: t.expiresAt.toISOString() };
    },
  );
  app.delete(
    '/api/v1/users/:id/tokens',
    { config: { permission: 'users.admin' }, schema: { tags: ['session'], summary: 'Revoke every token of a user (sessions and API tokens), refused from the next request on', params: z.object({ id: z.string() }) } },
    async (req) => {
      const { id } = parse(userParams, req.params);
      return { revoked: await ctx.auth.revokeUserTokens(req.actor!, id) };
    },
  );
  app.get('/api/v1/audit', { config: { permission: 'audit.read' }, schema: { tags: ['session'], summary: 'The audit log, oldest first (or newest first), paged by id; filter by entity, actor, action', querystring: auditQuery } }, async (req) => {
    const q = parse(auditQuery, req.query);
    const desc = q.newestFirst === 'true' || q.before !== undefined;
    let sel = ctx.database.db.selectFrom('audit_log').selectAll().orderBy('id', desc ? 'desc' : 'asc').limit(q.limit);
    if (desc && q.before !== undefined) sel = sel.where('id', '<', String(q.before));
    if (!desc) sel = sel.where('id', '>', String(q.after));
    if (q.entity) sel = sel.where('entity', '=', q.entity);
    if (q.actor) sel = sel.where('actor', '=', q.actor);
    if (q.action) sel = sel.where('action', '=', q.action);
    return sel.execute();
  });
}
