/**
 * Cross-area settlement (异地就医直接结算, issue #20) over HTTP, on an area started with
 * `yibao serve --area --nats`: filings (异地就医备案: file a person of this area for another area,
 * list, withdraw as a record of its own — areas.filing, a clerk for their villages' persons) and
 * the monthly clearing (清算: this area's statement, compared with the insured area's, posted in
 * both ledgers — areas.clearing). Every change is audited; lists mask ID numbers and names.
 * A service not linked to other areas answers 409 NOT_LINKED; the other area not answering, 409
 * AREA_UNREACHABLE (nothing posted).
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ConflictError } from '../../errors.js';
import { AreaUnreachableError } from '../../areas/link.js';
import type { AreaService } from '../../areas/area-service.js';
import type { AppContext } from '../context.js';
import { parse } from './session.js';

const admdvs = z.string().regex(/^\d{6}$/, 'must be a 6-digit admdvs');
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD');
const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month YYYY-MM');
const fileBody = z
  .object({
    idNumber: z.string().regex(/^\d{17}[\dXx]$/, 'must be an 18-character resident ID number'),
    treatArea: admdvs.describe('the area where the person will be treated'),
    kind: z.enum(['outpatient', 'inpatient', 'all']).default('all'),
    validFrom: day,
    validTo: day.nullable().optional(),
    reason: z.string().trim().min(1).max(500).optional(),
  })
  .strict();
const withdrawBody = z.object({ date: day.describe('the filing ends from this day on'), reason: z.string().trim().min(1).max(500) }).strict();
const filingId = z.object({ id: z.string().regex(/^B[AW][0-9A-F]{22}$/, 'must be a filing id') }).strict();
const listQuery = z.object({ idNumber: z.string().regex(/^\d{17}[\dXx]$/, 'must be an 18-character resident ID number').optional(), treatArea: admdvs.optional(), insuredArea: admdvs.optional(), limit: z.coerce.number().int().min(1).max(500).default(200) }).strict();
const statementQuery = z.object({ side: z.enum(['treating', 'insured']).default('treating'), other: admdvs.describe('the insured area (side=treating) or the treating area (side=insured)'), month }).strict();
const compareQuery = z.object({ insuredArea: admdvs, month }).strict();
const postBody = z.object({ insuredArea: admdvs, month }).strict();
const clearingsQuery = z.object({ month: month.optional(), limit: z.coerce.number().int().min(1).max(500).default(200) }).strict();

export async function areasRoutes(root: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const tags = ['areas'];
  const linked = async <T>(f: (a: AreaService) => Promise<T>): Promise<T> => {
    if (!ctx.areas) throw new ConflictError('NOT_LINKED', 'this service is not linked to other areas (start it with yibao serve --area <admdvs> --nats <servers>)');
    try {
      return await f(ctx.areas);
    } catch (e) {
      if (e instanceof AreaUnreachableError) throw new ConflictError('AREA_UNREACHABLE', `统筹区 ${e.area} 暂时无法访问（${e.why}），未记账；请稍后重试`);
      throw e;
    }
  };

  app.post('/api/v1/cross-area/filings', { config: { permission: 'areas.filing' }, schema: { tags, summary: '异地就医备案：为本统筹区参保人办理到另一统筹区就医的备案（发送至就医地）', body: fileBody } }, async (req) => {
    const b = parse(fileBody, req.body);
    return linked((a) => a.filings.file(req.actor!, b));
  });

  app.get('/api/v1/cross-area/filings', { config: { permission: 'areas.read' }, schema: { tags, summary: '异地就医备案列表（含撤销记录；证件号码、姓名脱敏）', querystring: listQuery } }, async (req) => {
    const q = parse(listQuery, req.query);
    return linked((a) => a.filings.list(req.actor!, q));
  });

  app.post('/api/v1/cross-area/filings/:id/withdrawal', { config: { permission: 'areas.filing' }, schema: { tags, summary: '撤销异地就医备案：另立一条撤销记录，自指定日期起不再按备案结算（发送至就医地）', params: filingId, body: withdrawBody } }, async (req) => {
    const p = parse(filingId, req.params);
    const b = parse(withdrawBody, req.body);
    return linked((a) => a.filings.withdraw(req.actor!, p.id, b));
  });

  app.get('/api/v1/cross-area/clearing/statement', { config: { permission: 'areas.clearing' }, schema: { tags, summary: '本统筹区某月的异地就医清算对账单（作为就医地或参保地；金额由数据库汇总，单位分）', querystring: statementQuery } }, async (req) => {
    const q = parse(statementQuery, req.query);
    return linked((a) => a.clearing.statement(q.side, q.other, q.month));
  });

  app.get('/api/v1/cross-area/clearing/comparison', { config: { permission: 'areas.clearing' }, schema: { tags, summary: '就医地对账单与参保地对账单逐笔比对（参保地经消息引擎应答）', querystring: compareQuery } }, async (req) => {
    const q = parse(compareQuery, req.query);
    return linked((a) => a.clearing.compare(q.insuredArea, q.month));
  });

  app.post('/api/v1/cross-area/clearings', { config: { permission: 'areas.clearing' }, schema: { tags, summary: '过账某月清算：两地对账单一致（到分）时，参保地记应付就医地、本地记应收参保地/应付定点医疗机构（各一次）', body: postBody } }, async (req) => {
    const b = parse(postBody, req.body);
    return linked((a) => a.clear(b.insuredArea, b.month, req.actor!));
  });

  app.get('/api/v1/cross-area/clearings', { config: { permission: 'areas.clearing' }, schema: { tags, summary: '已过账的异地就医清算（本地作为就医地或参保地）', querystring: clearingsQuery } }, async (req) => {
    const q = parse(clearingsQuery, req.query);
    return linked((a) => a.clearing.list(q));
  });
}
