import { createServer, type ReferenceServer } from '../../server';
import { Channel } from '../../src/channel/channel';
import { TransportError } from '../../src/errors';
import { next, reach } from '../support/channel-helpers';
import { startHarness } from '../support/harness';
import { closeUpgrades, type Upgrade, upgrade } from '../support/upgrade';

/*
 * `allowedOrigins`: a browser page is known by its Origin, a WeChat mini-game by the Referer its platform sets
 * (`https://servicewechat.com/{appid}/{version}/page-frame.html`, which the app cannot change); any other upgrade is
 * refused with HTTP 403 before it costs a WebSocket.
 */

const APP = 'wx0123456789abcdef';
const wechat = (appId: string, version = '12') => `https://servicewechat.com/${appId}/${version}/page-frame.html`;

describe('admission by origin, at the HTTP upgrade', () => {
  let server: ReferenceServer | undefined;
  const opened: Upgrade[] = [];
  afterEach(async () => {
    await closeUpgrades(opened.splice(0));
    await server?.close();
    server = undefined;
  });

  const statusOf = async (url: string, headers: Record<string, string>): Promise<number> => {
    const result = await upgrade(url, headers);
    opened.push(result);
    return result.status;
  };

  it.each([
    ['an allowed browser origin', { Origin: 'https://play.example.com' }, 101],
    ['an allowed origin with its port', { Origin: 'http://localhost:5173' }, 101],
    ['an allowed WeChat app, on a device', { Referer: wechat(APP) }, 101],
    ['an allowed WeChat app, in the developer tools', { Referer: wechat(APP, 'devtools') }, 101],
    ['another origin', { Origin: 'https://evil.example.com' }, 403],
    ['an allowed host on another scheme', { Origin: 'http://play.example.com' }, 403],
    ['an origin that only starts like an allowed one', { Origin: 'https://play.example.com.evil.example' }, 403],
    ['the "null" origin of a sandboxed page', { Origin: 'null' }, 403],
    ['another WeChat app', { Referer: wechat('wxffffffffffffffff') }, 403],
    ['another WeChat app claiming an allowed Origin: the Referer decides', { Referer: wechat('wxffffffffffffffff'), Origin: 'https://play.example.com' }, 403],
    ['a Referer that only looks like WeChat\'s', { Referer: `https://evil.example/${APP}/1/page-frame.html` }, 403],
    ['neither header', {}, 403],
  ])('%s: %j → %i', async (_name, headers, status) => {
    server = createServer({ port: 0, allowedOrigins: { origins: ['https://play.example.com', 'http://localhost:5173'], appIds: [APP] } });
    const { url } = await server.listen();
    const connections = server.connections.size;
    expect(await statusOf(url, headers)).toBe(status);
    if (status === 403) expect(server.connections.size).toBe(connections);
  });

  it('every page and client is allowed by default', async () => {
    server = createServer({ port: 0 });
    const { url } = await server.listen();
    expect(await statusOf(url, {})).toBe(101);
    expect(await statusOf(url, { Origin: 'https://anything.example' })).toBe(101);
  });

  it.each([
    [{ origins: ['play.example.com'] }, 'allowedOrigins.origins'],
    [{ origins: ['https://play.example.com/lobby'] }, 'allowedOrigins.origins'],
    [{ origins: ['ftp://play.example.com'] }, 'allowedOrigins.origins'],
    [{ origins: 'https://play.example.com' }, 'allowedOrigins.origins'],
    [{ appIds: ['wx 1'] }, 'allowedOrigins.appIds'],
    [{ appIds: [''] }, 'allowedOrigins.appIds'],
    [{ appid: [APP] }, 'unknown key appid'],
  ])('refuses %j, naming the option', (allowedOrigins, named) => {
    expect(() => createServer({ allowedOrigins: allowedOrigins as never })).toThrow(
      expect.objectContaining({ code: 'invalid_option', message: expect.stringContaining(named) }),
    );
  });
});

describe('a mini-game on the wx emulator (which sends the platform\'s Referer, app id wx0000000000000000)', () => {
  it.each([
    ['its app id allowed: it opens', ['wx0000000000000000'], true],
    ['another app id allowed: refused, reported as a TransportError, and it backs off', [APP], false],
  ])('%s', async (_name, appIds, opens) => {
    const h = await startHarness('wx', { allowedOrigins: { appIds } });
    const channel = new Channel('chat', { url: h.url, transport: h.transport, clock: h.clock, random: () => 0.5 });
    try {
      const errors: unknown[] = [];
      channel.on('error', (error) => errors.push(error));
      const outcome = opens ? reach(channel, 'open') : next(channel, 'reconnecting');
      channel.connect();
      await outcome;
      expect(channel.state).toBe(opens ? 'open' : 'reconnecting');
      expect(h.server.connections.size).toBe(opens ? 1 : 0);
      if (!opens) expect(errors[0]).toBeInstanceOf(TransportError);
    } finally {
      channel.close();
      await h.close();
    }
  });
});
