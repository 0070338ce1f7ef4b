import { EventEmitter } from 'eventemitter3';

/**
 * A typed event emitter: `Events` maps each event name to its single context argument. Built on eventemitter3 (no
 * Node `events`, so it runs in a mini-game); `on` returns the function that undoes it.
 */
export class Emitter<Events extends object> {
  private readonly emitter = new EventEmitter<string>();

  /**
   * @param onListenerError told when a listener throws; the other listeners still run, and nothing reaches the
   * caller of `emit` (a socket callback, a timer), so an application bug can never wedge the runtime.
   */
  constructor(private readonly onListenerError: (event: string, error: unknown) => void = () => undefined) {}

  /** Listens to `event`; returns the function that stops listening (calling it twice is harmless). */
  on<K extends keyof Events & string>(event: K, listener: (context: Events[K]) => void): () => void {
    return this.listen(event, listener, false);
  }

  /** Listens to the next `event` only; returns the function that cancels it. */
  once<K extends keyof Events & string>(event: K, listener: (context: Events[K]) => void): () => void {
    return this.listen(event, listener, true);
  }

  /** Number of listeners of `event` (or of every event), for leak checks. */
  listenerCount(event?: keyof Events & string): number {
    if (event !== undefined) return this.emitter.listenerCount(event);
    let n = 0;
    for (const name of this.emitter.eventNames()) n += this.emitter.listenerCount(name);
    return n;
  }

  /** Calls every listener of `event` that was registered when the emit began, in registration order. */
  emit<K extends keyof Events & string>(event: K, context: Events[K]): void {
    this.emitter.emit(event, context);
  }

  removeAllListeners(): void {
    this.emitter.removeAllListeners();
  }

  /**
   * eventemitter3 lets a throw escape `emit` and skips the listeners after it, so each listener is registered inside
   * a guard that reports the throw instead. A fresh guard per registration also means the same function registered
   * twice needs two undos (eventemitter3 would remove both copies of one function at once).
   */
  private listen<K extends keyof Events & string>(event: K, listener: (context: Events[K]) => void, once: boolean): () => void {
    const guarded = (context: Events[K]): void => {
      try {
        listener(context);
      } catch (error) {
        try {
          this.onListenerError(event, error);
        } catch {
          // The reporter itself failed: there is nowhere left to report to.
        }
      }
    };
    if (once) this.emitter.once(event, guarded);
    else this.emitter.on(event, guarded);
    return () => {
      this.emitter.off(event, guarded);
    };
  }
}
