// The codec a command that reads recordings decodes with: --proto when given, else the
// schema a capture file carries, else the bundled envelope.

import { createCodec, SchemaError, type Codec } from '../proto/codec.ts';
import { UsageError } from './usage-error.ts';

export function codecFor(protoPaths: string[], embedded: { bytes: Uint8Array; label: string } | null): Codec {
  try {
    if (protoPaths.length > 0 || embedded === null || embedded.bytes.length === 0) return createCodec({ protoPaths });
    return createCodec({ descriptorSet: embedded });
  } catch (err) {
    if (err instanceof SchemaError) throw new UsageError(err.message);
    throw err;
  }
}
