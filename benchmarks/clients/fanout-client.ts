/*
 * Child of the fan-out suite: the members of one chat room per case, each its own ConnectionManager and chat preset
 * (its own session), spread round-robin over that case's server processes. Members 0 and 1 are the senders: on two
 * processes when the case has two, so that member 1 receives member 0's messages across processes.
 *
 *   {type:'setup', cases: {<name>: urls[]}, members}  ->  {type:'ready'}
 *   {type:'throughput', case, messages, window}       ->  {type:'throughput', ms, deliveries}
 *       the two senders say `messages` in all, each with `window` says in flight; `ms` runs from the first say to the
 *       last delivery at the last member (each member gets each message once: messages x members deliveries).
 *   {type:'latency', case, count}                     ->  {type:'latency', latencies}
 *       member 0 says `count` messages one at a time; each one's latency is from before its say to its delivery at
 *       member 1, and the next goes once every member has the one before.
 */
import WebSocket from 'ws';
import { type ChatChannel, chatChannel } from '../../channels';
import { ConnectionManager } from '../../src/manager';
import { webSocketTransport } from '../../src/transport/websocket';
import { failOnError, listenToParent, preciseNow, type ScriptMessage, tellParent } from '../script-process';

failOnError('fanout client');

/** A message body: its sequence in the phase, when it was said, and about 100 bytes of text. */
interface Body {
  readonly k: number;
  readonly sentAt: number;
  readonly text: string;
}

const TEXT = 'a chat line of about a hundred bytes, as players type them in a room of a mini-game: hi! ';

interface Member {
  readonly manager: ConnectionManager;
  readonly chat: ChatChannel;
}

/** One case: its room's members and what they have received. */
interface Case {
  readonly room: string;
  readonly members: Member[];
  deliveries: number;
  /** Called on every delivery, with the member's index. */
  onDelivery: (member: number, body: Body) => void;
}

async function setup(name: string, urls: readonly string[], count: number): Promise<Case> {
  const room = `fanout-${name}`;
  const c: Case = { room, members: [], deliveries: 0, onDelivery: () => undefined };
  for (let i = 0; i < count; i++) {
    const manager = new ConnectionManager({ transport: webSocketTransport(WebSocket) });
    // Frames are handled as they come (no per-turn limit): this process holds every member, it must not be the limit.
    const chat = chatChannel({ manager, url: urls[i % urls.length] as string, receiveTurnMs: Infinity });
    chat.onMessage<Body>(room, (message) => {
      c.deliveries++;
      c.onDelivery(i, message.body);
    });
    chat.on('error', (error) => process.stderr.write(`fanout client: ${error.message}\n`));
    c.members.push({ manager, chat });
  }
  await Promise.all(c.members.map((m) => m.chat.join(room)));
  return c;
}

/** Resolves once `done()` is true, checked on each delivery; rejects after `timeoutMs`. */
function until(c: Case, done: (member: number, body: Body) => boolean, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fanout client: ${what} not done within ${timeoutMs} ms (${c.deliveries} deliveries)`)), timeoutMs);
    c.onDelivery = (member, body) => {
      if (!done(member, body)) return;
      clearTimeout(timer);
      c.onDelivery = () => undefined;
      resolve();
    };
  });
}

async function throughput(c: Case, messages: number, window: number): Promise<{ ms: number; deliveries: number }> {
  const target = c.deliveries + messages * c.members.length;
  const start = c.deliveries;
  const all = until(c, () => c.deliveries >= target, 60_000, `throughput of ${messages} messages`);
  const t0 = preciseNow();
  let said = 0;
  const sender = async (member: Member) => {
    while (said < messages) {
      const k = said++;
      await member.chat.say(c.room, { k, sentAt: preciseNow(), text: TEXT });
    }
  };
  const senders = [c.members[0], c.members[1]] as Member[];
  await Promise.all([...senders.flatMap((m) => Array.from({ length: window }, () => sender(m))), all]);
  return { ms: preciseNow() - t0, deliveries: c.deliveries - start };
}

async function latency(c: Case, count: number): Promise<number[]> {
  const latencies: number[] = [];
  const [from] = c.members as [Member];
  for (let k = 0; k < count; k++) {
    const target = c.deliveries + c.members.length;
    let arrived = 0;
    const sentAt = preciseNow();
    const delivered = until(
      c,
      (member, body) => {
        if (member === 1 && body.k === k && body.sentAt === sentAt) arrived = preciseNow() - sentAt;
        return c.deliveries >= target;
      },
      10_000,
      `latency message ${k}`,
    );
    await Promise.all([from.chat.say(c.room, { k, sentAt, text: TEXT }), delivered]);
    latencies.push(arrived);
  }
  return latencies;
}

async function main(): Promise<void> {
  const cases = new Map<string, Case>();
  const answer = async (message: ScriptMessage): Promise<void> => {
    if (message.type === 'setup') {
      const setupMessage = message as ScriptMessage & { cases: Record<string, string[]>; members: number };
      for (const [name, urls] of Object.entries(setupMessage.cases)) cases.set(name, await setup(name, urls, setupMessage.members));
      tellParent({ type: 'ready' });
      return;
    }
    const c = cases.get(String(message.case));
    if (!c) throw new Error(`fanout client: no case ${String(message.case)}`);
    if (message.type === 'throughput') tellParent({ type: 'throughput', ...(await throughput(c, Number(message.messages), Number(message.window))) });
    else if (message.type === 'latency') tellParent({ type: 'latency', latencies: await latency(c, Number(message.count)) });
  };
  let queue = Promise.resolve();
  listenToParent(
    (message) => {
      // One command at a time, in order.
      queue = queue.then(() => answer(message)).catch((error: unknown) => {
        process.stderr.write(`fanout client: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
        process.exit(1);
      });
    },
    () => {
      for (const c of cases.values()) for (const m of c.members) m.manager.close();
      process.exit(0);
    },
  );
  tellParent({ type: 'started' });
}

void main();
