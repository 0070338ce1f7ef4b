/*
 * The "native side" of a phone for the JavaScriptCore shell (`jsc`): what WeChat gives a mini-game's JavaScript besides
 * the engine itself. Run first, before the bundle; test/support/jsc-device.ts is the other end of the pipes.
 *
 * What this jsc build has, and what that decides (checked by hand on Debian's libjavascriptcoregtk-4.0-bin 2.50):
 * - `readline()` blocks, reads bytes as Latin-1 (so the Node side writes ASCII only: JSON with \u escapes) and returns
 *   '' at the end of input; `print()` writes UTF-8 to stdout, `printErr()` to stderr.
 * - `setTimeout` exists, but its callbacks run only once the script returns to jsc's run loop, which a blocking
 *   `readline()` never lets happen; and there is no `clearTimeout`. So this host keeps its own timers (over
 *   `Date.now()`) and runs its own loop: run what is due, drain the microtasks (`drainMicrotasks()`: nothing else
 *   runs them while the script holds the thread), and when nothing is due say `wait` with the delay to the next timer;
 *   the Node side answers with the next socket event or command, or a `tick` when that delay has passed.
 * - `atob` / `btoa` exist (binary frames cross the pipes as base64); `TextEncoder`, `TextDecoder`, `console`,
 *   `require`, `module` and sockets do not. `globalThis` does: it is deleted here, as old base libraries lack it.
 *
 * Lines out (stdout, one JSON object each): connect / send / close (the app's SocketTask calls), wait, report (what the
 * device script tells the test), uncaught (a listener threw into the "platform"). Lines in (stdin): event (a
 * SocketTask's open / message / error / close), callback (a call's success / fail / complete), command (for the device
 * script), tick.
 */
var host = (function (global) {
  var timers = [];
  var nextTimer = 1;
  var sockets = {};
  var nextSocket = 1;
  var calls = {};
  var nextCall = 1;
  var commandHandler = null;
  var running = true;

  function out(message) {
    print(JSON.stringify(message));
  }

  function describe(error) {
    return error && error.stack ? String(error) + '\n' + error.stack : String(error);
  }

  /** Calls a platform callback; what it throws is reported, never thrown into the loop (a phone would log it). */
  function call(fn, value) {
    if (typeof fn !== 'function') return;
    try {
      fn(value);
    } catch (error) {
      out({ op: 'uncaught', error: describe(error) });
    }
  }

  function toBase64(buffer) {
    var bytes = new Uint8Array(buffer);
    var chunks = [];
    for (var i = 0; i < bytes.length; i += 0x8000) {
      chunks.push(String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000)));
    }
    return btoa(chunks.join(''));
  }

  function fromBase64(text) {
    var binary = atob(text);
    var buffer = new ArrayBuffer(binary.length);
    var bytes = new Uint8Array(buffer);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return buffer;
  }

  /** Remembers a call's success / fail / complete under an id the Node side answers with. */
  function callId(option) {
    if (!option || !(option.success || option.fail || option.complete)) return undefined;
    var id = nextCall++;
    calls[id] = option;
    return id;
  }

  global.setTimeout = function (fn, delayMs) {
    var id = nextTimer++;
    timers.push({ id: id, at: Date.now() + Math.max(0, Number(delayMs) || 0), fn: fn });
    return id;
  };

  global.clearTimeout = function (id) {
    for (var i = 0; i < timers.length; i++) {
      if (timers[i].id === id) {
        timers.splice(i, 1);
        return;
      }
    }
  };

  /** The earliest timer (ties in the order they were set), or undefined. */
  function earliest() {
    var first;
    for (var i = 0; i < timers.length; i++) {
      if (!first || timers[i].at < first.at) first = timers[i];
    }
    return first;
  }

  function connectSocket(option) {
    var id = nextSocket++;
    var listeners = { open: [], message: [], error: [], close: [] };
    sockets[id] = listeners;
    out({
      op: 'connect',
      id: id,
      url: option.url,
      header: option.header,
      protocols: option.protocols,
      timeout: option.timeout,
      call: callId(option),
    });
    function on(kind) {
      return function (fn) {
        listeners[kind].push(fn);
      };
    }
    return {
      send: function (option) {
        var data = option.data;
        var message = { op: 'send', id: id, call: callId(option) };
        if (typeof data === 'string') {
          message.text = data;
        } else if (Object.prototype.toString.call(data) === '[object ArrayBuffer]') {
          message.binary = toBase64(data);
        } else {
          // The Node side hands the platform a view, which it refuses as a device does.
          message.invalid = Object.prototype.toString.call(data);
        }
        out(message);
      },
      close: function (option) {
        // As the typings say and devices do: close() takes an option object.
        if (!option) throw new TypeError("Cannot read properties of undefined (reading 'code')");
        out({ op: 'close', id: id, code: option.code, reason: option.reason, call: callId(option) });
      },
      onOpen: on('open'),
      onMessage: on('message'),
      onError: on('error'),
      onClose: on('close'),
    };
  }

  function handle(message) {
    if (message.op === 'event') {
      var listeners = sockets[message.id];
      if (!listeners) return;
      var result = message.result || {};
      if (message.kind === 'message') result = { data: message.binary !== undefined ? fromBase64(message.binary) : message.text };
      var list = listeners[message.kind].slice();
      for (var i = 0; i < list.length; i++) call(list[i], result);
    } else if (message.op === 'callback') {
      var option = calls[message.call];
      if (!option) return;
      if (message.kind === 'complete') delete calls[message.call];
      call(option[message.kind], message.result);
    } else if (message.op === 'command') {
      if (commandHandler) call(commandHandler, message.command);
    }
    // 'tick': nothing to do but look at the timers again.
  }

  function runDue() {
    var first = earliest();
    if (!first || first.at > Date.now()) return false;
    timers.splice(timers.indexOf(first), 1);
    call(first.fn);
    return true;
  }

  /** The loop: until stdin ends or the device script calls `host.stop()`. */
  function run() {
    while (running) {
      drainMicrotasks();
      if (runDue()) continue;
      var first = earliest();
      out({ op: 'wait', ms: first ? Math.max(0, first.at - Date.now()) : null });
      var line = readline();
      if (line === '') return;
      handle(JSON.parse(line));
    }
    drainMicrotasks();
  }

  global.wx = { connectSocket: connectSocket };
  // Base libraries before 2.16.1 have no globalThis: the bundle must not need it.
  delete global.globalThis;

  return {
    run: run,
    stop: function () {
      running = false;
    },
    /** Tells the test something (a JSON-able object). */
    report: function (value) {
      out({ op: 'report', value: value });
    },
    onCommand: function (fn) {
      commandHandler = fn;
    },
    describe: describe,
    pendingTimers: function () {
      return timers.length;
    },
  };
})(this);
