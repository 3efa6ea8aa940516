/**
 * The layering check (`npm run check:deps`, .dependency-cruiser.cjs) on the real tree, and on a
 * small tree of its own with one deliberate violation of each kind, so the check is known to fail
 * when it should: an import cycle, a lower layer importing a higher one, and I/O in the rules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const cruiser = join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

function cruise(cwd: string, config: string): { ok: boolean; out: string } {
  try {
    const out = execFileSync(process.execPath, [cruiser, 'src', '--config', config, '--output-type', 'err'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { ok: true, out };
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string };
    return { ok: false, out: `${x.stdout ?? ''}${x.stderr ?? ''}` };
  }
}

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'yibao-layers-'));
  copyFileSync(join(root, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', allowImportingTsExtensions: true, noEmit: true } }));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

test('the real tree has no cycle and no import upward', () => {
  const r = cruise(root, '.dependency-cruiser.cjs');
  assert.ok(r.ok, r.out);
});

test('a clean small tree passes', () => {
  const dir = tree({ 'src/rules/a.ts': "import { b } from '../policy/b.js';\nexport const a = b;\n", 'src/policy/b.ts': 'export const b = 1;\n' });
  try {
    assert.ok(cruise(dir, '.dependency-cruiser.cjs').ok);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const [name, files, rule] of [
  ['an import cycle', { 'src/store/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n", 'src/store/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n" }, 'no-circular'],
  ['the rules importing the store', { 'src/rules/x.ts': "import { db } from '../store/db.js';\nexport const x = db;\n", 'src/store/db.ts': 'export const db = 1;\n' }, 'layer-rules'],
  ['settlement importing the hospitals above it', { 'src/settlement/s.ts': "import { h } from '../hospitals/h.js';\nexport const s = h;\n", 'src/hospitals/h.ts': 'export const h = 1;\n' }, 'layer-settlement'],
  ['two domain rooms of one rank importing each other', { 'src/ledger/l.ts': "import { r } from '../registers/r.js';\nexport const l = r;\n", 'src/registers/r.ts': 'export const r = 1;\n' }, 'layer-ledger'],
  ['file I/O in the rules', { 'src/rules/io.ts': "import { readFileSync } from 'node:fs';\nexport const io = readFileSync;\n" }, 'rules-are-pure'],
] as const) {
  test(`the check fails on ${name}`, () => {
    const dir = tree(files as Record<string, string>);
    try {
      const r = cruise(dir, '.dependency-cruiser.cjs');
      assert.equal(r.ok, false, `expected a violation of ${rule}`);
      assert.match(r.out, new RegExp(rule));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
