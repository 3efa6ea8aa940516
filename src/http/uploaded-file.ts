/**
 * An import's request body (the CSV or XLSX file itself) written to a temporary file for the
 * sheet readers, and removed after, whatever the import did.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { XLSX_MIME } from '../sheets.js';

/** Runs the import on the body as a file: XLSX when it is a zip, CSV otherwise; an XLSX content type on bytes that are not one is a 400. */
export async function withUploadedFile<T>(body: unknown, contentType: string, run: (path: string, format: 'csv' | 'xlsx') => Promise<T>): Promise<T> {
  if (!Buffer.isBuffer(body) || body.length === 0) throw new InputError('(body)', `send the file as the request body, with Content-Type text/csv or ${XLSX_MIME}`);
  const zip = body.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
  if (contentType.startsWith(XLSX_MIME) && !zip) throw new InputError('(body)', 'is not an XLSX file');
  const format = zip ? 'xlsx' : 'csv';
  const dir = mkdtempSync(join(tmpdir(), 'yibao-upload-'));
  try {
    const path = join(dir, `upload.${format}`);
    writeFileSync(path, body);
    return await run(path, format);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
