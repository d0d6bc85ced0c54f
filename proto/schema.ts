// Schema loading: the bundled ca2 envelope plus the user's .proto files, folders
// and descriptor sets, merged into one protobufjs Root. A user definition
// replaces the bundled one of the same fully-qualified name, so a complete user
// schema names every field, the envelope included. Mistakes come back as
// SchemaError sentences naming the file and line.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { decodeDescriptorSet, rootFromDescriptorSet, type DescriptorSet, type EnumDescriptor, type MessageDescriptor } from './descriptor-set.ts';
import { UserError } from '../model/user-error.ts';

export class SchemaError extends UserError {}

const BUNDLED_DIR = path.dirname(fileURLToPath(import.meta.url));
const BUNDLED_ENTRY = path.join(BUNDLED_DIR, 'ca2', 'ca2.proto');

const PARSE_OPTIONS = { keepCase: true };

/**
 * What a schema may hold: far above any real API's, low enough that loading stays a
 * matter of seconds and memory. A descriptor set over either is refused unread.
 */
export const MAX_SCHEMA_TYPES = 50_000;
export const MAX_SCHEMA_FIELDS = 100_000;

/** Where each loaded file came from, to name it the way the user wrote it. */
type DisplayNames = Map<string, string>;

export function loadSchema(protoPaths: readonly string[] = []): protobuf.Root {
  return withLinearFieldAdds(() => loadSchemaPaths(protoPaths));
}

function loadSchemaPaths(protoPaths: readonly string[]): protobuf.Root {
  const bundled = loadBundled();
  if (protoPaths.length === 0) {
    bundled.resolveAll();
    return bundled;
  }
  const display: DisplayNames = new Map();
  const root = new protobuf.Root();
  const origin = new Map<string, string>();
  for (const given of protoPaths) {
    for (const source of loadUserPath(given, display)) mergeInto(root, source, origin, given);
  }
  for (const object of leaves(bundled)) {
    if (!root.lookup(object.fullName)) moveTo(root, object);
  }
  try {
    root.resolveAll();
  } catch (err) {
    throw resolveError(root, err as Error, display);
  }
  return root;
}

/**
 * Names the schema a root holds: the same definitions give the same fingerprint,
 * wherever they were loaded from. Storage keeps it beside the summaries it computed.
 */
export function schemaFingerprint(root: protobuf.Root): string {
  return createHash('sha256').update(JSON.stringify(root.toJSON())).digest('hex').slice(0, 32);
}

/**
 * The schema a capture file carries (see descriptorSetOf in proto/descriptor-set.ts): a complete set, so the bundled
 * envelope only fills in what it lacks. `label` names the file in errors.
 */
export function loadSchemaFromDescriptorSet(bytes: Uint8Array, label: string): protobuf.Root {
  return withLinearFieldAdds(() => loadEmbedded(bytes, label));
}

function loadEmbedded(bytes: Uint8Array, label: string): protobuf.Root {
  let root: protobuf.Root;
  try {
    const set = decodeDescriptorSet(bytes);
    const over = overLimits(set);
    if (over) throw new SchemaError(`${label}: its embedded schema has ${over}; pass --proto with the schema instead.`);
    root = rootFromDescriptorSet(set);
  } catch (err) {
    if (err instanceof SchemaError) throw err;
    throw new SchemaError(`${label}: its embedded schema is not a descriptor set (${(err as Error).message}); pass --proto with the schema instead.`);
  }
  for (const object of leaves(loadBundled())) {
    if (!root.lookup(object.fullName)) moveTo(root, object);
  }
  try {
    root.resolveAll();
  } catch (err) {
    throw new SchemaError(`${label}: its embedded schema does not resolve (${(err as Error).message}); pass --proto with the schema instead.`);
  }
  return root;
}

/** Parsed, not resolved: resolving would bind its references before user types replace them. */
function loadBundled(): protobuf.Root {
  const root = new protobuf.Root();
  loadProtoFile(root, BUNDLED_ENTRY, BUNDLED_DIR + path.sep, new Map());
  return root;
}

/** One protobufjs Root per --proto argument (a file, a folder or a descriptor set). */
function loadUserPath(given: string, display: DisplayNames): protobuf.Root[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(given);
  } catch {
    throw new SchemaError(`--proto ${given}: no such file or folder; pass a .proto file, a folder of .proto files or a descriptor set (.desc/.pb).`);
  }
  const root = new protobuf.Root();
  if (stat.isDirectory()) {
    const files = protoFilesIn(given);
    if (files.length === 0) throw new SchemaError(`--proto ${given}: the folder holds no .proto files.`);
    const base = path.resolve(given) + path.sep;
    for (const file of files) {
      display.set(path.resolve(file), file);
      loadProtoFile(root, path.resolve(file), base, display, given);
    }
  } else if (given.endsWith('.proto')) {
    const absolute = path.resolve(given);
    display.set(absolute, given);
    loadProtoFile(root, absolute, path.dirname(absolute) + path.sep, display, path.dirname(given));
  } else {
    return [loadDescriptorSet(given)];
  }
  return [root];
}

function protoFilesIn(folder: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(folder, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && !entry.name.startsWith('.')) found.push(...protoFilesIn(full));
    } else if (entry.name.endsWith('.proto')) {
      found.push(full);
    }
  }
  return found;
}

/**
 * Parses one .proto file and, depth first, the files it imports. Imports are
 * looked up under `base` (the folder given, or the file's own folder), then
 * beside the importing file; google/protobuf/* come bundled with protobufjs.
 */
function loadProtoFile(root: protobuf.Root, file: string, base: string, display: DisplayNames, displayBase?: string): void {
  if (root.files.includes(file)) return;
  root.files.push(file);
  const shown = display.get(file) ?? file;
  let source: string;
  try {
    source = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new SchemaError(`--proto ${shown}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`);
  }
  let parsed: protobuf.IParserResult;
  try {
    // protobufjs names the file in its errors and on each definition through this static.
    (protobuf.parse as unknown as { filename: string | null }).filename = file;
    parsed = protobuf.parse(source, root, PARSE_OPTIONS);
  } catch (err) {
    throw parseError(shown, err as Error);
  }
  for (const target of [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])]) {
    const common = bundledCommon(target);
    if (common) {
      if (!root.files.includes(common)) {
        root.files.push(common);
        root.addJSON((protobuf.common.get(common) as { nested: Record<string, protobuf.AnyNestedObject> }).nested);
      }
      continue;
    }
    const candidates = [path.resolve(base, target), path.resolve(path.dirname(file), target)];
    const found = candidates.find((candidate) => fs.existsSync(candidate));
    if (!found) {
      const where = lineOf(source, `"${target}"`);
      const folder = displayBase ?? path.dirname(shown);
      throw new SchemaError(`--proto ${shown}${where ? `:${where}` : ''}: import "${target}" is not in ${folder}; pass the folder that holds all the imported files.`);
    }
    if (displayBase !== undefined && !display.has(found)) display.set(found, path.join(displayBase, path.relative(base, found)));
    loadProtoFile(root, found, base, display, displayBase);
  }
}

function bundledCommon(target: string): string | null {
  const at = target.lastIndexOf('google/protobuf/');
  if (at < 0) return null;
  const name = target.slice(at);
  return protobuf.common.get(name) ? name : null;
}

function loadDescriptorSet(given: string): protobuf.Root {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(given);
  } catch (err) {
    throw new SchemaError(`--proto ${given}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`);
  }
  let set: DescriptorSet;
  try {
    set = decodeDescriptorSet(bytes);
  } catch (err) {
    throw notDescriptorSet(given, err);
  }
  const over = overLimits(set);
  if (over) throw new SchemaError(`--proto ${given}: the descriptor set has ${over}; pass a set of only the files you need.`);
  try {
    return rootFromDescriptorSet(set);
  } catch (err) {
    throw notDescriptorSet(given, err);
  }
}

function notDescriptorSet(given: string, err: unknown): SchemaError {
  return new SchemaError(
    `--proto ${given}: not a descriptor set (${(err as Error).message}); make one with protoc --include_imports --descriptor_set_out=FILE, or pass the .proto files.`,
  );
}

/** "200,000 fields, more than the 100,000 ca2-inspector loads", or null within the limits. Linear in the set. */
function overLimits(set: DescriptorSet): string | null {
  let types = 0;
  let fields = 0;
  const countEnums = (enums: EnumDescriptor[] = []) => {
    types += enums.length;
    for (const e of enums) fields += e.value?.length ?? 0;
  };
  const countMessages = (messages: MessageDescriptor[] = []) => {
    types += messages.length;
    for (const m of messages) {
      fields += (m.field?.length ?? 0) + (m.extension?.length ?? 0);
      countEnums(m.enumType);
      countMessages(m.nestedType);
    }
  };
  for (const file of set.file ?? []) {
    countMessages(file.messageType);
    countEnums(file.enumType);
    fields += file.extension?.length ?? 0;
  }
  const n = (x: number) => x.toLocaleString('en-US');
  if (types > MAX_SCHEMA_TYPES) return `${n(types)} messages and enums, more than the ${n(MAX_SCHEMA_TYPES)} ca2-inspector loads`;
  if (fields > MAX_SCHEMA_FIELDS) return `${n(fields)} fields and enum values, more than the ${n(MAX_SCHEMA_FIELDS)} ca2-inspector loads`;
  return null;
}

/**
 * protobufjs's Type.add checks each new field's number against fieldsById, a map it
 * rebuilds from every field after each add, and drops oneofsArray, which the descriptor
 * loader reads for each field of a oneof; OneOf.add walks every field of its oneof. So n
 * fields cost n² (42 s for 20,000 in one message). While a schema loads, adding a field
 * keeps those caches current instead, and a oneof skips the walk when the field is already
 * in its message (the walk then adds nothing). Loading is synchronous, so nothing else
 * sees the patched methods.
 */
function withLinearFieldAdds<T>(load: () => T): T {
  type Cached = protobuf.Type & { _fieldsById: Record<number, protobuf.Field> | null; _oneofsArray: protobuf.OneOf[] | null };
  const type = protobuf.Type.prototype as unknown as { add(this: Cached, object: protobuf.ReflectionObject): protobuf.Type };
  const oneof = protobuf.OneOf.prototype as unknown as { add(this: protobuf.OneOf, field: protobuf.Field): protobuf.OneOf };
  const add = type.add;
  const addToOneof = oneof.add;
  type.add = function (object) {
    if (!(object instanceof protobuf.Field) || object.extend !== undefined) return add.call(this, object);
    const byId = this.fieldsById;
    const oneofs = this._oneofsArray;
    add.call(this, object);
    if (this.fields[object.name] === object) {
      byId[object.id] = object;
      this._fieldsById = byId;
      this._oneofsArray = oneofs;
    }
    return this;
  };
  oneof.add = function (field) {
    if (!(field instanceof protobuf.Field) || this.parent === null || field.parent !== this.parent) return addToOneof.call(this, field);
    this.oneof.push(field.name);
    this.fieldsArray.push(field);
    field.partOf = this;
    return this;
  };
  try {
    return load();
  } finally {
    type.add = add;
    oneof.add = addToOneof;
  }
}

/** Messages and enums directly inside packages (nested ones travel with their parent). */
function leaves(namespace: protobuf.NamespaceBase): protobuf.ReflectionObject[] {
  const found: protobuf.ReflectionObject[] = [];
  for (const object of namespace.nestedArray) {
    if (object instanceof protobuf.Type || object instanceof protobuf.Enum) found.push(object);
    else if (object instanceof protobuf.Namespace && !(object instanceof protobuf.Service)) found.push(...leaves(object));
  }
  return found;
}

function moveTo(root: protobuf.Root, object: protobuf.ReflectionObject): void {
  const packagePath = object.fullName.slice(1).split('.').slice(0, -1);
  object.parent!.remove(object);
  const target = packagePath.length ? root.define(packagePath) : root;
  target.add(object);
}

/**
 * Moves one user source's definitions into the merged root. The same type coming
 * twice (two descriptor sets sharing imports) is fine when both copies agree.
 */
function mergeInto(root: protobuf.Root, source: protobuf.Root, origin: Map<string, string>, given: string): void {
  for (const object of leaves(source)) {
    const existing = root.lookup(object.fullName);
    if (existing) {
      if (JSON.stringify(existing.toJSON()) === JSON.stringify(object.toJSON())) continue;
      throw new SchemaError(
        `--proto ${given}: ${object.fullName.slice(1)} is also defined, differently, by --proto ${origin.get(object.fullName)}; pass only one of them.`,
      );
    }
    origin.set(object.fullName, given);
    moveTo(root, object);
  }
}

function parseError(shown: string, err: Error): SchemaError {
  const match = /^(.*?) \((?:.*, )?line (\d+)\)$/.exec(err.message);
  if (match) return new SchemaError(`--proto ${shown}:${match[2]}: ${match[1]}`);
  return new SchemaError(`--proto ${shown}: ${err.message}`);
}

/** protobufjs says "no such Type or Enum 'x' in Type .a.B": find the field's file and line. */
function resolveError(root: protobuf.Root, err: Error, display: DisplayNames): SchemaError {
  const match = /^no such Type or Enum '([^']+)' in Type \.?(\S+)$/.exec(err.message);
  if (!match) return new SchemaError(`--proto: ${err.message}`);
  const [, typeName, owner] = match;
  const type = root.lookup(owner);
  const file = type?.filename ?? undefined;
  const shown = file ? display.get(file) ?? file : owner;
  let line: number | null = null;
  if (file) {
    try {
      line = lineOf(fs.readFileSync(file, 'utf8'), typeName);
    } catch {
      line = null;
    }
  }
  return new SchemaError(`--proto ${shown}${line ? `:${line}` : ''}: unknown type ${typeName} (in ${owner}); define it or pass the file that does.`);
}

function lineOf(source: string, needle: string): number | null {
  const lines = source.split('\n');
  const word = new RegExp(`(^|[^\\w.])${needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\w.])`);
  const index = lines.findIndex((line) => word.test(line.replace(/\/\/.*$/, '')));
  return index >= 0 ? index + 1 : null;
}
