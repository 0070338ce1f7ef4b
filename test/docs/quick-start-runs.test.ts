import * as multisocket from '../../src';
import type { Channel, ConnectionManager } from '../../src';
import { docBlocks } from '../support/doc-blocks';
import { type ServerProcess, startServerProcess } from '../support/server-process';
import { createWxEmulator } from '../support/wx-emulator';

/*
 * The README's quick start, as written, runs against the reference server as `npm run serve` starts it (the built CLI):
 * on the wx emulator (which connects `wss://` over plain TCP), with `require('multisocket')` giving the package's
 * sources and the two example hosts pointing at the server. Only the names the block assumes (`login`, `draw`,
 * `render`) and `console` come from the test.
 */

const block = docBlocks('README.md').find((b) => b.name === 'quick-start');

let server: ServerProcess | undefined;
beforeAll(async () => {
  server = await startServerProcess();
});
afterAll(async () => {
  await server?.kill('SIGTERM');
});

it('joins room 42, says 你好, hears it back, and moves in the game', async () => {
  if (!block) throw new Error('README.md has no block marked <!-- doc-test: name quick-start -->');
  const url = `wss://127.0.0.1:${(server as ServerProcess).port}/ws`;
  const code = block.code.replace(/wss:\/\/(game|chat)\.example\.com\/ws/g, url);
  expect(code.split(url)).toHaveLength(3);

  const logged: string[] = [];
  const warned: unknown[][] = [];
  const fakeConsole = { log: (line: string) => logged.push(line), warn: (...args: unknown[]) => warned.push(args) };
  let heard!: (value: { topic: string; message: unknown }) => void;
  const message = new Promise<{ topic: string; message: unknown }>((resolve) => (heard = resolve));
  let moved!: (state: unknown) => void;
  const applied = new Promise<unknown>((resolve) => (moved = resolve));
  const draw = (state: { lastInput?: number }): void => void (state.lastInput === 1 && moved(state));
  const render = (topic: string, payload: unknown): void => heard({ topic, message: payload });
  const requireFor = (id: string): unknown => {
    if (id === 'multisocket') return multisocket;
    throw new Error(`the quick start requires "${id}", which this test does not provide`);
  };

  const wx = createWxEmulator();
  // The block is the body of a function whose parameters are the names it uses but does not define.
  const run = new Function('require', 'wx', 'login', 'draw', 'render', 'console', `${code}\nreturn { manager, game, chat };`) as (
    ...args: unknown[]
  ) => { manager: ConnectionManager; game: Channel; chat: Channel };
  const { manager, game, chat } = run(requireFor, wx, () => Promise.resolve('any token'), draw, render, fakeConsole);
  try {
    await expect(message).resolves.toEqual({
      topic: 'room/42/message',
      message: expect.objectContaining({ body: '你好', mid: 'player-1.1', from: expect.any(String), id: expect.any(Number) }),
    });
    await expect(applied).resolves.toEqual(expect.objectContaining({ lastInput: 1, players: expect.any(Object) }));
    // As the README says: open() has already made the first transition, so the listener starts at connecting.
    expect(logged.slice(0, 2)).toEqual([expect.stringMatching(/^game connecting -> handshaking /), expect.stringMatching(/^game handshaking -> open /)]);
    expect(warned).toEqual([]);
  } finally {
    const closed = [game, chat].map((channel) => new Promise((resolve) => channel.on('state', ({ next }) => next === 'closed' && resolve(next))));
    manager.close();
    await Promise.all(closed);
    await wx.dispose();
  }
});
