import EventEmitter from 'eventemitter3';

/**
 * A typed event emitter: `Events` maps each event name to its single context argument. Built on eventemitter3
 * (no dependency on Node's `events`, so it runs in a mini-game). `on` returns the function that undoes it.
 */
export class Emitter<Events extends object> {
  private readonly ee = new EventEmitter();

  /**
   * @param onListenerError told when a listener throws; the other listeners still run, and nothing reaches the
   * caller of `emit` (a socket callback, a timer), so an application bug can never wedge the runtime.
   */
  constructor(private readonly onListenerError: (event: string, error: unknown) => void = () => undefined) {}

  /** Listens to `event`; returns the function that stops listening. */
  on<K extends keyof Events & string>(event: K, listener: (context: Events[K]) => void): () => void {
    this.ee.on(event, listener);
    return () => {
      this.ee.off(event, listener);
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
    if (event !== undefined) return this.ee.listenerCount(event);
    return this.ee.eventNames().reduce((n, name) => n + this.ee.listenerCount(name), 0);
  }

  emit<K extends keyof Events & string>(event: K, context: Events[K]): void {
    const listeners = this.ee.listeners(event);
    for (const listener of listeners) {
      try {
        (listener as (context: Events[K]) => void)(context);
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
    this.ee.removeAllListeners();
  }
}
