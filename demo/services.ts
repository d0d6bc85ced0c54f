// The demo's service operations: each takes the fields of its request message and
// returns the fields of its response message, as named in demo/protos.
import { randomBytes } from 'node:crypto';
import type { Currency, Fields } from './messages.ts';
import type { Sessions } from './sessions.ts';
import { plans, type Account, type DemoState } from './state.ts';

export interface Call {
  state: DemoState;
  sessions: Sessions;
  /** Set for every operation except the public ones. */
  account: Account | undefined;
  token: string;
  now: number;
}

type Operation = (args: Fields, call: Call) => Fields;

/** Operations that answer without a token. */
export const publicOperations: ReadonlySet<string> = new Set(['auth.login']);

/** The instance name that makes the demo fail with SE_INTERNAL_SERVER_ERROR, to show a server error. */
export const FAILING_INSTANCE_NAME = 'boom';

const auth: Record<string, Operation> = {
  login(args, call) {
    const account = call.state.login(text(args.email), text(args.password), call.now);
    if (!account) return { error: 'LOGIN_ERROR_INVALID_CREDENTIALS' };
    const { token, expiresAtMs } = call.sessions.issue(account.user.id, call.now);
    return { token, expires_at_ms: expiresAtMs, user: account.user };
  },
  refresh(_args, call) {
    const { token, expiresAtMs } = call.sessions.issue(owner(call).user.id, call.now);
    return { token, expires_at_ms: expiresAtMs };
  },
  logout(_args, call) {
    call.sessions.revoke(call.token, call.now);
    return {};
  },
};

const billing: Record<string, Operation> = {
  balance: (_args, call) => ({ balances: [owner(call).balance] }),
  payments(args, call) {
    const statuses = strings(args.statuses);
    const payments = owner(call).payments.filter((p) => statuses.length === 0 || statuses.includes(p.status));
    return page(payments, args.page, 'payments');
  },
  top_up(args, call) {
    const account = owner(call);
    const currency = (text(args.currency) || account.balance.currency) as Currency;
    return { payment: call.state.topUp(account, int(args.amount), currency, call.now) };
  },
};

const instances: Record<string, Operation> = {
  list(args, call) {
    const statuses = strings(args.statuses);
    const selector = record(args.label_selector);
    const matching = [...owner(call).instances.values()].filter(
      (i) =>
        (statuses.length === 0 || statuses.includes(i.status)) &&
        Object.entries(selector).every(([key, value]) => i.labels[key] === value),
    );
    return { ...page(matching, args.page, 'instances'), total: matching.length };
  },
  create(args, call) {
    const name = text(args.name) || `instance-${owner(call).instances.size + 1}`;
    if (name === FAILING_INSTANCE_NAME) {
      throw new Error(`the demo fails on purpose for an instance named "${FAILING_INSTANCE_NAME}"`);
    }
    const spec = {
      name,
      serverId: text(args.server_id),
      region: text(args.region),
      image: text(args.image),
      sshKeyIds: strings(args.ssh_key_ids),
      labels: record(args.labels),
    };
    return { instance: call.state.createInstance(owner(call), spec, call.now) };
  },
  delete(args, call) {
    const instance = call.state.deleteInstance(owner(call), text(args.id), call.now);
    return instance ? { instance } : {};
  },
  get(args, call) {
    const instance = owner(call).instances.get(text(args.id));
    return instance ? { instance } : {};
  },
};

const domains: Record<string, Operation> = {
  check: (args, call) => ({ check_id: call.state.checkDomain(owner(call), text(args.name)) }),
  list: (args, call) => page([...owner(call).domains.values()], args.page, 'domains'),
  register(args, call) {
    const domain = call.state.registerDomain(
      owner(call),
      text(args.name),
      int(args.years) || 1,
      args.auto_renew === true,
      strings(args.nameservers),
      call.now,
    );
    return { domain };
  },
};

const referrals: Record<string, Operation> = {
  info(_args, call) {
    const account = owner(call);
    return {
      code: account.referralCode,
      link: `https://ca2.example/r/${account.referralCode}`,
      signups: 3,
      earned: 1500,
      currency: account.balance.currency,
    };
  },
};

const servers: Record<string, Operation> = {
  list(args) {
    const region = text(args.region);
    return { servers: plans.filter((p) => !region || p.regions.includes(region)) };
  },
};

const ssh: Record<string, Operation> = {
  list: (_args, call) => ({ keys: owner(call).sshKeys }),
  add(args, call) {
    const key = {
      id: `key_${randomBytes(6).toString('hex')}`,
      name: text(args.name) || 'key',
      public_key: text(args.public_key),
      fingerprint: `SHA256:${Buffer.from(text(args.public_key)).toString('base64').slice(0, 43)}`,
      created_at_ms: call.now,
    };
    owner(call).sshKeys.push(key);
    return { key };
  },
  delete(args, call) {
    const account = owner(call);
    account.sshKeys = account.sshKeys.filter((k) => k.id !== text(args.id));
    return {};
  },
};

const users: Record<string, Operation> = {
  me: (_args, call) => ({ user: owner(call).user }),
  update_profile(args, call) {
    const user = owner(call).user;
    user.display_name = text(args.display_name) || user.display_name;
    Object.assign(user.preferences, record(args.preferences));
    return { user };
  },
};

const utils: Record<string, Operation> = {
  ping: (args, call) => ({ client_time_ms: int(args.client_time_ms), server_time_ms: call.now }),
  version: () => ({ version: '0.1.0-demo', commit: 'c0ffee0', built_at_ms: Date.UTC(2024, 0, 1) }),
};

/** Operations by service, named as the fields of ca2.ClientRequest and of each service's Request. */
export const services: Readonly<Record<string, Record<string, Operation>>> = {
  auth,
  billing,
  instances,
  domains,
  referrals,
  servers,
  ssh,
  users,
  utils,
};

function owner(call: Call): Account {
  if (!call.account) throw new Error('an operation that needs a token ran without an account');
  return call.account;
}

/** Pages by offset; the cursor is the offset as text. */
function page<T>(items: T[], request: unknown, key: string): Fields {
  const fields = (request ?? {}) as Fields;
  const limit = int(fields.limit) || 50;
  const offset = Number.parseInt(text(fields.cursor) || '0', 10) || 0;
  const next = offset + limit < items.length ? String(offset + limit) : '';
  return { [key]: items.slice(offset, offset + limit), next_cursor: next };
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function int(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.trunc(value) : 0;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function record(value: unknown): Record<string, string> {
  if (!value || typeof value !== 'object') return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}
