import type { SocketCloseResult, SocketLike, SocketOpenResult } from '../../src/transport/types';
import { Inbox } from './echo-server';

/** A transport socket's events as inboxes, so a test waits on them instead of sleeping. */
export function watchSocket(socket: SocketLike) {
  const events = {
    opens: new Inbox<SocketOpenResult>(),
    messages: new Inbox<string | ArrayBuffer>(),
    errors: new Inbox<string>(),
    closes: new Inbox<SocketCloseResult>(),
  };
  socket.onOpen((r) => events.opens.push(r));
  socket.onMessage((r) => events.messages.push(r.data));
  socket.onError((r) => events.errors.push(r.errMsg));
  socket.onClose((r) => events.closes.push(r));
  return events;
}
