/** Passwords, stored only as scrypt hashes. */
import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, len: number, opts: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;

const N = 1 << 15;
const R = 8;
const P = 1;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, 32, { N, r: R, p: P, maxmem: 64 * 1024 * 1024 });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, key] = stored.split('$');
  if (alg !== 'scrypt' || !key) return false;
  const want = Buffer.from(key, 'base64');
  const got = await scrypt(password, Buffer.from(salt, 'base64'), want.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: 64 * 1024 * 1024 });
  return timingSafeEqual(want, got);
}

/** The shortest and longest password accepted (the longest bounds the work of hashing). */
export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 200;

/**
 * Passwords too common to accept: the ones every guessing list starts with, in the forms that
 * pass the length rule (digits, keyboard rows, words and their usual endings, pinyin). Compared
 * after lower-casing. Written for this project; not a complete list.
 */
const COMMON = new Set(
  [
    '1234567890', '12345678900', '123456789a', 'a123456789', '1234567890a', '0123456789', '9876543210', '1111111111', '0000000000', '1122334455',
    '1234512345', '1qaz2wsx3edc', '1q2w3e4r5t', 'q1w2e3r4t5', 'qwertyuiop', 'qwerty12345', 'qwerty123456', 'asdfghjkl;', 'asdfghjkl1', 'zxcvbnm123',
    'qazwsxedc123', 'password', 'password1', 'password12', 'password123', 'password1234', 'password!', 'passw0rd123', 'p@ssw0rd123', 'p@ssword123',
    'iloveyou12', 'iloveyou123', 'sunshine123', 'princess123', 'football123', 'baseball123', 'welcome123', 'welcome1234', 'letmein123', 'monkey12345',
    'dragon12345', 'master12345', 'superman123', 'trustno1234', 'abc1234567', 'abcd123456', 'abcdefghij', 'abcdefg123', 'abc123456789', 'aaaaaaaaaa',
    'admin12345', 'admin123456', 'administrator', 'admin@123456', 'root123456', 'test123456', 'changeme123', 'default123', 'guest12345', 'user123456',
    'woaini1314', 'woaini520', 'woaini123456', '5201314520', '1314520520', 'wang123456', 'zhang123456', 'li123456789', 'liu123456789', 'chen123456',
    'yibao123456', 'yibao12345', 'yibao2022', 'yibao2023', 'yibao2024', 'yibao2025', 'yibao2026', 'yibaoadmin', 'yiliaobaoxian', 'yibao@1234',
    'a1b2c3d4e5', 'qweasdzxc123', 'asd1234567', 'zaq12wsxcde', '147258369a', '1472583690', '3216549870', '159357159357', '147852369a', 'aa123456789',
  ].map((p) => p.toLowerCase()),
);

/** Why a password is refused, or null when it is acceptable: length, and not a common one nor the user name. */
export function passwordProblem(password: string, username?: string): string | null {
  if ([...password].length < PASSWORD_MIN) return `at least ${PASSWORD_MIN} characters`;
  if (password.length > PASSWORD_MAX) return `at most ${PASSWORD_MAX} characters`;
  const p = password.toLowerCase();
  if (COMMON.has(p)) return 'is one of the most common passwords; choose another';
  if (new Set(p).size < 4) return 'uses too few different characters';
  if (username && p === username.toLowerCase()) return 'must not be the user name';
  return null;
}
