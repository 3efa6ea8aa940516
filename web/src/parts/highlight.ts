/**
 * Find quoted sentences in a notice's text as held. The packs' quotes are checked against the
 * text with all whitespace removed (src/policy/citation.ts), so the search runs on that form
 * and maps each hit back to the lines of the original.
 */
export interface Segment {
  text: string;
  /** index of the quote this segment belongs to, or -1 */
  quote: number;
}

const WS = /[\s\u3000]/;

export function normalize(s: string): string {
  return s.replace(/[\s\u3000]+/g, '');
}

/** The text cut into plain and quoted segments (the first quote listed wins an overlap). */
export function highlight(text: string, quotes: string[]): { segments: Segment[]; found: boolean[] } {
  const pos: number[] = [];
  let flat = '';
  for (let i = 0; i < text.length; i++)
    if (!WS.test(text[i])) {
      pos.push(i);
      flat += text[i];
    }
  const owner = new Int32Array(text.length).fill(-1);
  const found = quotes.map(() => false);
  quotes.forEach((q, qi) => {
    const n = normalize(q);
    if (!n) return;
    let from = 0;
    for (;;) {
      const at = flat.indexOf(n, from);
      if (at < 0) break;
      found[qi] = true;
      const a = pos[at];
      const b = pos[at + n.length - 1];
      for (let i = a; i <= b; i++) if (owner[i] === -1) owner[i] = qi;
      from = at + n.length;
    }
  });
  const segments: Segment[] = [];
  let start = 0;
  for (let i = 1; i <= text.length; i++)
    if (i === text.length || owner[i] !== owner[start]) {
      segments.push({ text: text.slice(start, i), quote: owner[start] });
      start = i;
    }
  return { segments, found };
}
