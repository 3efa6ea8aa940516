/**
 * The registers over HTTP: areas, households, persons (paged lists masked; detail, history,
 * optimistic-concurrency edits), needy statuses, and imports of CSV / XLSX files sent as the
 * raw request body. Reading needs registers.read, writing registers.write; clerks only
 * reach their own villages.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { InputError } from '../../errors.js';
import { REPORT_HEADER, type ImportSummary } from '../../registers/import-run.js';
import { Registers } from '../../registers/registers.js';
import { csvText, XLSX_MIME } from '../../sheets.js';
import type { AppContext } from '../context.js';
import { plainName } from '../input-guard.js';
import { parse } from './session.js';
import { AREA_LEVELS } from '../../registers/terms.js';
import { importStatuses } from '../../registers/import-statuses.js';
import { importPersons } from '../../registers/import-persons.js';
import { residenceInput } from '../../quotes/contribution-request.js';

/** The largest file an import accepts (a million persons is about 100 MB of CSV). */
export const IMPORT_LIMIT_BYTES = 256 * 1024 * 1024;
/** Problems listed in an import's answer (the full list: Accept: text/csv, or the CLI). */
const INLINE_PROBLEMS = 100;
const REPORT_ROWS = 20_000;

const digits = (n: string) => z.string().regex(new RegExp(`^\\d{${n}}$`));
const areaBody = z.object({ code: z.string().regex(/^\d+$/, 'digits only'), name: plainName(60), region: digits('6').optional(), parentCode: z.string().optional() }).strict();
const areaQuery = z.object({ parent: z.string().regex(/^\d{6,12}$/).optional(), level: z.enum(AREA_LEVELS).optional() }).strict();
const householdBody = z.object({ villageCode: digits('12'), houseNo: z.string().min(1).max(30), address: z.string().max(200).nullish() }).strict();
const idParam = z.object({ id: z.string().regex(/^\d{1,18}$/, 'is not a record id') }).strict();
const householdRef = z.union([z.string().regex(/^\d{1,18}$/, "is not a household id"), z.number().int().positive().max(Number.MAX_SAFE_INTEGER)]).transform(String);
const personFields = {
  idNumber: z.string().min(1),
  name: z.string().min(1),
  gender: z.string().optional().describe('男/女 or male/female; derived from the ID number when left out'),
  birthDate: z.string().optional().describe('YYYY-MM-DD; derived from the ID number when left out'),
  villageCode: digits('12'),
  householdId: householdRef.nullish(),
  houseNo: z.string().max(30).nullish().describe('the household by its number in the village; created when new'),
  kind: z.string().min(1).describe('glossary person kind or its Chinese label'),
  graduationYear: z.number().int().nullish(),
  residence: residenceInput.nullish(),
};
const personBody = z.object(personFields).strict();
const personPatch = z
  .object({
    version: z.number().int().positive().describe('the version read; a stale one is refused (409)'),
    idNumber: personFields.idNumber.optional(),
    name: personFields.name.optional(),
    gender: personFields.gender,
    birthDate: personFields.birthDate,
    villageCode: personFields.villageCode.optional(),
    householdId: personFields.householdId,
    houseNo: personFields.houseNo,
    kind: personFields.kind.optional(),
    graduationYear: personFields.graduationYear,
    residence: personFields.residence.describe('户籍类型 (rural / urban, 农业 / 非农业, 农村 / 城镇); null: not known'),
  })
  .strict();
const listQuery = z
  .object({
    village: z.string().optional().describe('a village (12 digits), township (9) or county (6) code'),
    idNumber: z.string().optional().describe('find one person by ID number'),
    name: z.string().max(60).optional().describe('persons of this full name (shown masked)'),
    householdId: z.string().regex(/^\d{1,18}$/, 'is not a household id').optional().describe('the members of one household'),
    page: z.coerce.number().int().min(1).max(1_000_000).default(1),
    pageSize: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict();
const statusBody = z
  .object({
    status: z.string().min(1).describe('glossary needy status, its Chinese label or national code'),
    source: z.string().optional().describe('civil_affairs, rural_revitalization, disability_federation, veterans_affairs, medical_security (or 民政, 乡村振兴, 残联, 退役军人事务, 医保); default: the department that normally identifies the status'),
    validFrom: z.string().min(1),
    validTo: z.string().nullish(),
    reference: z.string().nullish(),
  })
  .strict();
const onQuery = z.object({ on: z.string().min(1).describe('YYYY-MM-DD') }).strict();
const importQuery = z.object({ fileName: z.string().min(1).max(200).optional() }).strict();

/** A request body received into a temporary file (hashed while it arrives). */
interface Upload {
  upload: true;
  dir: string;
  path: string;
  sha256: string;
  bytes: number;
  /** starts like a ZIP archive (XLSX) */
  zip: boolean;
}

const isUpload = (b: unknown): b is Upload => typeof b === 'object' && b !== null && (b as Upload).upload === true;

function tooLarge(): Error {
  return Object.assign(new Error(`the file is larger than ${IMPORT_LIMIT_BYTES >> 20} MB`), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
}

/** Where a request's upload is received; removed when its response closes, whatever happened. */
const uploadDirs = new WeakMap<FastifyRequest, string>();

async function receive(req: FastifyRequest, payload: AsyncIterable<Buffer>): Promise<Upload> {
  // only the import routes take a file; elsewhere in this scope the body is JSON
  if (!String(req.routeOptions.url ?? '').startsWith('/api/v1/imports/'))
    throw Object.assign(new Error('unsupported media type'), { statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' });
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > IMPORT_LIMIT_BYTES) throw tooLarge();
  const dir = mkdtempSync(join(tmpdir(), 'yibao-upload-'));
  uploadDirs.set(req, dir);
  const path = join(dir, 'body');
  const out = createWriteStream(path);
  const hash = createHash('sha256');
  let bytes = 0;
  let head = Buffer.alloc(0);
  try {
    for await (const chunk of payload) {
      bytes += chunk.length;
      if (bytes > IMPORT_LIMIT_BYTES) throw tooLarge();
      hash.update(chunk);
      if (head.length < 4) head = Buffer.concat([head, chunk.subarray(0, 4)]);
      if (!out.write(chunk)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
  } catch (e) {
    out.destroy();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return { upload: true, dir, path, sha256: hash.digest('hex'), bytes, zip: head.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04])) };
}

function importAnswer(s: ImportSummary) {
  const report = s.bad ? csvText([[...REPORT_HEADER], ...s.problems.map((p) => [p.line, p.field, p.reason, p.idNumber])]) : null;
  return {
    batchId: s.batchId,
    kind: s.kind,
    fileName: s.fileName,
    sha256: s.sha256,
    rows: s.rows,
    inserted: s.inserted,
    updated: s.updated,
    unchanged: s.unchanged,
    changed: s.inserted + s.updated,
    bad: s.bad,
    problems: s.problems.slice(0, INLINE_PROBLEMS),
    errorReport: report,
    errorReportComplete: s.problems.length === s.bad,
    previousImports: s.previousImports,
  };
}

export async function registersRoutes(root: FastifyInstance, ctx: AppContext): Promise<void> {
  const reg = new Registers(ctx.database.db);
  const db = ctx.database.db;
  await root.register(async (scope) => {
    const app = scope.withTypeProvider<ZodTypeProvider>();
    // Files arrive as the raw body, streamed to a temporary file; only on the import routes.
    scope.addContentTypeParser(['text/csv', 'application/csv', 'text/plain', XLSX_MIME, 'application/vnd.ms-excel', 'application/octet-stream'], async (req: FastifyRequest, payload: IncomingMessage) =>
      receive(req, payload as AsyncIterable<Buffer>),
    );
    // (callers without the right are refused before a body is read: src/http/access.ts)
    // The upload's directory goes when the response closes: answered, failed or cut off.
    scope.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
      reply.raw.once('close', () => {
        const dir = uploadDirs.get(req);
        if (dir) rmSync(dir, { recursive: true, force: true });
      });
    });

    app.get(
      '/api/v1/areas',
      { config: { permission: 'registers.read' }, schema: { tags: ['registers'], summary: 'Counties, townships and villages (a clerk sees their own and those above them)', querystring: areaQuery } },
      (req) => reg.listAreas(req.actor!, parse(areaQuery, req.query)),
    );
    app.post(
      '/api/v1/areas',
      {
        config: { permission: 'registers.write' },
        schema: {
          tags: ['registers'],
          summary: 'Register a county (6-digit code), township (9) or village (12); the parent, one level up, must exist',
          body: areaBody,
        },
      },
      async (req, reply) => {
        reply.code(201);
        return reg.createArea(req.actor!, parse(areaBody, req.body));
      },
    );
    app.post(
      '/api/v1/households',
      { config: { permission: 'registers.write' }, schema: { tags: ['registers'], summary: 'Register a household (户) of a village by its number', body: householdBody } },
      async (req, reply) => {
        reply.code(201);
        return reg.createHousehold(req.actor!, parse(householdBody, req.body));
      },
    );
    app.get(
      '/api/v1/persons',
      {
        config: { permission: 'registers.read' },
        schema: { tags: ['registers'], summary: 'Persons of a village, township or county, paged; ID numbers and names masked', querystring: listQuery },
      },
      (req) => reg.listPersons(req.actor!, parse(listQuery, req.query)),
    );
    app.get(
      '/api/v1/persons/:id',
      { config: { permission: 'registers.read' }, schema: { tags: ['registers'], summary: 'One person in full, with household and needy statuses (users in scope)', params: idParam } },
      (req) => reg.getPerson(req.actor!, parse(idParam, req.params).id),
    );
    app.post(
      '/api/v1/persons',
      {
        config: { permission: 'registers.write' },
        schema: {
          tags: ['registers'],
          summary: 'Register a person; the ID number is checked (GB 11643) and gives birth date and gender',
          description: 'Example: `{"idNumber":"50023019800501123X","name":"张三","villageCode":"500230100001","houseNo":"0001","kind":"adult"}`',
          body: personBody,
        },
      },
      async (req, reply) => {
        reply.code(201);
        return reg.createPerson(req.actor!, parse(personBody, req.body));
      },
    );
    app.patch(
      '/api/v1/persons/:id',
      {
        config: { permission: 'registers.write' },
        schema: { tags: ['registers'], summary: 'Change a person: send the `version` you read; if someone changed the person since, 409 stale_version', params: idParam, body: personPatch },
      },
      (req) => reg.updatePerson(req.actor!, parse(idParam, req.params).id, parse(personPatch, req.body)),
    );
    app.get(
      '/api/v1/persons/:id/history',
      { config: { permission: 'registers.read' }, schema: { tags: ['registers'], summary: 'Every change of the person and their statuses: who, when, before and after', params: idParam } },
      (req) => reg.personHistory(req.actor!, parse(idParam, req.params).id),
    );
    app.post(
      '/api/v1/persons/:id/statuses',
      {
        config: { permission: 'registers.write' },
        schema: { tags: ['registers'], summary: 'Record a needy status from its source department; the same status, source and start date again updates its end and reference', params: idParam, body: statusBody },
      },
      async (req, reply) => {
        const r = await reg.addStatus(req.actor!, parse(idParam, req.params).id, parse(statusBody, req.body));
        reply.code(r.change === 'inserted' ? 201 : 200);
        return r;
      },
    );
    app.get(
      '/api/v1/persons/:id/statuses',
      { config: { permission: 'registers.read' }, schema: { tags: ['registers'], summary: 'The statuses valid on a date (?on=YYYY-MM-DD), implied ones included', params: idParam, querystring: onQuery } },
      (req) => reg.statusesOn(req.actor!, parse(idParam, req.params).id, parse(onQuery, req.query).on),
    );

    const importRoute = (kind: 'persons' | 'statuses') =>
      app.post(
        `/api/v1/imports/${kind}`,
        {
          config: { permission: 'registers.write' },
          bodyLimit: IMPORT_LIMIT_BYTES,
          schema: {
            tags: ['registers'],
            summary:
              kind === 'persons'
                ? 'Import persons from CSV or XLSX: 身份证号, 姓名, 性别, 出生日期, 村(居)代码 or 村名, 户号, 人员类别, 毕业年份 (or the English identifiers)'
                : 'Import needy statuses from CSV or XLSX: 身份证号, 身份类别, 认定部门, 起始日期, 终止日期, 文号',
            description: `Send the file itself as the body, with \`Content-Type: text/csv\` or \`${XLSX_MIME}\` (at most ${IMPORT_LIMIT_BYTES >> 20} MB), and \`?fileName=\` to name it in the record, e.g. \`curl --data-binary @persons.csv -H 'content-type: text/csv' -H 'authorization: Bearer …' '…/api/v1/imports/${kind}?fileName=persons.csv'\`. Valid rows go in; rows equal to what is stored change nothing, so the same file imported again changes nothing. The answer gives the counts and, when rows are bad, \`errorReport\`: CSV text with line, field (the file's column), reason and the masked ID number. With \`Accept: text/csv\` the answer is the error report itself, counts in \`X-Import-*\` headers.`,
            querystring: importQuery,
          },
        },
        async (req: FastifyRequest, reply: FastifyReply) => {
          const q = parse(importQuery, req.query);
          const body = req.body;
          if (!isUpload(body)) throw new InputError('(content-type)', `send the file as the request body with Content-Type text/csv or ${XLSX_MIME}`);
          const type = String(req.headers['content-type'] ?? '').toLowerCase();
          if (type.startsWith(XLSX_MIME) && !body.zip) throw new InputError('(body)', 'is not an XLSX file');
          const format = body.zip ? 'xlsx' : 'csv';
          const fileName = q.fileName ?? `upload.${format}`;
          const run = kind === 'persons' ? importPersons : importStatuses;
          const s = await run(db, req.actor!, { path: body.path, format, sha256: body.sha256, fileName, keepProblems: REPORT_ROWS });
          const answer = importAnswer(s);
          if (/\btext\/csv\b/.test(String(req.headers.accept ?? '')) && !/application\/json/.test(String(req.headers.accept ?? ''))) {
            for (const k of ['batchId', 'rows', 'inserted', 'updated', 'unchanged', 'bad'] as const) reply.header(`x-import-${k.toLowerCase()}`, String(answer[k]));
            reply.header('content-disposition', `attachment; filename="import-${s.batchId}-errors.csv"`);
            return reply.type('text/csv; charset=utf-8').send(`\uFEFF${answer.errorReport ?? csvText([[...REPORT_HEADER]])}`);
          }
          return answer;
        },
      );
    importRoute('persons');
    importRoute('statuses');
  });
}
