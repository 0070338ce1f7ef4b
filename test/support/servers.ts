import { createServer, type ReferenceServer, type ServerConnection, type ServerOptions } from '../../server';
import type { Hello } from '../../src/wire/protocol';
import { nextEvent, ProtocolClient } from './protocol-client';

/*
 * The setup the server suites share: a reference server a test starts (on port 0) and the protocol clients it
 * connects to it, all closed after each test (clients first, then the server).
 */

/** What {@link serverSuite} gives a test file. */
export interface ServerSuite {
  /** The address of the server the running test started. */
  readonly url: string;
  /** Starts the test's server with `options` (and the suite's `setup`). */
  start(options?: Partial<ServerOptions>): Promise<ReferenceServer>;
  /** A client with its socket open, before any HELLO. */
  connect(): Promise<ProtocolClient>;
  /** A client past its handshake (HELLO `hello`, WELCOME). */
  welcomed(hello?: Partial<Hello>): Promise<ProtocolClient>;
  /** A client past its handshake, and the server's side of it. */
  connected(hello?: Partial<Hello>): Promise<{ client: ProtocolClient; connection: ServerConnection }>;
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
      await client.hello(hello);
      return { client, connection: (await opened).connection };
    },
  };
}
