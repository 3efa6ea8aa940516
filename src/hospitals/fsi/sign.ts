/**
 * Optional SM3 signing of the request envelope, switched on per hospital (fsi_hospital). The
 * string signed is every envelope field except cainfo and signtype, sorted by name, as
 * name=value joined by '&' (input and other objects as their JSON text); the signature is the
 * HMAC-SM3 of that string under the hospital's key, lower-case hex, sent in cainfo with
 * signtype "SM3".
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export function signingString(envelope: Record<string, unknown>): string {
  return Object.keys(envelope)
    .filter((k) => k !== 'cainfo' && k !== 'signtype')
    .sort()
    .map((k) => {
      const v = envelope[k];
      return `${k}=${v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v)}`;
    })
    .join('&');
}

export function sm3Sign(envelope: Record<string, unknown>, key: string): string {
  return createHmac('sm3', key).update(signingString(envelope), 'utf8').digest('hex');
}

export function sm3Verify(envelope: Record<string, unknown>, key: string, cainfo: unknown): boolean {
  if (typeof cainfo !== 'string' || !/^[0-9a-fA-F]{64}$/.test(cainfo)) return false;
  const want = Buffer.from(sm3Sign(envelope, key), 'hex');
  return timingSafeEqual(want, Buffer.from(cainfo.toLowerCase(), 'hex'));
}
