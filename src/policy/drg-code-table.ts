/**
 * A fixed table from code strings to a few integers, for the grouper's hot path: open
 * addressing over one Int32Array of 64-byte slots, each holding the key's hash, its length,
 * its characters packed four to an integer, and the caller's payload (up to 9 integers):
 *   [hash, length, c0..c4 (20 characters), payload0..payload8]
 * A table whose payload is one integer can use 32-byte slots (`slot: 8`): half the memory, two
 * slots to a cache line.
 * A lookup hashes the record's string itself (FNV-1a over its code units) and reads one slot —
 * one cache line, where a Map of strings reads its bucket chain, the key string object and a
 * value object of its own. Exact: a code matches only a key with the same characters (a
 * character outside one byte matches no key). Keys are 1–20 one-byte characters.
 */

export const SLOT = 16;
/** the small slot: one payload integer */
export const SMALL_SLOT = 8;
const CHARS = 2;
/** where a slot's payload starts */
export const PAYLOAD = 7;
const MAX_LENGTH = 20;

export interface CodeTableOptions {
  /** integers per slot: 16 (payload up to 9), or 8 (payload 1) */
  slot?: typeof SLOT | typeof SMALL_SLOT;
  /** the largest share of slots filled (0.6 by default) */
  maxLoad?: number;
}

/** FNV-1a over UTF-16 code units; never 0 (0 marks an empty slot). */
function hashOf(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h === 0 ? 1 : h;
}

export class CodeTable {
  /** the slots, then one slot per keyless payload; a payload is read at its offset in here */
  readonly data: Int32Array;
  private readonly mask: number;
  /** log2 of the integers per slot */
  private readonly shift: number;
  /** the payload offsets of `keyless`, in order */
  readonly keylessAt: readonly number[];
  readonly size: number;

  /** `entries`: each key with its payload; `keyless`: payloads no key reaches (e.g. "in no list"). */
  constructor(entries: Iterable<readonly [string, readonly number[]]>, keyless: readonly (readonly number[])[] = [], options: CodeTableOptions = {}) {
    const list = [...entries];
    const width = options.slot ?? SLOT;
    const MAX_PAYLOAD = width - PAYLOAD;
    const maxLoad = options.maxLoad ?? 0.6;
    if (!(maxLoad > 0 && maxLoad < 1)) throw new RangeError('maxLoad is between 0 and 1');
    let cap = 16;
    while (cap * maxLoad < list.length) cap *= 2;
    this.mask = cap - 1;
    this.shift = width === SLOT ? 4 : 3;
    const data = new Int32Array((cap + keyless.length) * width);
    const seen = new Set<string>();
    for (const [k, payload] of list) {
      if (k.length === 0 || k.length > MAX_LENGTH) throw new RangeError(`code ${JSON.stringify(k)}: a code has 1–${MAX_LENGTH} characters`);
      if (payload.length > MAX_PAYLOAD) throw new RangeError(`at most ${MAX_PAYLOAD} integers per code`);
      if (seen.has(k)) throw new RangeError(`code ${k} appears twice`);
      seen.add(k);
      const h = hashOf(k);
      let slot = h & this.mask;
      while (data[slot * width] !== 0) slot = (slot + 1) & this.mask;
      const at = slot * width;
      data[at] = h;
      data[at + 1] = k.length;
      for (let i = 0; i < k.length; i++) {
        const c = k.charCodeAt(i);
        if (c > 0xff) throw new RangeError(`code ${k}: only one-byte characters are supported`);
        data[at + CHARS + (i >> 2)] |= c << (8 * (i & 3));
      }
      data.set(payload, at + PAYLOAD);
    }
    this.keylessAt = keyless.map((payload, i) => {
      if (payload.length > MAX_PAYLOAD) throw new RangeError(`at most ${MAX_PAYLOAD} integers per code`);
      const at = (cap + i) * width + PAYLOAD;
      data.set(payload, at);
      return at;
    });
    this.data = data;
    this.size = list.length;
  }

  /** The payload offset in `data` of `code`'s slot, or -1. */
  find(code: string): number {
    const len = code.length;
    let h = 0x811c9dc5;
    for (let i = 0; i < len; i++) h = Math.imul(h ^ code.charCodeAt(i), 0x01000193);
    if (h === 0) h = 1;
    const data = this.data;
    const mask = this.mask;
    const shift = this.shift;
    let slot = h & mask;
    for (;;) {
      const at = slot << shift;
      const sh = data[at];
      if (sh === 0) return -1;
      if (sh === h && data[at + 1] === len) {
        let i = 0;
        while (i < len && ((data[at + CHARS + (i >> 2)] >>> ((i & 3) * 8)) & 0xff) === code.charCodeAt(i)) i++;
        if (i === len) return at + PAYLOAD;
      }
      slot = (slot + 1) & mask;
    }
  }
}
