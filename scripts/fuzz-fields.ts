/*
 * What the fuzzer knows about frames (PROTOCOL.md section 2): the element count of each opcode, every typed field
 * (top-level elements and HELLO / WELCOME keys), and values of every other type to put in each.
 */
import { Dice, ext, Raw } from './fuzz-bytes';

/** Number of opcodes (0 HELLO to 10 BYE). */
export const OP_COUNT = 11;
/** Element count of each opcode's frame, opcode included. */
export const ARITY: readonly number[] = [2, 2, 2, 3, 3, 4, 3, 4, 4, 2, 3];

type FieldType = 'op' | 'uint' | 'str' | 'topic' | 'bool' | 'map';

/** One typed field of one opcode: element `at`, or key `key` of the body map (element 1) of HELLO and WELCOME. */
export interface TypedField {
  readonly op: number;
  readonly at: number;
  readonly key?: string;
  readonly type: FieldType;
  /** A body key that must be present (a missing one is as wrong as a mistyped one). */
  readonly required?: boolean;
}

const HELLO_KEYS: [string, FieldType, boolean][] = [
  ['v', 'uint', true],
  ['channel', 'str', true],
  ['token', 'str', false],
  ['session', 'str', false],
  ['recv', 'uint', false],
];
const WELCOME_KEYS: [string, FieldType, boolean][] = [
  ['v', 'uint', true],
  ['session', 'str', true],
  ['heartbeatMs', 'uint', true],
  ['time', 'uint', true],
  ['resumed', 'bool', true],
  ['recv', 'uint', true],
  ['previousRecv', 'uint', false],
];
const ELEMENTS: [op: number, at: number, type: FieldType][] = [
  [2, 1, 'uint'],
  [3, 1, 'uint'],
  [3, 2, 'uint'],
  [4, 1, 'topic'],
  [5, 1, 'uint'],
  [5, 2, 'topic'],
  [6, 1, 'uint'],
  [7, 1, 'uint'],
  [7, 2, 'str'],
  [7, 3, 'str'],
  [8, 1, 'uint'],
  [8, 2, 'topic'],
  [9, 1, 'uint'],
  [10, 1, 'uint'],
  [10, 2, 'str'],
];

/** Every typed field of every frame: the opcode of each, the HELLO and WELCOME bodies and their keys, and the rest. */
export const TYPED_FIELDS: readonly TypedField[] = [
  ...Array.from({ length: OP_COUNT }, (_, op): TypedField => ({ op, at: 0, type: 'op' })),
  { op: 0, at: 1, type: 'map' },
  ...HELLO_KEYS.map(([key, type, required]): TypedField => ({ op: 0, at: 1, key, type, required })),
  { op: 1, at: 1, type: 'map' },
  ...WELCOME_KEYS.map(([key, type, required]): TypedField => ({ op: 1, at: 1, key, type, required })),
  ...ELEMENTS.map(([op, at, type]): TypedField => ({ op, at, type })),
];

type ValueClass = 'nil' | 'bool' | 'uint' | 'neg' | 'float' | 'big' | 'str' | 'empty' | 'bin' | 'array' | 'map' | 'ext' | 'date';

const VALUES: readonly [ValueClass, unknown][] = [
  ['nil', null],
  ['bool', true],
  ['bool', false],
  ['uint', 0],
  ['uint', 7],
  ['uint', 300],
  ['uint', 70_000],
  ['uint', 2 ** 40],
  ['neg', -1],
  ['neg', -300],
  ['float', 1.5],
  ['float', -0.25],
  ['big', new Raw(new Uint8Array([0xcf, 0x00, 0x20, 0, 0, 0, 0, 0, 0]))],
  ['str', 'x'],
  ['str', '4'],
  ['empty', ''],
  ['bin', new Uint8Array([1, 2])],
  ['array', []],
  ['array', [1, 'a']],
  ['map', {}],
  ['map', { a: 1 }],
  ['ext', new Raw(ext(5, new Uint8Array([1, 2])))],
  ['date', new Date(0)],
];

function isWrong(type: FieldType, cls: ValueClass, value: unknown): boolean {
  switch (type) {
    case 'op':
      return cls !== 'uint' || (value as number) >= OP_COUNT;
    case 'uint':
      return cls !== 'uint';
    case 'str':
      return cls !== 'str' && cls !== 'empty';
    case 'topic':
      // The empty string is a string, but never a topic.
      return cls !== 'str';
    case 'bool':
      return cls !== 'bool';
    case 'map':
      return cls !== 'map';
  }
}

/** A value that is not of the field's type (or, for a required body key, sometimes no value at all: undefined). */
export function wrongValueFor(field: TypedField, d: Dice): unknown {
  if (field.required && d.chance(0.15)) return undefined;
  const candidates = VALUES.filter(([cls, value]) => isWrong(field.type, cls, value));
  return (d.pick(candidates) as [ValueClass, unknown])[1];
}

/**
 * Integers that are not msgpack uints in the protocol's sense, in every encoding: negative in every width, fractions
 * and non-finite floats, and integers beyond 2^53 − 1. (A float with an integral value is not among them: JavaScript
 * cannot tell 3.0 from 3, and PROTOCOL.md lets a receiver accept it.)
 */
export const BAD_INTEGERS: readonly Raw[] = [
  [0xff],
  [0xe0],
  [0xd0, 0x80],
  [0xd1, 0x80, 0x00],
  [0xd2, 0x80, 0, 0, 0],
  [0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
  [0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0],
  [0xca, 0x40, 0x20, 0, 0],
  [0xca, 0x7f, 0xc0, 0, 0],
  [0xcb, 0x3f, 0xe0, 0, 0, 0, 0, 0, 0],
  [0xcb, 0xbf, 0xe0, 0, 0, 0, 0, 0, 0],
  [0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0],
  [0xcb, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0],
  [0xcb, 0xff, 0xf0, 0, 0, 0, 0, 0, 0],
  [0xcf, 0x00, 0x20, 0, 0, 0, 0, 0, 0],
  [0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
  [0xcf, 0x80, 0, 0, 0, 0, 0, 0, 0],
  [0xd3, 0x40, 0, 0, 0, 0, 0, 0, 0],
].map((bytes) => new Raw(new Uint8Array(bytes)));

/** Keys that trip up code that treats a decoded map as an ordinary object. `__proto__` is added separately. */
export const DANGEROUS_KEYS: readonly string[] = [
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__defineGetter__',
  '__lookupSetter__',
  'isPrototypeOf',
  'then',
  'toJSON',
  'length',
  '__proto__ ',
];
