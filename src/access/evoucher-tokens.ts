/**
 * 医保电子凭证 tokens (mdtrt_cert_type 01, issue #16 item 8): short-lived, signed tokens issued
 * to a person whose e-voucher activation the campaign recorded (evoucher_activation), resolved
 * back to the person at the counter (1101, registration, admission, settlement).
 *
 * A token is `E1.<person id>.<expiry, seconds>.<nonce>.<HMAC-SHA256, 12 bytes>` (numbers in base 36,
 * at most 44 characters: mdtrt_cert_no is 50) under a key
 * derived from the server key (gateway-keys.ts): nothing to store, and a token cannot be made
 * without the key. It lives EVOUCHER_TTL_S seconds (5 minutes, as a QR code on a phone is
 * refreshed; an example figure, no notice gives it). Issuing is audited; the activation is
 * checked again when the token is used.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { InputError, NotFoundError } from '../errors.js';
import type { DB } from '../store/schema.js';
import { audit } from './audit.js';
import { derivedKey } from './gateway-keys.js';
import type { Actor } from './roles.js';

export const EVOUCHER_TTL_S = 300; // example: no notice gives the lifetime of an e-voucher code

const mac = (body: string) => createHmac('sha256', derivedKey('evoucher-token')).update(body).digest().subarray(0, 12).toString('base64url');

export async function issueEvoucherToken(db: Kysely<DB>, by: Actor, personId: string, now = Date.now()): Promise<{ token: string; expiresAt: string }> {
  if (!/^[1-9]\d{0,17}$/.test(personId)) throw new InputError('personId', 'must be a record id');
  const a = await db.selectFrom('evoucher_activation').select('person_id').where('person_id', '=', personId).executeTakeFirst();
  if (!a) {
    const p = await db.selectFrom('person').select('id').where('id', '=', personId).executeTakeFirst();
    if (!p) throw new NotFoundError('person', personId);
    throw new InputError('personId', 'the person has not activated the e-voucher (no activation recorded by the campaign)');
  }
  const exp = Math.floor(now / 1000) + EVOUCHER_TTL_S;
  const body = `E1.${BigInt(personId).toString(36)}.${exp.toString(36)}.${randomBytes(3).toString('base64url')}`;
  await audit(db, by, 'issue_evoucher_token', 'person', personId, { expiresAt: new Date(exp * 1000).toISOString() });
  return { token: `${body}.${mac(body)}`, expiresAt: new Date(exp * 1000).toISOString() };
}

/** The person an e-voucher token names, or why not (a Chinese message for the envelope). */
export async function resolveEvoucherToken(db: Kysely<DB> | Transaction<DB>, token: string, now = Date.now()): Promise<{ personId: string } | { refused: string }> {
  const parts = token.split('.');
  if (parts.length !== 5 || parts[0] !== 'E1' || !/^[0-9a-z]{1,12}$/.test(parts[1]) || !/^[0-9a-z]{1,8}$/.test(parts[2])) return { refused: '电子凭证令牌格式无效' };
  const body = parts.slice(0, 4).join('.');
  const want = Buffer.from(mac(body));
  const got = Buffer.from(parts[4]);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return { refused: '电子凭证令牌校验失败' };
  if (parseInt(parts[2], 36) * 1000 < now) return { refused: '电子凭证令牌已过期，请刷新电子凭证二维码' };
  const personId = [...parts[1]].reduce((n, ch) => n * 36n + BigInt(parseInt(ch, 36)), 0n).toString();
  const a = await db.selectFrom('evoucher_activation').select('person_id').where('person_id', '=', personId).executeTakeFirst();
  if (!a) return { refused: '该人员未激活医保电子凭证' };
  return { personId };
}
