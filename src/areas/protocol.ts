/**
 * The protocol between coordinating areas (异地就医直接结算), carried by NATS JetStream. An area is
 * named by its admdvs (region code). Each area has
 *   - a durable stream YB_AREA_<code> of the events sent to it (subjects yb.area.<code>.ev.<kind>),
 *     published with a message id (Nats-Msg-Id) so that a retried publish is stored once, and read
 *     by one durable consumer with explicit acknowledgement: a filing, a confirmation, a
 *     cancellation — each handled idempotently, so a redelivery or another order gives the same state;
 *   - request/reply subjects yb.area.<code>.rpc.<op> for the real-time part (settle, reverse,
 *     status, clearing statement), each request with a timeout.
 * Amounts travel in fen (integers).
 */
import type { SettlementView } from '../settlement/answers.js';

export const streamOf = (area: string) => `YB_AREA_${area}`;
export const eventSubject = (area: string, kind: EventKind) => `yb.area.${area}.ev.${kind}`;
export const rpcSubject = (area: string, op: RpcOp) => `yb.area.${area}.rpc.${op}`;

export type EventKind = 'filing' | 'confirm' | 'cancel';
export type RpcOp = 'settle' | 'reverse' | 'status' | 'claim' | 'statement' | 'post' | 'person';

/** A filing (异地就医备案) of a person of `insuredArea` to be treated in `treatArea`. */
export interface Filing {
  filingId: string;
  insuredArea: string;
  treatArea: string;
  idNumber: string;
  name: string;
  kind: 'outpatient' | 'inpatient' | 'all';
  validFrom: string;
  validTo: string | null;
  reason: string | null;
  /** a withdrawal (撤销备案) is a filing record of its own naming the filing it ends from validFrom on */
  withdraws?: string | null;
}

/** The costs as the treating area's catalogue split them (就医地目录), in fen. */
export interface CostsFen {
  total: number;
  fullOwnPay: number;
  overLimitSelfPay: number;
  preSelfPay: number;
  inScope: number;
}

/**
 * A fee line as the treating area's catalogue classified it (就医地目录): its class, price cap and
 * self-pay share as the catalogue gives them (as the client sent them only for a code the
 * catalogue does not know). Amount and cap in fen; cnt and pric as the hospital sent them.
 */
export interface ClassifiedLine {
  sn: string;
  code: string;
  catalogClass: 'A' | 'B' | 'C';
  amount: number;
  cnt: number;
  pric: number;
  priceLimitFen: number | null;
  selfPayRatio: number | null;
}

/** The treating area asks the insured area to settle by its own rules (参保地待遇). */
export interface SettleRequest {
  setlId: string;
  treatArea: string;
  hospital: { code: string; name: string; level: 'primary' | 'secondary' | 'tertiary' };
  kind: 'outpatient' | 'inpatient';
  medType: string;
  type: string;
  setting: string | null;
  date: string;
  idNumber: string;
  name: string;
  disease: string | null;
  /** the split of `lines` (or, from a sender without lines, the split alone) */
  costs: CostsFen;
  /** the classified lines: the insured area settles them as its own encounter's lines */
  lines?: ClassifiedLine[];
}

/**
 * The treating area asks the insured area about its person: `input` a 1101's input (answered as
 * that area's own 1101 answers, at `received`), or `psnNo` the person a visit registration names.
 */
export type PersonRequest = { input: Record<string, unknown>; received: string; treatArea: string } | { psnNo: string; treatArea: string };
export type PersonAnswer =
  | { ok: true; output?: Record<string, unknown>; person?: { id: string; id_number: string; name: string; gender: 'male' | 'female'; birth_date: string; region: string } }
  | { ok: false; refused: string };

export interface PersonOfAnswer {
  psnNo: string;
  name: string;
  idNumber: string;
  gender: 'male' | 'female';
  birthDate: string;
}

/** How the insured area counted the visit: where (省内/跨省), and whether as filed (备案) — with the pack's reason. */
export interface Basis {
  location: 'in_province' | 'out_of_province';
  referred: boolean;
  why: string;
  cite: string | null;
}

export type SettleAnswer =
  | { ok: true; setlId: string; person: PersonOfAnswer; setlinfo: SettlementView['setlinfo']; setldetail: SettlementView['setldetail']; fundFen: number; setlTime: string; basis: Basis }
  | { ok: false; setlId: string; refused: string };

export interface ReverseRequest {
  setlId: string;
  treatArea: string;
  reference: string;
}
export type ReverseAnswer = { ok: true; setlId: string } | { ok: false; setlId: string; refused: string };

export interface StatusRequest {
  setlId: string;
  from: string;
}
/** The other side's state of a cross-area settlement id (none: it never heard of it). */
export interface StatusAnswer {
  setlId: string;
  state: string | 'none';
  answer?: SettleAnswer;
}

/** The treating area's state of a claim (asked by the insured area's recovery; none: it never had it). */
export interface ClaimAnswer {
  setlId: string;
  state: 'pending' | 'settled' | 'refused' | 'abandoned' | 'reversed' | 'none';
}

export interface ConfirmEvent {
  setlId: string;
  treatArea: string;
}
/** The treating area gave a claim up; `hospital` (its hospital's code) finds what a killed process left settled. */
export interface CancelEvent extends ConfirmEvent {
  hospital?: string;
}

/** One line of a monthly clearing statement: a live cross-area settlement and what the insured area's funds pay. */
export interface StatementLine {
  setlId: string;
  hospital: string;
  setlTime: string;
  fundFen: number;
}
export interface Statement {
  month: string;
  insuredArea: string;
  treatArea: string;
  lines: StatementLine[];
  count: number;
  totalFen: number;
  byHospital: Record<string, number>;
  digest: string;
}
export interface StatementRequest {
  month: string;
  treatArea: string;
}
export interface PostRequest extends StatementRequest {
  digest: string;
}
export type PostAnswer = { ok: true; statement: Statement; entryId: string | null } | { ok: false; refused: string; statement?: Statement };
