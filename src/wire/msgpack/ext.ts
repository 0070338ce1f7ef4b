/**
 * A msgpack ext value of a type this codec does not interpret (every type but -1, the timestamp). The decoder returns
 * one with a copy of the data and the encoder writes it back byte for byte, as @msgpack/msgpack does with its `ExtData`.
 */
export class MsgpackExt {
  /**
   * @param type the ext type, -128 to 127 (-1 is the timestamp, which decodes to a `Date` instead).
   * @param data the ext payload.
   */
  constructor(readonly type: number, readonly data: Uint8Array) {}
}
