/**
 * DRG grouping on the API: POST /api/v1/drg/group with one record (README §2 of the scheme's
 * data) or a batch `{ "records": [...] }`; `explain` (in the body of a batch or as
 * `?explain=true`) adds each step's reason. One record → one result (README §3); a batch → its
 * results in order. A bad record is a 400 naming the field (`records.3.diagnoses` in a batch):
 * nothing is grouped until every record reads. Grouping is pure and stores nothing.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { InputError } from '../../errors.js';
import { loadDrgScheme } from '../../policy/drg-compile.js';
import { groupDrg, groupDrgExplained } from '../../rules/drg/group.js';
import type { DrgRecord } from '../../rules/drg/record.js';
import { parseDrgRecord } from '../../rules/drg/record-input.js';
import { parseBody, positiveFen } from '../../request-input.js';
import { clearYear, prepayMonth } from '../../drg/payment-runs.js';
import { drgMetrics } from '../../drg/metrics.js';
import { requireHospital } from '../../access/roles.js';
import type { AppContext } from '../context.js';

/** The most records one request may carry (a larger file goes through `yibao drg group`). */
export const DRG_BATCH_MAX = 10_000;

const query = z.object({ explain: z.enum(['true', 'false', '1', '0']).optional() }).strict();

/** The records of a body: one record, or a batch; throws InputError naming the field. */
export function drgRequestRecords(body: unknown): { records: DrgRecord[]; batch: boolean; explain: boolean | undefined } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new InputError('(body)', 'must be a JSON object: one DRG record, or { "records": [...] }');
  const o = body as Record<string, unknown>;
  if (!('records' in o)) return { records: [parseDrgRecord(o)], batch: false, explain: undefined };
  for (const k of Object.keys(o)) if (k !== 'records' && k !== 'explain') throw new InputError(k, 'is not a field of a batch (records, explain)');
  if (o.explain !== undefined && typeof o.explain !== 'boolean') throw new InputError('explain', 'must be true or false');
  if (!Array.isArray(o.records)) throw new InputError('records', 'must be an array of DRG records');
  if (o.records.length === 0) throw new InputError('records', 'is empty: send at least one record');
  if (o.records.length > DRG_BATCH_MAX) throw new InputError('records', `has ${o.records.length} records; at most ${DRG_BATCH_MAX} per request (use yibao drg group for files)`);
  const records = o.records.map((r, i) => {
    try {
      return parseDrgRecord(r);
    } catch (e) {
      if (e instanceof InputError) throw new InputError(`records.${i}.${e.field}`.replace(/\.\(record\)$/, ''), e.message.slice(e.field.length + 2));
      throw e;
    }
  });
  return { records, batch: true, explain: o.explain as boolean | undefined };
}

const region = z.string().regex(/^\d{6}$/, { error: 'expected a 6-digit region code' });
const year = z.number({ error: 'expected a year' }).int().min(2000).max(2100);
const prepayBody = z.object({ region, year, month: z.number({ error: 'expected a month 1 to 12' }).int().min(1).max(12) }).strict();
const clearBody = z.object({ region, year, budgetYuan: z.union([z.string(), z.number()]).optional(), memo: z.string().min(1).max(500).optional() }).strict();
const runsQuery = z.object({ region: region.optional(), year: z.coerce.number().int().min(2000).max(2100).optional() }).strict();
const metricsQuery = z.object({ region, year: z.coerce.number({ error: 'expected a year' }).int().min(2000).max(2100) }).strict();
const casesQuery = z
  .object({ hospital: z.string().min(1).optional(), year: z.coerce.number().int().min(2000).max(2100).optional(), drg: z.string().min(1).optional(), limit: z.coerce.number().int().min(1).max(1000).default(100), offset: z.coerce.number().int().min(0).default(0) })
  .strict();

function parseQuery<S extends z.ZodTypeAny>(schema: S, q: unknown): z.infer<S> {
  const r = schema.safeParse(q ?? {});
  if (!r.success) {
    const i = r.error.issues[0];
    throw new InputError(String(i.path[0] ?? (i as { keys?: string[] }).keys?.[0] ?? '(query)'), i.message);
  }
  return r.data;
}

export async function drgRoutes(root: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = ctx.database.db;
  app.post(
    '/api/v1/drg/prepayments',
    { config: { permission: 'ledger.write' }, schema: { tags: ['ledger'], summary: 'The monthly DRG pre-payment of an area: every grouped stay discharged by the month’s end, its DRG amount − its item-based cost posted per hospital (admin; once per month)', body: z.unknown() } },
    async (req, reply) => {
      const b = parseBody(prepayBody, req.body);
      const r = await prepayMonth(db, req.actor!, b.region, b.year, b.month);
      reply.code(201);
      return r;
    },
  );
  app.post(
    '/api/v1/drg/clearings',
    { config: { permission: 'ledger.write' }, schema: { tags: ['ledger'], summary: 'The annual DRG clearing of an area against the budget (the pack’s, or budgetYuan): point value = budget / points; final − pre-paid posted per hospital (admin; once)', body: z.unknown() } },
    async (req, reply) => {
      const b = parseBody(clearBody, req.body);
      const budgetFen = b.budgetYuan === undefined ? undefined : positiveFen('budgetYuan', b.budgetYuan, 1e12);
      const r = await clearYear(db, req.actor!, b.region, b.year, { ...(budgetFen === undefined ? {} : { budgetFen }), ...(b.memo ? { memo: b.memo } : {}) });
      reply.code(201);
      return r;
    },
  );
  app.get('/api/v1/drg/runs', { config: { permission: 'ledger.read' }, schema: { tags: ['ledger'], summary: 'DRG payment runs (monthly pre-payments, annual clearings)' } }, async (req) => {
    const q = parseQuery(runsQuery, req.query);
    let sel = db.selectFrom('drg_payment_run').select(['id', 'region', 'coverage_year', 'kind', 'month', 'pack', 'method', 'budget_fen', 'memo', 'at', 'by_user']).orderBy('id');
    if (q.region) sel = sel.where('region', '=', q.region);
    if (q.year) sel = sel.where('coverage_year', '=', q.year);
    return (await sel.execute()).map((r) => ({ ...r, id: String(r.id), budget_fen: r.budget_fen === null ? null : Number(r.budget_fen) }));
  });
  app.get(
    '/api/v1/drg/metrics',
    { config: { permission: 'ledger.read' }, schema: { tags: ['ledger'], summary: 'What the notices measure of payment by group for an area and year: the share of inpatient fund spending paid by DRG/DIP, the share of secondary-and-above public hospitals paid by DRG/DIP, each target with its quote; per hospital cases, CMI, 结余/超支, cost and days per weight' } },
    async (req) => {
      const q = parseQuery(metricsQuery, req.query);
      return drgMetrics(db, q.region, q.year);
    },
  );
  app.get('/api/v1/drg/cases', { config: { permission: 'settlement.read' }, schema: { tags: ['settlement'], summary: 'Grouped inpatient stays with what each run paid for them (a hospital sees its own)' } }, async (req) => {
    const q = parseQuery(casesQuery, req.query);
    const actor = req.actor!;
    const hospital = actor.role === 'hospital' ? actor.hospitalCode! : q.hospital;
    if (q.hospital) requireHospital(actor, q.hospital);
    let sel = db
      .selectFrom('drg_case as c')
      .select(['c.encounter_id', 'c.settlement_id', 'c.hospital_code', 'c.coverage_year', 'c.discharge_date', 'c.status', 'c.mdc', 'c.adrg', 'c.drg', 'c.source', 'c.grouped_at'])
      .orderBy('c.encounter_id')
      .limit(q.limit)
      .offset(q.offset);
    if (hospital) sel = sel.where('c.hospital_code', '=', hospital);
    if (q.year) sel = sel.where('c.coverage_year', '=', q.year);
    if (q.drg) sel = sel.where('c.drg', '=', q.drg);
    const cases = await sel.execute();
    const ids = cases.map((c) => c.encounter_id);
    const pays = ids.length
      ? await db
          .selectFrom('drg_case_payment as p')
          .innerJoin('drg_payment_run as r', 'r.id', 'p.run_id')
          .select(['p.encounter_id', 'p.run_id', 'r.kind', 'r.month', 'p.category', 'p.points_e2', 'p.cost_fen', 'p.payment_fen', 'p.adjustment_fen', 'p.steps'])
          .where('p.encounter_id', 'in', ids)
          .orderBy('p.run_id')
          .execute()
      : [];
    return cases.map((c) => ({
      ...c,
      encounter_id: String(c.encounter_id),
      settlement_id: String(c.settlement_id),
      payments: pays
        .filter((p) => String(p.encounter_id) === String(c.encounter_id))
        .map((p) => ({ runId: String(p.run_id), kind: p.kind, month: p.month, category: p.category, points: (Number(p.points_e2) / 100).toFixed(2), costFen: Number(p.cost_fen), paymentFen: Number(p.payment_fen), adjustmentFen: Number(p.adjustment_fen), steps: p.steps })),
    }));
  });

  app.post(
    '/api/v1/drg/group',
    {
      config: { permission: 'settlement.read' },
      schema: {
        tags: ['settlement'],
        summary: 'Group discharge records by CHS-DRG 1.1: one record, or { records: [...] } (at most 10 000); ?explain=true adds the reason of each step',
        body: z.unknown(),
      },
    },
    async (req) => {
      const q = query.safeParse(req.query ?? {});
      if (!q.success) throw new InputError(String(q.error.issues[0].path[0] ?? 'explain'), 'explain is true or false');
      const { records, batch, explain: bodyExplain } = drgRequestRecords(req.body);
      const explain = bodyExplain ?? (q.data.explain === 'true' || q.data.explain === '1');
      const s = loadDrgScheme();
      const one = (r: DrgRecord) => (explain ? groupDrgExplained(s, r) : groupDrg(s, r));
      if (!batch) return one(records[0]);
      return { scheme: `${s.name} ${s.version}`, results: records.map(one) };
    },
  );
}
