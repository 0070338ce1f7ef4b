import type { ServerConnection } from '../core/types';

/** What a session needs from the connection it is attached to (the server's `Connection` is one). */
export interface SessionLink extends ServerConnection {
  /** Queues an encoded frame; false (and nothing sent) unless the connection is open. */
  pushEncoded(frame: Uint8Array): boolean;
  /** Sends `ACK [9, recv]` if the connection is open. */
  sendAck(recv: number): void;
  /** Sends BYE and closes; a no-op once closing. `reason` must already fit 123 bytes. */
  shutdown(code: number, reason: string): void;
}
