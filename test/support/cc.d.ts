/*
 * A STUB standing in for Cocos Creator's own declarations of the `cc` module (the editor generates them into a
 * project's temp/declarations/), so that test/package/example-cocos.test.ts can type-check examples/cocos/ without
 * Cocos. Only what the example uses, shaped and named as Cocos Creator 3.8 declares it; `sys.Platform` has 3.8's values.
 */
declare module 'cc' {
  export class Vec2 {
    x: number;
    y: number;
  }
  export class Vec3 {
    constructor(x?: number, y?: number, z?: number);
    x: number;
    y: number;
    z: number;
  }
  export class Color {
    constructor(r?: number, g?: number, b?: number, a?: number);
  }
  export class EventTouch {
    getUILocation(out?: Vec2): Vec2;
  }
  export class Node {
    on<T extends (...args: never[]) => unknown>(type: string, callback: T, thisArg?: unknown): T;
  }
  export namespace Node {
    enum EventType {
      TOUCH_START = 'touch-start',
      TOUCH_MOVE = 'touch-move',
      TOUCH_END = 'touch-end',
      TOUCH_CANCEL = 'touch-cancel',
    }
  }
  export class Component {
    node: Node;
    getComponent<T extends Component>(classConstructor: abstract new (...args: never[]) => T): T | null;
  }
  export class UITransform extends Component {
    convertToNodeSpaceAR(worldPoint: Vec3, out?: Vec3): Vec3;
  }
  export class Graphics extends Component {
    fillColor: Color;
    clear(): void;
    circle(cx: number, cy: number, r: number): void;
    fill(): void;
  }
  export class Label extends Component {
    string: string;
  }
  export namespace _decorator {
    function ccclass(name?: string): ClassDecorator;
    function property(target: object, propertyKey: string | symbol): void;
    function property(type?: unknown): PropertyDecorator;
  }
  export namespace sys {
    enum Platform {
      UNKNOWN = 'UNKNOWN',
      EDITOR_PAGE = 'EDITOR_PAGE',
      EDITOR_CORE = 'EDITOR_CORE',
      MOBILE_BROWSER = 'MOBILE_BROWSER',
      DESKTOP_BROWSER = 'DESKTOP_BROWSER',
      WIN32 = 'WIN32',
      ANDROID = 'ANDROID',
      IOS = 'IOS',
      MACOS = 'MACOS',
      OHOS = 'OHOS',
      OPENHARMONY = 'OPENHARMONY',
      WECHAT_GAME = 'WECHAT_GAME',
      WECHAT_MINI_PROGRAM = 'WECHAT_MINI_PROGRAM',
      BAIDU_MINI_GAME = 'BAIDU_MINI_GAME',
      XIAOMI_QUICK_GAME = 'XIAOMI_QUICK_GAME',
      ALIPAY_MINI_GAME = 'ALIPAY_MINI_GAME',
      TAOBAO_CREATIVE_APP = 'TAOBAO_CREATIVE_APP',
      TAOBAO_MINI_GAME = 'TAOBAO_MINI_GAME',
      BYTEDANCE_MINI_GAME = 'BYTEDANCE_MINI_GAME',
      OPPO_MINI_GAME = 'OPPO_MINI_GAME',
      VIVO_MINI_GAME = 'VIVO_MINI_GAME',
      HUAWEI_QUICK_GAME = 'HUAWEI_QUICK_GAME',
      COCOSPLAY = 'COCOSPLAY',
      LINKSURE_MINI_GAME = 'LINKSURE_MINI_GAME',
      QTT_MINI_GAME = 'QTT_MINI_GAME',
    }
    const platform: Platform;
  }
}
