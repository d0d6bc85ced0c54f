// The HAR 1.2 rules of har-schema, as /work/shared/formats.md lists them: required fields
// and their types. har-validator is not installed; this checks the same required fields.

import { isIP } from 'node:net';

type Json = Record<string, unknown>;

export function harViolations(har: unknown): string[] {
  const found: string[] = [];
  const need = (object: unknown, where: string, fields: Record<string, 'string' | 'number' | 'object' | 'array'>) => {
    if (object === null || typeof object !== 'object' || Array.isArray(object)) {
      found.push(`${where} is not an object`);
      return;
    }
    for (const [field, type] of Object.entries(fields)) {
      const value = (object as Json)[field];
      const ok = type === 'array' ? Array.isArray(value) : type === 'object' ? value !== null && typeof value === 'object' && !Array.isArray(value) : typeof value === type;
      if (!ok) found.push(`${where}.${field} is missing or not ${type === 'array' ? 'an' : 'a'} ${type}`);
    }
  };
  const nameValues = (list: unknown, where: string) => {
    if (Array.isArray(list)) list.forEach((item, i) => need(item, `${where}[${i}]`, { name: 'string', value: 'string' }));
  };
  need(har, 'har', { log: 'object' });
  const log = (har as Json).log as Json;
  need(log, 'log', { version: 'string', creator: 'object', entries: 'array' });
  need(log.creator, 'log.creator', { name: 'string', version: 'string' });
  ((log.entries as unknown[]) ?? []).forEach((entry, i) => {
    const at = `log.entries[${i}]`;
    need(entry, at, { startedDateTime: 'string', time: 'number', request: 'object', response: 'object', cache: 'object', timings: 'object' });
    const e = entry as Json;
    if (Number.isNaN(Date.parse(e.startedDateTime as string))) found.push(`${at}.startedDateTime is not a date`);
    need(e.request, `${at}.request`, {
      method: 'string', url: 'string', httpVersion: 'string', cookies: 'array', headers: 'array', queryString: 'array', headersSize: 'number', bodySize: 'number',
    });
    const request = e.request as Json;
    nameValues(request.headers, `${at}.request.headers`);
    nameValues(request.queryString, `${at}.request.queryString`);
    nameValues(request.cookies, `${at}.request.cookies`);
    if (request.postData !== undefined) need(request.postData, `${at}.request.postData`, { mimeType: 'string' });
    need(e.response, `${at}.response`, {
      status: 'number', statusText: 'string', httpVersion: 'string', cookies: 'array', headers: 'array', content: 'object', redirectURL: 'string', headersSize: 'number', bodySize: 'number',
    });
    const response = e.response as Json;
    nameValues(response.headers, `${at}.response.headers`);
    nameValues(response.cookies, `${at}.response.cookies`);
    need(response.content, `${at}.response.content`, { size: 'number', mimeType: 'string' });
    const content = response.content as Json;
    if (content.encoding !== undefined && content.encoding !== 'base64') found.push(`${at}.response.content.encoding is not base64`);
    need(e.timings, `${at}.timings`, { send: 'number', wait: 'number', receive: 'number' });
    for (const t of ['send', 'wait', 'receive']) if (((e.timings as Json)[t] as number) < -1) found.push(`${at}.timings.${t} is below -1`);
    if (e.serverIPAddress !== undefined && isIP(e.serverIPAddress as string) === 0) found.push(`${at}.serverIPAddress is not an IP address`);
    for (const key of Object.keys(e)) {
      if (!['startedDateTime', 'time', 'request', 'response', 'cache', 'timings', 'serverIPAddress', 'connection', 'comment', 'pageref'].includes(key) && !key.startsWith('_')) {
        found.push(`${at}.${key} is not a HAR field and does not start with _`);
      }
    }
  });
  return found;
}
