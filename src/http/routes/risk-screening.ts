/**
 * Fraud screening over HTTP (issue #18; 兴义府发〔2022〕3号 六, 医保发〔2022〕20号 七, 鲁医保发〔2022〕24号 八):
 * the hits (paged by id, filtered; a clerk sees only their villages'), one hit down to its
 * settlements and fee lines, moving a case on (open → reviewed → confirmed | dismissed; confirming
 * recovers through the ledger), and a screening run for a coverage year.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CaseService } from '../../risk/cases.js';
import { requireArea } from '../../risk/scope.js';
import { screenFor } from '../../risk/screening.js';
import { SCREEN_CODES } from '../../rules/risk/screen-rules.js';
import type { AppContext } from '../context.js';
import { parse } from './session.js';

const region = z.string().regex(/^\d{6}$/, 'must be a 6-digit region code');
const year = z.coerce.number().int().min(2000).max(2100);
const rule = z.enum(SCREEN_CODES);
const id = z.object({ id: z.string().regex(/^\d{1,18}$/, 'must be a case id') }).strict();
const hitsQuery = z
  .object({
    region: region.describe('the area whose pack names the rules'),
    year: year.optional(),
    rule: rule.optional(),
    state: z.enum(['open', 'reviewed', 'confirmed', 'dismissed']).optional(),
    hospital: z.string().min(1).max(40).optional(),
    village: z.string().regex(/^\d{6}(\d{3}(\d{3})?)?$/, 'must be a county (6 digits), township (9) or village (12) code').optional().describe('the hits about residents of this area (county, township or village)'),
    after: z.string().regex(/^\d{1,18}$/, 'must be a case id').optional().describe('paging: the last id of the previous page'),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();
const oneQuery = z.object({ region }).strict();
const moveBody = z
  .object({
    region,
    to: z.enum(['reviewed', 'confirmed', 'dismissed']),
    note: z.string().min(1).max(500).optional(),
    recover: z.union([z.string().regex(/^\d{1,12}(\.\d{1,2})?$/, 'must be yuan with at most 2 decimals'), z.number().nonnegative()]).optional().describe('confirming: the yuan to recover (default the amount at issue; 0 recovers nothing)'),
  })
  .strict();
const runBody = z.object({ region, year: z.number().int().min(2000).max(2100), codes: z.array(rule).max(10).optional(), allRegions: z.boolean().optional() }).strict();

export async function riskScreeningRoutes(root: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = ctx.database.db;
  const lib = ctx.quotes.lib;
  const tags = ['risk'];
  const cases = (r: string) => new CaseService(db, lib, r);

  app.get('/api/v1/risk/hits', { config: { permission: 'risk.hits.read' }, schema: { tags, summary: '筛查疑点：按规则、状态、医院、地区（县/镇/村）、年度筛选，按编号分页（村级经办只见本村）', querystring: hitsQuery } }, async (req) => {
    const q = parse(hitsQuery, req.query);
    requireArea(req.actor!, q.village);
    return cases(q.region).list(req.actor!, q);
  });

  app.get('/api/v1/risk/hits/:id', { config: { permission: 'risk.hits.read' }, schema: { tags, summary: '一条疑点：规则、解释、政策依据、涉及的结算和费用明细、审核记录', params: id, querystring: oneQuery } }, async (req) => {
    const p = parse(id, req.params);
    const q = parse(oneQuery, req.query);
    return cases(q.region).get(req.actor!, p.id);
  });

  app.post('/api/v1/risk/hits/:id/moves', { config: { permission: 'risk.cases.review' }, schema: { tags, summary: '审核疑点：open → reviewed → confirmed（追回基金，记账）| dismissed', params: id, body: moveBody } }, async (req) => {
    const p = parse(id, req.params);
    const b = parse(moveBody, req.body);
    return cases(b.region).move(req.actor!, p.id, b.to, { note: b.note, recoverYuan: b.recover });
  });

  app.post('/api/v1/risk/screenings', { config: { permission: 'risk.screen' }, schema: { tags, summary: '按年度运行欺诈骗保筛查规则 FR01–FR10（或指定的规则）', body: runBody } }, async (req) => {
    const b = parse(runBody, req.body);
    return screenFor(db, lib, req.actor!, b);
  });
}
