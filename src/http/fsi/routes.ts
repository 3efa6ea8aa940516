/**
 * POST /fsi/api/rsfComIfsService/callService — the national platform's single entry point.
 * Declared public to the access hook because every failure, including a missing or wrong
 * token, must be a reply with infcode -1 (not HTTP 401/403): the handler itself authenticates
 * the bearer token (an API token of an app_user with role hospital) and FsiService refuses
 * anything else, and an envelope whose fixmedins_code is not the token's hospital.
 * The body is read as text and parsed here, so malformed JSON is a reply too.
 */
import type { FastifyInstance } from 'fastify';
import { DATABASE_UNAVAILABLE, FsiService, replyOf } from '../../hospitals/fsi/fsi-service.js';
import { isConnectionError } from '../../store/pg-errors.js';
import { bearer } from '../access.js';
import type { AppContext } from '../context.js';

export const FSI_PATH = '/fsi/api/rsfComIfsService/callService';

export async function fsiRoutes(root: FastifyInstance, ctx: AppContext): Promise<void> {
  const svc = new FsiService(ctx.database, ctx.quotes, ctx.settlements, ctx.away);
  await root.register(async (app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 1024 * 1024 }, (_req, body, done) => done(null, body));
    app.setErrorHandler((err, req, reply) => {
      req.log.warn({ err }, 'fsi request failed before the handler');
      const tooLarge = (err as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE';
      return reply.code(200).send(replyOf(new Date(), '', false, null, tooLarge ? '报文过大' : '报文无法读取'));
    });
    app.post(FSI_PATH, { config: { public: true }, schema: { tags: ['fsi'], summary: 'The platform interface: envelope {infno, msgid, …, input} → {infcode, inf_refmsgid, …, output}; failures are infcode -1' } }, async (req) => {
      const received = new Date();
      const text = typeof req.body === 'string' ? req.body : '';
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return replyOf(received, '', false, null, '报文不是合法的 JSON');
      }
      let actor = null;
      try {
        actor = await ctx.auth.authenticate(bearer(req));
      } catch (e) {
        if (isConnectionError(e)) return replyOf(received, '', false, null, DATABASE_UNAVAILABLE);
        actor = null;
      }
      return svc.call(body, actor, received);
    });
  });
}
