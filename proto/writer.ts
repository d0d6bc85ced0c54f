// Writing protobuf wire bytes: varints, tags, fixed-width numbers and length-delimited
// values. The encoder builds whole messages with it; the mock and redaction, which copy
// recorded bytes and rewrite a few fields, use its one-shot helpers.

const UINT32_MAX = 2 ** 32 - 1;

/** Bytes written in order; small writes gather in a scratch array, large ones are kept by reference. */
export class ProtoWriter {
  private readonly parts: Uint8Array[] = [];
  private scratch: number[] = [];
  length = 0;

  byte(b: number): void {
    this.scratch.push(b);
    this.length++;
  }

  varint(value: bigint | number): void {
    if (typeof value === 'number' && value >= 0 && value <= UINT32_MAX) {
      let v = value;
      while (v > 0x7f) {
        this.byte((v & 0x7f) | 0x80);
        v = Math.floor(v / 128);
      }
      this.byte(v);
      return;
    }
    let v = BigInt.asUintN(64, BigInt(value));
    while (v > 0x7fn) {
      this.byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.byte(Number(v));
  }

  tag(number: number, wireType: number): void {
    this.varint(number * 8 + wireType);
  }

  bytes(data: Uint8Array): void {
    this.settle();
    this.parts.push(data);
    this.length += data.length;
  }

  fixed32(value: number): void {
    for (let i = 0; i < 4; i++) this.byte((value >>> (8 * i)) & 0xff);
  }

  fixed64(value: bigint): void {
    const v = BigInt.asUintN(64, value);
    for (let i = 0n; i < 8n; i++) this.byte(Number((v >> (8n * i)) & 0xffn));
  }

  finish(): Uint8Array {
    this.settle();
    return this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts);
  }

  private settle(): void {
    if (this.scratch.length === 0) return;
    this.parts.push(Uint8Array.from(this.scratch));
    this.scratch = [];
  }
}

/** A varint on its own: a length prefix, a tag. */
export function varintBytes(value: number): Uint8Array {
  const out = new ProtoWriter();
  out.varint(value);
  return out.finish();
}

/** One length-delimited field: its tag, the length, the bytes. */
export function lengthDelimited(field: number, value: Uint8Array): Uint8Array {
  const out = new ProtoWriter();
  out.tag(field, 2);
  out.varint(value.length);
  out.bytes(value);
  return out.finish();
}
