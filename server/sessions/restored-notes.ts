/**
 * The notes a session moved from another process came with (what modules noted about it there: the chat `room:`, the
 * game `game:`), each module taking its own once, by prefix.
 */
export class RestoredNotes {
  private readonly notes: Map<string, string>;

  constructor(notes: ReadonlyMap<string, string>) {
    this.notes = new Map(notes);
  }

  /** The notes under `prefix` (keys without it), once: undefined when there are none, and after. */
  take(prefix: string): ReadonlyMap<string, string> | undefined {
    let taken: Map<string, string> | undefined;
    for (const [key, value] of this.notes) {
      if (!key.startsWith(prefix)) continue;
      (taken ??= new Map()).set(key.slice(prefix.length), value);
      this.notes.delete(key);
    }
    return taken;
  }
}
