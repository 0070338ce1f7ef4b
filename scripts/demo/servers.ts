import {
  type Chat,
  createMemoryState,
  createServer,
  type Game,
  installChat,
  installGame,
  type ReferenceServer,
  type ServerState,
} from '../../server';
import { CloseCode } from '../../src';

/*
 * The demo's reference servers on 127.0.0.1, each on a free port: one runs the game loop, the other the chat rooms.
 * Chat is on its own server so that the fault script can take it down and bring it back (a restart) while the game
 * keeps running. Its sessions and rooms live in a memory state outside the server, so the clients resume them.
 */

/** How many times, and how far apart, a restarted chat server retries its old port if something else holds it. */
const LISTEN_RETRIES = 20;
const LISTEN_RETRY_MS = 100;

/** The game server and the restartable chat server. */
export class DemoServers {
  private chatUp = true;
  private restarts = 0;

  private constructor(
    readonly game: ReferenceServer,
    private readonly gameModule: Game,
    private chatServer: ReferenceServer,
    private chatModule: Chat,
    private readonly state: ServerState,
    private readonly chatPort: number,
  ) {}

  /** Starts both servers on free ports. */
  static async start(): Promise<DemoServers> {
    const game = createServer({ host: '127.0.0.1', port: 0 });
    const gameModule = installGame(game);
    await game.listen();
    const state = createMemoryState();
    const chat = createServer({ host: '127.0.0.1', port: 0, state });
    const chatModule = installChat(chat);
    const { port } = await chat.listen();
    return new DemoServers(game, gameModule, chat, chatModule, state, port);
  }

  /** Where the players' game channel connects. */
  get gameUrl(): string {
    return `${(this.game.address as { url: string }).url}/game`;
  }

  /** Where the players' chat channel connects (the same port across restarts). */
  get chatUrl(): string {
    return `ws://127.0.0.1:${this.chatPort}/chat`;
  }

  /** Whether the chat server is listening. */
  get chatIsUp(): boolean {
    return this.chatUp;
  }

  /** Chat server restarts so far. */
  get chatRestarts(): number {
    return this.restarts;
  }

  /** Players the game loop holds (connected or awaiting a resume). */
  get gamePlayers(): number {
    return this.gameModule.players;
  }

  /** Chat sessions held, attached or awaiting their client. */
  get chatSessions(): number {
    return this.state.sessions.size;
  }

  /** Takes the chat server down: BYE 4000 (come back later) to every client; sessions and rooms stay in the state. */
  async stopChat(): Promise<void> {
    if (!this.chatUp) return;
    this.chatUp = false;
    await this.chatServer.close({ code: CloseCode.ServerRestart, reason: 'chat server restarting', keepSessions: true });
    this.chatModule.close();
  }

  /** Brings the chat server back on the same port with the same state: clients reconnect and resume their sessions. */
  async startChat(): Promise<void> {
    if (this.chatUp) return;
    for (let attempt = 1; ; attempt++) {
      const server = createServer({ host: '127.0.0.1', port: this.chatPort, state: this.state });
      const chat = installChat(server);
      try {
        await server.listen();
        this.chatServer = server;
        this.chatModule = chat;
        this.chatUp = true;
        this.restarts++;
        return;
      } catch (error) {
        chat.close();
        await server.close({ keepSessions: true });
        // The old port was taken by another process in the meantime: wait for it a little, then give up.
        const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
        if (!inUse || attempt >= LISTEN_RETRIES) throw error;
        await new Promise((resolve) => setTimeout(resolve, LISTEN_RETRY_MS));
      }
    }
  }

  /** Closes both servers (BYE 1000), ending every session. */
  async close(): Promise<void> {
    const chat = this.chatUp ? this.chatServer.close({ keepSessions: false }) : Promise.resolve();
    await Promise.all([chat, this.game.close()]);
    this.chatModule.close();
  }
}
