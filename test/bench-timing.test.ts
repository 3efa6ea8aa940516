import assert from 'node:assert/strict';
import { test } from 'node:test';
import { envInt, fmt, measureSync, median, perCpuSecond, perSecond } from '../bench/timing.js';

test('bench/timing.ts: median is the round with the middle wall time', () => {
  const t = (seconds: number, cpuSeconds = seconds) => ({ seconds, cpuSeconds });
  assert.deepEqual(median([t(3), t(1), t(2)]), t(2));
  assert.deepEqual(median([t(4, 1), t(1), t(3, 9), t(2)]), t(3, 9)); // upper middle, its own CPU time
  assert.deepEqual(median([t(5)]), t(5));
  assert.throws(() => median([]), /no rounds/);
});

test('bench/timing.ts: measureSync runs every round, before each, and reports the median', () => {
  let before = 0;
  let runs = 0;
  const lines: string[] = [];
  const m = measureSync((s) => lines.push(s), 'loop', 10, 3, () => void runs++, () => void before++);
  assert.equal(runs, 3);
  assert.equal(before, 3);
  assert.equal(m.rounds.length, 3);
  assert.ok(m.rounds.includes(m.t));
  assert.equal(lines.length, 1);
  assert.match(lines[0], /^ {2}loop: .*→ median/);
  assert.equal(perSecond(m), 10 / m.t.seconds);
  assert.equal(perCpuSecond(m), 10 / m.t.cpuSeconds);
});

test('bench/timing.ts: fmt and envInt', () => {
  assert.equal(fmt(1234567.4), '1,234,567');
  process.env.YIBAO_TEST_ENV_INT = '7';
  assert.equal(envInt('YIBAO_TEST_ENV_INT', 3), 7);
  assert.equal(envInt('YIBAO_TEST_ENV_INT', 3, 9), 9);
  delete process.env.YIBAO_TEST_ENV_INT;
  assert.equal(envInt('YIBAO_TEST_ENV_INT', 3), 3);
});
