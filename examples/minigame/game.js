'use strict';
/*
 * The example mini-game: touch and hold to move your dot (game channel: the dots are drawn from the server's state),
 * tap the bar at the bottom to say something (chat channel). Every player connected to the same server shares the
 * field and the chat room. Run `npm run example` in the repository first (it copies multisocket.min.js here), and
 * `npm run serve` for the server; see README.md.
 */
const multisocket = require('./multisocket.min.js');
const { createSession } = require('./logic/session.js');
const { screenToWorld, worldToScreen } = require('./logic/view.js');

// `npm run serve` on this computer. On a phone: wss:// on a domain registered in the mini-game's console.
const SERVER = 'ws://127.0.0.1:8787';
const CHAT_BAR = 96; // height of the chat area at the bottom, logical pixels
const STEER_EVERY_MS = 50; // one input per server tick while a finger is down
const DOT = 12;

const windowInfo = wx.getWindowInfo ? wx.getWindowInfo() : wx.getSystemInfoSync();
const width = windowInfo.windowWidth;
const height = windowInfo.windowHeight;
const canvas = wx.createCanvas(); // the first canvas created is the screen
canvas.width = width * windowInfo.pixelRatio;
canvas.height = height * windowInfo.pixelRatio;
const ctx = canvas.getContext('2d');
ctx.scale(windowInfo.pixelRatio, windowInfo.pixelRatio);

const session = createSession({ multisocket, wx, url: SERVER, allowInsecure: SERVER.indexOf('ws://') === 0 });
let status = 'connecting...';
let target; // the world point under the finger, while it is down

session.ready.then(
  () => (status = ''),
  (error) => (status = `could not join: ${error.message}`),
);
session.onStatus(({ channel, state }) => {
  const now = session.status();
  status = now.game === 'open' && now.chat === 'open' ? '' : `${channel}: ${state}`;
});

const fieldTouch = (event) => {
  const touch = event.touches[0];
  if (!touch) return;
  if (touch.clientY > height - CHAT_BAR) {
    target = undefined;
    wx.showKeyboard({ defaultValue: '', maxLength: 100, multiple: false, confirmHold: false, confirmType: 'send' });
    return;
  }
  target = screenToWorld({ x: touch.clientX, y: touch.clientY }, width, height - CHAT_BAR);
};
wx.onTouchStart(fieldTouch);
wx.onTouchMove(fieldTouch);
wx.onTouchEnd(() => (target = undefined));
wx.onKeyboardConfirm(({ value }) => {
  const text = String(value || '').trim();
  wx.hideKeyboard({});
  if (text) session.say(text).catch((error) => (status = `chat: ${error.message}`));
});

setInterval(() => {
  if (target) session.moveToward(target);
}, STEER_EVERY_MS);

function draw() {
  ctx.fillStyle = '#10141c';
  ctx.fillRect(0, 0, width, height);
  const fieldHeight = height - CHAT_BAR;
  const players = session.players;
  Object.keys(players).forEach((id) => {
    const at = worldToScreen(players[id], width, fieldHeight);
    ctx.fillStyle = id === session.me ? '#4fd18b' : '#6c8cff';
    ctx.beginPath();
    ctx.arc(at.x, at.y, DOT, 0, Math.PI * 2);
    ctx.fill();
  });

  ctx.fillStyle = '#1d2430';
  ctx.fillRect(0, fieldHeight, width, CHAT_BAR);
  ctx.font = '14px sans-serif';
  ctx.textBaseline = 'top';
  const lines = session.lines.slice(-4);
  lines.forEach((line, i) => {
    ctx.fillStyle = session.isMine(line) ? '#4fd18b' : '#d8dee9';
    ctx.fillText(`${session.isMine(line) ? 'me' : line.from}: ${line.text}`, 10, fieldHeight + 8 + i * 20);
  });
  if (lines.length === 0) {
    ctx.fillStyle = '#7a8394';
    ctx.fillText('tap here to chat', 10, fieldHeight + 8);
  }
  if (status) {
    ctx.fillStyle = '#f0c36a';
    ctx.fillText(status, 10, 10);
  }
  requestAnimationFrame(draw);
}
requestAnimationFrame(draw);
