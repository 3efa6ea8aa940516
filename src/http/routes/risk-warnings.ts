/**
 * High-burden warnings and needy-but-not-covered over HTTP (issue #18 items 1, 3 and 6;
 * 兴义府发〔2022〕3号 五, 医保发〔2022〕20号 三): the warnings per village, paged (a clerk sees only
 * their villages'; naming an area outside them is refused), one warning down to the person's
 * settled encounters of its period, the batch scan of an area and year (catching up what a
 * settlement's follow-up missed), and the 应保尽保、应资尽资 gaps with their reasons, paged.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotFoundError } from '../../errors.js';
import { fenToYuan } from '../../money.js';
import { scanBurden } from '../../risk/burden-scan.js';
import { coverageGaps } from '../../risk/coverage-gaps.js';
import { requireArea, villageScope } from '../../risk/scope.js';
import { BASIS_LABELS } from '../../rules/risk/burden.js';
import { listWarnings } from '../../risk/warnings.js';
import type { AppContext } from '../context.js';
import { parse } from './session.js';

const year = z.coerce.number().int().min(2000).max(2100);
const area = z.string().regex(/^\d{6}(\d{3}(\d{3})?)?$/, 'must be a county (6 digits), township (9) or village (12) code');
const offset = z.coerce.number().int().min(0).max(10_000_000).default(0);
const limit = z.coerce.number().int().min(1).max(500).default(50);
const warningsQuery = z.object({ year: year.optional(), basis: z.enum(['coverage_year', 'rolling_12_months']).optional(), village: area.optional(), offset, limit }).strict();
const gapsQuery = z.object({ year, village: area.optional(), offset, limit }).strict();
const id = z.object({ id: z.string().regex(/^\d{1,18}$/, 'must be a warning id') }).strict();
const scanBody = z.object({ area: area.describe('the county, township or village whose residents are scanned'), year: z.number().int().min(2000).max(2100) }).strict();

export async function riskWarningRoutes(root: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = ctx.database.db;
  const tags = ['risk'];
  const read = { permission: 'risk.read' as const };

  app.get('/api/v1/risk/warnings', { config: read, schema: { tags, summary: '高额费用负担预警：按村列出（年度 / 滚动12个月），负担、预警线、身份、依据；分页（村级经办只见本村）', querystring: warningsQuery } }, async (req) => {
    const q = parse(warningsQuery, req.query);
    requireArea(req.actor!, q.village);
    const r = await listWarnings(db, req.actor!, q);
    // the bases by name, for the page's filter (the rule's words, not a copy in the console)
    return { ...r, bases: Object.entries(BASIS_LABELS).map(([code, label]) => ({ code, label })), offset: q.offset, limit: q.limit };
  });

  app.get('/api/v1/risk/warnings/:id', { config: read, schema: { tags, summary: '一条预警：参保人（脱敏）、负担与预警线的计算依据、预警期间内的已结算就诊', params: id } }, async (req) => {
    const p = parse(id, req.params);
    const found = await listWarnings(db, req.actor!, { id: p.id, limit: 1 });
    const w = found.villages[0]?.warnings[0];
    if (!w) throw new NotFoundError('warning', p.id);
    const scope = villageScope(req.actor!, 'p.village_code');
    const rows = await db
      .selectFrom('settlement as s')
      .innerJoin('encounter as e', 'e.id', 's.encounter_id')
      .innerJoin('person as p', 'p.id', 's.person_id')
      .select(['s.id', 's.encounter_id', 's.hospital_code', 'e.type', 'e.date', 's.total_fen', 's.basic_fund_fen', 's.critical_illness_fen', 's.medical_assistance_fen', 's.cash_fen'])
      .where('s.person_id', '=', w.personId)
      .where('s.reversed_at', 'is', null)
      .where('e.date', '>=', w.periodFrom)
      .where('e.date', '<=', w.periodTo)
      .$if(!!scope, (b) => b.where(scope!))
      .orderBy('e.date')
      .orderBy('s.id')
      .limit(500)
      .execute();
    return {
      warning: w,
      encounters: rows.map((s) => ({
        settlementId: s.id,
        encounterId: s.encounter_id,
        hospitalCode: s.hospital_code,
        type: s.type,
        date: String(s.date).slice(0, 10),
        total: fenToYuan(Number(s.total_fen)),
        basicFund: fenToYuan(Number(s.basic_fund_fen)),
        criticalIllness: fenToYuan(Number(s.critical_illness_fen)),
        medicalAssistance: fenToYuan(Number(s.medical_assistance_fen)),
        cash: fenToYuan(Number(s.cash_fen)),
      })),
    };
  });

  app.post('/api/v1/risk/burden-scans', { config: { permission: 'risk.screen' }, schema: { tags, summary: '高额费用负担批量扫描：一个地区（县/镇/村）一个年度的参保人，补上结算后即时预警漏掉的（已有的不重复写入），留审计记录', body: scanBody } }, async (req) => {
    const b = parse(scanBody, req.body);
    return scanBurden(db, ctx.quotes.lib, req.actor!, b);
  });

  app.get('/api/v1/risk/coverage-gaps', { config: read, schema: { tags, summary: '应保尽保、应资尽资：有困难身份而未参保或未获资助者及原因（脱敏），分页（村级经办只见本村）', querystring: gapsQuery } }, async (req) => {
    const q = parse(gapsQuery, req.query);
    requireArea(req.actor!, q.village);
    const r = await coverageGaps(db, ctx.quotes.lib, req.actor!, q.year, q.village);
    return { year: r.year, byReason: r.byReason, total: r.gaps.length, offset: q.offset, limit: q.limit, gaps: r.gaps.slice(q.offset, q.offset + q.limit) };
  });
}
