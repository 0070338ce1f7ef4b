import type { Player } from './player';
import type { DemoServers } from './servers';
import type { InjectedFault } from './summary';

/*
 * The fault script: what a phone's connections go through, at fixed fractions of the run. Every game socket is
 * destroyed without a close frame (a network hiccup); one player's app goes to the background for 6 s, past the
 * platform's 5 s cut (the manager closes its sockets at 3 s and resumes on return); the chat server restarts (BYE 4000,
 * down for up to 3 s, back on the same port with the same sessions), while players keep saying lines.
 */

/** How long the app stays hidden: past the platform's cut at about 5 s. */
export const HIDDEN_MS = 6000;
const CHAT_DOWN_MAX_MS = 3000;

export type FaultAction = 'drop-game-sockets' | 'hide-app' | 'show-app' | 'chat-server-down' | 'chat-server-up';

/** One step of the script, `atMs` after the traffic starts. */
export interface FaultStep {
  atMs: number;
  action: FaultAction;
}

/** The script for a run of `seconds` (at least 10): steps in time order, every fault healed 1 s before the end. */
export function faultPlan(seconds: number): FaultStep[] {
  const total = seconds * 1000;
  const hideAt = Math.round(total * 0.25);
  const chatDownAt = Math.round(total * 0.65);
  const steps: FaultStep[] = [
    { atMs: Math.round(total * 0.15), action: 'drop-game-sockets' },
    { atMs: hideAt, action: 'hide-app' },
    { atMs: hideAt + HIDDEN_MS, action: 'show-app' },
    { atMs: chatDownAt, action: 'chat-server-down' },
    { atMs: chatDownAt + Math.min(CHAT_DOWN_MAX_MS, Math.round(total * 0.15)), action: 'chat-server-up' },
  ];
  return steps.sort((a, b) => a.atMs - b.atMs);
}

/** What the script acts on, and where it reports. */
export interface FaultTarget {
  players: readonly Player[];
  servers: DemoServers;
  /** Milliseconds since the traffic started. */
  elapsed(): number;
  /** A line for the live display's event log. */
  log(text: string): void;
}

/** Runs a fault script; `done` settles once every step has run (or the run was stopped). */
export class FaultScript {
  readonly injected: InjectedFault[] = [];
  /** Never rejects: a step that failed (a server that could not listen again) is kept in `failure`. */
  readonly done: Promise<void>;
  failure: unknown;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;

  constructor(steps: readonly FaultStep[], private readonly target: FaultTarget) {
    this.done = this.run(steps).catch((error: unknown) => {
      this.failure = error;
      target.log(`fault script failed: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  /** Skips the steps not run yet; one under way finishes. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.wake?.();
  }

  private async run(steps: readonly FaultStep[]): Promise<void> {
    for (const step of steps) {
      // Steps that take time (a server closing) run in order: a late one runs as soon as the previous is done.
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, Math.max(0, step.atMs - this.target.elapsed()));
      });
      if (this.stopped) return;
      const atMs = Math.round(this.target.elapsed());
      const { detail, done } = this.apply(step.action);
      // Logged as it starts, so that its effects (channels reconnecting) show after it.
      this.injected.push({ atMs, fault: step.action, detail });
      this.target.log(`fault: ${step.action} (${detail})`);
      await done;
    }
  }

  /** Starts a fault: what it does, and when it is done (a server closing or listening). */
  private apply(action: FaultAction): { detail: string; done?: Promise<void> } {
    const { players, servers } = this.target;
    // The last player hides, so that p1 stays in view as the reference.
    const hidden = players[players.length - 1] as Player;
    switch (action) {
      case 'drop-game-sockets': {
        const dropped = players.filter((p) => p.dropGameSocket()).length;
        return { detail: `${dropped} of ${players.length} game sockets destroyed` };
      }
      case 'hide-app':
        hidden.hide();
        return { detail: `${hidden.name} in the background for ${HIDDEN_MS / 1000} s: sockets closed at 3 s, platform cut at 5 s` };
      case 'show-app':
        hidden.show();
        return { detail: `${hidden.name} back in the foreground` };
      case 'chat-server-down':
        return { detail: 'BYE 4000 to every chat client; sessions and rooms kept', done: servers.stopChat() };
      case 'chat-server-up':
        return { detail: 'same port, same state: clients resume', done: servers.startChat() };
    }
  }
}
