// Layout of the hex view: 16 bytes a line, an 8-digit offset, two groups of eight,
// and the printable ASCII beside them. Lines are computed only for the visible part
// so a 16 MB body costs no more than a small one.

export const bytesPerLine = 16;

export interface HexCell {
  offset: number;
  hex: string;
  ascii: string;
}

export interface HexLine {
  offset: number;
  offsetText: string;
  cells: HexCell[];
}

export function lineCount(byteLength: number): number {
  return Math.ceil(byteLength / bytesPerLine);
}

export function lineOfOffset(offset: number): number {
  return Math.floor(offset / bytesPerLine);
}

export function offsetText(offset: number): string {
  return offset.toString(16).padStart(8, '0');
}

const hexDigits = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

function asciiOf(byte: number): string {
  return byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '·';
}

/** Lines [first, first + count) of the dump of `bytes`. */
export function hexLines(bytes: Uint8Array, first: number, count: number): HexLine[] {
  const lines: HexLine[] = [];
  const last = Math.min(lineCount(bytes.length), first + count);
  for (let line = Math.max(0, first); line < last; line++) {
    const start = line * bytesPerLine;
    const end = Math.min(bytes.length, start + bytesPerLine);
    const cells: HexCell[] = [];
    for (let offset = start; offset < end; offset++) {
      const byte = bytes[offset]!;
      cells.push({ offset, hex: hexDigits[byte]!, ascii: asciiOf(byte) });
    }
    lines.push({ offset: start, offsetText: offsetText(start), cells });
  }
  return lines;
}

export interface ByteRange {
  start: number;
  end: number;
}

export function inRange(offset: number, range: ByteRange | null): boolean {
  return range !== null && offset >= range.start && offset < range.end;
}

/** Decodes base64 (as REST sends bodies) to bytes without a per-character string concat. */
export function base64ToBytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Byte length of a base64 text without decoding it. */
export function base64Length(base64: string): number {
  if (base64.length === 0) return 0;
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  return (base64.length / 4) * 3 - padding;
}
