import type { Clock } from '../../src/time/clock';
import { Deadline } from '../../src/time/deadline';
import { CloseCode, ProtocolErrorCode } from '../../src/codes';
import { ProtocolError } from '../../src/errors';
import { type Frame, type Hello, PROTOCOL_VERSION, type Welcome } from '../../src/wire/protocol';
import type { ResumeRequest } from '../sessions/kept';
import { ServerError, ServerErrorCode } from './errors';
import { isThenable } from './handlers';

/** What `authenticate` may return: truthy accepts (an object becomes `connection.user`), falsy refuses. */
export type AuthResult = object | boolean | null | undefined;

/** Decides whether a HELLO may open a connection; may be async. Throwing refuses, like returning false. */
export type Authenticate = (token: string | undefined, hello: Readonly<Hello>) => AuthResult | PromiseLike<AuthResult>;

/*
 * The server's half of the handshake (PROTOCOL.md section 3): check the version, run the authenticate hook, take a
 * shared session before it is resumed, and build the WELCOME. The connection owns its state and sends WELCOME; these
 * pieces decide whether it may.
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
function runAuthenticate(authenticate: Authenticate, hello: Readonly<Hello>, outcome: AuthOutcome): void {
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

/** The WELCOME body: `resumed` and `recv` are 0 and false for a new session; `early` only when frames are taken. */
export function welcomeFor(session: string, heartbeatMs: number, time: number, resumed: boolean, recv: number, previousRecv?: number, early = 0): Welcome {
  const welcome: Welcome = { v: PROTOCOL_VERSION, session, heartbeatMs, time, resumed, recv };
  if (previousRecv !== undefined) welcome.previousRecv = previousRecv;
  if (early > 0) welcome.early = early;
  return welcome;
}

/**
 * Where a {@link Handshake} ends: one of the two is called, unless the handshake was cancelled first. The connection
 * cancels it once it welcomes or starts closing, which is what makes the first call the only one.
 */
export interface HandshakeOutcome {
  /**
   * The client may be welcomed: authenticated and, for a resume from a shared store, its session taken from there.
   * `early`: the frames it sent right behind HELLO, in order, to handle after WELCOME.
   */
  welcome(user: object | undefined, resume: ResumeRequest | undefined, early: readonly Frame[]): void;
  /** The client is refused with BYE `code`; `error` (never what the hook threw: it may quote the token) to report. */
  refuse(code: number, reason: string, error?: ServerError): void;
  /** The client sent more than `maxEarlyBytes` before WELCOME: a protocol error. */
  violated(error: ProtocolError): void;
}

/** What a handshake runs on; `fetch` is set only when sessions are shared with other processes. */
export interface HandshakeOptions {
  readonly clock: Clock;
  readonly authenticate: Authenticate;
  readonly helloTimeoutMs: number;
  readonly maxEarlyBytes: number;
  /** Takes the session `ask` names from the shared store (never rejects); false when the store is out of reach. */
  readonly fetch: ((ask: ResumeRequest, channel: string) => Promise<boolean>) | undefined;
}

/**
 * One connection's handshake, from the socket opening until it may be welcomed: the deadline for HELLO and for the
 * whole handshake, the authenticate verdict, and taking a resumed session from the shared store. A verdict that
 * arrives after {@link cancel} (the socket closed, or the deadline passed, while an async hook ran) is dropped.
 */
export class Handshake {
  private running = true;
  private begun = false;
  private hello: Readonly<Hello> | undefined;
  /** Early frames (PUSH, REQUEST) held until WELCOME, and their bytes; discarded if the client is refused. */
  private early: Frame[] = [];
  private earlyBytes = 0;
  private readonly deadline: Deadline;
  private readonly auth: AuthOutcome;

  constructor(private readonly options: HandshakeOptions, private readonly outcome: HandshakeOutcome) {
    this.deadline = new Deadline(options.clock, () =>
      outcome.refuse(CloseCode.HeartbeatTimeout, this.begun ? 'handshake timed out' : 'no HELLO in time'),
    );
    this.auth = { accept: (user) => this.accepted(user), refuse: (threw) => this.refused(threw) };
    this.deadline.setIn(options.helloTimeoutMs);
  }

  /** A HELLO of a version this server speaks arrived: runs the authenticate hook (synchronously, if it answers so). */
  begin(hello: Readonly<Hello>): void {
    this.begun = true;
    this.hello = hello;
    runAuthenticate(this.options.authenticate, hello, this.auth);
  }

  /** Holds the frames of one message that came right behind HELLO (admitted: PUSH and REQUEST only) until WELCOME. */
  hold(frames: readonly Frame[], bytes: number): void {
    if (!this.running) return;
    this.earlyBytes += bytes;
    if (this.earlyBytes > this.options.maxEarlyBytes) {
      this.outcome.violated(new ProtocolError(ProtocolErrorCode.UnexpectedFrame, `more than maxEarlyBytes (${this.options.maxEarlyBytes}) sent before WELCOME`));
      return;
    }
    this.early.push(...frames);
  }

  /** The connection is closing or welcomed: no outcome is reported any more, early frames are let go, the deadline released. */
  cancel(): void {
    this.running = false;
    this.hello = undefined;
    this.early = [];
    this.deadline.cancel();
  }

  private accepted(user: object | undefined): void {
    const hello = this.hello;
    if (!this.running || !hello) return;
    const resume = hello.session !== undefined && hello.recv !== undefined ? { session: hello.session, recv: hello.recv } : undefined;
    const fetch = this.options.fetch;
    if (!resume || !fetch) {
      this.outcome.welcome(user, resume, this.early);
      return;
    }
    // The session may be another process's: take it from the shared store first. A store out of reach refuses the
    // resume retryably: a new session would lose or repeat what the stored one holds.
    void fetch(resume, hello.channel).then((reached) => {
      if (!this.running) return;
      if (reached) this.outcome.welcome(user, resume, this.early);
      else this.outcome.refuse(CloseCode.ServerRestart, 'session store unavailable');
    });
  }

  private refused(threw: boolean): void {
    if (!this.running) return;
    // Deliberately without `cause`: what the hook threw may quote the token.
    const error = threw ? new ServerError(ServerErrorCode.AuthenticateFailed, 'the authenticate hook threw; the client was refused') : undefined;
    this.outcome.refuse(CloseCode.Unauthorized, 'unauthorized', error);
  }
}
