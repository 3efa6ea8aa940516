/** Citations: "渝医保发〔2022〕25号 一" = document number + article. */

/** The document number a citation starts with (through "号"), or null. */
export function documentOf(cite: string): string | null {
  const i = cite.indexOf('号');
  return i > 0 ? cite.slice(0, i + 1) : null;
}

/** Whitespace-insensitive form used to find a quoted sentence in a notice. */
export function normalizeText(s: string): string {
  return s.replace(/[\s\u3000]+/g, '');
}
