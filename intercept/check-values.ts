// The values a rules file gives, checked against the loaded schema when the file loads:
// a value that does not fit its field (a word for a number, an enum name the schema does
// not list, a field the message does not have) refuses the file, naming the rule and the
// path, instead of surfacing on the first matching message.

import { formatFieldPath, setAt, type PathSegment } from '../model/field-path.ts';
import type { RulePoint } from '../model/rules.ts';
import type { JsonObject, MessageType } from '../model/types.ts';
import type { Codec } from '../proto/codec.ts';
import { EncodeError } from '../proto/encoder.ts';
import type { RuleSpec } from './rule.ts';

const MESSAGE_AT: Record<RulePoint, MessageType> = {
  request: 'ClientRequest',
  response: 'ServerResponse',
  'ws:client': 'WsAuth',
  'ws:server': 'WsEvent',
};

/** The first value that does not fit, as "rule "X": set a.b: reason", or null. */
export function misfit(rule: RuleSpec, codec: Codec): string | null {
  const type = MESSAGE_AT[rule.at];
  const label = `rule "${rule.name}"`;
  for (const { text, path, value } of rule.set) {
    // The value alone in an otherwise empty message: [*] stands for one element.
    const alone: JsonObject = {};
    const one: PathSegment[] = path.map((s) => ('every' in s ? { index: 0 } : s));
    if (setAt(alone, one, value) !== null) continue;
    const problem = encodeProblem(codec, type, alone);
    if (problem !== null) return `${label}: set ${text}: ${problem.replace(`${formatFieldPath(one)}: `, '')}`;
  }
  if (rule.replace !== null) {
    const problem = encodeProblem(codec, type, rule.replace);
    if (problem !== null) return `${label}: replace: ${problem}`;
  }
  if (rule.respond !== null) {
    const problem = encodeProblem(codec, 'ServerResponse', rule.respond);
    if (problem !== null) return `${label}: respond: ${problem}`;
  }
  for (const [i, frame] of rule.inject.entries()) {
    const problem = encodeProblem(codec, type, frame);
    if (problem !== null) return `${label}: inject[${i}]: ${problem}`;
  }
  return null;
}

function encodeProblem(codec: Codec, type: MessageType, json: JsonObject): string | null {
  try {
    codec.encode(type, json);
    return null;
  } catch (err) {
    if (err instanceof EncodeError) return err.message;
    throw err;
  }
}
