/** Hospitals (定点医疗机构) and their platform-interface settings: admin sets whether SM3 signatures are required. */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotFoundError } from '../../errors.js';
import { audit } from '../../access/audit.js';
import { gatewayKeys } from '../../access/gateway-keys.js';
import { issueEvoucherToken } from '../../access/evoucher-tokens.js';
import type { AppContext } from '../context.js';
import { plainName } from '../input-guard.js';
import { parse } from './session.js';

const hospitalBody = z.object({ code: z.string().regex(/^[A-Za-z0-9]{1,30}$/), name: plainName(100), level: z.enum(['primary', 'secondary', 'tertiary']), region: z.string().regex(/^\d{6}$/), ownership: z.enum(['public', 'private']).optional() }).strict();
const ownershipBody = z.object({ ownership: z.enum(['public', 'private']) }).strict();
const signingBody = z.object({ signRequired: z.boolean(), rotateKey: z.boolean().default(false) }).strict();

export async function hospitalRoutes(root: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = ctx.database.db;
  app.get('/api/v1/hospitals', { config: { permission: 'settlement.read' }, schema: { tags: ['settlement'], summary: 'Hospitals (a hospital account sees itself)' } }, async (req) => {
    let q = db.selectFrom('hospital').selectAll().orderBy('code');
    if (req.actor!.role === 'hospital') q = q.where('code', '=', req.actor!.hospitalCode!);
    return q.execute();
  });
  app.post('/api/v1/hospitals', { config: { permission: 'users.admin' }, schema: { tags: ['settlement'], summary: 'Register a hospital (admin)', body: hospitalBody } }, async (req, reply) => {
    const b = parse(hospitalBody, req.body);
    await db.transaction().execute(async (tx) => {
      await tx.insertInto('hospital').values(b).execute();
      await audit(tx, req.actor!, 'create', 'hospital', b.code, b);
    });
    reply.code(201);
    return b;
  });
  app.put(
    '/api/v1/hospitals/:code/ownership',
    { config: { permission: 'users.admin' }, schema: { tags: ['settlement'], summary: 'Record whether a hospital is public (公立) or private (民营): 鲁医保发〔2022〕24号 五 counts the public ones (admin)', params: z.object({ code: z.string() }), body: ownershipBody } },
    async (req) => {
      const { code } = parse(z.object({ code: z.string().min(1) }), req.params);
      const b = parse(ownershipBody, req.body);
      return db.transaction().execute(async (tx) => {
        const h = await tx.selectFrom('hospital').select(['code', 'ownership']).where('code', '=', code).executeTakeFirst();
        if (!h) throw new NotFoundError('hospital', code);
        await tx.updateTable('hospital').set({ ownership: b.ownership }).where('code', '=', code).execute();
        await audit(tx, req.actor!, 'update', 'hospital', code, { ownership: { from: h.ownership, to: b.ownership } });
        return { code, ownership: b.ownership };
      });
    },
  );
  app.put(
    '/api/v1/hospitals/:code/fsi-signing',
    {
      config: { permission: 'users.admin' },
      schema: { tags: ['settlement'], summary: 'Require (or not) SM3 signatures on the hospital’s platform messages; rotateKey issues a new shared key, shown once', params: z.object({ code: z.string() }), body: signingBody },
    },
    async (req) => {
      const { code } = parse(z.object({ code: z.string().min(1) }), req.params);
      const b = parse(signingBody, req.body);
      const h = await db.selectFrom('hospital').select('code').where('code', '=', code).executeTakeFirst();
      if (!h) throw new NotFoundError('hospital', code);
      const key = b.rotateKey ? randomBytes(24).toString('base64url') : undefined;
      await db.transaction().execute(async (tx) => {
        await tx
          .insertInto('fsi_hospital')
          .values({ hospital_code: code, sign_required: b.signRequired, sign_key: key ?? null })
          .onConflict((oc) => oc.column('hospital_code').doUpdateSet({ sign_required: b.signRequired, ...(key ? { sign_key: key } : {}) }))
          .execute();
        await audit(tx, req.actor!, 'fsi_signing', 'hospital', code, { signRequired: b.signRequired, keyRotated: !!key });
      });
      const row = await db.selectFrom('fsi_hospital').selectAll().where('hospital_code', '=', code).executeTakeFirstOrThrow();
      return { hospitalCode: code, signRequired: row.sign_required, hasKey: !!row.sign_key, ...(key ? { key } : {}) };
    },
  );
  // the platform gateway's key pairs (issue #16): issued to a hospital account (the secret shown once), listed without secrets, revoked
  const keys = gatewayKeys(db);
  const userParams = z.object({ id: z.string().regex(/^\d+$/) });
  const keyBody = z.object({ label: z.string().min(1).max(100) }).strict();
  app.post(
    '/api/v1/users/:id/fsi-gateway-keys',
    { config: { permission: 'users.admin' }, schema: { tags: ['settlement'], summary: 'Issue a platform-gateway key pair (AK / SK) to a hospital account; the secret is shown once', params: z.object({ id: z.string() }), body: keyBody } },
    async (req, reply) => {
      const { id } = parse(userParams, req.params);
      const { label } = parse(keyBody, req.body);
      const k = await keys.issue(req.actor!, id, label);
      reply.code(201);
      return k;
    },
  );
  app.get('/api/v1/users/:id/fsi-gateway-keys', { config: { permission: 'users.admin' }, schema: { tags: ['settlement'], summary: 'A hospital account’s gateway keys (no secrets)', params: z.object({ id: z.string() }) } }, async (req) => {
    const { id } = parse(userParams, req.params);
    return keys.list(id);
  });
  app.delete('/api/v1/fsi-gateway-keys/:accessKey', { config: { permission: 'users.admin' }, schema: { tags: ['settlement'], summary: 'Revoke a gateway key pair', params: z.object({ accessKey: z.string() }) } }, async (req, reply) => {
    const { accessKey } = parse(z.object({ accessKey: z.string().regex(/^ak[0-9a-f]{24}$/) }), req.params);
    await keys.revoke(req.actor!, accessKey);
    reply.code(204);
  });
  // 医保电子凭证 (issue #16): a short-lived token for a person whose activation the campaign recorded, as the person's app shows it at the counter
  app.post(
    '/api/v1/persons/:id/evoucher-token',
    { config: { permission: 'users.admin' }, schema: { tags: ['settlement'], summary: 'Issue a short-lived e-voucher token (mdtrt_cert_type 01) for an activated person', params: z.object({ id: z.string() }) } },
    async (req, reply) => {
      const { id } = parse(userParams, req.params);
      reply.code(201);
      return issueEvoucherToken(db, req.actor!, id);
    },
  );
}
