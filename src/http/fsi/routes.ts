/**
 * The national platform's entry points: POST /fsi/api/rsfComIfsService/callService and
 * /callService/<infno> (the infno in the path must be the body's). Anything else under the
 * platform's prefix /fsi/ (another path, another method) is an envelope error too, not a 404 page.
 *
 * Declared public to the access hook because every failure, including a missing or wrong
 * credential, must be a reply with infcode -1 (not HTTP 401/403): the handler authenticates
 * the caller itself — the platform gateway's headers (§4.5 _api_* or the national x-tif-*,
 * src/access/gateway-keys.ts) or else the bearer token (an API token of a hospital account) —
 * and FsiService refuses anything else, and an envelope whose fixmedins_code is not the
 * caller's hospital. The body is read as text (any content type: JSON, text/plain) and parsed
 * here, so malformed JSON is a reply too.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayRefusal, gatewayKeys } from '../../access/gateway-keys.js';
import type { Actor } from '../../access/roles.js';
import { DATABASE_UNAVAILABLE, FsiService, replyOf } from '../../hospitals/fsi/fsi-service.js';
import { isConnectionError } from '../../store/pg-errors.js';
import { bearer } from '../access.js';
import { badText } from '../input-guard.js';
import type { AppContext } from '../context.js';

export const FSI_PREFIX = '/fsi/api/rsfComIfsService';
export const FSI_PATH = `${FSI_PREFIX}/callService`;

export async function fsiRoutes(root: FastifyInstance, ctx: AppContext): Promise<void> {
  const svc = new FsiService(ctx.database, ctx.quotes, ctx.settlements, ctx.away, ctx.lookupLimit);
  const gateway = gatewayKeys(ctx.database.db);
  await root.register(async (app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 1024 * 1024 }, (_req, body, done) => done(null, body));
    app.setErrorHandler((err, req, reply) => {
      req.log.warn({ err }, 'fsi request failed before the handler');
      const tooLarge = (err as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE';
      return reply.code(200).send(replyOf(new Date(), '', false, null, tooLarge ? '报文过大' : '报文无法读取'));
    });

    const handle = async (req: FastifyRequest, reply: FastifyReply, pathInfno: string | null) => {
      const received = new Date();
      const text = typeof req.body === 'string' ? req.body.replace(/^\uFEFF/, '') : '';
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return replyOf(received, '', false, null, '报文不是合法的 JSON');
      }
      // a NUL or half a character in any field (msgid, sign_no, …): refused naming the field
      const bad = badText(body);
      if (bad) return replyOf(received, '', false, null, `输入参数有误（${bad.field}）：含有不允许的字符（空字符或不完整的字符）`);
      let actor: Actor | null = null;
      let apiName: string | null = null;
      try {
        const g = await gateway.authenticate(req.headers, received.getTime());
        if (g) ({ actor, apiName } = g);
        else actor = await ctx.auth.authenticate(bearer(req));
      } catch (e) {
        if (e instanceof GatewayRefusal) return replyOf(received, '', false, null, e.message);
        if (isConnectionError(e)) return replyOf(received, '', false, null, DATABASE_UNAVAILABLE);
        req.log.warn({ err: e }, 'fsi authentication failed');
        actor = null;
      }
      const answer = await svc.call(body, actor, received, { pathInfno, apiName });
      // 9102 文件下载: the file itself (a ZIP) once the message is answered; a refusal stays an envelope
      if (answer.infcode === 0 && String((body as { infno?: unknown })?.infno ?? '') === '9102') {
        const file = await svc.downloadFile(answer, actor!.hospitalCode!).catch(() => null);
        if (file) return reply.type('application/zip').header('content-disposition', `attachment; filename="${file.name}"`).send(file.zip);
      }
      return answer;
    };
    const summary = 'The platform interface: envelope {infno, msgid, …, input} → {infcode, inf_refmsgid, …, output}; failures are infcode -1';
    app.post(FSI_PATH, { config: { public: true }, schema: { tags: ['fsi'], summary } }, (req, reply) => handle(req, reply, null));
    app.post(`${FSI_PATH}/:infno`, { config: { public: true }, schema: { tags: ['fsi'], summary: `${summary}; the path's infno must be the body's` } }, (req, reply) => handle(req, reply, String((req.params as { infno: string }).infno)));
    app.all('/fsi/*', { config: { public: true }, schema: { hide: true } }, async (req) => replyOf(new Date(), '', false, null, `不支持的服务地址 ${req.method} ${req.url.split('?')[0].slice(0, 100)}，请使用 POST ${FSI_PATH}`));
  });
}
