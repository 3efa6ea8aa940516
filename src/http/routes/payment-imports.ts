/** A payments file over HTTP: the CSV or XLSX bytes as the body, recorded row by row (src/campaign/payment-import.ts). */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { importPaymentBytes } from '../../campaign/payment-import.js';
import { InputError } from '../../errors.js';
import { sniffFormat } from '../../campaign/duplicates.js';
import { XLSX_MIME } from '../../sheets.js';
import type { AppContext } from '../context.js';
import { parse } from './session.js';

const query = z.object({ fileName: z.string().min(1).max(300).optional() }).strict();
/** Problems listed in the answer at most. */
const PROBLEMS = 5000;

export async function paymentImportRoutes(root: FastifyInstance, ctx: AppContext): Promise<void> {
  await root.register(async (scope) => {
    scope.addContentTypeParser(['text/csv', 'text/plain', XLSX_MIME, 'application/octet-stream'], { parseAs: 'buffer', bodyLimit: 64 << 20 }, (_req, body, done) => done(null, body));
    scope.withTypeProvider<ZodTypeProvider>().post(
      '/api/v1/imports/payments',
      {
        config: { permission: 'payments.write' },
        bodyLimit: 64 << 20,
        schema: {
          tags: ['campaign'],
          summary:
            'Import a payments file (body: the CSV or XLSX file; columns 流水号, 渠道, 身份证号 and 年度 or 参保登记号, 金额, 缴费日期). Each row is recorded as POST /api/v1/payments would, idempotent by reference: the file may be imported again after its bad rows are corrected. A header without the needed columns is a 400 and nothing is written; bad and refused rows are listed by line',
          querystring: query,
        },
      },
      async (req) => {
        parse(query, req.query);
        const body = req.body;
        if (!Buffer.isBuffer(body)) throw new InputError('(content-type)', `send the file as text/csv or ${XLSX_MIME}`);
        const type = String(req.headers['content-type'] ?? '');
        const format = type.startsWith(XLSX_MIME) ? 'xlsx' : type.startsWith('text/') ? 'csv' : sniffFormat(body);
        return importPaymentBytes(ctx.database.db, ctx.quotes, req.actor!, body, { format, keepProblems: PROBLEMS });
      },
    );
  });
}
