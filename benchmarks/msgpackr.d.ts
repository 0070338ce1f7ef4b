// msgpackr's no-eval build (its package exports it, its typings do not name it): the same API as the main entry.
declare module 'msgpackr/index-no-eval' {
  export { Packr } from 'msgpackr';
}
