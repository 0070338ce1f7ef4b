// The few host functions every target has (mini-game, mini-program, browser, Node). src/ compiles without the
// DOM and Node type libraries so nothing else can be reached by accident; these are declared by hand instead.
declare function setTimeout(handler: () => void, timeoutMs: number): unknown;
declare function clearTimeout(handle: unknown): void;
declare const console: {
  warn(...args: unknown[]): void;
};
