/*
 * A Cocos Creator 3.x component: attach it to a node with a Graphics (the field) and give it a Label (the chat).
 * It picks the transport from the platform, opens the game and chat channels (game-network.ts, which has no Cocos in
 * it), steers the player's dot toward the touch, and draws every dot from the server's state each frame.
 *
 * In the project: `npm install multisocket` and import it as below (Cocos 3.x resolves npm packages), or load
 * dist/multisocket.global.js as a plugin script and read the global `multisocket` instead.
 */
import { _decorator, Color, Component, EventTouch, Graphics, Label, Node, sys, UITransform, Vec3 } from 'cc';
import { webSocketTransport, type WxLifecycleApi, type WxSocketApi } from 'multisocket';
import { GameNetwork, miniGamePlatform, type NetworkPlatform } from './game-network';

const { ccclass, property } = _decorator;

// The mini-game platforms' globals (drop these two lines if your project declares them, e.g. with minigame-api-typings).
declare const wx: WxSocketApi & WxLifecycleApi;
declare const tt: WxSocketApi & WxLifecycleApi;

const MINE = new Color(79, 209, 139, 255);
const OTHERS = new Color(108, 140, 255, 255);
const DOT = 12;
const CHAT_LINES = 4;
/** One input per server tick while a finger is down, s. */
const STEER_EVERY = 0.05;

/** The transport of the platform the game runs on. */
function platformNetwork(): NetworkPlatform {
  switch (sys.platform) {
    case sys.Platform.WECHAT_GAME:
      return miniGamePlatform(wx);
    case sys.Platform.BYTEDANCE_MINI_GAME:
      return miniGamePlatform(tt);
    default:
      // The browser preview (and a web build): the standard WebSocket, no app lifecycle.
      return { transport: webSocketTransport(WebSocket) };
  }
}

@ccclass('NetworkComponent')
export class NetworkComponent extends Component {
  /** The server: `wss://` on a domain in the mini-game's socket domain list (the preview accepts ws://). */
  @property
  serverUrl = 'wss://game.example.com';

  @property(Graphics)
  field: Graphics | null = null;

  @property(Label)
  chat: Label | null = null;

  private network: GameNetwork | null = null;
  private target: Vec3 | null = null;
  private sinceSteer = 0;

  onLoad(): void {
    this.network = new GameNetwork(platformNetwork(), { url: this.serverUrl });
    this.network.ready.catch((error: Error) => this.chat && (this.chat.string = `could not join: ${error.message}`));
    this.node.on(Node.EventType.TOUCH_START, this.touched, this);
    this.node.on(Node.EventType.TOUCH_MOVE, this.touched, this);
    this.node.on(Node.EventType.TOUCH_END, () => (this.target = null));
  }

  /** Says a line in the chat room (wire it to an EditBox's editing-return event). */
  say(text: string): void {
    this.network?.say(text).catch((error: Error) => this.chat && (this.chat.string = `chat: ${error.message}`));
  }

  update(dt: number): void {
    const network = this.network;
    const field = this.field;
    if (!network || !field) return;
    this.sinceSteer += dt;
    if (this.target && this.sinceSteer >= STEER_EVERY) {
      this.sinceSteer = 0;
      // Cocos' y grows upwards, the game world's downwards.
      network.steerToward({ x: this.target.x, y: -this.target.y });
    }
    field.clear();
    for (const [id, at] of Object.entries(network.players)) {
      field.fillColor = id === network.me ? MINE : OTHERS;
      field.circle(at.x, -at.y, DOT);
      field.fill();
    }
    if (this.chat) this.chat.string = network.lines.slice(-CHAT_LINES).map((line) => `${line.from}: ${line.text}`).join('\n');
  }

  onDestroy(): void {
    void this.network?.close();
    this.network = null;
  }

  private touched(event: EventTouch): void {
    const ui = event.getUILocation();
    this.target = this.getComponent(UITransform)?.convertToNodeSpaceAR(new Vec3(ui.x, ui.y, 0)) ?? null;
  }
}
