import type { Browser, Page } from 'playwright-core';
import { type ExampleWeb, startExampleWeb } from '../../scripts/example-web/server';
import { launchChromium } from '../support/chromium';

// `npm run example:web` as a visitor sees it: the example's H5 page (examples/minigame/web/, the same logic/ modules
// as the mini-game) in two headless Chromium pages against the example's own servers. Both steer their dot and chat
// through the three faults the page's buttons inject; the checks read the pages, their canvas and their screenshots.

interface Position {
  x: number;
  y: number;
}
interface ChannelStats {
  state: string;
  reconnects: number;
}
/** What page.js puts on `window.example`: the session of examples/minigame/logic/session.js. */
interface ExampleSession {
  readonly me: string | undefined;
  readonly players: Record<string, Position>;
  stats(): { game: ChannelStats; chat: ChannelStats };
}
/** The little of the DOM the in-page checks use (the Node side's typings have no DOM). */
interface ListItem {
  dataset: Record<string, string | undefined>;
}
interface Field {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } };
}
type ExampleWindow = typeof globalThis & {
  example?: ExampleSession;
  document: { querySelectorAll(selector: string): Iterable<ListItem>; getElementById(id: string): Field };
};

const FIELD = { width: 480, height: 360 };
/** The page's own dot: '#4fd18b'. */
const MINE = [0x4f, 0xd1, 0x8b];

describe('examples/minigame/web: two tabs, two dots, one chat, three faults', () => {
  let example: ExampleWeb;
  let browser: Browser;
  const pages: Page[] = [];
  const errors: string[] = [];

  const me = (page: Page) => page.evaluate(() => (globalThis as ExampleWindow).example?.me);
  const players = (page: Page) => page.evaluate(() => (globalThis as ExampleWindow).example?.players ?? {});
  const stats = (page: Page) => page.evaluate(() => (globalThis as ExampleWindow).example?.stats());
  /** Resolves once the page's channels are open and have each reconnected at least `game` / `chat` times. */
  const reconnected = (page: Page, game: number, chat: number) =>
    page.waitForFunction(
      ([game, chat]) => {
        const s = (globalThis as ExampleWindow).example?.stats();
        return !!s && s.game.state === 'open' && s.chat.state === 'open' && s.game.reconnects >= game && s.chat.reconnects >= chat;
      },
      [game, chat] as const,
      { timeout: 20_000 },
    );
  /** The chat lines the page shows, by their text. */
  const lines = (page: Page) => page.$$eval('#lines li', (items) => items.map((li) => (li as unknown as ListItem).dataset.text ?? ''));
  const say = async (page: Page, text: string) => {
    await page.fill('#text', text);
    await page.press('#text', 'Enter');
  };
  /** Waits until every one of `texts` is on the page. */
  const shows = (page: Page, texts: readonly string[]) =>
    page.waitForFunction(
      (texts) => {
        const items = (globalThis as ExampleWindow).document.querySelectorAll('#lines li');
        const shown = new Set([...items].map((li) => li.dataset.text));
        return texts.every((text) => shown.has(text));
      },
      texts,
      { timeout: 20_000 },
    );
  /** Waits until the page's canvas shows its own dot (more than 100 pixels of its color): the canvas is not blank. */
  const drawsOwnDot = (page: Page) =>
    page.waitForFunction(
      (rgb) => {
        const canvas = (globalThis as ExampleWindow).document.getElementById('field');
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let count = 0;
        for (let i = 0; i < data.length; i += 4) if (data[i] === rgb[0] && data[i + 1] === rgb[1] && data[i + 2] === rgb[2]) count++;
        return count > 100;
      },
      MINE,
      { timeout: 20_000 },
    );
  /**
   * Holds the pointer `by` (along `axis`) from the field's middle until the page's own dot, as the server has it, is
   * past `beyond` on that axis.
   */
  const steer = async (page: Page, axis: 'x' | 'y', by: number, beyond: number) => {
    const box = await page.locator('#field').boundingBox();
    if (!box) throw new Error('no field on the page');
    await page.mouse.move(box.x + FIELD.width / 2 + (axis === 'x' ? by : 0), box.y + FIELD.height / 2 + (axis === 'y' ? by : 0));
    await page.mouse.down();
    await page.waitForFunction(
      ([axis, beyond]) => {
        const session = (globalThis as ExampleWindow).example;
        const at = session?.me === undefined ? undefined : session.players[session.me];
        return at !== undefined && at[axis] > beyond;
      },
      [axis, beyond] as const,
      { timeout: 20_000 },
    );
    await page.mouse.up();
  };

  beforeAll(async () => {
    example = await startExampleWeb({ port: 0 });
    browser = await launchChromium();
    for (let i = 0; i < 2; i++) {
      // Each tab its own context, as two visitors.
      const page = await (await browser.newContext()).newPage();
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(example.url);
      await page.waitForFunction(() => (globalThis as ExampleWindow).example?.me !== undefined, undefined, { timeout: 20_000 });
      pages.push(page);
    }
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await example?.close();
  });

  it('both dots move, before and after the faults, and every chat line arrives once on both pages', async () => {
    const [a, b] = pages as [Page, Page];
    const ids = [await me(a), await me(b)] as [string, string];
    expect(ids[0]).not.toBe(ids[1]);
    // Each page draws both players, once a game state naming both has reached it (each page on its own schedule).
    const seesBoth = ([x, y]: [string, string]) => {
      const shown = (globalThis as ExampleWindow).example?.players;
      return shown?.[x] !== undefined && shown[y] !== undefined;
    };
    for (const page of [a, b]) await page.waitForFunction(seesBoth, ids);
    for (const page of [a, b]) expect(Object.keys(await players(page)).sort()).toEqual([...ids].sort());

    // Both start in the middle; a steers right, b down, so that the dots part.
    const before = await a.locator('#field').screenshot();
    await steer(a, 'x', 100, 40);
    await steer(b, 'y', 100, 40);
    // Each page draws its own dot, b sees a's dot where a put it, and a's screenshot changed with it.
    await Promise.all(pages.map(drawsOwnDot));
    expect((await players(b))[ids[0]]?.x).toBeGreaterThan(40);
    expect((await players(a))[ids[1]]?.y).toBeGreaterThan(40);
    expect((await a.locator('#field').screenshot()).equals(before)).toBe(false);

    const said: string[] = [];
    const sayFrom = async (page: Page, text: string) => {
      said.push(text);
      await say(page, text);
    };
    await sayFrom(a, 'a: 你好 👋');
    await sayFrom(b, 'b: hello 🎮');

    // Fault 1: every game socket destroyed mid-stream (the relay resets them; no close frame).
    await a.click('#drop-game');
    await Promise.all([reconnected(a, 1, 0), reconnected(b, 1, 0)]);
    // Fault 2: b's app hidden for 6 s: its sockets close at 3 s, and it comes back and resumes.
    await b.click('#hide-app');
    await b.waitForFunction(() => (globalThis as ExampleWindow).example?.stats().game.state !== 'open', undefined, { timeout: 10_000 });
    await sayFrom(a, 'a: while b is away');
    await reconnected(b, 2, 1);
    // Fault 3: the chat server restarts (BYE 4000, down 2 s); lines said meanwhile wait in the outbox.
    await a.click('#restart-chat');
    await a.waitForFunction(() => (globalThis as ExampleWindow).example?.stats().chat.state !== 'open', undefined, { timeout: 10_000 });
    await sayFrom(a, 'a: during the restart');
    await sayFrom(b, 'b: during the restart too');
    await Promise.all([reconnected(a, 1, 1), reconnected(b, 2, 2)]);
    expect(example.chatRestarts).toBe(1);

    // After the faults: both dots still move, and the panel shows what happened.
    const atA = (await players(b))[ids[0]] as Position;
    const atB = (await players(a))[ids[1]] as Position;
    const shot = await b.locator('#field').screenshot();
    await steer(a, 'x', 200, atA.x + 30);
    await steer(b, 'y', 160, atB.y + 30);
    expect(((await players(b))[ids[0]] as Position).x).toBeGreaterThan(atA.x + 30);
    expect(((await players(a))[ids[1]] as Position).y).toBeGreaterThan(atB.y + 30);
    expect((await b.locator('#field').screenshot()).equals(shot)).toBe(false);
    expect(await a.textContent('#panel [data-channel="game"] .reconnects')).not.toBe('0');
    expect(await a.textContent('#panel [data-channel="game"] .state')).toBe('open');
    for (const channel of ['game', 'chat']) {
      const rtt = `#panel [data-channel="${channel}"] .rtt`;
      await a.waitForSelector(`${rtt}:has-text("ms")`, { timeout: 10_000 });
      expect(await a.textContent(rtt)).toMatch(/^\d+ ms$/);
    }

    // A last line from each: anything duplicated would have come before it, in order.
    await sayFrom(a, 'a: last');
    await sayFrom(b, 'b: last');
    for (const page of pages) {
      await shows(page, said);
      expect((await lines(page)).sort()).toEqual([...said].sort());
    }
    expect((await stats(a))?.game.reconnects).toBeGreaterThanOrEqual(1);
    expect(errors).toEqual([]);
  }, 90_000);
});
