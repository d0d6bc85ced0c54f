// Tokens carried forward through a replayed session. A recorded session holds tokens
// that have since expired; when its auth call is replayed, the fresh token in the
// replayed answer takes the place of the one the recording got, in every later
// request (and WsAuth) that used it.

import type { JsonValue } from '../model/types.ts';
import { childPath } from '../model/json-path.ts';
import { isJwtValue } from '../model/field-diff.ts';

export interface Renewal {
  /** service.operation of the call whose answer carried the new token. */
  from: string;
  /** The recorded exchange it replayed. */
  exchangeId: number;
}

export class TokenCarry {
  private readonly renewed = new Map<string, string>();
  readonly renewals: Renewal[] = [];

  /** `override` (--token) replaces every token and turns carrying forward off. */
  constructor(private readonly override?: string) {}

  /** The token to send where the recording sent `recorded`. */
  tokenFor(recorded: string): string {
    if (this.override !== undefined) return this.override;
    return this.renewed.get(recorded) ?? recorded;
  }

  /** Learns from one replayed answer: a token where the recorded answer had another one renews it. */
  learn(recorded: JsonValue | undefined, replayed: JsonValue | undefined, from: string, exchangeId: number): void {
    if (this.override !== undefined || recorded === undefined || replayed === undefined) return;
    const fresh = new Map<string, string>();
    jwtsIn(replayed, '', fresh);
    const old = new Map<string, string>();
    jwtsIn(recorded, '', old);
    let renewedHere = false;
    for (const [path, token] of old) {
      const now = fresh.get(path);
      if (now === undefined || now === token) continue;
      this.renewed.set(token, now);
      renewedHere = true;
    }
    if (renewedHere) this.renewals.push({ from, exchangeId });
  }
}

function jwtsIn(value: JsonValue, path: string, out: Map<string, string>): void {
  if (isJwtValue(value)) out.set(path, value);
  else if (Array.isArray(value)) value.forEach((item, i) => jwtsIn(item, childPath(path, i, true), out));
  else if (value !== null && typeof value === 'object') for (const [key, item] of Object.entries(value)) jwtsIn(item, childPath(path, key, false), out);
}
