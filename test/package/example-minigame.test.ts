import { ROOT } from '../support/paths';
import { readFileSync } from 'fs';
import { createRequire } from 'module';
import { join } from 'path';
import { compileFunction } from 'vm';
import * as presets from '../../channels';
import { createServer, installChat, installGame, type ReferenceServer } from '../../server';
import * as runtime from '../../src';
import { createWxEmulator, type WxEmulator } from '../support/wx-emulator';

// examples/minigame/ runs here as WeChat would run it: its logic modules, then game.js itself, on the wx emulator
// against the reference server with the modules `npm run serve` installs. `multisocket.min.js` is the runtime and the
// presets in one file; here the same two entry points come from the source tree.
const exampleDir = join(ROOT, 'examples', 'minigame');
const exampleRequire = createRequire(join(exampleDir, 'game.js'));
const library = { ...runtime, ...presets };

interface Position {
  x: number;
  y: number;
}
interface Line {
  id: number;
  from: string;
  text: string;
}
interface Session {
  ready: Promise<{ me: string }>;
  readonly me: string | undefined;
  readonly players: Record<string, Position>;
  readonly lines: Line[];
  move(dx: number, dy: number): number;
  moveToward(target: Position): number;
  say(text: string): Promise<{ id: number }>;
  isMine(line: Line): boolean;
  onState(fn: (state: { me: string; players: Record<string, Position>; tick: number }) => void): () => void;
  onChat(fn: (line: Line) => void): () => void;
  status(): { game: string; chat: string };
  close(): Promise<void>;
}
interface SessionModule {
  createSession(options: { multisocket: unknown; wx: unknown; url: string; allowInsecure?: boolean; room?: string }): Session;
}
const sessionModule = exampleRequire('./logic/session.js') as SessionModule;

/** Resolves with the first event of `on` that passes `test`. */
function first<T>(on: (fn: (value: T) => void) => () => void, test: (value: T) => boolean): Promise<T> {
  return new Promise((resolve) => {
    const undo = on((value) => {
      if (!test(value)) return;
      undo();
      resolve(value);
    });
  });
}

describe('examples/minigame', () => {
  let server: ReferenceServer;
  let url: string;
  const emulators: WxEmulator[] = [];
  const sessions: Session[] = [];

  const player = () => {
    const emulator = createWxEmulator({ devMode: true });
    emulators.push(emulator);
    const session = sessionModule.createSession({ multisocket: library, wx: emulator, url, allowInsecure: true });
    sessions.push(session);
    return { emulator, session };
  };

  beforeEach(async () => {
    server = createServer({ port: 0 });
    installChat(server);
    installGame(server);
    url = (await server.listen()).url;
  });

  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((s) => s.close()));
    for (const emulator of emulators.splice(0)) {
      expect(emulator.uncaughtErrors).toEqual([]);
      await emulator.dispose();
    }
    await server.close();
  });

  it('logic: a dot steered to a point ends there in the server state other players get; a chat line reaches everyone once', async () => {
    const a = player().session;
    const b = player().session;
    await Promise.all([a.ready, b.ready]);
    expect(a.me).not.toBe(b.me);

    const target = { x: 37, y: -24 };
    const bSeesIt = first(b.onState, (s) => s.players[a.me as string]?.x === target.x && s.players[a.me as string]?.y === target.y);
    // One input per server state, as game.js sends one per tick while a finger is down, until a's dot is there.
    const path: Position[] = [];
    const arrived = first(a.onState, ({ players }) => {
      const at = players[a.me as string];
      if (at) path.push(at);
      if (at && at.x === target.x && at.y === target.y) return true;
      a.moveToward(target);
      return false;
    });
    a.moveToward(target);
    await arrived;
    await bSeesIt;
    // Steering counts the inputs still in flight, so the dot never overshoots although the state lags the inputs.
    for (const at of path) {
      expect(at.x).toBeGreaterThanOrEqual(0);
      expect(at.x).toBeLessThanOrEqual(target.x);
      expect(at.y).toBeLessThanOrEqual(0);
      expect(at.y).toBeGreaterThanOrEqual(target.y);
    }
    expect(a.moveToward(target)).toBe(0);

    const bGetsIt = first(b.onChat, (line) => line.text === '你好 👋');
    const aGetsIt = first(a.onChat, (line) => line.text === '你好 👋');
    const said = await a.say('你好 👋');
    const [atB, atA] = await Promise.all([bGetsIt, aGetsIt]);
    expect(atB).toEqual({ id: said.id, from: atA.from, text: '你好 👋' });
    expect(a.isMine(atA)).toBe(true);
    expect(b.isMine(atB)).toBe(false);
    expect(b.lines.filter((l) => l.id === said.id)).toHaveLength(1);
  });

  it('game.js: a touch moves the dot on every screen, the chat bar opens the keyboard and sends the line', async () => {
    const observer = player().session;
    await observer.ready;
    const emulator = createWxEmulator({ devMode: true });
    emulators.push(emulator);

    // What game.js reaches for besides sockets and lifecycle: the screen, touches and the keyboard, recorded.
    const on: Record<string, (event: never) => void> = {};
    const texts: string[] = [];
    const dots: Array<[number, number]> = [];
    const ctx = {
      scale: () => undefined,
      fillRect: () => undefined,
      beginPath: () => undefined,
      fill: () => undefined,
      arc: (x: number, y: number) => void dots.push([x, y]),
      fillText: (text: string) => void texts.push(text),
    };
    const keyboard: unknown[] = [];
    const wx = {
      connectSocket: (option: Parameters<WxEmulator['connectSocket']>[0]) => emulator.connectSocket(option),
      onShow: emulator.onShow,
      offShow: emulator.offShow,
      onHide: emulator.onHide,
      offHide: emulator.offHide,
      onNetworkStatusChange: emulator.onNetworkStatusChange,
      offNetworkStatusChange: emulator.offNetworkStatusChange,
      getWindowInfo: () => ({ windowWidth: 375, windowHeight: 667, pixelRatio: 2 }),
      createCanvas: () => ({ width: 0, height: 0, getContext: () => ctx }),
      onTouchStart: (fn: (event: never) => void) => void (on.touchStart = fn),
      onTouchMove: (fn: (event: never) => void) => void (on.touchMove = fn),
      onTouchEnd: (fn: (event: never) => void) => void (on.touchEnd = fn),
      onKeyboardConfirm: (fn: (event: never) => void) => void (on.keyboardConfirm = fn),
      showKeyboard: (option: unknown) => void keyboard.push(option),
      hideKeyboard: () => undefined,
    };
    let frame: (() => void) | undefined;
    const intervals: NodeJS.Timeout[] = [];
    let session: Session | undefined;
    let lastSay: Promise<unknown> | undefined;
    const requireShim = (id: string): unknown => {
      if (id === './multisocket.min.js') return library;
      if (id !== './logic/session.js') return exampleRequire(id);
      return {
        ...sessionModule,
        // The session game.js makes, pointed at this test's server, and kept so the test can close it.
        createSession: (options: { url: string }) => {
          session = sessionModule.createSession({ ...options, url } as Parameters<SessionModule['createSession']>[0]);
          sessions.push(session);
          const say = session.say;
          session.say = (text) => (lastSay = say(text)) as Promise<{ id: number }>;
          return session;
        },
      };
    };
    const source = readFileSync(join(exampleDir, 'game.js'), 'utf8');
    const game = compileFunction(source, ['require', 'wx', 'requestAnimationFrame', 'setInterval'], { filename: 'game.js' });
    game(requireShim, wx, (fn: () => void) => (frame = fn), (fn: () => void, ms: number) => {
      const handle = setInterval(fn, ms);
      intervals.push(handle);
      return handle;
    });
    try {
      const mine = session as Session;
      const { me } = await mine.ready;

      // The field is the screen above the 96 px chat bar; its middle is the world's origin: (187.5, 285.5).
      const there = (s: { players: Record<string, Position> }) => s.players[me]?.x === 40 && s.players[me]?.y === -30;
      const seen = [first(observer.onState, there), first(mine.onState, there)];
      on.touchStart?.({ touches: [{ clientX: 227.5, clientY: 255.5 }] } as never);
      await Promise.all(seen);
      on.touchEnd?.({ touches: [] } as never);
      frame?.();
      expect(dots).toContainEqual([228, 256]);

      on.touchStart?.({ touches: [{ clientX: 100, clientY: 660 }] } as never);
      expect(keyboard).toEqual([expect.objectContaining({ confirmType: 'send' })]);
      const heard = first(observer.onChat, (line) => line.text === 'hello');
      on.keyboardConfirm?.({ value: '  hello ' } as never);
      await heard;
      await lastSay;
      texts.length = 0;
      frame?.();
      expect(texts).toContain('me: hello');
    } finally {
      intervals.forEach((handle) => clearInterval(handle));
    }
  });
});
