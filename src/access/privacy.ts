/** Masking of personal data in logs and list views: ID numbers and names. */

/** 500230198005011234 → 500230********1234 (region kept for clerks, birth date hidden). */
export function maskIdNumber(id: string): string {
  const t = id.trim();
  if (t.length < 10) return '*'.repeat(t.length);
  return `${t.slice(0, 6)}${'*'.repeat(t.length - 10)}${t.slice(-4)}`;
}

/** 张三 → 张*, 欧阳小明 → 欧**明. */
export function maskName(name: string): string {
  const chars = [...name.trim()];
  if (chars.length <= 1) return '*';
  if (chars.length === 2) return `${chars[0]}*`;
  return `${chars[0]}${'*'.repeat(chars.length - 2)}${chars[chars.length - 1]}`;
}

/** How a list shows persons: masked (the default of every list), or in full where the role may see them. */
export interface PersonMasking {
  id: (idNumber: string) => string;
  name: (name: string) => string;
}
export const MASKED: PersonMasking = { id: maskIdNumber, name: maskName };

const ID_IN_TEXT = /\b(\d{6})(\d{8})(\d{3}[\dXx])\b/g;

/** Mask any 18-character resident ID number inside free text (URLs, log lines). */
export function maskIdsInText(s: string): string {
  return s.replace(ID_IN_TEXT, (_m, a: string, _b: string, c: string) => `${a}********${c.slice(-4)}`);
}
