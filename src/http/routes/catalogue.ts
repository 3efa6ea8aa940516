/**
 * The catalogue (医保目录) over HTTP: an admin imports a CSV or XLSX file (the body), anyone who
 * settles or checks settlements lists it page by page.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { importCatalogue } from '../../hospitals/catalogue/import.js';
import { cataloguePage, CLASS_NAMES, kindOf, LIST_TYPES } from '../../hospitals/catalogue/items.js';
import { importReferenceList, REFERENCE_LISTS } from '../../hospitals/catalogue/reference-lists.js';
import { formatYuan } from '../../money.js';
import { XLSX_MIME } from '../../sheets.js';
import type { AppContext } from '../context.js';
import { withUploadedFile } from '../uploaded-file.js';
import { parse } from './session.js';

const importQuery = z.object({ fileName: z.string().min(1).max(300).regex(/^[^/\\]+$/).optional() }).strict();
const listQuery = z
  .object({
    page: z.coerce.number().int().min(1).max(1_000_000).default(1),
    pageSize: z.coerce.number().int().min(1).max(500).default(50),
    code: z.string().min(1).max(50).optional(),
    name: z.string().min(1).max(100).optional(),
    region: z.string().regex(/^\d{6}$/).optional(),
    listType: z.enum(Object.keys(LIST_TYPES) as [string, ...string[]]).optional(),
    chrgitmLv: z.enum(['01', '02', '03']).optional(),
    validOn: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
  })
  .strict();

const referenceParams = z.object({ infno: z.enum(Object.keys(REFERENCE_LISTS) as [string, ...string[]]) }).strict();

export async function catalogueRoutes(root: FastifyInstance, ctx: AppContext): Promise<void> {
  const db = ctx.database.db;
  await root.register(async (scope) => {
    scope.addContentTypeParser(['text/csv', 'text/plain', XLSX_MIME, 'application/octet-stream'], { parseAs: 'buffer', bodyLimit: 64 << 20 }, (_req, body, done) => done(null, body));
    scope.withTypeProvider<ZodTypeProvider>().post(
      '/api/v1/catalogue/imports',
      {
        config: { permission: 'catalogue.write' },
        bodyLimit: 64 << 20,
        schema: {
          tags: ['settlement'],
          summary:
            'Import catalogue rows (医保目录; body: the CSV or XLSX file; columns med_list_codg or hilist_code, hilist_name, list_type, chrgitm_lv, begndate, insu_admdvs, and optionally med_chrgitm_type, hilist_pric_uplmt_amt, selfpay_prop, enddate, memo — or their Chinese names). Idempotent: the same file again changes nothing; bad rows are listed by line; a header without the needed columns is a 400',
          querystring: importQuery,
        },
      },
      async (req) => {
        const q = parse(importQuery, req.query);
        return withUploadedFile(req.body, String(req.headers['content-type'] ?? ''), (path, format) => importCatalogue(db, req.actor!, { path, fileName: q.fileName ?? `catalogue.${format}`, format }));
      },
    );
    scope.withTypeProvider<ZodTypeProvider>().post(
      '/api/v1/catalogue/reference-lists/:infno/imports',
      {
        config: { permission: 'catalogue.write' },
        bodyLimit: 64 << 20,
        schema: {
          tags: ['settlement'],
          summary: `Import a reference list of the catalogue downloads (${Object.entries(REFERENCE_LISTS).map(([k, l]) => `${k} ${l.name}`).join('、')}; body: the CSV or XLSX file, headings the spec’s column names or 第N列). An imported row replaces the built-in one of the same code and raises the list's version; bad rows are listed by line; the same file again changes nothing`,
          params: referenceParams,
          querystring: importQuery,
        },
      },
      async (req) => {
        const { infno } = parse(referenceParams, req.params);
        const q = parse(importQuery, req.query);
        return withUploadedFile(req.body, String(req.headers['content-type'] ?? ''), (path, format) => importReferenceList(db, req.actor!, { infno, path, fileName: q.fileName ?? `${infno}.${format}`, format }));
      },
    );
  });
  root.withTypeProvider<ZodTypeProvider>().get(
    '/api/v1/catalogue',
    { config: { permission: 'catalogue.read' }, schema: { tags: ['settlement'], summary: 'The catalogue (医保目录), paged: code, name, kind, class, price cap (yuan), self-pay share, valid from/to, region', querystring: listQuery } },
    async (req) => {
      const q = parse(listQuery, req.query);
      const { total, items } = await cataloguePage(db, { code: q.code, name: q.name, region: q.region, listType: q.listType, chrgitmLv: q.chrgitmLv, validOn: q.validOn }, q.page, q.pageSize);
      return {
        page: q.page,
        pageSize: q.pageSize,
        total,
        items: items.map((i) => ({
          medListCodg: i.medListCodg,
          name: i.name,
          kind: kindOf(i.listType),
          listType: i.listType,
          listTypeName: LIST_TYPES[i.listType],
          chrgitmLv: i.chrgitmLv,
          className: CLASS_NAMES[i.chrgitmLv],
          medChrgitmType: i.medChrgitmType,
          priceCap: i.priceCapFen === null ? null : formatYuan(i.priceCapFen),
          selfpayProp: i.selfpayProp,
          begndate: i.begndate,
          enddate: i.enddate,
          region: i.region,
          memo: i.memo,
          example: i.example,
          ver: i.ver,
          updatedAt: i.updtTime.toISOString(),
        })),
      };
    },
  );
}
