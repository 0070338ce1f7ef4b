'use strict';
/*
 * The example's connection logic, apart from drawing, so that a test runs it unchanged on the wx emulator against the
 * real reference server (test/package/example-minigame.test.ts). Plain CommonJS, ES2017: WeChat runs it as it is.
 *
 * One ConnectionManager on `wx` with the two presets: a game channel (inputs out, server state in, 20 times a second)
 * and a chat channel (reliable lines in one room). The dot drawn is always the server's; the pending inputs are only
 * used to steer without overshooting (the server state lags the inputs by a round trip and a tick).
 */
const { MAX_STEP, stepToward } = require('./view.js');

/** The chat room every player of the example joins. */
const ROOM = 'lobby';
/** Chat lines kept for the screen. */
const KEEP_LINES = 20;
/** An input the server has not applied after this long was dropped on the way (sent while disconnected), ms. */
const PENDING_MS = 1000;

/**
 * Connects a player.
 * @param {object} options
 * @param {object} options.multisocket the library: `require('./multisocket.min.js')` (runtime and presets in one file)
 * @param {object} [options.wx] the platform: `wx` in a mini-game (its transport and lifecycle)
 * @param {object} [options.transport] instead of `wx`: another transport, e.g. `webSocketTransport(WebSocket)` in a page
 * @param {object} [options.lifecycle] with `transport`: the app's hide/show, if the page has one (default none)
 * @param {string} [options.url] the server, e.g. `ws://127.0.0.1:8787`; the channels connect to `/game` and `/chat`
 * @param {string} [options.gameUrl] the game channel's URL, default `${url}/game`
 * @param {string} [options.chatUrl] the chat channel's URL, default `${url}/chat`
 * @param {object} [options.heartbeat] the channels' heartbeat options, default the presets'
 * @param {boolean} [options.allowInsecure] accept `ws://` (WeChat Developer Tools with domain checks off, or a LAN server)
 * @param {string|number} [options.room] the chat room, default `lobby`
 */
function createSession(options) {
  const lib = options.multisocket;
  const wx = options.wx;
  const room = options.room === undefined ? ROOM : options.room;
  const manager = new lib.ConnectionManager(
    options.transport
      ? { transport: options.transport, lifecycle: options.lifecycle }
      : { transport: lib.wxTransport(wx, { allowInsecure: options.allowInsecure === true }), lifecycle: lib.wxLifecycle(wx) },
  );
  // Only what was given: an option passed as undefined would replace the preset's default.
  const tuned = options.heartbeat ? { heartbeat: options.heartbeat } : {};
  const game = lib.gameChannel(Object.assign({ manager, url: options.gameUrl || `${options.url}/game` }, tuned));
  const chat = lib.chatChannel(Object.assign({ manager, url: options.chatUrl || `${options.url}/chat` }, tuned));

  const listeners = { state: new Set(), chat: new Set(), status: new Set() };
  const emit = (kind, value) => listeners[kind].forEach((fn) => fn(value));
  const on = (kind, fn) => {
    listeners[kind].add(fn);
    return () => listeners[kind].delete(fn);
  };

  let me; // this player's id in the game state, from game/join
  let players = {}; // the latest server positions, by player id
  let pending = []; // inputs sent and not yet applied: { seq, dx, dy, at }
  let myChatName; // how the server names this player in chat lines (learnt from the first line it said)
  const lines = [];

  game.onState((state) => {
    players = state.players;
    const now = Date.now();
    pending = pending.filter((input) => input.seq > state.lastInput && now - input.at < PENDING_MS);
    emit('state', { me, players, tick: state.tick });
  });

  chat.onMessage(room, (message) => {
    const body = message.body || {};
    const line = { id: message.id, from: String(message.from), text: String(body.text) };
    lines.push(line);
    if (lines.length > KEEP_LINES) lines.shift();
    emit('chat', line);
  });

  [game.channel, chat.channel].forEach((channel) =>
    channel.on('state', ({ next }) => emit('status', { channel: channel.name, state: next })),
  );

  const ready = Promise.all([game.channel.request('game/join', {}), chat.join(room)]).then(([joined]) => {
    me = joined.id;
    return { me };
  });

  /** Where this player's dot will be once the server has applied every input sent. */
  const predicted = () => {
    const server = players[me];
    if (!server) return undefined;
    return pending.reduce((pos, input) => ({ x: pos.x + input.dx, y: pos.y + input.dy }), { x: server.x, y: server.y });
  };

  const move = (dx, dy) => {
    const seq = game.sendInput({ dx, dy });
    pending.push({ seq, dx, dy, at: Date.now() });
    return seq;
  };

  return {
    /** Resolves once the game has made this player a player and the chat room is joined. */
    ready,
    get me() {
      return me;
    },
    /** The latest server positions, by player id. */
    get players() {
      return players;
    },
    /** The latest chat lines, oldest first. */
    get lines() {
      return lines.slice();
    },
    /** Sends one input; returns its seq. */
    move,
    /** Sends the next input toward a world point; returns its seq, or 0 when the dot is there or not placed yet. */
    moveToward(target) {
      const from = predicted();
      if (!from) return 0;
      const step = stepToward(from, target, MAX_STEP);
      return step.dx === 0 && step.dy === 0 ? 0 : move(step.dx, step.dy);
    },
    /** Says a line in the room; resolves once the server has stored it. */
    say(text) {
      return chat.say(room, { text }).then((said) => {
        const line = lines.find((l) => l.id === said.id);
        if (line) myChatName = line.from;
        return said;
      });
    },
    /** Whether a chat line is this player's own. */
    isMine(line) {
      return line.from === myChatName;
    },
    /** Each server state: `{ me, players, tick }`. Returns the undo. */
    onState: (fn) => on('state', fn),
    /** Each chat line of the room, once, in order: `{ id, from, text }`. Returns the undo. */
    onChat: (fn) => on('chat', fn),
    /** Each channel state change: `{ channel, state }`. Returns the undo. */
    onStatus: (fn) => on('status', fn),
    status: () => ({ game: game.channel.state, chat: chat.channel.state }),
    /** Each channel's `stats()` (state, rtt, reconnects, ...), by channel. */
    stats: () => ({ game: game.channel.stats(), chat: chat.channel.stats() }),
    /** Closes both channels; resolves once both are closed. */
    close() {
      const closed = [game.channel, chat.channel].map(
        (channel) =>
          new Promise((resolve) => {
            if (channel.state === 'closed') resolve();
            else channel.on('state', ({ next }) => next === 'closed' && resolve());
          }),
      );
      manager.close();
      return Promise.all(closed).then(() => undefined);
    },
  };
}

module.exports = { createSession };
