import { Emitter } from '../../src/emitter';

interface Events {
  tick: number;
  other: string;
}

describe('Emitter', () => {
  it('calls listeners in registration order with the context; the undo removes exactly that listener', () => {
    const e = new Emitter<Events>();
    const seen: string[] = [];
    const undoA = e.on('tick', (n) => seen.push(`a${n}`));
    e.on('tick', (n) => seen.push(`b${n}`));
    e.emit('tick', 1);
    undoA();
    undoA();
    e.emit('tick', 2);
    expect(seen).toEqual(['a1', 'b1', 'b2']);
    expect(e.listenerCount('tick')).toBe(1);
  });

  it('registering the same function twice needs two undos', () => {
    const e = new Emitter<Events>();
    let n = 0;
    const f = (): void => {
      n++;
    };
    const u1 = e.on('tick', f);
    e.on('tick', f);
    e.emit('tick', 0);
    u1();
    e.emit('tick', 0);
    expect(n).toBe(3);
  });

  it('once fires a single time and can be cancelled before it fires', () => {
    const e = new Emitter<Events>();
    const seen: number[] = [];
    e.once('tick', (n) => seen.push(n));
    const cancel = e.once('tick', (n) => seen.push(n * 100));
    cancel();
    e.emit('tick', 1);
    e.emit('tick', 2);
    expect(seen).toEqual([1]);
    expect(e.listenerCount()).toBe(0);
  });

  it('an emit runs the listeners registered when it began, even if one of them changes the list', () => {
    const e = new Emitter<Events>();
    const seen: string[] = [];
    let undoB: () => void = () => undefined;
    e.on('tick', () => {
      seen.push('a');
      undoB();
      e.on('tick', () => seen.push('late'));
    });
    undoB = e.on('tick', () => seen.push('b'));
    e.emit('tick', 0);
    expect(seen).toEqual(['a', 'b']);
    seen.length = 0;
    e.emit('tick', 0);
    // 'a' added a second 'late' during this emit: it runs from the next emit on.
    expect(seen).toEqual(['a', 'late']);
    expect(e.listenerCount('tick')).toBe(3);
  });

  it('a throwing listener is reported and the others still run; a throwing reporter is contained', () => {
    const reported: [string, unknown][] = [];
    const e = new Emitter<Events>((event, error) => reported.push([event, error]));
    const seen: number[] = [];
    e.on('tick', () => {
      throw new Error('app bug');
    });
    e.on('tick', (n) => seen.push(n));
    expect(() => e.emit('tick', 7)).not.toThrow();
    expect(seen).toEqual([7]);
    expect(reported).toHaveLength(1);
    expect((reported[0]?.[1] as Error).message).toBe('app bug');

    const silent = new Emitter<Events>(() => {
      throw new Error('reporter bug');
    });
    silent.on('other', () => {
      throw new Error('x');
    });
    expect(() => silent.emit('other', 's')).not.toThrow();
  });

  it('a throwing listener, once or not, is reported with its event and the next listener is still called', () => {
    const reported: [string, unknown][] = [];
    const e = new Emitter<Events>((event, error) => reported.push([event, error]));
    const seen: string[] = [];
    const bug = new Error('app bug');
    e.on('tick', () => seen.push('first'));
    const undo = e.on('tick', () => {
      throw bug;
    });
    e.once('tick', () => {
      throw bug;
    });
    e.on('tick', () => seen.push('next'));
    e.emit('tick', 1);
    expect(seen).toEqual(['first', 'next']);
    expect(reported).toEqual([['tick', bug], ['tick', bug]]);
    // The undo removes the guarded listener it registered, not some other.
    undo();
    e.emit('tick', 2);
    expect(seen).toEqual(['first', 'next', 'first', 'next']);
    expect(reported).toHaveLength(2);
    expect(e.listenerCount('tick')).toBe(2);
  });

  it('counts listeners per event and in all, and removeAllListeners clears them', () => {
    const e = new Emitter<Events>();
    e.on('tick', () => undefined);
    e.on('tick', () => undefined);
    e.on('other', () => undefined);
    expect(e.listenerCount('tick')).toBe(2);
    expect(e.listenerCount()).toBe(3);
    e.removeAllListeners();
    expect(e.listenerCount()).toBe(0);
    e.emit('tick', 1);
  });
});
