import { ProtocolErrorCode } from '../../src/codes';
import { ProtocolError } from '../../src/errors';
import { type Hello, PROTOCOL_VERSION, type Welcome } from '../../src/wire/protocol';
import { isThenable } from './handlers';

/** What `authenticate` may return: truthy accepts (an object becomes `connection.user`), falsy refuses. */
export type AuthResult = object | boolean | null | undefined;

/** Decides whether a HELLO may open a connection; may be async. Throwing refuses, like returning false. */
export type Authenticate = (token: string | undefined, hello: Readonly<Hello>) => AuthResult | PromiseLike<AuthResult>;

/*
 * The server's half of the handshake (PROTOCOL.md section 3): check the version, run the authenticate hook, and
 * build the WELCOME. The connection owns the state; these pieces decide.
 */

/** The error for a HELLO whose `v` this server does not speak (BYE 4103), or undefined. */
export function versionError(hello: Readonly<Hello>): ProtocolError | undefined {
  if (hello.v === PROTOCOL_VERSION) return undefined;
  return new ProtocolError(
    ProtocolErrorCode.UnsupportedVersion,
    `protocol version ${hello.v} is not supported; this server speaks ${PROTOCOL_VERSION}`,
  );
}

/** Where the verdict of `authenticate` goes: exactly one of the two is called, once. */
export interface AuthOutcome {
  /** Truthy verdict; `user` is the verdict when it is an object. */
  accept(user: object | undefined): void;
  /** Falsy verdict, or the hook threw or rejected (`threw`). What it threw is never passed on: it may quote the token. */
  refuse(threw: boolean): void;
}

/** Runs the hook, synchronously when it answers synchronously, so that a sync accept sends WELCOME in the same turn. */
export function runAuthenticate(authenticate: Authenticate, hello: Readonly<Hello>, outcome: AuthOutcome): void {
  let verdict: AuthResult | PromiseLike<AuthResult>;
  try {
    verdict = authenticate(hello.token, hello);
  } catch {
    outcome.refuse(true);
    return;
  }
  if (!isThenable(verdict)) {
    settle(verdict, outcome);
    return;
  }
  Promise.resolve(verdict).then(
    (result) => settle(result, outcome),
    () => outcome.refuse(true),
  );
}

function settle(verdict: AuthResult, outcome: AuthOutcome): void {
  if (verdict) outcome.accept(typeof verdict === 'object' ? verdict : undefined);
  else outcome.refuse(false);
}

/** The WELCOME body: `resumed` and `recv` are 0 and false for a new session. */
export function welcomeFor(session: string, heartbeatMs: number, time: number, resumed: boolean, recv: number, previousRecv?: number): Welcome {
  const welcome: Welcome = { v: PROTOCOL_VERSION, session, heartbeatMs, time, resumed, recv };
  if (previousRecv !== undefined) welcome.previousRecv = previousRecv;
  return welcome;
}
