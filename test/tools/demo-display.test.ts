import { Display, LEGEND, LIVE_EXTRA_LINES } from '../../scripts/demo/display';
import type { ChannelRow } from '../../scripts/demo/player';

// The demo's live view, drawn into a string: the injected faults keep a list of their own, so the reconnect events
// they cause (one per player and channel) cannot push them off the screen, and a legend says what the counters mean.

/** Every view a test made: stopped after it, so a failing test leaves no interval running. */
const views: Display[] = [];
afterEach(() => views.splice(0).forEach((display) => display.stop()));

function view(): { display: Display; screen: () => string } {
  let out = '';
  let now = 0;
  const rows: ChannelRow[] = [];
  const display = new Display('live', (text) => (out += text), { elapsed: () => (now += 10), seconds: 20, servers: () => 'servers', rows: () => rows }, 200);
  views.push(display);
  // The last frame drawn: everything after the last "cursor up and clear" escape.
  const screen = () => out.slice(out.lastIndexOf('\u001b[J') + 3).replace('\u001b[?25h', '');
  return { display, screen };
}

describe('the demo live view', () => {
  it('keeps the injected faults on screen however many events follow them', () => {
    const { display, screen } = view();
    display.start();
    display.fault('game sockets of player 1 dropped');
    for (let i = 0; i < 50; i++) display.event(`p${i}: reconnecting (lost)`);
    display.stop();
    const frame = screen();
    expect(frame).toContain('fault: game sockets of player 1 dropped');
    expect(frame).toContain('p49: reconnecting');
    expect(frame).not.toContain('p0: reconnecting');
  });

  it('explains dropped, unacked and queued under the table', () => {
    const { display, screen } = view();
    display.start();
    display.stop();
    for (const line of LEGEND) expect(screen()).toContain(line);
    expect(screen()).toMatch(/dropped: stale game inputs .*by design/);
  });

  it('counts its own lines for the terminal-height check: a frame with no rows takes exactly LIVE_EXTRA_LINES', () => {
    const { display, screen } = view();
    display.start();
    for (let i = 0; i < 20; i++) display.fault(`f${i}`);
    for (let i = 0; i < 20; i++) display.event(`e${i}`);
    display.stop();
    expect(screen().trimEnd().split('\n')).toHaveLength(LIVE_EXTRA_LINES);
  });
});
