// What the page URL holds, so a view can be shared: the filter, the open exchange and
// the token timeline. The UI token also arrives in the URL (the link printed at
// start); it is taken out of the visible URL once read, so it is not shared by accident.

export interface UrlState {
  filter: string;
  /** Exchange whose detail is open. */
  open: number | null;
  /** Subject (or, without one, token prefix) whose timeline is shown. */
  timeline: string | null;
  /** Set when the timeline shows one token of that subject only: its tokenKey. */
  timelineToken: string | null;
  /** Set when it shows every token: the tokenKey of the exchange it was opened from, for "This token". */
  timelineFrom: string | null;
}

export function readUrlState(search: string): UrlState {
  const params = new URLSearchParams(search);
  const open = Number(params.get('open'));
  return {
    filter: params.get('filter') ?? '',
    open: Number.isInteger(open) && open > 0 ? open : null,
    timeline: params.get('timeline') || null,
    timelineToken: (params.get('timeline') && params.get('timelineToken')) || null,
    timelineFrom: (params.get('timeline') && !params.get('timelineToken') && params.get('timelineFrom')) || null,
  };
}

/** The query string for a state, keeping unrelated parameters (such as the token) as they were. */
export function writeUrlState(search: string, state: UrlState): string {
  const params = new URLSearchParams(search);
  const set = (name: string, value: string | null) => (value ? params.set(name, value) : params.delete(name));
  set('filter', state.filter.trim() || null);
  set('open', state.open === null ? null : String(state.open));
  set('timeline', state.timeline);
  set('timelineToken', state.timeline ? state.timelineToken : null);
  set('timelineFrom', state.timeline && !state.timelineToken ? state.timelineFrom : null);
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** Splits the UI token off a query string: the token, and the query string without it. */
export function takeToken(search: string): { token: string | null; search: string } {
  const params = new URLSearchParams(search);
  const token = params.get('token');
  params.delete('token');
  const text = params.toString();
  return { token: token || null, search: text ? `?${text}` : '' };
}
