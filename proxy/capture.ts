// Bounded capture of a body or frame for the tap. On the forwarding path it only keeps
// references to chunks that are being forwarded anyway, up to the limit; the one copy
// (joining several chunks) happens when the exchange ends.

export class BodyCapture {
  private readonly chunks: Uint8Array[] = [];
  private captured = 0;
  /** Bytes that crossed the wire, captured or not. */
  size = 0;

  constructor(private readonly limit: number) {}

  add(chunk: Uint8Array): void {
    this.size += chunk.length;
    const room = this.limit - this.captured;
    if (room <= 0) return;
    const kept = chunk.length <= room ? chunk : chunk.subarray(0, room);
    this.chunks.push(kept);
    this.captured += kept.length;
  }

  get truncated(): boolean {
    return this.size > this.captured;
  }

  bytes(): Uint8Array {
    if (this.chunks.length === 1) return this.chunks[0]!;
    if (this.chunks.length === 0) return EMPTY;
    return Buffer.concat(this.chunks, this.captured);
  }
}

/** The captured part of a whole message (a WebSocket frame): a view, never a copy. */
export function captureWhole(data: Uint8Array, limit: number): { body: Uint8Array; size: number; truncated: boolean } {
  return data.length <= limit
    ? { body: data, size: data.length, truncated: false }
    : { body: data.subarray(0, limit), size: data.length, truncated: true };
}

export const EMPTY = new Uint8Array(0);
