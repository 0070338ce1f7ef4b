import { TopicIndex, topicMatches, validatePattern } from '../../src/routing/topics';
import { UsageError } from '../../src/errors';
import { seededRandom } from '../support/random';

describe('topic patterns', () => {
  const table: [string, string, boolean][] = [
    ['room/42/message', 'room/42/message', true],
    ['room/42/message', 'room/43/message', false],
    ['room/+/message', 'room/42/message', true],
    ['room/+/message', 'room//message', true],
    ['room/+/message', 'room/42/message/extra', false],
    ['room/+/message', 'room/42', false],
    ['room/#', 'room', true],
    ['room/#', 'room/42', true],
    ['room/#', 'room/42/message', true],
    ['room/#', 'rooms/42', false],
    ['#', 'anything/at/all', true],
    ['+', 'one', true],
    ['+', 'one/two', false],
    ['+/+/message', 'room/42/message', true],
    ['room/+/#', 'room/42', true],
    ['room/+/#', 'room', false],
  ];
  it.each(table)('%s vs %s -> %s', (pattern, topic, expected) => {
    expect(topicMatches(pattern, topic)).toBe(expected);
    const index = new TopicIndex<string>();
    index.add(pattern, 'hit');
    expect(index.match(topic)).toEqual(expected ? ['hit'] : []);
  });

  it.each(['', 'room/#/message', 'room/a+/x', 'room/#x', 'ro#'])('refuses the invalid pattern %j, naming it', (pattern) => {
    expect(() => validatePattern(pattern)).toThrow(UsageError);
  });

  it('refuses a pattern that is not a string', () => {
    expect(() => validatePattern(42)).toThrow(/non-empty string/);
  });
});

describe('TopicIndex', () => {
  it('returns every match in the order the subscriptions were added, exact and wildcard mixed', () => {
    const index = new TopicIndex<string>();
    index.add('room/#', 'a');
    index.add('room/42/message', 'b');
    index.add('room/+/message', 'c');
    index.add('room/42/message', 'd');
    index.add('other/#', 'x');
    expect(index.match('room/42/message')).toEqual(['a', 'b', 'c', 'd']);
  });

  it('removes exactly one entry per undo, idempotently, and prunes empty branches', () => {
    const index = new TopicIndex<string>();
    const undoA = index.add('room/+/message', 'a');
    index.add('room/+/message', 'a');
    const undoExact = index.add('room/1/message', 'e');
    expect(index.match('room/1/message')).toEqual(['a', 'a', 'e']);
    undoA();
    undoA();
    undoExact();
    expect(index.match('room/1/message')).toEqual(['a']);
    expect(index.size).toBe(1);
  });

  it('an undo from before clear() does not touch what was added after', () => {
    const index = new TopicIndex<string>();
    const stale = index.add('a/+', 'old');
    const staleExact = index.add('a/b', 'old');
    index.clear();
    index.add('b/+', 'new');
    index.add('a/b', 'new');
    stale();
    staleExact();
    expect(index.size).toBe(2);
    expect(index.match('b/x')).toEqual(['new']);
    expect(index.match('a/b')).toEqual(['new']);
  });

  it('agrees with the reference matcher on 3,000 random patterns and topics', () => {
    const rand = seededRandom(42);
    const words = ['room', '1', '2', 'msg', ''];
    const pick = () => words[Math.floor(rand() * words.length)] as string;
    const patterns: string[] = [];
    const index = new TopicIndex<number>();
    for (let i = 0; i < 300; i++) {
      const n = 1 + Math.floor(rand() * 4);
      const segs = Array.from({ length: n }, (_, j) => {
        const r = rand();
        if (r < 0.2) return '+';
        if (r < 0.3 && j === n - 1) return '#';
        return pick();
      });
      const pattern = segs.join('/');
      if (pattern === '') continue;
      patterns.push(pattern);
      index.add(pattern, patterns.length - 1);
    }
    for (let i = 0; i < 3000; i++) {
      const topic = Array.from({ length: 1 + Math.floor(rand() * 4) }, pick).join('/');
      const expected = patterns.flatMap((p, id) => (topicMatches(p, topic) ? [id] : []));
      expect(index.match(topic)).toEqual(expected);
    }
  });
});
