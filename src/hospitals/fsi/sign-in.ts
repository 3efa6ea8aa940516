/** 9001 签到 and 9002 签退: a hospital operator signs in and gets a sign_no for the day's messages. */
import { randomBytes } from 'node:crypto';
import type { Call, Db } from './call.js';
import { dateTime, stamp17 } from './envelope.js';
import { FsiError, node, reqStr } from './fields.js';

export async function signIn(db: Db, c: Call) {
  const d = node(c.env.input, 'signIn');
  const opter = reqStr(d, 'signIn', 'opter_no', 20);
  const mac = reqStr(d, 'signIn', 'mac', 20);
  const ip = reqStr(d, 'signIn', 'ip', 20);
  const now = new Date();
  const signNo = `${stamp17(now)}${c.hospital.slice(-6)}${randomBytes(4).toString('hex')}`.slice(0, 30);
  await db.insertInto('fsi_sign_in').values({ sign_no: signNo, hospital_code: c.hospital, opter_no: opter, mac, ip, sign_time: now as never }).execute();
  return { output: { signinoutb: { sign_time: dateTime(now), sign_no: signNo } }, effect: { sign_no: signNo } };
}

export async function signOut(db: Db, c: Call) {
  const d = node(c.env.input, 'signOut');
  const signNo = reqStr(d, 'signOut', 'sign_no', 30);
  reqStr(d, 'signOut', 'opter_no', 20);
  const now = new Date();
  const r = await db.updateTable('fsi_sign_in').set({ sign_out_time: now }).where('sign_no', '=', signNo).where('hospital_code', '=', c.hospital).where('sign_out_time', 'is', null).returning('sign_no').executeTakeFirst();
  if (!r) throw new FsiError(`签到编号 ${signNo} 不存在或已签退`);
  return { output: { signoutoutb: { sign_time: dateTime(now) } }, effect: { sign_no: signNo } };
}
