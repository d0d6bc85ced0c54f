// Reads a rules file (proxy --rules FILE): YAML, or JSON, which is YAML too, so one
// parser gives every mistake its line. Each rule is checked whole before any is used: a
// broken file is one sentence naming the file, the line and what is wrong.

import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { parseFilter } from '../model/filter.ts';
import { FilterError } from '../model/filter-error.ts';
import { FieldPathError, parseFieldPath } from '../model/field-path.ts';
import { rulePoints, type RulePoint } from '../model/rules.ts';
import type { JsonObject, JsonValue } from '../model/types.ts';
import { UserError } from '../model/user-error.ts';
import type { RuleFailure, RuleSpec } from './rule.ts';

export class RulesFileError extends UserError {}

/** The longest delay a rule may ask for: longer is a mistake in units, not a test. */
const MAX_DELAY_MS = 10 * 60_000;

const KEYS = ['name', 'at', 'match', 'times', 'probability', 'enabled', 'set', 'delete', 'replace', 'respond', 'status', 'delay', 'drop', 'inject', 'fail', 'break'];
const ACTIONS = ['set', 'delete', 'replace', 'respond', 'status', 'delay', 'drop', 'inject', 'fail', 'break'];

export function readRulesFile(file: string): RuleSpec[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'there is no such file' : code === 'EISDIR' ? 'it is a folder' : (err as Error).message;
    throw new RulesFileError(`Cannot read the rules file ${file}: ${why}.`);
  }
  return parseRules(text, file);
}

/** The rules `text` holds; `file` names it in errors. */
export function parseRules(text: string, file: string): RuleSpec[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const at = (node: Node | null | undefined) => (node?.range ? lines.linePos(node.range[0]).line : 1);
  const fail = (node: Node | null | undefined, reason: string): never => {
    throw new RulesFileError(`${file}:${at(node)}: ${reason}.`);
  };
  if (doc.errors.length > 0) {
    const error = doc.errors[0]!;
    const line = error.linePos?.[0].line ?? 1;
    throw new RulesFileError(`${file}:${line}: ${error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}.`);
  }
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return [];
  if (!isSeq(root)) fail(root, 'expected a list of rules, each starting with "- name:"');
  const specs: RuleSpec[] = [];
  const names = new Set<string>();
  for (const item of (root as { items: unknown[] }).items) {
    const node = item as Node;
    if (!isMap(node)) fail(node, 'expected a rule: keys such as name, at, match and an action');
    const spec = ruleFrom(node as Node & { items: { key: unknown; value: unknown }[] }, fail, at);
    if (names.has(spec.name)) fail(node, `a second rule is named "${spec.name}": rule names must be unique`);
    names.add(spec.name);
    specs.push(spec);
  }
  return specs;
}

/**
 * One rule given as JSON (POST /api/rules), checked as a rule in a rules file is. Throws
 * RulesFileError whose sentence starts with `label`.
 */
export function parseRule(value: unknown, label: string): RuleSpec {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RulesFileError(`${label}: expected one rule as a JSON object, such as { "name": "break on login", "at": "request", "match": "service:auth op:login", "break": true }.`);
  }
  try {
    return parseRules(JSON.stringify([value]), label)[0]!;
  } catch (err) {
    // JSON on one line: the line number says nothing.
    if (err instanceof RulesFileError) throw new RulesFileError(err.message.replace(`${label}:1: `, `${label}: `));
    throw err;
  }
}

type Fail = (node: Node | null | undefined, reason: string) => never;

function ruleFrom(map: Node & { items: { key: unknown; value: unknown }[] }, fail: Fail, at: (n: Node | null | undefined) => number): RuleSpec {
  const fields = new Map<string, { node: Node; value: JsonValue }>();
  for (const pair of map.items) {
    const key = pair.key as Node;
    const name = isScalar(key) ? String(key.value) : '';
    if (!KEYS.includes(name)) fail(key, `unknown key "${name}": a rule has ${KEYS.join(', ')}`);
    const value = pair.value as Node | null;
    fields.set(name, { node: value ?? key, value: (value as { toJSON(): JsonValue } | null)?.toJSON() ?? null });
  }
  const get = (key: string) => fields.get(key);
  const name = get('name');
  if (!name || typeof name.value !== 'string' || name.value.trim() === '') fail(map, 'a rule needs a name (name: a few words saying what it does)');
  const label = `rule "${name!.value as string}"`;
  const bad = (key: string, reason: string): never => fail(get(key)?.node ?? map, `${label}: ${key}: ${reason}`);

  const point = get('at');
  if (!point || !rulePoints.includes(point.value as RulePoint)) bad('at', `expected one of ${rulePoints.join(', ')}`);
  const where = point!.value as RulePoint;
  const ws = where === 'ws:client' || where === 'ws:server';

  const matchText = get('match')?.value ?? '';
  if (typeof matchText !== 'string') bad('match', 'expected filter text, e.g. service:billing op:list_balances');
  let filter = null;
  try {
    filter = parseFilter(matchText as string);
  } catch (err) {
    if (err instanceof FilterError) bad('match', err.message);
    throw err;
  }

  const spec: RuleSpec = {
    name: (name!.value as string).trim(),
    at: where,
    match: matchText as string,
    filter,
    times: null,
    probability: null,
    enabled: true,
    set: [],
    delete: [],
    replace: null,
    respond: null,
    status: null,
    delayMs: 0,
    drop: false,
    inject: [],
    fail: null,
    break: false,
    line: at(map),
  };

  const times = get('times');
  if (times) {
    if (!Number.isInteger(times.value) || (times.value as number) < 1) bad('times', 'expected a whole number of matches, 1 or more');
    spec.times = times.value as number;
  }
  const probability = get('probability');
  if (probability) {
    const p = probability.value;
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) bad('probability', 'expected a number from 0 to 1, e.g. 0.25');
    spec.probability = p as number;
  }
  const enabled = get('enabled');
  if (enabled) {
    if (typeof enabled.value !== 'boolean') bad('enabled', 'expected true or false');
    spec.enabled = enabled.value as boolean;
  }

  const set = get('set');
  if (set) {
    if (!isObject(set.value)) bad('set', 'expected field paths with their values, e.g. { errors: [SE_RATE_LIMIT_EXCEEDED_ERROR] }');
    for (const [path, value] of Object.entries(set.value as JsonObject)) spec.set.push({ text: path, path: fieldPath(path, (r) => bad('set', r)), value });
  }
  const del = get('delete');
  if (del) {
    const paths = Array.isArray(del.value) ? del.value : [del.value];
    for (const path of paths) {
      if (typeof path !== 'string') bad('delete', 'expected field paths, e.g. [billing.balances]');
      spec.delete.push({ text: path as string, path: fieldPath(path as string, (r) => bad('delete', r)) });
    }
  }
  for (const key of ['replace', 'respond'] as const) {
    const entry = get(key);
    if (!entry) continue;
    if (!isObject(entry.value)) bad(key, 'expected a message as decoded JSON, e.g. { errors: [SE_INTERNAL_SERVER_ERROR] }');
    spec[key] = entry.value as JsonObject;
  }
  if (spec.respond !== null && where !== 'request') bad('respond', 'only a request rule can answer in place of the upstream (at: request)');
  const status = get('status');
  if (status) {
    if (!Number.isInteger(status.value) || (status.value as number) < 100 || (status.value as number) > 599) bad('status', 'expected an HTTP status from 100 to 599');
    if (where !== 'response' && spec.respond === null) bad('status', 'sets the status of an answer: use it at: response, or with respond at: request');
    spec.status = status.value as number;
  }
  const delay = get('delay');
  if (delay) spec.delayMs = delayMs(delay.value, (r) => bad('delay', r));
  const drop = get('drop');
  if (drop) {
    if (typeof drop.value !== 'boolean') bad('drop', 'expected true or false');
    if (!ws) bad('drop', 'only WebSocket frames can be dropped (at: ws:client or ws:server)');
    spec.drop = drop.value as boolean;
  }
  const inject = get('inject');
  if (inject) {
    if (!ws) bad('inject', 'only WebSocket rules send frames of their own (at: ws:client or ws:server)');
    const frames = Array.isArray(inject.value) ? inject.value : [inject.value];
    for (const frame of frames) {
      if (!isObject(frame)) bad('inject', 'expected a list of messages as decoded JSON');
      spec.inject.push(frame as JsonObject);
    }
  }
  const failure = get('fail');
  if (failure) spec.fail = failureOf(failure.value, ws, (r) => bad('fail', r));
  const pause = get('break');
  if (pause) {
    if (typeof pause.value !== 'boolean') bad('break', 'expected true or false');
    if (pause.value === true && (spec.respond !== null || spec.fail !== null || spec.drop)) bad('break', 'a rule that answers, fails or drops the message leaves nothing to pause: give the breakpoint a rule of its own');
    spec.break = pause.value as boolean;
  }
  if (!ACTIONS.some((a) => a !== 'break' && fields.has(a)) && !spec.break) fail(map, `${label} has no action: give it one of ${ACTIONS.join(', ')}`);
  return spec;
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fieldPath(text: string, bad: (reason: string) => never) {
  try {
    return parseFieldPath(text);
  } catch (err) {
    if (err instanceof FieldPathError) bad(err.message);
    throw err;
  }
}

/** 1500, "1500ms", "1.5s": milliseconds. */
function delayMs(value: JsonValue, bad: (reason: string) => never): number {
  let ms = NaN;
  if (typeof value === 'number') ms = value;
  else if (typeof value === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$/.exec(value);
    if (m) ms = Number(m[1]) * (m[2] === 's' ? 1000 : 1);
  }
  if (!Number.isFinite(ms) || ms < 0) bad('expected a time such as 1500ms or 2s');
  if (ms > MAX_DELAY_MS) bad(`at most ${MAX_DELAY_MS / 60_000} minutes`);
  return ms;
}

/** reset | timeout | close 4001 "token revoked" */
function failureOf(value: JsonValue, ws: boolean, bad: (reason: string) => never): RuleFailure {
  const text = typeof value === 'string' ? value.trim() : '';
  if (text === 'reset') return { how: 'reset' };
  if (text === 'timeout') {
    if (ws) bad('timeout leaves an HTTP exchange unanswered; a WebSocket rule can reset or close');
    return { how: 'timeout' };
  }
  const close = /^close\s+(\d{4})(?:\s+"((?:[^"\\]|\\.)*)"|\s+(\S.*))?$/.exec(text);
  if (close) {
    if (!ws) bad('close ends a WebSocket; an HTTP rule can reset or timeout');
    const code = Number(close[1]);
    if (code !== 1000 && (code < 3000 || code > 4999)) bad(`close code ${code} cannot be sent: use 1000 or 3000 to 4999`);
    const reason = (close[2] ?? close[3] ?? '').replace(/\\(.)/g, '$1');
    if (Buffer.byteLength(reason) > 123) bad('a close reason is at most 123 bytes');
    return { how: 'close', code, reason };
  }
  return bad('expected reset, timeout, or close CODE "reason"');
}
