import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, installChat, type ReferenceServer } from '../../server';
import type { Frame } from '../../src/wire/protocol';
import { ROOT } from '../support/paths';
import { ProtocolClient } from '../support/protocol-client';

/*
 * PROTOCOL.md's transcripts (```transcript blocks), replayed line by line against the reference server with its chat
 * module and default options, so the exchanges an implementer copies are the ones the server really has. A line is
 * `c1 > frame` (connection c1 sends it), `c1 < frame` (the next frame c1 receives must match it) or `c1 close` (c1
 * closes with 1000 and waits for the close). In a frame, a string `"<name>"` stands for a value that varies (a session
 * id, a time): it matches anything the first time, and the same value after.
 */

const doc = readFileSync(join(ROOT, 'PROTOCOL.md'), 'utf8');
const transcripts = [...doc.matchAll(/```transcript (\S+)\n([\s\S]*?)```/g)].map((m) => [m[1] as string, (m[2] as string).trim().split('\n')] as const);

let server: ReferenceServer;
let url: string;
beforeEach(async () => {
  server = createServer({ port: 0 });
  installChat(server);
  ({ url } = await server.listen());
});
afterEach(() => server.close());

const VARIABLE = /^<(\w+)>$/;

/** `pattern` with every bound variable replaced by its value (for a frame to send). */
function fill(pattern: unknown, bound: Map<string, unknown>): unknown {
  if (typeof pattern === 'string') {
    const name = VARIABLE.exec(pattern)?.[1];
    if (name === undefined) return pattern;
    if (!bound.has(name)) throw new Error(`"<${name}>" is sent before it was received`);
    return bound.get(name);
  }
  if (Array.isArray(pattern)) return pattern.map((p) => fill(p, bound));
  if (typeof pattern === 'object' && pattern !== null) return Object.fromEntries(Object.entries(pattern).map(([k, v]) => [k, fill(v, bound)]));
  return pattern;
}

/** Whether `actual` matches `pattern`, binding its variables; exact keys, exact values. */
function matches(pattern: unknown, actual: unknown, bound: Map<string, unknown>): boolean {
  const name = typeof pattern === 'string' ? VARIABLE.exec(pattern)?.[1] : undefined;
  if (name !== undefined) {
    if (!bound.has(name)) bound.set(name, actual);
    return Object.is(bound.get(name), actual);
  }
  if (Array.isArray(pattern)) return Array.isArray(actual) && actual.length === pattern.length && pattern.every((p, i) => matches(p, actual[i], bound));
  if (typeof pattern === 'object' && pattern !== null) {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return false;
    const keys = Object.keys(pattern);
    return keys.length === Object.keys(actual).length && keys.every((k) => k in actual && matches((pattern as never)[k], (actual as never)[k], bound));
  }
  return Object.is(pattern, actual);
}

it('PROTOCOL.md has a chat, a resume and a small-ids transcript', () => {
  expect(transcripts.map(([name]) => name).sort()).toEqual(['chat', 'resume', 'small-ids']);
});

describe.each(transcripts)('transcript %s', (_name, lines) => {
  it('is what the reference server does, frame by frame', async () => {
    const clients = new Map<string, ProtocolClient>();
    const bound = new Map<string, unknown>();
    try {
      for (const [index, line] of lines.entries()) {
        const step = /^(\w+) (>|<|close)\s*(.*)$/.exec(line);
        if (!step) throw new Error(`line ${index + 1} is not "cN > frame", "cN < frame" or "cN close": ${line}`);
        const [, who, action, json] = step as unknown as [string, string, string, string];
        let client = clients.get(who);
        if (!client) clients.set(who, (client = await ProtocolClient.connect(url)));
        if (action === 'close') {
          await client.close(1000);
        } else if (action === '>') {
          client.send(fill(JSON.parse(json), bound) as Frame);
        } else {
          const frame = await client.next();
          const trial = new Map(bound);
          if (!matches(JSON.parse(json), frame, trial)) throw new Error(`line ${index + 1}: expected ${json}, got ${JSON.stringify(frame)}`);
          for (const [name, value] of trial) bound.set(name, value);
        }
      }
      for (const [who, client] of clients) if (!client.isClosed) expect(`${who}: ${client.queued} frames not in the transcript`).toBe(`${who}: 0 frames not in the transcript`);
    } finally {
      await Promise.all([...clients.values()].map((c) => c.close()));
    }
  });
});
