/**
 * Campaign monitoring over HTTP (兴义府发〔2022〕3号 一, 五, 七, 八(三)): village targets (import
 * and read), progress as of any date, the seven groups and their missing persons, 医保电子凭证
 * activations, the half-monthly report (JSON, XLSX, PDF), the rural low-income ledger, 断保 and
 * 漏保; the tax bureau's and banks' payment files, in batches. Reading needs campaign.read,
 * imports campaign.write (payment files payments.write); a clerk reaches only their own
 * villages or townships; lists of persons are masked unless the role may see them, and every
 * list and download is audited.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { dropOuts } from '../../monitoring/drop-outs.js';
import { evoucherRates, importEvouchers, notActivated, notActivatedPage } from '../../monitoring/evouchers.js';
import { halfMonthlyReport } from '../../monitoring/half-monthly.js';
import { ledgerXlsx, listXlsx, lowIncomeLedger } from '../../monitoring/low-income-ledger.js';
import { auditRead } from '../../monitoring/people.js';
import { missingPersons, missingPersonsPage, priorityGroups } from '../../monitoring/priority-groups.js';
import { progress } from '../../monitoring/progress.js';
import { reportPdf, reportXlsx } from '../../monitoring/report-files.js';
import * as S from '../../monitoring/schemas.js';
import { importTargets, villageTargets } from '../../monitoring/targets.js';
import { importPaymentFile } from '../../monitoring/payment-file.js';
import { PAYMENT_CHANNELS } from '../../campaign/payments.js';
import { XLSX_MIME } from '../../sheets.js';
import type { AppContext } from '../context.js';
import { withUploadedFile } from '../uploaded-file.js';
import { parse } from './session.js';
import { type Actor } from '../../access/roles.js';

const areaCode = z.string().regex(/^\d{6}(\d{3}){0,2}$/, 'must be a county (6 digits), township (9) or village (12) code');
const year = z.coerce.number().int().min(2000).max(2100);
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date written YYYY-MM-DD');
const masked = z.enum(['true', 'false']).optional().describe('true: mask ID numbers and names even for roles that may see them');
const areaQuery = z.object({ area: areaCode.optional().describe('default: a clerk’s own area'), year }).strict();
const asOfQuery = z.object({ area: areaCode.optional().describe('default: a clerk’s own area'), year, asOf: date }).strict();
const listQuery = asOfQuery.extend({ masked });
const reportQuery = z.object({ town: areaCode.optional().describe('the township (9 digits) or county'), asOf: date, year: year.optional().describe('default: the year the date collects for (December: the next)') }).strict();
const missingPageQuery = listQuery.extend({
  group: z.string().min(1).max(40).optional().describe('one group of the pack (its id, e.g. dibao); default: all seven'),
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(500).default(20),
});
const pagedQuery = listQuery.extend({ page: z.coerce.number().int().min(1).default(1), pageSize: z.coerce.number().int().min(1).max(500).default(20) });
const dropQuery = listQuery.extend({ kind: z.enum(['lapsed', 'never_enrolled']).default('lapsed').describe('lapsed: 断保 (enrolled last year, not this year); never_enrolled: 漏保') });
const targetImportQuery = z
  .object({ fileName: z.string().min(1).max(200).optional(), year: year.optional().describe('the coverage year of every row, when the sheet has no 年度 column'), town: z.string().regex(/^\d{6}(\d{3})?$/).optional().describe('the township the village names are looked up in') })
  .strict();
const evImportQuery = z.object({ fileName: z.string().min(1).max(200).optional() }).strict();
const paymentFileQuery = z
  .object({
    fileName: z.string().min(1).max(200).optional(),
    channel: z.enum(PAYMENT_CHANNELS).optional().describe('the channel of rows without one (a tax bureau’s file: tax_bureau; a bank’s: offline)'),
    year: year.optional().describe('the coverage year of rows without one; default: the year the payment date collects for'),
  })
  .strict();

const sendFile = (reply: FastifyReply, type: string, name: string, body: Buffer): FastifyReply =>
  reply.header('content-type', type).header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(name)}`).header('cache-control', 'no-store').send(body);

export async function monitoringRoutes(root: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = ctx.database.db;
  const quotes = ctx.quotes;
  const tags = ['monitoring'];
  const read = { permission: 'campaign.read' as const };

  app.get('/api/v1/monitoring/targets', { config: read, schema: { tags, summary: 'Each village’s targets for a coverage year: imported (the town’s breakdown sheet) and derived from the register, side by side', querystring: areaQuery, response: { 200: S.targetsSchema } } }, async (req) => {
    const q = parse(areaQuery, req.query);
    return villageTargets(db, quotes, req.actor!, { area: q.area, year: q.year });
  });

  app.get('/api/v1/monitoring/progress', { config: read, schema: { tags, summary: 'Progress of an area as of a date (from payment dates): target, paid, unpaid, refused, blocked, rates, money, assistance by group, subsidy by level, the half-month series', querystring: asOfQuery, response: { 200: S.progressSchema } } }, async (req) => {
    const q = parse(asOfQuery, req.query);
    return progress(db, quotes, req.actor!, q);
  });

  app.get('/api/v1/monitoring/priority-groups', { config: read, schema: { tags, summary: 'The seven groups (from the pack) per village: persons, enrolled within the window, rate against 100 %', querystring: asOfQuery, response: { 200: S.groupsSchema } } }, async (req) => {
    const q = parse(asOfQuery, req.query);
    return priorityGroups(db, quotes, req.actor!, q);
  });

  const missing = async (q: z.infer<typeof listQuery>, actor: Actor) =>
    missingPersons(db, quotes, actor, { area: q.area, year: q.year, asOf: q.asOf, masked: q.masked === 'true' });
  app.get('/api/v1/monitoring/priority-groups/missing', { config: read, schema: { tags, summary: 'Every person of the seven groups not enrolled within the window, with household, status source and what blocks them (audited; masked unless the role may see them)', querystring: listQuery, response: { 200: S.missingSchema } } }, async (req) => missing(parse(listQuery, req.query), req.actor!));
  app.get('/api/v1/monitoring/priority-groups/missing.xlsx', { config: read, schema: { tags, summary: 'The same list as XLSX', querystring: listQuery } }, async (req, reply) => {
    const m = await missing(parse(listQuery, req.query), req.actor!);
    const body = await listXlsx('七类对象未参保', `${m.area.name}七类对象未参保人员（${m.coverageYear}年度，截至${m.asOf}）`, ['村（社区）', '户号', '姓名', '身份证号', '类别', '困难身份及认定部门', '核定状态', '个人应缴(元)', '未参保原因'],
      m.persons.map((p) => [p.villageName, p.houseNo, p.name, p.idNumber, p.groups.map((g) => g.label).join('、'), p.statuses.map((s) => `${s.label}（${s.sourceLabel}）`).join('、'), p.state, p.dueYuan === null ? null : p.dueYuan.toFixed(2), p.blocker.message]));
    return sendFile(reply, XLSX_MIME, `七类对象未参保-${m.area.code}-${m.asOf}.xlsx`, body);
  });

  app.get('/api/v1/monitoring/priority-groups/missing/paged', { config: read, schema: { tags, summary: 'One page of the same list (same order), optionally of one group, with the total: for the console (audited per page)', querystring: missingPageQuery, response: { 200: S.missingPageSchema } } }, async (req) => {
    const q = parse(missingPageQuery, req.query);
    return missingPersonsPage(db, quotes, req.actor!, { area: q.area, year: q.year, asOf: q.asOf, masked: q.masked === 'true', group: q.group, page: q.page, pageSize: q.pageSize });
  });

  app.get('/api/v1/monitoring/evouchers', { config: read, schema: { tags, summary: '医保电子凭证 activations per village as of a date, against the village’s target', querystring: asOfQuery, response: { 200: S.evouchersSchema } } }, async (req) => {
    const q = parse(asOfQuery, req.query);
    return evoucherRates(db, quotes, req.actor!, q);
  });
  const notAct = (q: z.infer<typeof listQuery>, actor: Actor) => notActivated(db, quotes, actor, { area: q.area, year: q.year, asOf: q.asOf, masked: q.masked === 'true' });
  app.get('/api/v1/monitoring/evouchers/not-activated', { config: read, schema: { tags, summary: 'Residents assessed for the year whose e-voucher is not activated on the date (audited; masked unless the role may see them)', querystring: listQuery, response: { 200: S.notActivatedSchema } } }, async (req) => notAct(parse(listQuery, req.query), req.actor!));
  app.get('/api/v1/monitoring/evouchers/not-activated.xlsx', { config: read, schema: { tags, summary: 'The same list as XLSX', querystring: listQuery } }, async (req, reply) => {
    const m = await notAct(parse(listQuery, req.query), req.actor!);
    const body = await listXlsx('未激活', `${m.area.name}医保电子凭证未激活人员（截至${m.asOf}）`, ['村（社区）', '户号', '姓名', '身份证号', '参保核定状态'], m.persons.map((p) => [p.villageName, p.houseNo, p.name, p.idNumber, p.enrollmentState]));
    return sendFile(reply, XLSX_MIME, `电子凭证未激活-${m.area.code}-${m.asOf}.xlsx`, body);
  });

  app.get('/api/v1/monitoring/evouchers/not-activated/paged', { config: read, schema: { tags, summary: 'One page of the same list (same order), with the total: for the console (audited per page)', querystring: pagedQuery, response: { 200: S.notActivatedPageSchema } } }, async (req) => {
    const q = parse(pagedQuery, req.query);
    return notActivatedPage(db, quotes, req.actor!, { area: q.area, year: q.year, asOf: q.asOf, masked: q.masked === 'true', page: q.page, pageSize: q.pageSize });
  });

  app.get('/api/v1/monitoring/reports/half-monthly', { config: read, schema: { tags, summary: 'The half-monthly report (每半月通报) of a town as of a date: per village target, enrolled, rate, rank, change since the last report, the seven groups, e-vouchers; the town’s totals', querystring: reportQuery, response: { 200: S.halfMonthlySchema } } }, async (req) => {
    const q = parse(reportQuery, req.query);
    return halfMonthlyReport(db, quotes, req.actor!, q);
  });
  for (const format of ['xlsx', 'pdf'] as const)
    app.get(`/api/v1/monitoring/reports/half-monthly.${format}`, { config: read, schema: { tags, summary: `The half-monthly report as ${format.toUpperCase()} (the same figures as the JSON; audited)`, querystring: reportQuery } }, async (req, reply) => {
      const q = parse(reportQuery, req.query);
      const r = await halfMonthlyReport(db, quotes, req.actor!, q);
      const body = format === 'xlsx' ? await reportXlsx(r) : await reportPdf(r);
      await auditRead(db, req.actor!, 'half_monthly_report', { town: r.town.code, coverageYear: r.coverageYear, asOf: r.asOf, format, villages: r.villages.length });
      return sendFile(reply, format === 'xlsx' ? XLSX_MIME : 'application/pdf', `参保通报-${r.town.code}-${r.asOf}.${format}`, body);
    });

  app.get('/api/v1/monitoring/low-income-ledger', { config: read, schema: { tags, summary: '农村低收入人口参保台账: every rural low-income person per village with status, source, enrollment, assistance, benefit start (audited; masked unless the role may see them)', querystring: listQuery, response: { 200: S.ledgerSchema } } }, async (req) => {
    const q = parse(listQuery, req.query);
    return lowIncomeLedger(db, req.actor!, { area: q.area, year: q.year, asOf: q.asOf, masked: q.masked === 'true' });
  });
  app.get('/api/v1/monitoring/low-income-ledger.xlsx', { config: read, schema: { tags, summary: 'The ledger as XLSX (summary per village, then the ledger)', querystring: listQuery } }, async (req, reply) => {
    const q = parse(listQuery, req.query);
    const l = await lowIncomeLedger(db, req.actor!, { area: q.area, year: q.year, asOf: q.asOf, masked: q.masked === 'true' });
    return sendFile(reply, XLSX_MIME, `农村低收入人口参保台账-${l.area.code}-${l.asOf}.xlsx`, await ledgerXlsx(l));
  });

  app.get('/api/v1/monitoring/drop-outs', { config: read, schema: { tags, summary: '断保 (enrolled last year, not this year) or 漏保 (never enrolled), each with the reason the system knows (audited; masked unless the role may see them)', querystring: dropQuery, response: { 200: S.dropOutsSchema } } }, async (req) => {
    const q = parse(dropQuery, req.query);
    return dropOuts(db, req.actor!, { area: q.area, year: q.year, asOf: q.asOf, kind: q.kind, masked: q.masked === 'true' });
  });
  app.get('/api/v1/monitoring/drop-outs.xlsx', { config: read, schema: { tags, summary: 'The same list as XLSX', querystring: dropQuery } }, async (req, reply) => {
    const q = parse(dropQuery, req.query);
    const d = await dropOuts(db, req.actor!, { area: q.area, year: q.year, asOf: q.asOf, kind: q.kind, masked: q.masked === 'true' });
    const body = await listXlsx(q.kind === 'lapsed' ? '断保' : '漏保', `${d.area.name}${q.kind === 'lapsed' ? '断保' : '漏保'}人员（${d.coverageYear}年度，截至${d.asOf}）`, ['村（社区）', '户号', '姓名', '身份证号', '出生日期', '上次参保年度', '核定状态', '原因'],
      d.persons.map((p) => [p.villageName, p.houseNo, p.name, p.idNumber, p.birthDate, p.lastEnrolledYear, p.enrollmentState, p.reason.message]));
    return sendFile(reply, XLSX_MIME, `${q.kind === 'lapsed' ? '断保' : '漏保'}-${d.area.code}-${d.asOf}.xlsx`, body);
  });

  await app.register(async (scope) => {
    // the sheets arrive as the file itself: CSV or XLSX bytes
    scope.addContentTypeParser(['text/csv', 'text/plain', XLSX_MIME, 'application/octet-stream'], { parseAs: 'buffer', bodyLimit: 256 << 20 }, (_req, body, done) => done(null, body));
    const s = scope.withTypeProvider<ZodTypeProvider>();
    // (callers without the right are refused before a body is read: src/http/access.ts)
    s.post('/api/v1/monitoring/imports/targets', { config: { permission: 'campaign.write' }, bodyLimit: 256 << 20, schema: { tags, summary: 'Import a town’s breakdown sheet (CSV or XLSX body): 村(社区) or 区划代码, 应参保人数, 电子凭证激活目标 (年度 or ?year=); bad rows back by line', querystring: targetImportQuery, response: { 200: S.importSummarySchema } } }, async (req) => {
      const q = parse(targetImportQuery, req.query);
      return withUploadedFile(req.body, String(req.headers['content-type'] ?? ''), (path, format) =>
        importTargets(db, req.actor!, { path, format, fileName: q.fileName ?? `targets.${format}`, coverageYear: q.year, town: q.town }));
    });
    s.post('/api/v1/monitoring/imports/evouchers', { config: { permission: 'campaign.write' }, bodyLimit: 256 << 20, schema: { tags, summary: 'Import an e-voucher activation list (CSV or XLSX body): 身份证号, 激活日期, 激活渠道; a person’s earliest activation is kept; bad rows back by line', querystring: evImportQuery, response: { 200: S.importSummarySchema } } }, async (req) => {
      const q = parse(evImportQuery, req.query);
      return withUploadedFile(req.body, String(req.headers['content-type'] ?? ''), (path, format) =>
        importEvouchers(db, req.actor!, { path, format, fileName: q.fileName ?? `evouchers.${format}` }));
    });
    s.post('/api/v1/monitoring/imports/payment-files', { config: { permission: 'payments.write' }, bodyLimit: 256 << 20, schema: { tags, summary: 'Import a tax bureau’s or bank’s payment file in batches (CSV or XLSX body): 流水号, 身份证号, 缴费金额, 缴费日期, 缴费渠道 (or ?channel=), 年度 (or ?year=); each payment re-quoted on its date, idempotent by reference, the whole file in one transaction; bad and refused rows back by line', querystring: paymentFileQuery, response: { 200: S.paymentFileSummarySchema } } }, async (req) => {
      const q = parse(paymentFileQuery, req.query);
      return withUploadedFile(req.body, String(req.headers['content-type'] ?? ''), (path, format) =>
        importPaymentFile(db, quotes, req.actor!, { path, format, fileName: q.fileName ?? `payments.${format}`, channel: q.channel, coverageYear: q.year }));
    });
  });
}
