/**
 * A hospital system's client of the platform envelope, signed as the platform gateway's clients
 * sign (spec §4.5, table 5): headers _api_access_key, _api_name (the transaction), _api_timestamp
 * (13-digit milliseconds), _api_version, and _api_signature = base64(HmacSHA1(secret, the four
 * headers sorted by name as k=v joined by '&')). Written here from the spec, not taken from the
 * server's code, so a benchmark's messages check the server's verification too. Used by
 * bench/fsi.ts and bench/risk-counter.ts.
 */
import { createHmac } from 'node:crypto';

export const FSI_PATH = '/fsi/api/rsfComIfsService/callService';

/** A key pair issued to a hospital account (gatewayKeys(db).issue). */
export interface GatewayKey {
  accessKey: string;
  secret: string;
}

/** The §4.5 headers of one message of transaction `apiName` (and the JSON content type). */
export function signedHeaders(key: GatewayKey, apiName: string, now = Date.now()): Record<string, string> {
  const hd: Record<string, string> = { _api_access_key: key.accessKey, _api_name: apiName, _api_timestamp: String(now), _api_version: '1.0.0' };
  const text = Object.keys(hd)
    .sort()
    .map((k) => `${k}=${hd[k]}`)
    .join('&');
  return { ...hd, _api_signature: createHmac('sha1', key.secret).update(text, 'utf8').digest('base64'), 'content-type': 'application/json' };
}

/** Sends envelopes to `base` signed with `key`; answers the platform's reply as parsed JSON (HTTP errors thrown). */
export function signedClient(base: string, key: GatewayKey): (envelope: { infno: string } & Record<string, unknown>) => Promise<any> {
  return async (envelope) => {
    const res = await fetch(`${base}${FSI_PATH}`, { method: 'POST', headers: signedHeaders(key, envelope.infno), body: JSON.stringify(envelope) });
    const j = await res.json();
    if (res.status >= 300) throw new Error(`${FSI_PATH}: HTTP ${res.status} ${JSON.stringify(j)}`);
    return j;
  };
}
