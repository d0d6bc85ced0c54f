// A tiny protobuf writer for building test inputs byte by byte (including
// malformed ones), independent of the codec under test.

export type Field =
  | { number: number; varint: bigint | number }
  | { number: number; fixed32: number }
  | { number: number; fixed64: bigint }
  | { number: number; bytes: Uint8Array }
  | { number: number; group: Field[] };

export function varint(value: bigint | number): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

export function tag(number: number, wireType: number): number[] {
  return varint((BigInt(number) << 3n) | BigInt(wireType));
}

export function encode(fields: Field[]): Uint8Array {
  const out: number[] = [];
  for (const field of fields) {
    if ('varint' in field) out.push(...tag(field.number, 0), ...varint(field.varint));
    else if ('fixed32' in field) {
      out.push(...tag(field.number, 5));
      for (let i = 0; i < 4; i++) out.push((field.fixed32 >>> (8 * i)) & 0xff);
    } else if ('fixed64' in field) {
      out.push(...tag(field.number, 1));
      for (let i = 0n; i < 8n; i++) out.push(Number((field.fixed64 >> (8n * i)) & 0xffn));
    } else if ('bytes' in field) out.push(...tag(field.number, 2), ...varint(field.bytes.length), ...field.bytes);
    else out.push(...tag(field.number, 3), ...encode(field.group), ...tag(field.number, 4));
  }
  return Uint8Array.from(out);
}

export function text(value: string): Uint8Array {
  return new TextEncoder().encode(value);
}

export function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((part) => [...part]));
}
