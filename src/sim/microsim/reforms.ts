/** The shipped reforms (policies/reforms/*.yaml) and reading one from a file or a request body. */
import { readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { NotFoundError } from '../../errors.js';
import { parseReform, type Reform } from '../../policy/reform.js';

export const REFORMS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../policies/reforms');

export function shippedReforms(): { id: string; reform: Reform }[] {
  return readdirSync(REFORMS_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({ id: basename(f, '.yaml'), reform: parseReform(parse(readFileSync(join(REFORMS_DIR, f), 'utf8'))) }));
}

/** A shipped reform by its id, or a YAML/JSON file. */
export function loadReform(idOrFile: string): Reform {
  const shipped = shippedReforms().find((r) => r.id === idOrFile);
  if (shipped) return shipped.reform;
  let text: string;
  try {
    text = readFileSync(idOrFile, 'utf8');
  } catch {
    throw new NotFoundError('reform', idOrFile);
  }
  return parseReform(parse(text));
}
