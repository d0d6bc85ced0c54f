// `ca2-inspector decode`: one ca2 message from a file or standard input, printed
// as JSON (or, with --raw, as protoc --decode_raw prints it).
// Exit codes: 0 decoded, 1 decoded with problems, 2 usage error or unreadable input.

import fs from 'node:fs';
import type { MessageType } from '../model/types.ts';
import { createCodec, MESSAGE_TYPES } from '../proto/codec.ts';
import { parseCommandArgs } from './args.ts';
import { UserError } from '../model/user-error.ts';
import { EXIT_NOT_CLEAN } from './exit-status.ts';
import { reasonOf } from './paths.ts';

const usage = `usage: ca2-inspector decode [--type ClientRequest|ServerResponse|WsAuth|WsEvent] [--proto PATH]...
                            [--raw] [--hex|--base64] [--summary] [FILE|-]

Decodes one ca2 message (binary by default) from FILE, or standard input when FILE is - or absent.

  --type TYPE    the top-level message: ClientRequest (default), ServerResponse, WsAuth or WsEvent
  --proto PATH   a .proto file, a folder of them or a descriptor set (protoc --include_imports
                 --descriptor_set_out); repeatable; its types replace the bundled ones of the same name
  --raw          print what protoc --decode_raw prints, ignoring any schema
  --hex          the input is hex text (whitespace ignored)
  --base64       the input is base64 text (whitespace ignored)
  --summary      print {json, summary, problems} instead of the JSON message alone

Exit status: 0 decoded, 1 decoded with problems, 2 usage error or unreadable input.`;

interface DecodeArgs {
  type: MessageType;
  protoPaths: string[];
  raw: boolean;
  encoding: 'binary' | 'hex' | 'base64';
  summary: boolean;
  input: string;
}

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (!args) {
    process.stdout.write(usage + '\n');
    return 0;
  }
  const bytes = decodeInput(await readInput(args.input), args.encoding, args.input);
  if (args.raw) {
    // Raw mode ignores --type and --proto: it shows the bytes as protoc sees them with no schema.
    const raw = createCodec().decodeRaw(bytes);
    if ('error' in raw) {
      process.stderr.write(`ca2-inspector decode: ${raw.error}\n`);
      return EXIT_NOT_CLEAN;
    }
    process.stdout.write(raw.text);
    return 0;
  }
  const codec = createCodec({ protoPaths: args.protoPaths });
  const result = codec.decode(args.type, bytes);
  const output = args.summary ? { json: result.json, summary: result.summary, problems: result.problems } : result.json;
  process.stdout.write(JSON.stringify(output, null, 2) + '\n');
  if (result.problems.length === 0) return 0;
  if (!args.summary) {
    for (const problem of result.problems) {
      process.stderr.write(`ca2-inspector decode: byte ${problem.offset}${problem.path ? ` (${problem.path})` : ''}: ${problem.reason}\n`);
    }
  }
  return EXIT_NOT_CLEAN;
}

/** Parsed arguments, or null when help was asked for. */
function parseArgs(argv: string[]): DecodeArgs | null {
  const { values, positionals } = parseCommandArgs(
    'decode',
    argv,
    {
      type: { type: 'string' },
      proto: { type: 'string', multiple: true },
      raw: { type: 'boolean' },
      hex: { type: 'boolean' },
      base64: { type: 'boolean' },
      summary: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    { positionals: Infinity },
  );
  if (values.help) return null;
  if (positionals.length > 1) throw new UserError(`one input at a time: got ${positionals[0]} and ${positionals[1]}.`);
  let type: MessageType = 'ClientRequest';
  if (values.type !== undefined) {
    const match = MESSAGE_TYPES.find((known) => known.toLowerCase() === values.type!.toLowerCase());
    if (!match) throw new UserError(`--type ${values.type} is not a ca2 message; use one of ${MESSAGE_TYPES.join(', ')}.`);
    type = match;
  }
  if (values.hex && values.base64) throw new UserError('--hex and --base64 cannot be combined; pick the one your input is in.');
  if (values.raw && values.summary) throw new UserError('--raw prints protoc text and has no summary; drop one of --raw and --summary.');
  return {
    type,
    protoPaths: values.proto ?? [],
    raw: values.raw ?? false,
    encoding: values.hex ? 'hex' : values.base64 ? 'base64' : 'binary',
    summary: values.summary ?? false,
    input: positionals[0] ?? '-',
  };
}

async function readInput(input: string): Promise<Buffer> {
  try {
    if (input === '-') {
      // Run by hand with nothing piped in, it would otherwise wait without a word.
      if (process.stdin.isTTY) process.stderr.write('ca2-inspector decode: reading a message from standard input; end it with Ctrl-D, or pass FILE (see --help).\n');
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    }
    return await fs.promises.readFile(input);
  } catch (err) {
    throw new UserError(`cannot read ${input === '-' ? 'standard input' : input} (${reasonOf(err)}).`);
  }
}

function decodeInput(data: Buffer, encoding: DecodeArgs['encoding'], input: string): Uint8Array {
  if (encoding === 'binary') return data;
  const text = data.toString('utf8').replace(/\s+/g, '');
  const name = input === '-' ? 'standard input' : input;
  if (encoding === 'hex') {
    const hex = text.replace(/^0x/i, '');
    if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) throw new UserError(`${name} is not hex (an even number of 0-9a-f digits); drop --hex for binary input.`);
    return Buffer.from(hex, 'hex');
  }
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text) || text.length % 4 === 1) {
    throw new UserError(`${name} is not base64; drop --base64 for binary input.`);
  }
  return Buffer.from(text, 'base64');
}

