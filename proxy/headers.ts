// Header lists as they cross the proxy. Node gives us `rawHeaders` (names as sent, wire
// order, duplicates kept) and accepts the same flat form when writing, so forwarding never
// goes through the lower-cased, merged `headers` object.

import type { HeaderList } from '../model/types.ts';

/** Headers that describe one connection, never the message (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'upgrade']);

/** The flat `rawHeaders` array as name/value pairs, for the tap. */
export function headerList(raw: string[]): HeaderList {
  const list: HeaderList = [];
  for (let i = 0; i < raw.length; i += 2) list.push([raw[i]!, raw[i + 1]!]);
  return list;
}

/**
 * The client's request headers as the upstream gets them: hop-by-hop headers dropped and
 * Host set to the upstream's, in place, so a server behind a virtual host answers as if
 * called directly. Transfer-Encoding stays: Node re-frames the body from it.
 */
export function forwardedRequestHeaders(raw: string[], upstreamHost: string): string[] {
  const out = withoutHopByHop(raw, HOP_BY_HOP);
  let hostSet = false;
  for (let i = 0; i < out.length; i += 2) {
    if (out[i]!.length === 4 && out[i]!.toLowerCase() === 'host') {
      if (hostSet) {
        out.splice(i, 2);
        i -= 2;
      } else {
        out[i + 1] = upstreamHost;
        hostSet = true;
      }
    }
  }
  if (!hostSet) out.unshift('Host', upstreamHost);
  return out;
}

/**
 * The upstream's response headers as the client gets them: hop-by-hop headers and
 * Transfer-Encoding dropped, since Node frames the body for the client's own connection
 * (chunked for HTTP/1.1, close-delimited for HTTP/1.0).
 */
export function forwardedResponseHeaders(raw: string[]): string[] {
  return withoutHopByHop(raw, RESPONSE_DROPPED);
}

const RESPONSE_DROPPED = new Set([...HOP_BY_HOP, 'transfer-encoding']);

/**
 * The client's WebSocket handshake headers for the upstream handshake, as an object (the
 * form the ws client takes). ws writes the handshake's own headers (key, version,
 * extensions, subprotocols) and Node writes Host, so those are left out; everything else —
 * Authorization, Cookie, Origin, custom headers — goes through with its spelling.
 */
export function webSocketHandshakeHeaders(raw: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const seen = new Map<string, string>();
  const kept = withoutHopByHop(raw, HOP_BY_HOP);
  for (let i = 0; i < kept.length; i += 2) {
    const name = kept[i]!;
    const lower = name.toLowerCase();
    if (lower === 'host' || lower.startsWith('sec-websocket-')) continue;
    const first = seen.get(lower);
    if (first === undefined) {
      seen.set(lower, name);
      out[name] = kept[i + 1]!;
    } else {
      // An object holds one value per name; repeated headers join the way HTTP defines.
      out[first] += (lower === 'cookie' ? '; ' : ', ') + kept[i + 1]!;
    }
  }
  return out;
}

/**
 * The client's headers for a tunnelled (non-WebSocket) upgrade: the upgrade itself is the
 * point, so Connection, Upgrade and what Connection lists all go through; Host is the upstream's.
 */
export function forwardedUpgradeHeaders(raw: string[], upstreamHost: string): string[] {
  const out: string[] = [];
  let hostSet = false;
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i]!.toLowerCase();
    if (lower === 'keep-alive' || lower === 'proxy-connection') continue;
    if (lower === 'host') {
      if (hostSet) continue;
      out.push(raw[i]!, upstreamHost);
      hostSet = true;
    } else {
      out.push(raw[i]!, raw[i + 1]!);
    }
  }
  if (!hostSet) out.unshift('Host', upstreamHost);
  return out;
}

/** Upstream 101 headers worth passing to the client: all but the handshake's own. */
export function extraHandshakeResponseHeaders(raw: string[]): string[] {
  const lines: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(lower) || lower.startsWith('sec-websocket-')) continue;
    lines.push(`${raw[i]}: ${raw[i + 1]}`);
  }
  return lines;
}

/**
 * The lengths of the names withoutHopByHop drops unless Connection lists more: a header of
 * another length is kept without lower-casing its name, which was most of the time it took.
 */
const DROPPED_LENGTHS = new Set([...RESPONSE_DROPPED].map((name) => name.length));

/** Drops `names` and whatever the Connection header lists as hop-by-hop. */
function withoutHopByHop(raw: string[], names: Set<string>): string[] {
  let listed: Set<string> | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 10 && raw[i]!.toLowerCase() === 'connection') {
      for (const token of raw[i + 1]!.split(',')) {
        const lower = token.trim().toLowerCase();
        // Framing headers stay whatever Connection claims: dropping them would corrupt the body.
        if (lower !== 'content-length' && lower !== 'transfer-encoding' && lower !== 'host' && !names.has(lower)) (listed ??= new Set()).add(lower);
      }
    }
  }
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (listed !== null || DROPPED_LENGTHS.has(name.length)) {
      const lower = name.toLowerCase();
      if (names.has(lower) || listed?.has(lower)) continue;
    }
    out.push(name, raw[i + 1]!);
  }
  return out;
}

/**
 * Headers for a body the interception stage replaced: its length where the old body's
 * framing was, since the bytes that go on are known whole.
 */
export function withLength(raw: string[], length: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i]!.toLowerCase();
    if (lower !== 'content-length' && lower !== 'transfer-encoding') out.push(raw[i]!, raw[i + 1]!);
  }
  out.push('Content-Length', String(length));
  return out;
}
