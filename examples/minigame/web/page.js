'use strict';
/*
 * The example mini-game as an H5 page (`npm run example:web`): the same logic/ modules as game.js, on the browser's
 * WebSocket instead of `wx`. A canvas for the dots, a list for the chat, a panel with each channel's state, RTT and
 * reconnects, and three buttons that inject the demo's faults. Bundled by esbuild (scripts/example-web/server.ts),
 * which resolves `multisocket` and `multisocket/channels` as an application's bundler does.
 */
const { ConnectionManager, webSocketTransport } = require('multisocket');
const { chatChannel, gameChannel } = require('multisocket/channels');
const { createSession } = require('../logic/session.js');
const { screenToWorld, worldToScreen } = require('../logic/view.js');

const STEER_EVERY_MS = 50; // one input per server tick while the pointer is down
const PANEL_EVERY_MS = 250;
const HIDDEN_MS = 6000; // past the platforms' 5 s cut: the manager closes the sockets at 3 s, resumes on return
const DOT = 12;

const canvas = document.getElementById('field');
const ctx = canvas.getContext('2d');
const lineList = document.getElementById('lines');
const log = (text) => (document.getElementById('log').textContent = text);

// What a mini-game's wx.onHide / wx.onShow give the manager; here the "hide this app" button drives it.
const hideListeners = new Set();
const showListeners = new Set();
const subscribe = (set) => (fn) => (set.add(fn), () => set.delete(fn));
const lifecycle = {
  onHide: subscribe(hideListeners),
  onShow: subscribe(showListeners),
  onNetworkChange: () => () => undefined,
};

async function main() {
  const config = await (await fetch('/config.json')).json();
  const multisocket = { ConnectionManager, webSocketTransport, chatChannel, gameChannel };
  const session = createSession({
    multisocket,
    transport: webSocketTransport(WebSocket),
    lifecycle,
    gameUrl: config.gameUrl,
    chatUrl: config.chatUrl,
    // A heartbeat a second, so that the panel's RTT is fresh.
    heartbeat: { intervalMs: 1000, timeoutMs: 2000 },
  });
  window.example = session; // for the browser's console, and the test
  session.ready.then(
    () => log('joined: steer your dot on the field'),
    (error) => log(`could not join: ${error.message}`),
  );

  session.onChat((line) => {
    const item = document.createElement('li');
    item.textContent = `${line.from}: ${line.text}`;
    item.dataset.id = String(line.id);
    item.dataset.text = line.text;
    lineList.appendChild(item);
    lineList.scrollTop = lineList.scrollHeight;
  });
  document.getElementById('say').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = document.getElementById('text');
    const text = input.value.trim();
    input.value = '';
    if (!text) return;
    session.say(text).then(
      (said) => {
        const item = lineList.querySelector(`[data-id="${said.id}"]`);
        if (item) item.className = 'mine';
      },
      (error) => log(`chat: ${error.message}`),
    );
  });

  let target; // the world point under the pointer, while it is down
  const steer = (event) => {
    if (event.type === 'pointerdown') canvas.setPointerCapture(event.pointerId);
    else if (!canvas.hasPointerCapture(event.pointerId)) return;
    const box = canvas.getBoundingClientRect();
    target = screenToWorld({ x: event.clientX - box.left, y: event.clientY - box.top }, canvas.width, canvas.height);
  };
  canvas.addEventListener('pointerdown', steer);
  canvas.addEventListener('pointermove', steer);
  canvas.addEventListener('pointerup', () => (target = undefined));
  setInterval(() => target && session.moveToward(target), STEER_EVERY_MS);

  const fault = (path) => fetch(path, { method: 'POST' }).then((res) => res.text()).then(log, (error) => log(error.message));
  document.getElementById('drop-game').addEventListener('click', () => fault('/fault/drop-game'));
  document.getElementById('restart-chat').addEventListener('click', () => fault('/fault/restart-chat'));
  document.getElementById('hide-app').addEventListener('click', () => {
    hideListeners.forEach((fn) => fn());
    log(`hidden for ${HIDDEN_MS / 1000} s: sockets closed at 3 s, resumed on return`);
    setTimeout(() => showListeners.forEach((fn) => fn()), HIDDEN_MS);
  });

  setInterval(() => {
    const stats = session.stats();
    Object.keys(stats).forEach((name) => {
      const row = document.querySelector(`#panel [data-channel="${name}"]`);
      row.querySelector('.state').textContent = stats[name].state;
      row.querySelector('.rtt').textContent = stats[name].rtt === undefined ? '-' : `${Math.round(stats[name].rtt)} ms`;
      row.querySelector('.reconnects').textContent = String(stats[name].reconnects);
    });
  }, PANEL_EVERY_MS);

  const draw = () => {
    ctx.fillStyle = '#10141c';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    const players = session.players;
    Object.keys(players).forEach((id) => {
      const at = worldToScreen(players[id], canvas.width, canvas.height);
      ctx.fillStyle = id === session.me ? '#4fd18b' : '#6c8cff';
      ctx.beginPath();
      ctx.arc(at.x, at.y, DOT, 0, Math.PI * 2);
      ctx.fill();
    });
    requestAnimationFrame(draw);
  };
  requestAnimationFrame(draw);
}

main().catch((error) => log(`could not start: ${error.message}`));
