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

export async function drgRoutes(root: FastifyInstance, _ctx: AppContext): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
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
