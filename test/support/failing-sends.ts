import type { SocketLike, Transport } from '../../src/transport/types';

/** The harness's transport, with a switch that makes every send fail synchronously (as a platform may). */
export function failingSends(inner: Transport): { transport: Transport; fail: () => void; connects: () => number } {
  let failing = false;
  let connects = 0;
  const transport: Transport = {
    name: inner.name,
    connect(options) {
      connects++;
      const socket = inner.connect(options);
      const wrapped: SocketLike = {
        send: (option) => {
          if (failing) option.fail?.({ errMsg: 'sendSocketMessage:fail the platform refused it' });
          else socket.send(option);
        },
        close: (option) => socket.close(option),
        onOpen: (listener) => socket.onOpen(listener),
        onMessage: (listener) => socket.onMessage(listener),
        onError: (listener) => socket.onError(listener),
        onClose: (listener) => socket.onClose(listener),
      };
      return wrapped;
    },
  };
  return { transport, fail: () => (failing = true), connects: () => connects };
}
