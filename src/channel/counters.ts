import type { ChannelStats } from './types';

/**
 * The running totals behind `Channel.stats()`. One plain object shared by the parts that count (sending, receiving,
 * the connection lifecycle), so a snapshot is a single spread and the key order of `stats()` never changes.
 */
export type ChannelCounters = Pick<
  ChannelStats,
  'reconnects' | 'framesSent' | 'framesReceived' | 'messagesSent' | 'messagesReceived' | 'bytesSent' | 'bytesReceived' | 'dropped' | 'protocolErrors'
>;

/** Fresh counters, all zero. */
export function createCounters(): ChannelCounters {
  return {
    reconnects: 0,
    framesSent: 0,
    framesReceived: 0,
    messagesSent: 0,
    messagesReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    dropped: 0,
    protocolErrors: 0,
  };
}
