/**
 * A typed event emitter: `Events` maps each event name to its single context argument. Self-contained (no Node
 * `events`, no dependency), so it runs in a mini-game and adds next to nothing to the bundle. `on` returns the
 * function that undoes it.
 */
export class Emitter<Events extends object> {
  private readonly listeners = new Map<string, ((context: never) => void)[]>();

  /**
   * @param onListenerError told when a listener throws; the other listeners still run, and nothing reaches the
   * caller of `emit` (a socket callback, a timer), so an application bug can never wedge the runtime.
   */
  constructor(private readonly onListenerError: (event: string, error: unknown) => void = () => undefined) {}

  /** Listens to `event`; returns the function that stops listening (calling it twice is harmless). */
  on<K extends keyof Events & string>(event: K, listener: (context: Events[K]) => void): () => void {
    // A fresh array on every change: an emit in progress keeps iterating the snapshot it started with.
    this.listeners.set(event, [...(this.listeners.get(event) || []), listener]);
    return () => {
      const current = this.listeners.get(event);
      if (!current) return;
      const at = current.indexOf(listener);
      if (at < 0) return;
      const rest = current.filter((_, i) => i !== at);
      if (rest.length === 0) this.listeners.delete(event);
      else this.listeners.set(event, rest);
    };
  }

  /** Listens to the next `event` only; returns the function that cancels it. */
  once<K extends keyof Events & string>(event: K, listener: (context: Events[K]) => void): () => void {
    const undo = this.on(event, (context) => {
      undo();
      listener(context);
    });
    return undo;
  }

  /** Number of listeners of `event` (or of every event), for leak checks. */
  listenerCount(event?: keyof Events & string): number {
    if (event !== undefined) return (this.listeners.get(event) || []).length;
    let n = 0;
    for (const list of this.listeners.values()) n += list.length;
    return n;
  }

  /** Calls every listener of `event` that was registered when the emit began, in registration order. */
  emit<K extends keyof Events & string>(event: K, context: Events[K]): void {
    const listeners = this.listeners.get(event) as ((context: Events[K]) => void)[] | undefined;
    if (!listeners) return;
    for (const listener of listeners) {
      try {
        listener(context);
      } catch (error) {
        try {
          this.onListenerError(event, error);
        } catch {
          // The reporter itself failed: there is nowhere left to report to.
        }
      }
    }
  }

  removeAllListeners(): void {
    this.listeners.clear();
  }
}
