import { UsageErrorCode } from '../codes';
import { UsageError } from '../errors';

/*
 * Topic patterns, shared by the client router and the reference server. Topics are '/'-separated segments:
 *   room/42/message   exact
 *   room/+/message    '+' matches exactly one segment (which may be empty)
 *   room/#            '#' matches the rest: zero or more segments (so it also matches 'room'), and only last
 * Exact patterns live in a Map; wildcard patterns in a trie walked segment by segment, so matching costs the same
 * whatever the number of unrelated subscriptions.
 */

/**
 * Checks a subscription pattern.
 * @throws {UsageError} `invalid_argument` naming the pattern when it is empty, not a string, or misuses a wildcard.
 */
export function validatePattern(pattern: unknown): asserts pattern is string {
  if (typeof pattern !== 'string' || pattern.length === 0) {
    throw new UsageError(UsageErrorCode.InvalidArgument, `a topic pattern must be a non-empty string, got ${JSON.stringify(pattern)}`);
  }
  const segments = pattern.split('/');
  segments.forEach((segment, i) => {
    if (segment.length > 1 && (segment.includes('+') || segment.includes('#'))) {
      throw new UsageError(UsageErrorCode.InvalidArgument, `in pattern "${pattern}", a wildcard must be a whole segment`);
    }
    if (segment === '#' && i !== segments.length - 1) {
      throw new UsageError(UsageErrorCode.InvalidArgument, `in pattern "${pattern}", '#' may only be the last segment`);
    }
  });
}

/**
 * Checks a topic that is sent or published (not a pattern).
 * @throws {UsageError} `invalid_argument` when it is empty or not a string.
 */
export function validateTopic(topic: unknown): asserts topic is string {
  if (typeof topic !== 'string' || topic.length === 0) {
    throw new UsageError(UsageErrorCode.InvalidArgument, `a topic must be a non-empty string, got ${JSON.stringify(topic)}`);
  }
}

function isWildcard(pattern: string): boolean {
  return pattern === '#' || pattern === '+' || /(^|\/)[+#](\/|$)/.test(pattern);
}

/** True when `pattern` matches `topic` (a reference implementation; {@link TopicIndex} is the fast one). */
export function topicMatches(pattern: string, topic: string): boolean {
  const p = pattern.split('/');
  const t = topic.split('/');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '#') return true;
    if (i >= t.length) return false;
    if (p[i] !== '+' && p[i] !== t[i]) return false;
  }
  return p.length === t.length;
}

interface Entry<T> {
  readonly id: number;
  readonly value: T;
}

class TrieNode<T> {
  readonly children = new Map<string, TrieNode<T>>();
  plus: TrieNode<T> | undefined;
  /** Entries whose pattern ends here. */
  readonly here: Entry<T>[] = [];
  /** Entries whose pattern ends with '#' here. */
  readonly rest: Entry<T>[] = [];

  get empty(): boolean {
    return this.here.length === 0 && this.rest.length === 0 && this.children.size === 0 && this.plus === undefined;
  }
}

/** An index of values by topic pattern; `match` returns the values of every matching pattern in insertion order. */
export class TopicIndex<T> {
  private readonly exact = new Map<string, Entry<T>[]>();
  private readonly root = new TrieNode<T>();
  private nextId = 0;
  /** Bumped by clear(): an undo from before it must not touch what was added after. */
  private epoch = 0;
  private wildcards = 0;
  private count = 0;

  /** Number of (pattern, value) entries. */
  get size(): number {
    return this.count;
  }

  /**
   * Adds `value` under `pattern`; returns the function that removes exactly this entry (idempotent).
   * @throws {UsageError} for an invalid pattern.
   */
  add(pattern: string, value: T): () => void {
    validatePattern(pattern);
    const entry: Entry<T> = { id: this.nextId++, value };
    this.count++;
    if (!isWildcard(pattern)) {
      let list = this.exact.get(pattern);
      if (!list) this.exact.set(pattern, (list = []));
      list.push(entry);
    } else {
      this.wildcards++;
      this.insert(pattern, entry);
    }
    let removed = false;
    const epoch = this.epoch;
    return () => {
      if (removed || epoch !== this.epoch) return;
      removed = true;
      this.count--;
      if (!isWildcard(pattern)) {
        const list = this.exact.get(pattern);
        if (list) {
          removeEntry(list, entry);
          if (list.length === 0) this.exact.delete(pattern);
        }
      } else {
        this.wildcards--;
        this.remove(this.root, pattern.split('/'), 0, entry);
      }
    };
  }

  /** The values whose patterns match `topic`, in the order they were added. Returns a fresh array. */
  match(topic: string): T[] {
    if (this.wildcards === 0) {
      // Exact patterns only (the common case): their values are already in insertion order.
      const exact = this.exact.get(topic);
      if (!exact) return [];
      const values = new Array<T>(exact.length);
      for (let i = 0; i < exact.length; i++) values[i] = (exact[i] as Entry<T>).value;
      return values;
    }
    const out: Entry<T>[] = [];
    const exact = this.exact.get(topic);
    if (exact) for (const e of exact) out.push(e);
    let sources = exact ? 1 : 0;
    if (this.wildcards > 0) {
      const before = out.length;
      this.walk(this.root, topic, 0, out);
      if (out.length > before) sources++;
    }
    if (sources > 1 || this.wildcards > 0) out.sort(byId);
    const values = new Array<T>(out.length);
    for (let i = 0; i < out.length; i++) values[i] = (out[i] as Entry<T>).value;
    return values;
  }

  clear(): void {
    this.epoch++;
    this.exact.clear();
    this.root.children.clear();
    this.root.plus = undefined;
    this.root.here.length = 0;
    this.root.rest.length = 0;
    this.wildcards = 0;
    this.count = 0;
  }

  private insert(pattern: string, entry: Entry<T>): void {
    let node = this.root;
    const segments = pattern.split('/');
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i] as string;
      if (segment === '#') {
        node.rest.push(entry);
        return;
      }
      if (segment === '+') {
        node = node.plus ??= new TrieNode<T>();
      } else {
        let child = node.children.get(segment);
        if (!child) node.children.set(segment, (child = new TrieNode<T>()));
        node = child;
      }
    }
    node.here.push(entry);
  }

  private remove(node: TrieNode<T>, segments: string[], i: number, entry: Entry<T>): void {
    const segment = segments[i] as string;
    if (segment === '#') {
      removeEntry(node.rest, entry);
      return;
    }
    const child = segment === '+' ? node.plus : node.children.get(segment);
    if (!child) return;
    if (i === segments.length - 1) removeEntry(child.here, entry);
    else this.remove(child, segments, i + 1, entry);
    if (child.empty) {
      if (segment === '+') node.plus = undefined;
      else node.children.delete(segment);
    }
  }

  /** `start` is the index of the next segment in `topic`, or -1 once every segment is consumed. */
  private walk(node: TrieNode<T>, topic: string, start: number, out: Entry<T>[]): void {
    for (const e of node.rest) out.push(e);
    if (start === -1) {
      for (const e of node.here) out.push(e);
      return;
    }
    const slash = topic.indexOf('/', start);
    const next = slash === -1 ? -1 : slash + 1;
    if (node.children.size > 0) {
      const child = node.children.get(slash === -1 ? topic.slice(start) : topic.slice(start, slash));
      if (child) this.walk(child, topic, next, out);
    }
    if (node.plus) this.walk(node.plus, topic, next, out);
  }
}

function byId(a: Entry<unknown>, b: Entry<unknown>): number {
  return a.id - b.id;
}

function removeEntry<T>(list: Entry<T>[], entry: Entry<T>): void {
  const i = list.indexOf(entry);
  if (i !== -1) list.splice(i, 1);
}
