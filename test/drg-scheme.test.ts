/**
 * The DRG scheme loader: the bundled copy loads and matches the shared original byte for byte;
 * copies broken in one way each are refused with a PackError naming file, path and problem.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_DRG_DIR, readDrgScheme } from '../src/policy/drg-scheme.js';
import { PackError, type PackProblem } from '../src/policy/errors.js';

const made: string[] = [];
after(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A copy of the scheme with `change` applied to the parsed JSON of `file`. */
function brokenCopy(file: string, change: (json: any) => unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'yibao-drg-'));
  made.push(dir);
  cpSync(DEFAULT_DRG_DIR, dir, { recursive: true });
  const json = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const out = change(json);
  writeFileSync(join(dir, file), typeof out === 'string' ? out : JSON.stringify(out ?? json));
  return dir;
}

function problemsOf(dir: string): PackProblem[] {
  try {
    readDrgScheme(dir);
  } catch (e) {
    assert.ok(e instanceof PackError, `expected a PackError, got ${(e as Error).message}`);
    return e.problems;
  }
  assert.fail('the broken scheme loaded');
}

const has = (ps: PackProblem[], file: string, path: RegExp, message: RegExp): void =>
  assert.ok(
    ps.some((p) => p.file === file && path.test(p.path) && message.test(p.message)),
    `expected ${file} ${path} ${message} in:\n${ps.map((p) => `${p.file}: ${p.path}: ${p.message}`).join('\n')}`,
  );

describe('the DRG scheme loader', () => {
  test('the bundled scheme loads, and is the shared data set unchanged', () => {
    const d = readDrgScheme();
    assert.equal(d.meta.scheme, 'CHS-DRG 1.1');
    assert.equal(d.meta.source.license, 'Apache-2.0');
    const shared = '/work/shared/drg/chs-drg-1.1';
    if (existsSync(shared))
      for (const f of ['scheme.json', 'mdc.json', 'adrg.json', 'drg.json', 'mcc.json', 'cc.json', 'cc-exclusions.json', 'procedures-valid.json', 'diagnosis-names.json', 'procedure-names.json', 'README.md', 'LICENSE-OpenDRG'])
        assert.ok(readFileSync(join(shared, f)).equals(readFileSync(join(DEFAULT_DRG_DIR, f))), `${f} differs from the shared copy`);
    assert.ok(existsSync(join(DEFAULT_DRG_DIR, 'NOTICE')));
    assert.match(readFileSync(join(DEFAULT_DRG_DIR, 'NOTICE'), 'utf8'), /Apache License, Version 2\.0/);
  });
  test('the code maps are read only when asked for', () => {
    assert.equal(readDrgScheme().diagnosisCodeMap, undefined);
    const d = readDrgScheme(DEFAULT_DRG_DIR, { codeMaps: true });
    assert.ok(Object.keys(d.diagnosisCodeMap!).length > 30000);
    assert.ok(Object.keys(d.procedureCodeMap!).length > 10000);
  });
  test('a missing file', () => {
    const dir = brokenCopy('cc.json', () => '{}');
    rmSync(join(dir, 'mcc.json'));
    has(problemsOf(dir), 'mcc.json', /\(file\)/, /missing/);
  });
  test('a file that is not JSON', () => {
    has(problemsOf(brokenCopy('drg.json', () => '{"AA19": ')), 'drg.json', /\(file\)/, /not valid JSON/);
  });
  test('an unknown condition kind, with its path', () => {
    const dir = brokenCopy('adrg.json', (j) => {
      j.BU2.condition = { kind: 'mainDiagnosisLike', codes: ['G20'] };
    });
    has(problemsOf(dir), 'adrg.json', /^BU2\.condition/, /./);
  });
  test('an MDC listing an ADRG that does not exist', () => {
    const dir = brokenCopy('mdc.json', (j) => {
      j[6].adrgs.push('BZ9');
    });
    has(problemsOf(dir), 'mdc.json', /^6\.adrgs\.\d+$/, /BZ9 is not in adrg\.json/);
  });
  test('counts that do not match scheme.json', () => {
    const dir = brokenCopy('mcc.json', (j) => {
      delete j[Object.keys(j)[0]];
    });
    has(problemsOf(dir), 'scheme.json', /^counts\.mcc$/, /says 4678 but mcc\.json holds 4677/);
  });
  test('an ambiguity group switched on is refused (this grouper never applies them)', () => {
    const dir = brokenCopy('mdc.json', (j) => {
      j[0].disabledRules[0].enabled = true;
    });
    has(problemsOf(dir), 'mdc.json', /^0\.disabledRules\.0\.enabled$/, /switched off/);
  });
  test('an ADRG whose last DRG is not "always"', () => {
    const dir = brokenCopy('drg.json', (j) => {
      j.BU25.condition = { kind: 'hasCc' };
    });
    has(problemsOf(dir), 'drg.json', /^BU25\.condition$/, /must be "always"/);
  });
  test('a code that is both a CC and an MCC', () => {
    const mcc = JSON.parse(readFileSync(join(DEFAULT_DRG_DIR, 'mcc.json'), 'utf8'));
    const first = Object.keys(mcc)[0];
    const dir = brokenCopy('cc.json', (j) => {
      delete j[Object.keys(j)[0]];
      j[first] = '1';
    });
    has(problemsOf(dir), 'mcc.json', new RegExp(`^${first.replace('.', '\\.')}$`), /is in cc\.json too/);
  });
  test('orders that disagree', () => {
    const dir = brokenCopy('adrg.json', (j) => {
      j.BU2.order = 1;
    });
    has(problemsOf(dir), 'adrg.json', /^BU2\.order$/, /is 1 but it is at position 18 of MDCB/);
  });
});
