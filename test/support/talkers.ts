import WebSocket from 'ws';
import { type ChatChannel, chatChannel, type ChatMessage, type Said } from '../../channels';
import { ConnectionManager, type ReconnectOptions, RemoteError, webSocketTransport } from '../../src';
import { reach } from './channel-helpers';
import { wireIds } from './chat-wire';
import { ManualLifecycle } from './harness';
import { Changes, holds, waitFor } from './wait';

/*
 * Chat clients that keep talking in one room while the servers under them move (a SIGTERM, a rolling restart), and the
 * check that every one of them got every line once and in order.
 */

/** The room the talkers talk in. */
export const ROOM = 'lobby';

export interface Talker {
  readonly name: string;
  readonly chat: ChatChannel;
  readonly manager: ConnectionManager;
  /** Every message delivered by the preset, in order. */
  readonly received: ChatMessage[];
  /** The id of every `room/<room>/message` that reached the channel, before the preset's own dedupe by id. */
  readonly wire: number[];
  /** Each say's answer, in the order said. */
  readonly says: Promise<Said>[];
  /** The code of every say refused. */
  readonly refused: string[];
  readonly resyncs: unknown[];
  /** Resolves once `count` messages have been delivered in all. */
  until(count: number): Promise<void>;
  /** Resolves once `count` of its own lines have come back to it through the room. */
  heard(count: number): Promise<void>;
}

/**
 * A chat client named `name` on `url`, joined to {@link ROOM}; `reconnect` defaults to a fast backoff (10–50 ms), and
 * `random` (the jitter) to 0.
 */
export async function talker(name: string, url: string, reconnect: Partial<ReconnectOptions> = { baseMs: 10, maxMs: 50 }, random = () => 0): Promise<Talker> {
  const manager = new ConnectionManager({ transport: webSocketTransport(WebSocket), lifecycle: new ManualLifecycle(), random });
  const chat = chatChannel({ manager, url: `${url}/chat`, reconnect });
  const received: ChatMessage[] = [];
  const wire: number[] = [];
  const resyncs: unknown[] = [];
  const refused: string[] = [];
  const changes = new Changes();
  wireIds(chat.channel, ROOM, wire);
  chat.channel.on('resync', (event) => void resyncs.push(event));
  chat.onMessage(ROOM, (message) => {
    received.push(message);
    changes.notify();
  });
  await reach(chat.channel, 'open');
  await chat.join(ROOM);
  const own = () => received.filter((m) => String(m.body).startsWith(`${name}-`)).length;
  const wait = (what: string, check: () => boolean) => waitFor(`${name}: ${what}`, holds(check, changes), { detail: () => ({ refused, received: received.map((m) => m.body) }) });
  return {
    name,
    chat,
    manager,
    received,
    wire,
    says: [],
    refused,
    resyncs,
    until: (count) => wait(`${count} messages`, () => received.length >= count),
    heard: (count) => wait(`${count} of its own lines`, () => own() >= count),
  };
}

/**
 * `talker` says `lines` lines, `window` at a time: the next goes when one of its own comes back through the room, so
 * that it keeps talking across the move whether or not a `chat/said` is on its way.
 */
export function talk(t: Talker, lines: number, window: number): void {
  let said = 0;
  const say = () => {
    const answer = t.chat.say(ROOM, `${t.name}-${said++}`);
    // Awaited by the test; a test that failed closes the channel with says pending, which is no news.
    answer.catch((error: unknown) => void t.refused.push(error instanceof RemoteError ? error.code : String(error)));
    t.says.push(answer);
  };
  t.chat.onMessage(ROOM, (message) => {
    if (String(message.body).startsWith(`${t.name}-`) && said < lines && t.chat.channel.state !== 'closing' && t.chat.channel.state !== 'closed') say();
  });
  while (said < Math.min(window, lines)) say();
}

/** Ids strictly increasing, each message once, the same sequence as `reference`, and the preset had nothing to hide. */
export function expectOnceInOrder(t: Talker, bodies: readonly string[], reference: readonly number[]): void {
  const ids = t.received.map((m) => m.id);
  for (let i = 1; i < ids.length; i++) expect(ids[i] as number).toBeGreaterThan(ids[i - 1] as number);
  expect(t.received.map((m) => m.body).sort()).toEqual([...bodies].sort());
  expect(ids).toEqual(reference);
  expect(t.wire).toEqual(ids);
}

