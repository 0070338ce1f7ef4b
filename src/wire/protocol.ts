import { ProtocolErrorCode } from '../codes';
import { ProtocolError } from '../errors';

/** The protocol version this runtime speaks (HELLO/WELCOME `v`). */
export const PROTOCOL_VERSION = 1;

/** Opcodes: the first element of every frame. PROTOCOL.md is the normative table. */
export const Op = {
  Hello: 0,
  Welcome: 1,
  Ping: 2,
  Pong: 3,
  Push: 4,
  Request: 5,
  Reply: 6,
  Fail: 7,
  Reliable: 8,
  Ack: 9,
  Bye: 10,
} as const;
export type Op = (typeof Op)[keyof typeof Op];

const OP_NAMES = ['HELLO', 'WELCOME', 'PING', 'PONG', 'PUSH', 'REQUEST', 'REPLY', 'FAIL', 'RELIABLE', 'ACK', 'BYE'];

/** The upper-case protocol name of an opcode, for messages and logs. */
export function opName(op: number): string {
  return OP_NAMES[op] || `op ${op}`;
}

/** HELLO body: the first frame of every connection. `session` + `recv` ask to resume. */
export interface Hello {
  v: number;
  channel: string;
  token?: string;
  session?: string;
  recv?: number;
}

/** WELCOME body: the handshake was accepted. */
export interface Welcome {
  v: number;
  session: string;
  heartbeatMs: number;
  time: number;
  resumed: boolean;
  recv: number;
  /**
   * Only with `resumed: false`, when the session asked for ended recently: the last of the client's RELIABLE seqs the
   * server applied in it. The client treats it as an ACK of the old session and re-sends only what follows.
   */
  previousRecv?: number;
}

// Frames are the wire arrays themselves: encoding needs no conversion and decoding only validates in place.
type HelloFrame = readonly [typeof Op.Hello, Hello];
type WelcomeFrame = readonly [typeof Op.Welcome, Welcome];
type PingFrame = readonly [typeof Op.Ping, number];
type PongFrame = readonly [typeof Op.Pong, number, number];
type PushFrame = readonly [typeof Op.Push, string, unknown];
type RequestFrame = readonly [typeof Op.Request, number, string, unknown];
type ReplyFrame = readonly [typeof Op.Reply, number, unknown];
type FailFrame = readonly [typeof Op.Fail, number, string, string];
type ReliableFrame = readonly [typeof Op.Reliable, number, string, unknown];
type AckFrame = readonly [typeof Op.Ack, number];
/** `retryMs`, when present, is the server's retry hint (PROTOCOL.md section 3, Closing). */
type ByeFrame = readonly [typeof Op.Bye, number, string, number?];

export type Frame =
  | HelloFrame
  | WelcomeFrame
  | PingFrame
  | PongFrame
  | PushFrame
  | RequestFrame
  | ReplyFrame
  | FailFrame
  | ReliableFrame
  | AckFrame
  | ByeFrame;

/** Number of elements (opcode included) of each opcode's frame, indexed by opcode. */
const ARITY = [2, 2, 2, 3, 3, 4, 3, 4, 4, 2, 3];

function bad(op: number, what: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.BadFrame, `${opName(op)} frame: ${what}`);
}

function isUint(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isPlainMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function checkUint(op: number, value: unknown, field: string): void {
  if (!isUint(value)) throw bad(op, `${field} must be an unsigned integer, got ${describe(value)}`);
}

function checkString(op: number, value: unknown, field: string): void {
  if (typeof value !== 'string') throw bad(op, `${field} must be a string, got ${describe(value)}`);
}

function checkTopic(op: number, value: unknown): void {
  checkString(op, value, 'topic');
  if ((value as string).length === 0) throw bad(op, 'topic must not be empty');
}

/** A short, safe description of a value for error messages (never the value itself: it may hold a secret). */
function describe(value: unknown): string {
  if (value === null) return 'nil';
  if (Array.isArray(value)) return `array(${value.length})`;
  if (value instanceof Uint8Array) return `bin(${value.byteLength})`;
  return typeof value;
}

/**
 * Checks that a decoded msgpack value is a well-formed frame and narrows its type. Unknown fields inside HELLO and
 * WELCOME maps are allowed (a later minor revision may add some); everything else must match exactly.
 * @throws {ProtocolError} `unknown_op` or `bad_frame`.
 */
export function validateFrame(value: unknown): Frame {
  if (!Array.isArray(value) || value.length === 0) {
    throw new ProtocolError(ProtocolErrorCode.UnknownOp, `a frame must be a non-empty array, got ${describe(value)}`);
  }
  const op: unknown = value[0];
  if (typeof op !== 'number' || !Number.isInteger(op) || op < 0 || op >= ARITY.length) {
    throw new ProtocolError(
      ProtocolErrorCode.UnknownOp,
      `unknown opcode ${typeof op === 'number' ? op : describe(op)}`,
    );
  }
  // BYE alone has an optional last element, its retry hint.
  if (value.length !== ARITY[op] && !(op === Op.Bye && value.length === 4)) throw bad(op, `expected ${ARITY[op]} elements, got ${value.length}`);
  switch (op) {
    case Op.Hello: {
      const body: unknown = value[1];
      if (!isPlainMap(body)) throw bad(op, `body must be a map, got ${describe(body)}`);
      checkUint(op, body.v, 'v');
      checkString(op, body.channel, 'channel');
      if (body.token !== undefined) checkString(op, body.token, 'token');
      if (body.session !== undefined) checkString(op, body.session, 'session');
      if (body.recv !== undefined) checkUint(op, body.recv, 'recv');
      break;
    }
    case Op.Welcome: {
      const body: unknown = value[1];
      if (!isPlainMap(body)) throw bad(op, `body must be a map, got ${describe(body)}`);
      checkUint(op, body.v, 'v');
      checkString(op, body.session, 'session');
      checkUint(op, body.heartbeatMs, 'heartbeatMs');
      checkUint(op, body.time, 'time');
      if (typeof body.resumed !== 'boolean') throw bad(op, `resumed must be a boolean, got ${describe(body.resumed)}`);
      checkUint(op, body.recv, 'recv');
      if (body.previousRecv !== undefined) checkUint(op, body.previousRecv, 'previousRecv');
      break;
    }
    case Op.Ping:
    case Op.Ack:
      checkUint(op, value[1], op === Op.Ping ? 'clientTime' : 'seq');
      break;
    case Op.Pong:
      checkUint(op, value[1], 'clientTime');
      checkUint(op, value[2], 'serverTime');
      break;
    case Op.Push:
      checkTopic(op, value[1]);
      break;
    case Op.Request:
    case Op.Reliable:
      checkUint(op, value[1], op === Op.Request ? 'id' : 'seq');
      checkTopic(op, value[2]);
      break;
    case Op.Reply:
      checkUint(op, value[1], 'id');
      break;
    case Op.Fail:
      checkUint(op, value[1], 'id');
      checkString(op, value[2], 'code');
      checkString(op, value[3], 'message');
      break;
    case Op.Bye:
      checkUint(op, value[1], 'code');
      checkString(op, value[2], 'reason');
      if (value.length === 4) checkUint(op, value[3], 'retryMs');
      break;
  }
  return value as unknown as Frame;
}
