// The JSON forms MessageToDict gives google.protobuf's well-known types, applied
// to their generic decode: Timestamp as RFC 3339, Duration as "1.5s", wrappers
// as their bare value, Struct/Value/ListValue as plain JSON, FieldMask as a
// comma-separated camelCase list. Values out of range keep the generic object.

import type { JsonObject, JsonValue } from '../model/types.ts';
import type { WellKnown } from './plan.ts';

const WRAPPER_DEFAULTS: Record<string, JsonValue> = {
  '.google.protobuf.DoubleValue': 0,
  '.google.protobuf.FloatValue': 0,
  '.google.protobuf.Int64Value': '0',
  '.google.protobuf.UInt64Value': '0',
  '.google.protobuf.Int32Value': 0,
  '.google.protobuf.UInt32Value': 0,
  '.google.protobuf.BoolValue': false,
  '.google.protobuf.StringValue': '',
  '.google.protobuf.BytesValue': '',
};

export function convertWellKnown(kind: WellKnown, fullName: string, value: JsonObject): JsonValue {
  switch (kind) {
    case 'Timestamp':
      return timestamp(value) ?? value;
    case 'Duration':
      return duration(value) ?? value;
    case 'Wrapper':
      return value.value !== undefined ? value.value : WRAPPER_DEFAULTS[fullName];
    case 'Struct':
      return (value.fields as JsonObject | undefined) ?? {};
    case 'ListValue':
      return (value.values as JsonValue[] | undefined) ?? [];
    case 'Value':
      return structValue(value);
    case 'FieldMask':
      return ((value.paths as string[] | undefined) ?? []).map(camelCase).join(',');
    default:
      return value;
  }
}

function structValue(value: JsonObject): JsonValue {
  if ('null_value' in value) return null;
  if ('number_value' in value) return value.number_value;
  if ('string_value' in value) return value.string_value;
  if ('bool_value' in value) return value.bool_value;
  if ('struct_value' in value) return value.struct_value;
  if ('list_value' in value) return value.list_value;
  return value;
}

function camelCase(path: string): string {
  return path.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

function integer(value: JsonValue | undefined): number | null {
  if (value === undefined) return 0;
  const number = typeof value === 'string' ? Number(value) : value;
  return typeof number === 'number' && Number.isSafeInteger(number) ? number : null;
}

/** Nanoseconds as python prints them: 3, 6 or 9 digits, none when zero. */
function fraction(nanos: number): string {
  if (nanos === 0) return '';
  if (nanos % 1e6 === 0) return '.' + String(nanos / 1e6).padStart(3, '0');
  if (nanos % 1e3 === 0) return '.' + String(nanos / 1e3).padStart(6, '0');
  return '.' + String(nanos).padStart(9, '0');
}

// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, the range protobuf allows.
const MIN_SECONDS = -62135596800;
const MAX_SECONDS = 253402300799;

function timestamp(value: JsonObject): string | null {
  const seconds = integer(value.seconds);
  const nanos = integer(value.nanos);
  return seconds === null || nanos === null ? null : timestampText(seconds, nanos);
}

/** A Timestamp's RFC 3339 text, or null when out of the range protobuf allows. */
export function timestampText(seconds: number, nanos: number): string | null {
  if (seconds < MIN_SECONDS || seconds > MAX_SECONDS || nanos < 0 || nanos > 999999999) return null;
  return civilTime(seconds) + fraction(nanos) + 'Z';
}

const TWO_DIGITS: string[] = Array.from({ length: 60 }, (_, n) => String(n).padStart(2, '0'));

/** The day civilTime printed last, and its "YYYY-MM-DDT": the timestamps of one message mostly share their day. */
let lastDay = NaN;
let lastDate = '';

/** "YYYY-MM-DDTHH:MM:SS" for seconds since the epoch (proleptic Gregorian, UTC), without a Date per call. */
function civilTime(seconds: number): string {
  const days = Math.floor(seconds / 86400);
  const rest = seconds - days * 86400;
  if (days !== lastDay) {
    lastDate = civilDate(days);
    lastDay = days;
  }
  const hour = Math.floor(rest / 3600);
  const minute = Math.floor((rest % 3600) / 60);
  return lastDate + TWO_DIGITS[hour] + ':' + TWO_DIGITS[minute] + ':' + TWO_DIGITS[rest % 60];
}

function civilDate(days: number): string {
  // Howard Hinnant's civil_from_days.
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return `${String(year).padStart(4, '0')}-${TWO_DIGITS[month]}-${TWO_DIGITS[day]}T`;
}

function duration(value: JsonObject): string | null {
  let seconds = integer(value.seconds);
  let nanos = integer(value.nanos);
  if (seconds === null || nanos === null || Math.abs(nanos) > 999999999) return null;
  const negative = seconds < 0 || nanos < 0;
  if (negative) {
    seconds = -seconds;
    nanos = -nanos;
  }
  return (negative ? '-' : '') + String(seconds) + fraction(nanos) + 's';
}
