// The demo client: one user's session against a ca2 server (normally through the
// proxy), paced like a person, touching every path the inspector should show: the
// happy calls, WebSocket events, an expired token, a missing token and trx, a rate
// limit, a server error, a plain GET, a logged-out token and a WebSocket offline gap.
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { EVENT_WAIT_MS, EventSocket } from './event-socket.ts';
import { signJwt } from './jwt.ts';
import type { Fields, Instance, Payment, ServerErrorName, ServerResponse, WsEvent } from './messages.ts';
import { decodeMessage, encodeMessage } from './schema.ts';
import { FAILING_INSTANCE_NAME } from './services.ts';
import { DEMO_JWT_SECRET } from './sessions.ts';
import { DEMO_EMAIL, DEMO_PASSWORD, userIdForEmail } from './state.ts';

export interface DemoClientOptions {
  /** Where the ca2 API is: the proxy, or a server directly. /exec and /ws are resolved against it. */
  baseUrl: URL;
  /** Ends the session: sockets close and the promise resolves. */
  signal?: AbortSignal;
  /** Repeat the session, with variations, until aborted. */
  loop?: boolean;
  /** The pause between steps, as a person would leave. Defaults to 600 ms. */
  pauseMs?: number;
  /** One line per step; the default prints nothing. */
  log?: (line: string) => void;
}

/** Wait after a failed session before trying again in loop mode. */
const RETRY_MS = 2_000;

/**
 * Runs the demo session once, or repeatedly with `loop`. Never rejects: a server
 * or proxy that goes away is logged, then the session stops (or, with `loop`,
 * starts again after a pause).
 */
export async function runDemoClient(options: DemoClientOptions): Promise<void> {
  const signal = options.signal ?? new AbortController().signal;
  const log = options.log ?? (() => {});
  for (let pass = 1; !signal.aborted; pass++) {
    const session = new Session(options.baseUrl, signal, options.pauseMs ?? 600, log);
    try {
      await session.run(pass);
    } catch (err) {
      if (signal.aborted) break;
      log(`${describeFailure(err, options.baseUrl)}; ${options.loop ? `starting again in ${RETRY_MS / 1000} s` : 'stopping'}`);
      if (!options.loop) break;
      await sleep(RETRY_MS, undefined, { signal }).catch(() => undefined);
      continue;
    } finally {
      session.closeSockets();
    }
    if (!options.loop) break;
    await sleep(session.pauseMs * 3, undefined, { signal }).catch(() => undefined);
  }
}

interface ExecResult {
  status: number;
  response: ServerResponse;
  errors: ServerErrorName[];
  retryAfterMs: number;
}

interface CallOptions {
  /** null sends no token. Defaults to the session's token. */
  token?: string | null;
  /** false sends no trx. */
  trx?: boolean;
}

const instanceNames = ['api', 'worker', 'db', 'cache', 'build', 'staging'];
const planIds = ['s-1vcpu-1gb', 's-2vcpu-4gb', 'c-4vcpu-8gb'];
const regionIds = ['fra1', 'ams3', 'nyc1'];
const topUps = [1000, 2500, 500, 5000];

class Session {
  private token = '';
  private readonly sockets = new Set<EventSocket>();
  private readonly execUrl: URL;
  private readonly wsUrl: URL;

  constructor(
    private readonly baseUrl: URL,
    private readonly signal: AbortSignal,
    readonly pauseMs: number,
    private readonly log: (line: string) => void,
  ) {
    this.execUrl = new URL('exec', baseUrl);
    this.wsUrl = new URL('ws', baseUrl);
    this.wsUrl.protocol = baseUrl.protocol === 'https:' ? 'wss:' : 'ws:';
  }

  async run(pass: number): Promise<void> {
    const name = `${instanceNames[(pass - 1) % instanceNames.length]}-${pass + 1}`;
    this.log(`session ${pass} starts against ${this.baseUrl.origin}`);

    await this.get('/');
    await this.get('/health');

    const early = await this.exec('servers.list before signing in', { servers: { list: {} } }, { token: null });
    this.log(`servers.list before signing in: ${early.errors.join(', ') || 'ok'} (HTTP ${early.status})`);

    // A real app resumes with the token it stored yesterday, finds it expired, and signs in.
    const stale = staleToken();
    const refused = await this.openSocket(stale);
    this.log(`WebSocket with yesterday's token: ${refused.first.errors?.join(', ') ?? 'no errors'}, closed ${await refused.closed}`);
    const expired = await this.exec("instances.list with yesterday's token", { instances: { list: {} } }, { token: stale });
    this.log(`instances.list with yesterday's token: ${expired.errors.join(', ') || 'ok'} (HTTP ${expired.status})`);
    await this.login(pass);

    let socket = await this.openSocket(this.token);
    this.log(`WebSocket authenticated (${socket.first.errors ? socket.first.errors.join(', ') : 'empty WsEvent'})`);

    await this.call('users.me', { users: { me: {} } });
    await this.call('instances.list', { instances: { list: { page: { limit: 20 } } } });
    await this.call('billing.balance', { billing: { balance: {} } });
    await this.call('billing.payments', { billing: { payments: { page: { limit: 10 } } } });
    await this.call('servers.list', { servers: { list: { region: regionIds[pass % regionIds.length] } } });

    const created = await this.createInstance(socket, name, pass);
    await this.topUp(socket, topUps[(pass - 1) % topUps.length]);
    await this.checkDomain(socket, pass);

    const forgotTrx = await this.exec('utils.ping without a trx', { utils: { ping: { client_time_ms: Date.now() } } }, { trx: false });
    this.log(`utils.ping without a trx: ${forgotTrx.errors.join(', ')} (HTTP ${forgotTrx.status})`);
    const boom = await this.exec(`instances.create "${FAILING_INSTANCE_NAME}"`, {
      instances: { create: { name: FAILING_INSTANCE_NAME, server_id: planIds[0] } },
    });
    this.log(`instances.create "${FAILING_INSTANCE_NAME}": ${boom.errors.join(', ') || 'ok'} (HTTP ${boom.status})`);

    await this.call('ssh.list', { ssh: { list: {} } });
    await this.call('referrals.info', { referrals: { info: {} } });
    await this.call('utils.version', { utils: { version: {} } });

    await this.burstUntilRateLimited();

    socket = await this.goOfflineAndBack(socket, created);

    await this.call('auth.logout', { auth: { logout: {} } });
    const loggedOut = this.token;
    this.token = '';
    const other = await this.exec('billing.balance from a tab still holding the logged-out token', { billing: { balance: {} } }, { token: loggedOut });
    this.log(`billing.balance with the logged-out token: ${other.errors.join(', ') || 'ok'} (HTTP ${other.status})`);
    socket.close(1000, 'signed out');
    this.log(`session ${pass} ends`);
  }

  closeSockets(): void {
    for (const socket of this.sockets) socket.terminate();
    this.sockets.clear();
  }

  private async login(pass: number): Promise<void> {
    if (pass % 2 === 0) {
      const typo = await this.call('auth.login with a mistyped password', {
        auth: { login: { email: DEMO_EMAIL, password: `${DEMO_PASSWORD}x`, device_name: 'demo client' } },
      });
      this.log(`login with a mistyped password: ${(field(typo.response, 'auth', 'login') as Fields | undefined)?.error ?? 'accepted'}`);
    }
    const result = await this.call('auth.login', {
      auth: { login: { email: DEMO_EMAIL, password: DEMO_PASSWORD, device_name: 'demo client' } },
    });
    const login = field(result.response, 'auth', 'login') as Fields | undefined;
    if (typeof login?.token !== 'string' || !login.token) {
      throw new Error(`login as ${DEMO_EMAIL} gave no token (errors: ${result.errors.join(', ') || 'none'})`);
    }
    this.token = login.token;
    this.log(`logged in as ${DEMO_EMAIL}`);
  }

  private async createInstance(socket: EventSocket, name: string, pass: number): Promise<Instance | undefined> {
    const mark = socket.received;
    const result = await this.call(`instances.create ${name}`, {
      instances: {
        create: {
          name,
          server_id: planIds[pass % planIds.length],
          region: regionIds[pass % regionIds.length],
          image: pass % 2 ? 'debian-12' : 'ubuntu-24.04',
          ssh_key_ids: ['key_laptop'],
          labels: { env: pass % 3 ? 'staging' : 'production', owner: 'demo' },
        },
      },
    });
    const instance = (field(result.response, 'instances', 'create') as { instance?: Instance } | undefined)?.instance;
    if (!instance) return undefined;
    this.log(`created ${name} (${shortStatus(instance.status)}); waiting for it to boot`);
    const booted = await socket.waitFor(
      (e) => e.instances?.updated_instances?.some((i) => i.id === instance.id && i.status === 'INSTANCE_STATUS_RUNNING') ?? false,
      mark,
    );
    this.log(booted ? `${name} is running` : `${name} did not report running within ${EVENT_WAIT_MS / 1000} s`);
    return instance;
  }

  private async topUp(socket: EventSocket, amount: number): Promise<void> {
    const mark = socket.received;
    const result = await this.call('billing.top_up', { billing: { top_up: { amount, currency: 'CURRENCY_USD', card_token: 'tok_visa_4242' } } });
    const payment = (field(result.response, 'billing', 'top_up') as { payment?: Payment } | undefined)?.payment;
    if (!payment) return;
    const settled = await socket.waitFor((e) => e.billing?.payments?.some((p) => p.id === payment.id) ?? false, mark);
    this.log(settled ? `top-up of ${money(amount)} settled` : `top-up of ${money(amount)} did not settle within ${EVENT_WAIT_MS / 1000} s`);
  }

  private async checkDomain(socket: EventSocket, pass: number): Promise<void> {
    const name = `${['acme', 'widgets', 'demo-shop', 'example'][pass % 4]}-${randomBytes(2).toString('hex')}.${pass % 3 ? 'com' : 'io'}`;
    const mark = socket.received;
    const result = await this.call(`domains.check ${name}`, { domains: { check: { name } } });
    const checkId = (field(result.response, 'domains', 'check') as Fields | undefined)?.check_id;
    if (!checkId) return;
    const answer = await socket.waitFor((e) => e.domain_check?.check_id === checkId, mark);
    if (!answer?.domain_check?.available || pass % 2 !== 0) return;
    const registering = socket.received;
    await this.call(`domains.register ${name}`, { domains: { register: { name, years: 1, auto_renew: true } } });
    await socket.waitFor((e) => e.domains?.updated_domains?.some((d) => d.name === name) ?? false, registering);
  }

  /** Fires pings in parallel batches until the server says enough, then backs off as told. */
  private async burstUntilRateLimited(): Promise<void> {
    let sent = 0;
    for (let batch = 0; batch < 20; batch++) {
      const results = await Promise.all(
        Array.from({ length: 25 }, () => this.exec('utils.ping (burst)', { utils: { ping: { client_time_ms: Date.now() } } })),
      );
      sent += results.length;
      const limited = results.find((r) => r.errors.includes('SE_RATE_LIMIT_EXCEEDED_ERROR'));
      if (limited) {
        this.log(`rate limited after a burst of ${sent} pings (HTTP ${limited.status}); backing off ${limited.retryAfterMs} ms`);
        await sleep(limited.retryAfterMs, undefined, { signal: this.signal });
        return;
      }
    }
    this.log(`${sent} pings in quick succession were never rate limited`);
  }

  /** Drops the WebSocket while a change is under way, comes back and re-reads what it missed. */
  private async goOfflineAndBack(socket: EventSocket, created: Instance | undefined): Promise<EventSocket> {
    if (created) await this.call(`instances.delete ${created.name}`, { instances: { delete: { id: created.id } } });
    socket.close(1001, 'going offline');
    this.log('WebSocket closed: offline for a moment, events in between are lost');
    await sleep(Math.max(this.pauseMs * 2, 200), undefined, { signal: this.signal });
    const back = await this.openSocket(this.token);
    this.log('WebSocket reconnected; reloading what may have changed');
    await this.call('instances.list after reconnecting', { instances: { list: {} } });
    await this.call('billing.balance after reconnecting', { billing: { balance: {} } });
    return back;
  }

  /** A call the app expects to work; a rate limit is waited out and the call repeated. */
  private async call(label: string, body: Fields): Promise<ExecResult> {
    for (let attempt = 1; ; attempt++) {
      const result = await this.exec(label, body);
      if (!result.errors.includes('SE_RATE_LIMIT_EXCEEDED_ERROR') || attempt === 10) {
        if (result.errors.length > 0) this.log(`${label}: ${result.errors.join(', ')} (HTTP ${result.status})`);
        return result;
      }
      await sleep(result.retryAfterMs, undefined, { signal: this.signal });
    }
  }

  private async exec(label: string, body: Fields, options: CallOptions = {}): Promise<ExecResult> {
    await this.pause();
    const token = options.token === undefined ? this.token : options.token;
    const request = {
      ...(options.trx === false ? {} : { trx: Buffer.from(randomUUID().replaceAll('-', ''), 'hex') }),
      ...(token ? { token } : {}),
      ...body,
    };
    const res = await fetch(this.execUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', 'user-agent': 'ca2-inspector-demo-client' },
      body: new Uint8Array(encodeMessage('ca2.ClientRequest', request)),
      signal: this.signal,
    });
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (!(res.headers.get('content-type') ?? '').startsWith('application/x-protobuf')) {
      throw new Error(`${label}: ${this.execUrl} answered HTTP ${res.status} with ${firstLine(bytes)}`);
    }
    let response: ServerResponse;
    try {
      response = decodeMessage<ServerResponse>('ca2.ServerResponse', bytes);
    } catch {
      throw new Error(`${label}: the answer from ${this.execUrl} is not a ca2.ServerResponse`);
    }
    const retryAfter = Number(res.headers.get('retry-after'));
    return {
      status: res.status,
      response,
      errors: response.errors ?? [],
      retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 1000,
    };
  }

  private async get(path: string): Promise<void> {
    await this.pause();
    const res = await fetch(new URL(path.slice(1), this.baseUrl), { signal: this.signal });
    await res.arrayBuffer();
    this.log(`GET ${path}: HTTP ${res.status}`);
  }

  private async openSocket(token: string): Promise<EventSocket> {
    await this.pause();
    const socket = await EventSocket.open(this.wsUrl, token, this.signal, (event) => {
      const line = describeEvent(event);
      if (line) this.log(`ws event: ${line}`);
    });
    this.sockets.add(socket);
    socket.closed.then(() => this.sockets.delete(socket));
    return socket;
  }

  private async pause(): Promise<void> {
    // Jitter keeps the traffic from looking machine-made.
    const ms = this.pauseMs * (0.5 + Math.random());
    await sleep(ms, undefined, { signal: this.signal });
  }
}

/** What an app would still have in storage from yesterday: a demo token that expired a day ago. */
function staleToken(): string {
  const now = Math.floor(Date.now() / 1000);
  return signJwt({ sub: userIdForEmail(DEMO_EMAIL), iat: now - 2 * 86400, exp: now - 86400, jti: randomBytes(8).toString('hex') }, DEMO_JWT_SECRET);
}

function describeEvent(event: WsEvent): string {
  const parts: string[] = [];
  for (const i of event.instances?.updated_instances ?? []) parts.push(`${i.name} ${shortStatus(i.status)}`);
  for (const b of event.billing?.balances ?? []) parts.push(`balance ${money(b.amount ?? 0)}`);
  for (const p of event.billing?.payments ?? []) parts.push(`payment ${money(p.amount ?? 0)} ${shortStatus(p.status)}`);
  if (event.domain_check) parts.push(`${event.domain_check.name} ${event.domain_check.available ? 'is available' : 'is taken'}`);
  for (const d of event.domains?.updated_domains ?? []) parts.push(`${d.name} ${shortStatus(d.status)}`);
  if (event.errors?.length) parts.push(event.errors.join(', '));
  return parts.join('; ');
}

function shortStatus(status: string | undefined): string {
  return (status ?? 'UNSPECIFIED').replace(/^[A-Z]+_STATUS_/, '');
}

function money(cents: number): string {
  return `${cents < 0 ? '-' : ''}$${(Math.abs(cents) / 100).toFixed(2)}`;
}

function field(response: ServerResponse, service: string, operation: string): unknown {
  return (response[service] as Fields | undefined)?.[operation];
}

function firstLine(bytes: Uint8Array): string {
  const text = Buffer.from(bytes).toString('utf8').split('\n')[0].trim();
  return text ? `"${text.slice(0, 120)}"` : 'an empty body';
}

/** A sentence for the log: what failed and, for network errors, the system code. */
function describeFailure(err: unknown, baseUrl: URL): string {
  if (!(err instanceof Error)) return `the session failed: ${String(err)}`;
  const cause = err.cause as { code?: string; message?: string } | undefined;
  if (err.message === 'fetch failed' && cause) {
    return `cannot reach ${baseUrl.origin} (${cause.code ?? cause.message ?? 'network error'})`;
  }
  return `the session failed: ${err.message}`;
}
