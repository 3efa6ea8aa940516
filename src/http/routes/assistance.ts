/**
 * 依申请救助 over HTTP (issue #18 item 2; 医保发〔2022〕20号 三): apply for a person (assistance.apply:
 * admin, clerk for their villages, medical_assistance), attach documents, decide
 * (assistance.decide: medical_assistance, admin) — an approval pays 医疗救助 through the ledger
 * within the remaining annual limit, the cap and its citation in the answer — the payout of an
 * approved application to the person (assistance.decide), and the referral list for 临时救助 / 慈善救助.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AssistanceApplications } from '../../risk/assistance-applications.js';
import { ENCOUNTER_TYPES } from '../../policy/vocabulary.js';
import type { AppContext } from '../context.js';
import { parse } from './session.js';

const year = z.coerce.number().int().min(2000).max(2100);
const id = z.object({ id: z.string().regex(/^\d{1,18}$/, 'must be an application id') }).strict();
const yuan = z.union([z.string().regex(/^\d{1,12}(\.\d{1,2})?$/, 'must be yuan with at most 2 decimals'), z.number().positive()]);
const document = z.object({ name: z.string().trim().min(1).max(200), reference: z.string().max(500).optional() }).strict();
const applyBody = z
  .object({
    personId: z.string().regex(/^\d{1,18}$/, 'must be a person id'),
    coverageYear: z.number().int().min(2000).max(2100),
    reason: z.string().trim().min(1).max(1000),
    requested: yuan.describe('the documented policy-scope burden (yuan) the person asks assistance on'),
    careType: z.enum(ENCOUNTER_TYPES).optional(),
    warningId: z.string().regex(/^\d{1,18}$/, 'must be a warning id').optional(),
    documents: z.array(document).max(50).optional(),
  })
  .strict();
const documentsBody = z.object({ documents: z.array(document).min(1).max(50) }).strict();
const decideBody = z.object({ approve: z.boolean(), reason: z.string().trim().min(1).max(1000) }).strict();
const payoutBody = z
  .object({
    reference: z.string().trim().min(1).max(100).describe('the payment’s bank reference: the same payment again is a replay'),
    paidOn: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date written YYYY-MM-DD'),
  })
  .strict();
const listQuery = z.object({ year: year.optional(), state: z.enum(['open', 'approved', 'rejected']).optional(), limit: z.coerce.number().int().min(1).max(500).default(200) }).strict();
const referralQuery = z.object({ region: z.string().regex(/^\d{6}$/, 'must be a 6-digit region code'), year }).strict();

export async function assistanceRoutes(root: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const svc = new AssistanceApplications(ctx.database.db, ctx.quotes.lib);
  const tags = ['risk'];

  app.post('/api/v1/assistance/applications', { config: { permission: 'assistance.apply' }, schema: { tags, summary: '依申请救助：为参保人提出医疗救助申请（可来自高额费用预警），附材料', body: applyBody } }, async (req) => {
    const b = parse(applyBody, req.body);
    return svc.apply(req.actor!, b);
  });

  app.get('/api/v1/assistance/applications', { config: { permission: 'assistance.apply' }, schema: { tags, summary: '医疗救助申请列表（村级经办只见本村）', querystring: listQuery } }, async (req) => {
    const q = parse(listQuery, req.query);
    return svc.list(req.actor!, q);
  });

  app.get('/api/v1/assistance/applications/:id', { config: { permission: 'assistance.apply' }, schema: { tags, summary: '一件医疗救助申请：材料、审批、救助金额的计算与政策依据、转介', params: id } }, async (req) => {
    const p = parse(id, req.params);
    return svc.get(req.actor!, p.id);
  });

  app.post('/api/v1/assistance/applications/:id/documents', { config: { permission: 'assistance.apply' }, schema: { tags, summary: '为未审批的申请补充材料', params: id, body: documentsBody } }, async (req) => {
    const p = parse(id, req.params);
    const b = parse(documentsBody, req.body);
    return svc.attach(req.actor!, p.id, b.documents);
  });

  app.post('/api/v1/assistance/applications/:id/decision', { config: { permission: 'assistance.decide' }, schema: { tags, summary: '审批医疗救助申请：批准（按年度救助限额内支付，记账）或不予救助，须写明理由', params: id, body: decideBody } }, async (req) => {
    const p = parse(id, req.params);
    const b = parse(decideBody, req.body);
    return svc.decide(req.actor!, p.id, b);
  });

  app.post('/api/v1/assistance/applications/:id/payout', { config: { permission: 'assistance.decide' }, schema: { tags, summary: '发放已批准的医疗救助：记录付给救助对象的款项（借 应付医疗救助对象款，贷 基金专户银行存款），同一笔重复提交不重复记账', params: id, body: payoutBody } }, async (req) => {
    const p = parse(id, req.params);
    const b = parse(payoutBody, req.body);
    return svc.payOut(req.actor!, p.id, b);
  });

  app.get('/api/v1/assistance/referrals', { config: { permission: 'assistance.apply' }, schema: { tags, summary: '转介名单：经三重制度和依申请救助后负担仍超过标准者（临时救助、慈善救助）', querystring: referralQuery } }, async (req) => {
    const q = parse(referralQuery, req.query);
    return svc.referrals(req.actor!, q.region, q.year);
  });
}
