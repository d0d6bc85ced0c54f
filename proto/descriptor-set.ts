// Between protobufjs roots and FileDescriptorSet bytes, both ways, so that a schema read
// from a set (a capture's embedded one, protoc's --descriptor_set_out) decodes as the
// .proto files it came from would: protobufjs's own descriptor support loses maps, groups,
// proto3 optional and proto2 on the round trip.

import protobuf from 'protobufjs';
import descriptor from 'protobufjs/ext/descriptor/index.js';

/** The whole loaded schema as FileDescriptorSet bytes, as protoc --descriptor_set_out writes them. */
export function descriptorSetOf(root: protobuf.Root): Uint8Array {
  const toDescriptor = (syntax: string) => (root as unknown as { toDescriptor(syntax: string): protobuf.Message & DescriptorSet }).toDescriptor(syntax);
  const set = toDescriptor('proto3');
  if (hasProto2Messages(root)) {
    // protobufjs writes every file with the one syntax it is given: a proto2 message written
    // as proto3 loses its required fields and the presence of its optional ones. Those
    // go, written as proto2, into a proto2 file of their own beside their package's.
    const proto2 = toDescriptor('proto2');
    set.file = set.file!.flatMap((file, i) => {
      const isProto2 = (message: MessageDescriptor) => editionOf(root.lookup(`${file.package ? `${file.package}.` : ''}${message.name}`)) === 'proto2';
      const older = proto2.file![i]!.messageType!.filter(isProto2);
      if (older.length === 0) return [file];
      file.messageType = file.messageType!.filter((message) => !isProto2(message));
      const name = `${file.name!.replace(/\.proto$/, '')}.proto2.proto`;
      return [file, { ...proto2.file![i], name, messageType: older, enumType: [], extension: [], service: [] }];
    });
  }
  // protobufjs marks proto3 `optional` under a name the descriptor's encoder does not know.
  const markOptional = (message: MessageDescriptor): void => {
    for (const field of message.field ?? []) if ((field as { proto3_optional?: boolean }).proto3_optional) field.proto3Optional = true;
    message.nestedType?.forEach(markOptional);
  };
  for (const file of set.file ?? []) file.messageType?.forEach(markOptional);
  return (descriptor as unknown as { FileDescriptorSet: protobuf.Type }).FileDescriptorSet.encode(set).finish();
}

function editionOf(object: protobuf.ReflectionObject | null): string | undefined {
  return (object as unknown as { _edition?: string } | null)?._edition;
}

function hasProto2Messages(namespace: protobuf.NamespaceBase): boolean {
  return namespace.nestedArray.some((object) =>
    object instanceof protobuf.Type ? editionOf(object) === 'proto2' : object instanceof protobuf.Namespace && !(object instanceof protobuf.Service) && hasProto2Messages(object));
}

/** The parts of a FileDescriptorSet that are counted against the limits or read for maps. */
export interface FieldDescriptor {
  name?: string;
  number?: number;
  label?: number;
  type?: number;
  typeName?: string;
  proto3Optional?: boolean;
}
export interface MessageDescriptor {
  name?: string;
  field?: FieldDescriptor[];
  extension?: unknown[];
  nestedType?: MessageDescriptor[];
  enumType?: EnumDescriptor[];
  options?: { mapEntry?: boolean } | null;
}
export interface EnumDescriptor {
  value?: unknown[];
}
export interface DescriptorSet {
  file?: (MessageDescriptor & { name?: string; package?: string; messageType?: MessageDescriptor[]; service?: unknown[] })[];
}

export function decodeDescriptorSet(bytes: Uint8Array): DescriptorSet {
  return (descriptor as unknown as { FileDescriptorSet: { decode(b: Uint8Array): DescriptorSet } }).FileDescriptorSet.decode(bytes);
}

type FieldFromDescriptor = (descriptor: FieldDescriptor, edition?: string, nested?: boolean) => protobuf.FieldBase;
type TypeFromDescriptor = (descriptor: MessageDescriptor, edition?: string, nested?: boolean, depth?: number) => protobuf.Type & { group?: boolean };

/**
 * protobufjs reads back less than a descriptor set says, where the codec would then read
 * bytes otherwise than the .proto files: a map field comes back as the repeated XxxEntry
 * message the set stores it as (and the entry's parent is marked map_entry), a group as
 * a length-delimited message, and proto3 `optional` loses its mark. So the map entries
 * are taken out of the set first, each field that used one is made the MapField it
 * declared, in its place among its message's fields, and a group's type is marked one.
 */
export function rootFromDescriptorSet(set: DescriptorSet): protobuf.Root {
  const fieldStatics = protobuf.Field as unknown as { fromDescriptor: FieldFromDescriptor };
  const typeStatics = protobuf.Type as unknown as { fromDescriptor: TypeFromDescriptor };
  const fieldFromDescriptor = fieldStatics.fromDescriptor;
  const typeFromDescriptor = typeStatics.fromDescriptor;
  const { maps, groups } = mapsAndGroups(set, fieldFromDescriptor);
  fieldStatics.fromDescriptor = function (descriptor, edition, nested) {
    const field = fieldFromDescriptor.call(this, descriptor, edition, nested);
    if (descriptor.proto3Optional) field.setOption('proto3_optional', true);
    const map = maps.get(descriptor);
    return map ? new protobuf.MapField(field.name, field.id, map.keyType, map.valueType, field.options) : field;
  };
  typeStatics.fromDescriptor = function (descriptor, edition, nested, depth) {
    const type = typeFromDescriptor.call(this, descriptor, edition, nested, depth);
    if (groups.has(descriptor)) type.group = true;
    return type;
  };
  try {
    return (protobuf.Root as unknown as { fromDescriptor(set: DescriptorSet): protobuf.Root }).fromDescriptor(set);
  } finally {
    fieldStatics.fromDescriptor = fieldFromDescriptor;
    typeStatics.fromDescriptor = typeFromDescriptor;
  }
}

interface MapTypes {
  keyType: string;
  valueType: string;
}

/**
 * Removes the map entry types from the set, giving the key and value types of each field
 * that used one, and finds the types of group fields (nested in the group field's message).
 */
function mapsAndGroups(set: DescriptorSet, fieldFromDescriptor: FieldFromDescriptor): { maps: Map<FieldDescriptor, MapTypes>; groups: Set<MessageDescriptor> } {
  const maps = new Map<FieldDescriptor, MapTypes>();
  const groups = new Set<MessageDescriptor>();
  const typeOf = (field: FieldDescriptor) => fieldFromDescriptor.call(protobuf.Field, field, 'proto3', true).type;
  const visit = (message: MessageDescriptor, scope: string) => {
    const fullName = `${scope}.${message.name ?? ''}`;
    const byName = new Map((message.nestedType ?? []).map((nested) => [nested.name, nested]));
    // The nested type a field names, whether by its full name, its own or a partly qualified one.
    const nestedNamed = (typeName: string) => {
      const nested = byName.get(typeName.slice(typeName.lastIndexOf('.') + 1));
      if (!nested) return undefined;
      const nestedName = `${fullName}.${nested.name}`;
      return typeName === nestedName || typeName === nested.name || (!typeName.startsWith('.') && nestedName.endsWith(`.${typeName}`)) ? nested : undefined;
    };
    const used = new Set<MessageDescriptor>();
    for (const field of message.field ?? []) {
      const nested = field.typeName ? nestedNamed(field.typeName) : undefined;
      if (!nested) continue;
      if (field.type === TYPE_GROUP) groups.add(nested);
      else if (field.label === LABEL_REPEATED && isMapEntry(nested)) {
        const [key, value] = nested.field!;
        maps.set(field, { keyType: typeOf(key), valueType: typeOf(value) });
        used.add(nested);
      }
    }
    if (used.size) message.nestedType = message.nestedType!.filter((nested) => !used.has(nested));
    for (const nested of message.nestedType ?? []) visit(nested, fullName);
  };
  for (const file of set.file ?? []) {
    const scope = file.package ? `.${file.package}` : '';
    for (const message of file.messageType ?? []) visit(message, scope);
  }
  return { maps, groups };
}

const LABEL_REPEATED = 3;
const TYPE_GROUP = 10;

/** An entry as protoc writes one: map_entry, key = 1 and value = 2, nothing else. */
function isMapEntry(message: MessageDescriptor): boolean {
  const fields = message.field ?? [];
  return message.options?.mapEntry === true && fields.length === 2 && !message.nestedType?.length && !message.enumType?.length
    && fields[0].name === 'key' && fields[0].number === 1 && fields[1].name === 'value' && fields[1].number === 2;
}
