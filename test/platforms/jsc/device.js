/*
 * The mini-game inside `jsc`: the shipped one-file bundle (loaded before this script as `bundleModule`, the way a
 * mini-game's `require` wraps a file) driven by the test's commands, reporting what it sees. Plain ES2017 and no
 * global but what a phone has (`wx`, `setTimeout`, `clearTimeout`) and the `host` of host.js.
 */
(function () {
  var multisocket = bundleModule.exports;
  var manager;
  var chat;
  var game;
  var lastInput = 0;

  function errorOf(error) {
    return { name: error && error.name, code: error && error.code, message: String(error && error.message) };
  }

  function watch(name, channel) {
    channel.on('state', function (change) {
      host.report({ type: 'channel', channel: name, next: change.next, reason: change.reason });
    });
    channel.on('open', function (opened) {
      host.report({ type: 'open', channel: name, resumed: opened.resumed, session: opened.session });
    });
    channel.on('reconnecting', function (context) {
      host.report({ type: 'reconnecting', channel: name, attempt: context.attempt, code: context.code });
    });
    channel.on('resync', function () {
      host.report({ type: 'resync', channel: name });
    });
    channel.on('error', function (error) {
      host.report({ type: 'error', channel: name, error: errorOf(error) });
    });
  }

  var commands = {
    open: function (command) {
      manager = new multisocket.ConnectionManager({ transport: multisocket.wxTransport(wx) });
      chat = multisocket.chatChannel({ manager: manager, url: command.url });
      game = multisocket.gameChannel({ manager: manager, url: command.url, tickMs: 20 });
      watch('chat', chat.channel);
      watch('game', game.channel);
      game.onState(function (state) {
        if (state.lastInput === lastInput) return;
        lastInput = state.lastInput;
        host.report({ type: 'state', lastInput: state.lastInput, players: state.players });
      });
    },
    join: function (command) {
      chat.onMessage(command.room, function (message) {
        host.report({ type: 'chat', room: message.room, id: message.id, body: message.body });
      });
      chat.join(command.room).then(
        function () {
          host.report({ type: 'joined', room: command.room });
        },
        function (error) {
          host.report({ type: 'joinFailed', room: command.room, error: errorOf(error) });
        },
      );
    },
    say: function (command) {
      chat.say(command.room, command.body).then(
        function (said) {
          host.report({ type: 'said', body: command.body, id: said.id });
        },
        function (error) {
          host.report({ type: 'sayFailed', body: command.body, error: errorOf(error) });
        },
      );
    },
    input: function (command) {
      host.report({ type: 'input', seq: game.sendInput(command.input) });
    },
    close: function () {
      var left = 2;
      function closed(channel) {
        if (channel.state === 'closed') return done();
        var undo = channel.on('state', function (change) {
          if (change.next !== 'closed') return;
          undo();
          done();
        });
      }
      function done() {
        if (--left > 0) return;
        // Every timer of the runtime is released once its channels are closed.
        host.report({ type: 'closed', timers: host.pendingTimers() });
        host.stop();
      }
      closed(chat.channel);
      closed(game.channel);
      manager.close();
    },
  };

  host.onCommand(function (command) {
    var run = commands[command.do];
    if (!run) throw new Error('unknown command ' + command.do);
    try {
      run(command);
    } catch (error) {
      host.report({ type: 'commandFailed', command: command.do, error: errorOf(error) });
    }
  });

  var globals = {
    globalThis: typeof globalThis,
    TextEncoder: typeof TextEncoder,
    TextDecoder: typeof TextDecoder,
    require: typeof require,
    module: typeof module,
    exports: typeof exports,
    Buffer: typeof Buffer,
    process: typeof process,
  };
  host.report({ type: 'loaded', exports: Object.keys(multisocket).sort(), globals: globals });
})();

// The platform's loop: socket events, timers and the test's commands until the device closes.
host.run();
