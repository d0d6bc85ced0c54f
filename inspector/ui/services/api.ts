// The inspector's REST API as the app uses it. The UI token travels in its cookie;
// failures become ApiError with a sentence fit to show as is.

import type { FrameInjection, PauseDecision, PausedView, ResumedView } from '../../../model/pauses.ts';
import type { RulePoint, RuleView } from '../../../model/rules.ts';
import type {
  ExchangeDetail, ExchangePage, ExportPreview, ExportSelection, InspectorAbout, MessageCheckAnswer, MessageCheckRequest, ReplayAnswer, ReplayRequest, StoreStats,
} from '../../../model/types.ts';

export const missingTokenMessage =
  'This inspector needs its token: open the link printed when the proxy started (it ends in ?token=…).';

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    /** For a malformed filter: where in the filter text the problem is. */
    readonly position: number | null = null,
    /** For an edit that does not fit the schema: each field and why. */
    readonly problems: { path: string; reason: string }[] = [],
  ) {
    super(message);
  }

  get isAuth(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

/** Rows per REST page: a few screens, small enough to parse in a couple of milliseconds. */
export const pageSize = 200;

export interface PageQuery {
  filter?: string;
  before?: number | null;
  limit?: number;
  /** Only these exchanges: which of them the filter selects. */
  ids?: readonly number[];
}

export class Api {

  page(query: PageQuery, signal?: AbortSignal): Promise<ExchangePage> {
    const params = new URLSearchParams();
    params.set('limit', String(query.limit ?? pageSize));
    if (query.before !== undefined && query.before !== null) params.set('before', String(query.before));
    if (query.filter?.trim()) params.set('filter', query.filter.trim());
    if (query.ids) params.set('ids', query.ids.join(','));
    return this.call<ExchangePage>(`/api/exchanges?${params}`, signal);
  }

  about(signal?: AbortSignal): Promise<InspectorAbout> {
    return this.call<InspectorAbout>('/api/about', signal);
  }

  stats(signal?: AbortSignal): Promise<StoreStats> {
    return this.call<StoreStats>('/api/stats', signal);
  }

  detail(id: number, signal?: AbortSignal): Promise<ExchangeDetail> {
    return this.call<ExchangeDetail>(`/api/exchanges/${id}`, signal);
  }

  /** Resends an exchange; the answer comes once the replay has its answer (a WebSocket, once it closed). */
  replay(id: number, request: ReplayRequest): Promise<ReplayAnswer> {
    return this.call<ReplayAnswer>(`/api/exchanges/${id}/replay`, undefined, { method: 'POST', body: request });
  }

  /** Whether decoded JSON fits the loaded schema, encoded as the proxy and a resend encode an edit. */
  checkMessage(check: MessageCheckRequest, signal?: AbortSignal): Promise<MessageCheckAnswer> {
    return this.call<MessageCheckAnswer>('/api/messages/check', signal, { method: 'POST', body: check });
  }

  /** The proxy's running rules (proxy --rules); empty when it runs none. */
  rules(signal?: AbortSignal): Promise<RuleView[]> {
    return this.call<RuleView[]>('/api/rules', signal);
  }

  /** Switches a rule on or off in the running set (the file is left as it is). */
  setRuleEnabled(name: string, enabled: boolean): Promise<RuleView> {
    return this.call<RuleView>(`/api/rules/${encodeURIComponent(name)}`, undefined, { method: 'PATCH', body: { enabled } });
  }

  /** Adds a rule to the running set (a breakpoint armed from the inspector); it lasts until the proxy stops or it is removed. */
  addRule(rule: { name: string; at: RulePoint; match: string; break: true }): Promise<RuleView> {
    return this.call<RuleView>('/api/rules', undefined, { method: 'POST', body: rule });
  }

  /** Removes a rule added from the inspector. */
  removeRule(name: string): Promise<void> {
    return this.call<void>(`/api/rules/${encodeURIComponent(name)}`, undefined, { method: 'DELETE' });
  }

  /** The messages breakpoints hold now. */
  paused(signal?: AbortSignal): Promise<PausedView[]> {
    return this.call<PausedView[]>('/api/paused', signal);
  }

  /** Lets a paused message go on, answers it or aborts it. */
  decide(id: number, decision: PauseDecision): Promise<ResumedView> {
    return this.call<ResumedView>(`/api/paused/${id}`, undefined, { method: 'POST', body: decision });
  }

  /** Sends a frame on the WebSocket of a paused frame, which stays paused. */
  inject(id: number, injection: FrameInjection): Promise<void> {
    return this.call<void>(`/api/paused/${id}/inject`, undefined, { method: 'POST', body: injection }).then(() => undefined);
  }

  exportPreview(selection: ExportSelection, signal?: AbortSignal): Promise<ExportPreview> {
    return this.call<ExportPreview>(`/api/export/preview?${exportParams(selection)}`, signal);
  }

  /** The download link; the browser sends the token cookie with it. With a key, its progress is told on the live stream. */
  exportUrl(selection: ExportSelection, format: 'har' | 'capture', progressKey: string | null): string {
    return `/api/export?${exportParams(selection)}&format=${format}${progressKey === null ? '' : `&progress=${progressKey}`}`;
  }

  /** `send`: a request that changes something, with its JSON body if any; without it, a GET. */
  private async call<T>(path: string, signal?: AbortSignal, send?: { method: 'POST' | 'PATCH' | 'DELETE'; body?: unknown }): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    const payload = send?.body === undefined ? undefined : JSON.stringify(send.body);
    if (payload !== undefined) headers['Content-Type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(path, { method: send?.method ?? 'GET', headers, signal, body: payload });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw new ApiError('The inspector server did not answer: is the proxy still running?', 0);
    }
    if (response.status === 204) return undefined as T;
    if (response.ok) return (await response.json()) as T;
    if (response.status === 401) throw new ApiError(missingTokenMessage, 401);
    // Errors are JSON from the API, or one line of text from the Host and Origin checks
    // (a wrong token, a refused Host: the sentence says which).
    const text = await response.text().catch(() => '');
    let body: { error?: string; position?: number; problems?: { path: string; reason: string }[] } = {};
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON: the text itself, or the status line below.
    }
    throw new ApiError(
      body.error ?? (text.trim() || `The inspector server answered ${response.status} ${response.statusText} to ${path}.`),
      response.status,
      typeof body.position === 'number' ? body.position : null,
      Array.isArray(body.problems) ? body.problems : [],
    );
  }
}

function exportParams(selection: ExportSelection): URLSearchParams {
  const params = new URLSearchParams();
  if ('ids' in selection) params.set('ids', selection.ids.join(','));
  else if (selection.filter.trim()) params.set('filter', selection.filter.trim());
  return params;
}
