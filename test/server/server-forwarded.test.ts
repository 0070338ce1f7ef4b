import { createServer, type ReferenceServer } from '../../server';
import { TrustedProxies } from '../../server/core/forwarded';
import { nextEvent } from '../support/protocol-client';
import { closeUpgrades, type Upgrade, upgrade } from '../support/upgrade';

/*
 * `trustProxy`: behind a reverse proxy the per-address limit counts the client's address from X-Forwarded-For, read
 * from the right up to the first hop that is not a trusted proxy; from an address not trusted the header is ignored.
 * Through real nginx: test/deploy/nginx-deploy.test.ts.
 */

describe('the client address behind trusted proxies', () => {
  const proxies = new TrustedProxies(['127.0.0.1', '10.0.0.0/8', 'fd00::/8']);

  it.each([
    ['an untrusted peer: its own address, the header ignored', '203.0.113.7', '198.51.100.1', '203.0.113.7'],
    ['a trusted peer without the header', '127.0.0.1', undefined, '127.0.0.1'],
    ['a trusted peer: the hop it appended', '127.0.0.1', '198.51.100.1', '198.51.100.1'],
    ['a client that forged hops on the left: only the one the proxy wrote counts', '127.0.0.1', '1.1.1.1, 2.2.2.2, 198.51.100.1', '198.51.100.1'],
    ['a chain of trusted proxies is skipped from the right', '127.0.0.1', '198.51.100.1, 10.1.2.3, 10.9.9.9', '198.51.100.1'],
    ['every hop trusted: the leftmost', '127.0.0.1', '10.0.0.1, 10.0.0.2', '10.0.0.1'],
    ['a hop that is no address ends the walk at the trusted hop to its right', '127.0.0.1', 'unknown, 10.0.0.2', '10.0.0.2'],
    ['IPv4 as a dual-stack socket reports it', '::ffff:127.0.0.1', '198.51.100.1', '198.51.100.1'],
    ['an IPv6 proxy range and an IPv6 client', 'fd00::1', '2001:db8::5', '2001:db8::5'],
    ['several headers, in order', '127.0.0.1', ['1.1.1.1', '198.51.100.1'], '198.51.100.1'],
    ['an empty header', '127.0.0.1', '', '127.0.0.1'],
  ])('%s', (_name, peer, header, expected) => {
    expect(proxies.clientAddress(peer, header)).toBe(expected);
  });

  it('nobody is trusted by default: the socket address stands', () => {
    expect(new TrustedProxies([]).clientAddress('127.0.0.1', '198.51.100.1')).toBe('127.0.0.1');
  });

  it.each([['localhost'], ['10.0.0.0/33'], ['::1/129'], ['10.0.0.0/8/1'], ['10.0.0.0/x'], [''], [7]])('refuses %j, naming it', (entry) => {
    expect(() => createServer({ trustProxy: [entry as string] })).toThrow(
      expect.objectContaining({ code: 'invalid_option', message: expect.stringContaining('option trustProxy is invalid') }),
    );
  });

  it('refuses a value that is not a list', () => {
    expect(() => createServer({ trustProxy: '127.0.0.1' as never })).toThrow(expect.objectContaining({ code: 'invalid_option' }));
  });
});

describe('maxConnectionsPerAddress with trustProxy, over real sockets', () => {
  let server: ReferenceServer | undefined;
  const opened: Upgrade[] = [];
  afterEach(async () => {
    await closeUpgrades(opened.splice(0));
    await server?.close();
    server = undefined;
  });

  async function start(trustProxy: string[]): Promise<string> {
    server = createServer({ port: 0, maxConnectionsPerAddress: 1, trustProxy });
    return (await server.listen()).url;
  }

  const open = async (url: string, forwardedFor: string): Promise<Upgrade> => {
    const result = await upgrade(url, { 'X-Forwarded-For': forwardedFor });
    opened.push(result);
    return result;
  };

  it('from a trusted proxy, each forwarded client has its own share; a forged left part does not buy another', async () => {
    const url = await start(['127.0.0.1']);
    expect((await open(url, '203.0.113.1')).status).toBe(101);
    expect((await open(url, '203.0.113.2')).status).toBe(101);
    const limited = nextEvent((server as ReferenceServer).events, 'limited');
    expect((await open(url, '198.51.100.9, 203.0.113.1')).status).toBe(429);
    expect(await limited).toEqual({ limit: 'maxConnectionsPerAddress', remoteAddress: '203.0.113.1' });
  });

  it('from an address that is not a trusted proxy, the header is ignored: every socket counts as that address', async () => {
    const url = await start(['10.0.0.0/8']);
    expect((await open(url, '203.0.113.1')).status).toBe(101);
    const limited = nextEvent((server as ReferenceServer).events, 'limited');
    expect((await open(url, '203.0.113.2')).status).toBe(429);
    expect(await limited).toEqual({ limit: 'maxConnectionsPerAddress', remoteAddress: '127.0.0.1' });
  });
});
