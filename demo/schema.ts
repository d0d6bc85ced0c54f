// The demo's own protobuf schema (demo/protos), loaded once with protobufjs.
// Values cross this module as plain objects: field names as in the .proto,
// int64 as numbers (demo amounts and times stay far below 2^53), enums by name.
import protobuf from 'protobufjs';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { demoProtoDir } from './paths.ts';

export type DemoMessageType = 'ca2.ClientRequest' | 'ca2.ServerResponse' | 'ca2.WsAuth' | 'ca2.WsEvent';

let root: protobuf.Root | undefined;

function schema(): protobuf.Root {
  if (!root) {
    const files = readdirSync(demoProtoDir)
      .filter((name) => name.endsWith('.proto'))
      .sort()
      .map((name) => join(demoProtoDir, name));
    root = new protobuf.Root().loadSync(files, { keepCase: true });
    root.resolveAll();
  }
  return root;
}

export function encodeMessage(type: DemoMessageType, value: object): Uint8Array {
  const message = schema().lookupType(type);
  return message.encode(message.fromObject(value)).finish();
}

/** Throws when the bytes are not a valid `type`. */
export function decodeMessage<T>(type: DemoMessageType, bytes: Uint8Array): T {
  const message = schema().lookupType(type);
  return message.toObject(message.decode(bytes), { longs: Number, enums: String }) as T;
}
