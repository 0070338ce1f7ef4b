import type { Channel } from '../../src';

/**
 * Collects the whole id of every `room/<room>/message` the server sends on `channel`, as it sends them (before the
 * chat preset's dedupe): a message's `id`, or, for a client that asked for small ids, its room's epoch (the last
 * RELIABLE `chat/epoch` for the room) plus its `n` (PROTOCOL.md section 6).
 */
export function wireIds(channel: Channel, room: string, into: number[]): void {
  let epoch = 0;
  channel.subscribe('chat/epoch', (payload) => {
    const told = payload as { room: unknown; epoch: number };
    if (String(told.room) === room) epoch = told.epoch;
  });
  channel.subscribe(`room/${room}/message`, (payload) => {
    const message = payload as { id?: number; n?: number };
    into.push(message.id ?? epoch + (message.n as number));
  });
}
