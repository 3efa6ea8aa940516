/**
 * Sheets on a file system that says no: a stream's 'error' event without a listener ends the
 * process (the service with it, when an import reads its upload), so reading and writing
 * sheets must turn every file error into an error thrown to the caller. A directory or an
 * unreadable path is the caller's input (InputError naming input / output); a read that fails
 * mid-way (here /proc/self/mem, which opens and then refuses every read) is thrown by the
 * loop; an XLSX written through its own stream reads back.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../src/errors.ts';
import { openSheetWriter, readSheetRows } from '../src/sheets.ts';

const drain = async (path: string): Promise<string[][]> => {
  const rows: string[][] = [];
  for await (const r of readSheetRows(path)) rows.push(r.cells);
  return rows;
};

describe('sheets when the file system refuses', () => {
  const dir = mkdtempSync(join(tmpdir(), 'yibao-sheets-'));
  test.after?.(() => rmSync(dir, { recursive: true, force: true }));

  for (const ext of ['csv', 'xlsx'] as const) {
    test(`${ext}: a directory, or a missing file, is an InputError naming input`, async () => {
      const d = join(dir, `folder.${ext}`);
      mkdirSync(d, { recursive: true });
      await assert.rejects(drain(d), (e: unknown) => e instanceof InputError && e.field === 'input' && /cannot be read \(EISDIR\)/.test(e.message));
      await assert.rejects(drain(join(dir, `missing.${ext}`)), (e: unknown) => e instanceof InputError && e.field === 'input' && /ENOENT/.test(e.message));
    });

    test(`${ext}: a read failing after the file opened is thrown by the loop, not left to end the process`, { skip: !existsSync('/proc/self/mem') }, async () => {
      const link = join(dir, `mem.${ext}`);
      if (!existsSync(link)) symlinkSync('/proc/self/mem', link);
      await assert.rejects(drain(link), (e: unknown) => e instanceof Error && !(e instanceof InputError) && /EIO|input\/output|unexpected|end/i.test(`${(e as NodeJS.ErrnoException).code} ${e.message}`));
    });

    test(`${ext}: a writer into a missing folder is an InputError naming output; a good one writes what reads back`, async () => {
      await assert.rejects(openSheetWriter(join(dir, 'no', 'such', `out.${ext}`), 'x'), (e: unknown) => e instanceof InputError && e.field === 'output' && /ENOENT/.test(e.message));
      const target = join(dir, `round.${ext}`);
      const w = await openSheetWriter(target, '清单');
      await w.write(['身份证号', '姓名', '金额']);
      await w.write(['500230198005010011', '王五', 320]);
      await w.close(true);
      assert.equal(existsSync(`${target}.part`), false);
      assert.deepEqual(await drain(target), [
        ['身份证号', '姓名', '金额'],
        ['500230198005010011', '王五', '320'],
      ]);
    });
  }
});
