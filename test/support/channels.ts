import type { ServerOptions } from '../../server';
import { Channel } from '../../src/channel/channel';
import { type Harness, startHarness, type TransportKind } from './harness';
import type { WxEmulatorOptions } from './wx-emulator';

/*
 * The setup the channel suites share: a fresh harness for every test and the channels made on it, all closed after
 * the test (channels first, then the harness), so a test only says how its channels differ.
 */

/** A channel's options, all optional: what a test sets on top of its suite's defaults. */
export type ChannelOptions = Partial<ConstructorParameters<typeof Channel>[1]>;

/** The harness of the running test. */
interface LiveHarness extends Harness {
  /** Closes this test's harness and starts another with these options in its place. */
  restart(serverOptions?: Readonly<Partial<ServerOptions>>, emulatorOptions?: Readonly<Partial<WxEmulatorOptions>>): Promise<void>;
}

/** What {@link channelSuite} gives a describe block. */
export interface ChannelSuite {
  /** The running test's harness (a new one each test). */
  readonly h: LiveHarness;
  /** Channels closed after the test: `make` adds to it, a test may add channels it built itself. */
  readonly channels: Channel[];
  /** A channel on the harness (not connected yet): the suite's defaults, then `options`. */
  make(options?: ChannelOptions, name?: string): Channel;
}

/**
 * Registers a harness of `kind` around every test of the enclosing describe block and a factory of channels on it
 * (named `name`, with `defaults` under each test's options).
 */
export function channelSuite(kind: TransportKind, name: string, defaults: ChannelOptions = {}): ChannelSuite {
  let current: Harness | undefined;
  const channels: Channel[] = [];
  // One object for the whole suite that takes on each test's harness, getters (`sockets`) and all.
  const h = {} as LiveHarness;
  const adopt = async (started: Promise<Harness>) => {
    current = await started;
    Object.defineProperties(h, Object.getOwnPropertyDescriptors(current));
  };
  h.restart = async (serverOptions, emulatorOptions) => {
    await current?.close();
    await adopt(startHarness(kind, serverOptions, emulatorOptions));
  };

  beforeEach(async () => {
    await adopt(startHarness(kind));
  });
  afterEach(async () => {
    channels.splice(0).forEach((c) => c.close());
    await current?.close();
    current = undefined;
  });

  return {
    h,
    channels,
    make: (options = {}, channelName = name) => {
      const channel = new Channel(channelName, { url: h.url, transport: h.transport, clock: h.clock, ...defaults, ...options });
      channels.push(channel);
      return channel;
    },
  };
}
