// The codec's message fixtures (test/fixtures/codec/messages): each .txtpb names its type in a
// `# proto-message:` line, and the .bin beside it is what protoc --encode made of it.

import fs from 'node:fs';
import path from 'node:path';
import type { MessageType } from '../../model/types.ts';

export const CODEC_FIXTURES = path.resolve('test/fixtures/codec');
export const CODEC_SCHEMA = path.join(CODEC_FIXTURES, 'schema');
export const CODEC_MESSAGES = path.join(CODEC_FIXTURES, 'messages');

export interface CodecFixture {
  name: string;
  type: MessageType;
  txtpb: string;
  bytes: Buffer;
}

/** Every fixture, by name. */
export function codecFixtures(): CodecFixture[] {
  return fs
    .readdirSync(CODEC_MESSAGES)
    .filter((file) => file.endsWith('.txtpb'))
    .sort()
    .map((file) => {
      const txtpb = fs.readFileSync(path.join(CODEC_MESSAGES, file), 'utf8');
      const type = /^# proto-message: ca2\.(\w+)$/m.exec(txtpb)![1] as MessageType;
      const name = file.slice(0, -'.txtpb'.length);
      return { name, type, txtpb, bytes: fs.readFileSync(path.join(CODEC_MESSAGES, `${name}.bin`)) };
    });
}
