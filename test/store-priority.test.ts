/**
 * Requests before the background loader on PGlite's one session (src/store/priority.ts, issue
 * #15): a loader that asks for the connection fifty times at once does not queue a request's
 * statement behind all fifty, nor slip in between the statements of one request; steady
 * foreground work slows the background, never stops it. Orders of completion, no timings.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { holdForeground, inBackground, isBackground, Priority } from '../src/store/priority.ts';
import { freshDatabase, type TestDatabase } from './support/databases.ts';

describe('the PGlite pool: requests before the background', () => {
  let d: TestDatabase;
  before(async () => {
    d = await freshDatabase('pglite');
  });
  after(async () => {
    await d?.drop();
  });

  test('a foreground statement is served before the background’s queue, not after it', async () => {
    const order: string[] = [];
    const bg = inBackground(() => Promise.all(Array.from({ length: 50 }, (_, i) => d.pool.query('SELECT pg_sleep(0.002), $1::int AS i', [i]).then(() => order.push(`bg${i}`)))));
    // let the background take its first turn
    await new Promise((r) => setTimeout(r, 30));
    const before = order.length;
    await d.pool.query('SELECT 1').then(() => order.push('fg'));
    await bg;
    assert.equal(order.length, 51);
    // at most the holder and the one next in turn when it asked come before it
    assert.ok(order.indexOf('fg') <= before + 2, `foreground at ${order.indexOf('fg')}, background done before it asked: ${before}`);
  });

  test('a request’s statements follow each other: the background does not slip in between', async () => {
    const order: string[] = [];
    const leave = holdForeground();
    const bg = inBackground(() => Promise.all(Array.from({ length: 10 }, (_, i) => d.db.selectNoFrom((eb) => eb.val(i).as('i')).execute().then(() => order.push(`bg${i}`)))));
    for (let i = 0; i < 5; i++) {
      await d.pool.query('SELECT $1::int', [i]);
      order.push(`fg${i}`);
      await new Promise((r) => setImmediate(r)); // the request's own work between statements
    }
    leave();
    await bg;
    assert.deepEqual(order.slice(0, 5), ['fg0', 'fg1', 'fg2', 'fg3', 'fg4'], order.join(' '));
    assert.equal(order.length, 15);
  });

  test('background work is marked through its promises, and a transaction runs in it', async () => {
    assert.equal(isBackground(), false);
    const n = await inBackground(async () => {
      await new Promise((r) => setTimeout(r, 1));
      assert.equal(isBackground(), true);
      return d.db.transaction().execute(async (tx) => (await tx.selectNoFrom((eb) => eb.val(7).as('n')).executeTakeFirstOrThrow()).n);
    });
    assert.equal(Number(n), 7);
  });
});

test('foreground that never ends slows the background, never stops it; turns are one at a time', async () => {
  const p = new Priority(1, 50);
  const leave = p.hold();
  assert.equal(p.busy, 1);
  const order: number[] = [];
  const turns = [1, 2, 3].map(async (i) => {
    const done = await p.backgroundTurn();
    order.push(i);
    await new Promise((r) => setTimeout(r, 5));
    order.push(-i);
    done();
  });
  await Promise.all(turns);
  // each turn began after the one before it ended
  assert.deepEqual(order, [1, -1, 2, -2, 3, -3]);
  leave();
  leave(); // once only
  assert.equal(p.busy, 0);
});

test('pressed: foreground statements in flight or recent, not requests that need no database', () => {
  const p = new Priority();
  assert.equal(p.pressed(60_000), false, 'nothing has run yet');
  const request = p.hold(); // a request without statements (e.g. /health)
  assert.equal(p.pressed(60_000), false, 'a request alone is not a statement');
  const statement = p.holdStatement();
  assert.equal(p.busy, 2);
  assert.equal(p.pressed(0), true, 'a statement in flight');
  statement();
  statement(); // once only
  assert.equal(p.busy, 1);
  assert.equal(p.pressed(60_000), true, 'a statement ended within the last minute');
  assert.equal(p.pressed(0), false, 'none in flight and none within 0 ms');
  request();
  assert.equal(p.busy, 0);
});

test('the PGlite pool counts its foreground statements as pressing, and its background ones not', async () => {
  const d = await freshDatabase('pglite');
  try {
    const { priority } = await import('../src/store/priority.ts');
    await inBackground(() => d.pool.query('SELECT 1'));
    const bgOnly = priority.pressed(0);
    const pending = d.pool.query('SELECT pg_sleep(0.01)');
    const during = priority.pressed(0);
    await pending;
    assert.equal(bgOnly, false, 'background statements do not press');
    assert.equal(during, true, 'a foreground statement presses while it runs');
    assert.equal(priority.pressed(60_000), true);
  } finally {
    await d.drop();
  }
});
