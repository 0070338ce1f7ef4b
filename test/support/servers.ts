import { type ConnectionEvent, createServer, type ReferenceServer, type ServerOptions } from '../../server';
import { type Frame, type Hello, Op, type Welcome } from '../../src/wire/protocol';
import { nextEvent, ProtocolClient } from './protocol-client';

/*
 * The setup the server suites share: a reference server a test starts (on port 0) and the protocol clients it
 * connects to it, all closed after each test (clients first, then the server).
 */

/** A client past its handshake, its WELCOME, and the server's side of it. */
export interface Connected extends ConnectionEvent {
  readonly client: ProtocolClient;
  readonly welcome: Welcome;
}

/** What {@link serverSuite} gives a test file. */
export interface ServerSuite {
  /** The address of the server the running test started. */
  readonly url: string;
  /** The server the running test started (throws when it started none). */
  readonly server: ReferenceServer;
  /** Starts the test's server with `options` (and the suite's `setup`). */
  start(options?: Partial<ServerOptions>): Promise<ReferenceServer>;
  /** A client with its socket open, before any HELLO. */
  connect(): Promise<ProtocolClient>;
  /** A client past its handshake (HELLO `hello`, WELCOME). */
  welcomed(hello?: Partial<Hello>): Promise<ProtocolClient>;
  /** A client past its handshake, and the server's side of it. */
  connected(hello?: Partial<Hello>): Promise<Connected>;
}

/** Registers the closing of each test's server and clients; `setup` runs on every server `start` makes. */
export function serverSuite(setup: (server: ReferenceServer) => void = () => undefined): ServerSuite {
  let server: ReferenceServer | undefined;
  let url = '';
  const clients: ProtocolClient[] = [];

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await server?.close();
    server = undefined;
  });

  const connect = async () => {
    const client = await ProtocolClient.connect(url);
    clients.push(client);
    return client;
  };
  return {
    get url() {
      return url;
    },
    get server() {
      if (!server) throw new Error('start a server first');
      return server;
    },
    start: async (options = {}) => {
      server = createServer({ port: 0, ...options });
      setup(server);
      url = (await server.listen()).url;
      return server;
    },
    connect,
    welcomed: async (hello) => {
      const client = await connect();
      await client.hello(hello);
      return client;
    },
    connected: async (hello) => {
      if (!server) throw new Error('start a server first');
      const opened = nextEvent(server.events, 'connection');
      const client = await connect();
      const welcome = await client.hello(hello);
      return { client, welcome, ...(await opened) };
    },
  };
}

/** Installs REQUEST `sync` -> 'synced', for {@link sync}. */
export function answerSync(server: ReferenceServer): void {
  server.handle('sync', () => 'synced');
}

/** A REQUEST answered after everything the client sent before it was handled: frames are read in order. */
export async function sync(client: ProtocolClient, id = 999): Promise<void> {
  expect(await client.call(id, 'sync', null)).toEqual([Op.Reply, id, 'synced']);
}

/** A RELIABLE frame as a raw client sends it. */
export function reliable(seq: number, topic: string, payload: unknown): Frame {
  return [Op.Reliable, seq, topic, payload];
}
