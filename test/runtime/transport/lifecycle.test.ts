import { wxLifecycle } from '../../../src/transport/lifecycle';
import { createWxEmulator } from '../../support/wx-emulator';

// The lifecycle adapter against the two shapes the platform has: a mini-program (onAppHide/onAppShow) and a
// mini-game (onHide/onShow). The emulator has both; the plain objects below have one shape each, as a device does.
function platform(kind: 'program' | 'game') {
  type Listener = (r: never) => void;
  const listeners = new Map<string, Set<Listener>>();
  const on = (name: string) => (l: Listener) => void (listeners.get(name) ?? listeners.set(name, new Set()).get(name))?.add(l);
  const off = (name: string) => (l?: object) => void listeners.get(name)?.delete(l as Listener);
  const fire = (name: string, r: unknown = {}) => [...(listeners.get(name) ?? [])].forEach((l) => (l as (r: unknown) => void)(r));
  const api =
    kind === 'program'
      ? { onAppHide: on('hide'), offAppHide: off('hide'), onAppShow: on('show'), offAppShow: off('show') }
      : { onHide: on('hide'), offHide: off('hide'), onShow: on('show'), offShow: off('show') };
  return { api: { ...api, onNetworkStatusChange: on('net') }, fire, count: () => [...listeners.values()].reduce((n, s) => n + s.size, 0) };
}

describe('wxLifecycle', () => {
  it.each(['program', 'game'] as const)('adapts a mini-%s and undoes with off* where it exists', (kind) => {
    const p = platform(kind);
    const life = wxLifecycle(p.api);
    const seen: string[] = [];
    const undo = [
      life.onHide(() => seen.push('hide')),
      life.onShow(() => seen.push('show')),
      life.onNetworkChange((online) => seen.push(`online=${online}`)),
    ];
    p.fire('hide');
    p.fire('show');
    p.fire('net', { isConnected: false, networkType: 'none' });
    expect(seen).toEqual(['hide', 'show', 'online=false']);
    undo.forEach((u) => u());
    p.fire('hide');
    p.fire('net', { isConnected: true });
    expect(seen).toHaveLength(3);
    // hide and show were removed with off*; the network listener has no off here, so it was disarmed instead
    expect(p.count()).toBe(1);
  });

  it('listens to one pair only on an API that has both (no double events)', () => {
    const emulator = createWxEmulator();
    const life = wxLifecycle(emulator);
    let hides = 0;
    const undo = life.onHide(() => hides++);
    emulator.hide();
    expect(hides).toBe(1);
    undo();
    emulator.show();
    emulator.hide();
    expect(hides).toBe(1);
    return emulator.dispose();
  });

  it('tolerates an API without lifecycle hooks (an old base library)', () => {
    const life = wxLifecycle({});
    expect(() => life.onHide(() => undefined)()).not.toThrow();
  });
});
