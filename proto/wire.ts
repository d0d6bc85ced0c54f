// Bounded reading of the protobuf wire format, shared by the schema decoder and
// raw mode. Nothing here throws or allocates per value: a read returns the next
// offset, or a negative code the caller turns into a problem sentence, and the
// last varint or fixed64 is left in `lo`/`hi` as two unsigned 32-bit halves.

export const VARINT = 0;
export const FIXED64 = 1;
export const LEN = 2;
export const START_GROUP = 3;
export const END_GROUP = 4;
export const FIXED32 = 5;

export const WIRE_TYPE_NAMES = ['varint', 'fixed64', 'length-delimited', 'start-group', 'end-group', 'fixed32', 'wire type 6', 'wire type 7'];

/** Read failed: the input ended inside the value. */
export const TRUNCATED = -1;
/** Read failed: the varint went on past its maximum size. */
export const TOO_LONG = -2;

/** The schema decoder keeps messages nested deeper than this as bytes, and reports them. */
export const MAX_DEPTH = 100;

export class Wire {
  buf: Uint8Array;
  lo = 0;
  hi = 0;

  constructor(buf: Uint8Array) {
    this.buf = buf;
  }

  /**
   * Reads a varint of at most 10 bytes starting at pos, ending before end.
   * Bits beyond 64 are dropped, as protoc does.
   */
  varint(pos: number, end: number): number {
    const buf = this.buf;
    let b: number;
    if (pos >= end) return TRUNCATED;
    b = buf[pos++];
    if (b < 0x80) {
      this.lo = b;
      this.hi = 0;
      return pos;
    }
    let lo = b & 0x7f;
    for (let shift = 7; shift < 28; shift += 7) {
      if (pos >= end) return TRUNCATED;
      b = buf[pos++];
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.lo = lo >>> 0;
        this.hi = 0;
        return pos;
      }
    }
    if (pos >= end) return TRUNCATED;
    b = buf[pos++];
    lo |= (b & 0x0f) << 28;
    let hi = (b & 0x7f) >> 4;
    if (b < 0x80) {
      this.lo = lo >>> 0;
      this.hi = hi;
      return pos;
    }
    for (let shift = 3; shift < 32; shift += 7) {
      if (pos >= end) return TRUNCATED;
      b = buf[pos++];
      hi |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        return pos;
      }
    }
    return TOO_LONG;
  }

  /**
   * Reads a tag or a length prefix: at most 5 bytes. A tag keeps its low 32 bits
   * (protoc accepts and truncates a fifth byte's high bits); `hi` is non-zero when
   * the value did not fit in 32 bits, which a length prefix must refuse.
   */
  varint32(pos: number, end: number): number {
    const buf = this.buf;
    if (pos >= end) return TRUNCATED;
    let b = buf[pos++];
    if (b < 0x80) {
      this.lo = b;
      this.hi = 0;
      return pos;
    }
    let value = b & 0x7f;
    for (let shift = 7; shift < 28; shift += 7) {
      if (pos >= end) return TRUNCATED;
      b = buf[pos++];
      value |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.lo = value >>> 0;
        this.hi = 0;
        return pos;
      }
    }
    if (pos >= end) return TRUNCATED;
    b = buf[pos++];
    if (b >= 0x80) return TOO_LONG;
    this.lo = (value | (b << 28)) >>> 0;
    this.hi = b >> 4;
    return pos;
  }

  fixed32(pos: number): number {
    const buf = this.buf;
    return (buf[pos] | (buf[pos + 1] << 8) | (buf[pos + 2] << 16) | (buf[pos + 3] << 24)) >>> 0;
  }

  /** Reads 8 bytes at pos into lo/hi (the caller checked they are there). */
  fixed64(pos: number): void {
    this.lo = this.fixed32(pos);
    this.hi = this.fixed32(pos + 4);
  }

  /**
   * Reads a tag or length prefix. Strict is how protoc parses its input (at most
   * 5 bytes); lenient is how it re-parses a length-delimited value to decide
   * whether to print it as a message (up to 10 bytes, a tag keeping its low 32
   * bits). A length whose value needs more than 32 bits leaves `hi` non-zero.
   */
  prefix(pos: number, end: number, lenient: boolean): number {
    if (!lenient) return this.varint32(pos, end);
    const next = this.varint(pos, end);
    if (next >= 0 && this.hi !== 0) {
      // Keep "does not fit in 32 bits" visible to length checks; tags only use lo.
      this.hi = 1;
    }
    return next;
  }

  /**
   * Skips one field's value after its tag, returning the offset after it, or a
   * negative code. Groups are walked to their matching end tag, at most
   * `groupDepth` deep.
   */
  skip(wireType: number, fieldNumber: number, pos: number, end: number, groupDepth: number, lenient = false): number {
    switch (wireType) {
      case VARINT:
        return this.varint(pos, end);
      case FIXED64:
        return pos + 8 <= end ? pos + 8 : TRUNCATED;
      case FIXED32:
        return pos + 4 <= end ? pos + 4 : TRUNCATED;
      case LEN: {
        const next = this.prefix(pos, end, lenient);
        if (next < 0) return next;
        if (this.hi !== 0 || this.lo > end - next) return TRUNCATED;
        return next + this.lo;
      }
      case START_GROUP:
        return this.skipGroup(fieldNumber, pos, end, groupDepth, lenient);
      default:
        return BAD_FIELD;
    }
  }

  private skipGroup(fieldNumber: number, pos: number, end: number, groupDepth: number, lenient: boolean): number {
    if (groupDepth <= 0) return TOO_DEEP;
    while (pos < end) {
      const next = this.prefix(pos, end, lenient);
      if (next < 0) return next;
      const tag = this.lo;
      const number = tag >>> 3;
      const wireType = tag & 7;
      if (number === 0) return BAD_FIELD;
      if (wireType === END_GROUP) return number === fieldNumber ? next : BAD_FIELD;
      pos = this.skip(wireType, number, next, end, groupDepth - 1, lenient);
      if (pos < 0) return pos;
    }
    return TRUNCATED;
  }

  /**
   * Whether buf[start, end) is one complete message level: every tag valid, every
   * length inside, every group closed. protoc prints such bytes as a nested
   * message; the decoder guesses "message" for them.
   */
  isMessage(start: number, end: number, groupDepth: number, lenient = false): boolean {
    let pos = start;
    while (pos < end) {
      const next = this.prefix(pos, end, lenient);
      if (next < 0) return false;
      const tag = this.lo;
      const number = tag >>> 3;
      const wireType = tag & 7;
      if (number === 0 || wireType === END_GROUP) return false;
      pos = this.skip(wireType, number, next, end, groupDepth, lenient);
      if (pos < 0) return false;
    }
    return true;
  }
}

/** Read failed: a field number 0, an invalid wire type or a stray end-group tag. */
export const BAD_FIELD = -3;
/** Read failed: groups nested past the limit. */
export const TOO_DEEP = -4;
