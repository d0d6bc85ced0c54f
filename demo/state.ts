// What the demo server remembers, in memory only: accounts and everything they own.
// Changes that a real server would make in the background (an instance booting, a
// payment settling, the hourly bill) happen on timers and are announced to
// listeners as the data of a ca2.WsEvent.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Balance, Currency, Domain, DomainCheckWsEvent, Instance, InstanceStatus, Payment, Server, SshKey, User, WsEventData } from './messages.ts';

export const DEMO_EMAIL = 'demo@ca2.example';
/** Any email logs in with this password; the account is made on first login. */
export const DEMO_PASSWORD = 'demo';

export interface Account {
  user: User;
  balance: Balance;
  payments: Payment[];
  instances: Map<string, Instance>;
  sshKeys: SshKey[];
  domains: Map<string, Domain>;
  referralCode: string;
}

export interface NewInstance {
  name: string;
  serverId: string;
  region: string;
  image: string;
  sshKeyIds: string[];
  labels: Record<string, string>;
}

export interface DemoStateOptions {
  /** How long background changes (boot, deletion, settlement, domain checks) take. */
  eventDelayMs: number;
  /** How often running instances are billed and every account gets a balance event. */
  billingIntervalMs: number;
}

export type StateListener = (userId: string, event: WsEventData) => void;

const regions = ['fra1', 'ams3', 'nyc1'];

export const plans: readonly Server[] = [
  plan('s-1vcpu-1gb', 'Starter', 1, 1024, 25, 1),
  plan('s-2vcpu-4gb', 'Standard', 2, 4096, 80, 4),
  plan('c-4vcpu-8gb', 'Compute', 4, 8192, 160, 9),
  { ...plan('m-8vcpu-64gb', 'Memory', 8, 65536, 400, 42), available: false },
];

const takenDomains = new Set(['example.com', 'ca2.example', 'google.com']);

export function userIdForEmail(email: string): string {
  return `usr_${createHash('sha256').update(email.toLowerCase()).digest('hex').slice(0, 12)}`;
}

export class DemoState {
  private readonly accounts = new Map<string, Account>();
  private readonly listeners = new Set<StateListener>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly billing: NodeJS.Timeout;
  private nextAddress = 10;

  constructor(private readonly options: DemoStateOptions) {
    this.billing = setInterval(() => this.billRunningInstances(), options.billingIntervalMs);
  }

  /** Returns a function that removes the listener. */
  onEvent(listener: StateListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  login(email: string, password: string, now: number): Account | null {
    if (!email || password !== DEMO_PASSWORD) return null;
    const id = userIdForEmail(email);
    let account = this.accounts.get(id);
    if (!account) {
      account = this.newAccount(id, email, now);
      this.accounts.set(id, account);
    }
    return account;
  }

  account(userId: string): Account | undefined {
    return this.accounts.get(userId);
  }

  createInstance(account: Account, spec: NewInstance, now: number): Instance {
    const server = plans.find((p) => p.id === spec.serverId && p.available) ?? plans[0];
    const instance: Instance = {
      id: `ins_${randomBytes(6).toString('hex')}`,
      name: spec.name,
      status: 'INSTANCE_STATUS_PROVISIONING',
      server_id: server.id,
      region: server.regions.includes(spec.region) ? spec.region : server.regions[0],
      image: spec.image || 'debian-12',
      vcpus: server.vcpus,
      memory_mb: server.memory_mb,
      disk_gb: server.disk_gb,
      ipv4: [],
      ipv6: [],
      labels: spec.labels,
      ssh_key_ids: spec.sshKeyIds,
      price_per_hour: server.price_per_hour,
      created_at_ms: now,
      updated_at_ms: now,
    };
    account.instances.set(instance.id, instance);
    this.later(() => {
      if (instance.status !== 'INSTANCE_STATUS_PROVISIONING') return;
      const n = this.nextAddress++;
      instance.ipv4 = [`203.0.113.${n % 250}`];
      instance.ipv6 = [`2001:db8::${n.toString(16)}`];
      this.setStatus(account, instance, 'INSTANCE_STATUS_RUNNING');
    });
    return copy(instance);
  }

  deleteInstance(account: Account, id: string, now: number): Instance | undefined {
    const instance = account.instances.get(id);
    if (!instance) return undefined;
    if (instance.status === 'INSTANCE_STATUS_DELETING') return copy(instance);
    instance.status = 'INSTANCE_STATUS_DELETING';
    instance.updated_at_ms = now;
    this.later(() => {
      account.instances.delete(id);
      this.setStatus(account, instance, 'INSTANCE_STATUS_DELETED');
    });
    return copy(instance);
  }

  topUp(account: Account, amount: number, currency: Currency, now: number): Payment {
    const payment: Payment = {
      id: `pay_${randomBytes(6).toString('hex')}`,
      currency,
      amount,
      status: amount > 0 && currency === account.balance.currency ? 'PAYMENT_STATUS_PENDING' : 'PAYMENT_STATUS_FAILED',
      kind: 'PAYMENT_KIND_TOP_UP',
      description: amount > 0 ? 'Card top-up' : 'Card top-up: the amount must be positive',
      created_at_ms: now,
      settled_at_ms: 0,
      metadata: { method: 'card', last4: '4242' },
    };
    account.payments.unshift(payment);
    if (payment.status === 'PAYMENT_STATUS_PENDING') {
      this.later(() => {
        payment.status = 'PAYMENT_STATUS_SUCCEEDED';
        payment.settled_at_ms = Date.now();
        account.balance.amount += amount;
        account.balance.updated_at_ms = payment.settled_at_ms;
        this.emit(account.user.id, { billing: { balances: [copy(account.balance)], payments: [copy(payment)] } });
      });
    }
    return copy(payment);
  }

  /** Returns the check id; the answer comes as a domain_check event. */
  checkDomain(account: Account, name: string): string {
    const checkId = randomUUID();
    const normalized = name.trim().toLowerCase();
    this.later(() => {
      const event: DomainCheckWsEvent = {
        check_id: checkId,
        name: normalized,
        available: this.domainAvailable(normalized),
        price_per_year: normalized.endsWith('.io') ? 3900 : 1200,
        currency: account.balance.currency,
      };
      this.emit(account.user.id, { domain_check: event });
    });
    return checkId;
  }

  registerDomain(account: Account, name: string, years: number, autoRenew: boolean, nameservers: string[], now: number): Domain {
    const domain: Domain = {
      name: name.trim().toLowerCase(),
      status: 'DOMAIN_STATUS_PENDING',
      auto_renew: autoRenew,
      nameservers: nameservers.length > 0 ? nameservers : ['ns1.ca2.example', 'ns2.ca2.example'],
      registered_at_ms: now,
      expires_at_ms: now + Math.max(1, years) * 365 * 24 * 3600 * 1000,
    };
    account.domains.set(domain.name, domain);
    this.later(() => {
      domain.status = 'DOMAIN_STATUS_ACTIVE';
      this.emit(account.user.id, { domains: { updated_domains: [copy(domain)] } });
    });
    return copy(domain);
  }

  close(): void {
    clearInterval(this.billing);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.listeners.clear();
  }

  private domainAvailable(name: string): boolean {
    if (takenDomains.has(name) || !/^[a-z0-9-]{4,}\.[a-z]{2,}$/.test(name)) return false;
    for (const account of this.accounts.values()) if (account.domains.has(name)) return false;
    return true;
  }

  /** Demo time runs fast: each billing tick charges one hour of every running instance. */
  private billRunningInstances(): void {
    const now = Date.now();
    for (const account of this.accounts.values()) {
      let hour = 0;
      for (const instance of account.instances.values()) {
        if (instance.status === 'INSTANCE_STATUS_RUNNING') hour += instance.price_per_hour;
      }
      account.balance.amount -= hour;
      account.balance.updated_at_ms = now;
      this.emit(account.user.id, { billing: { balances: [copy(account.balance)] } });
    }
  }

  private setStatus(account: Account, instance: Instance, status: InstanceStatus): void {
    instance.status = status;
    instance.updated_at_ms = Date.now();
    this.emit(account.user.id, { instances: { updated_instances: [copy(instance)] } });
  }

  private later(change: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      change();
    }, this.options.eventDelayMs);
    this.timers.add(timer);
  }

  private emit(userId: string, event: WsEventData): void {
    for (const listener of this.listeners) listener(userId, event);
  }

  private newAccount(id: string, email: string, now: number): Account {
    const day = 24 * 3600 * 1000;
    const name = email.split('@')[0];
    const account: Account = {
      user: {
        id,
        email,
        display_name: name.charAt(0).toUpperCase() + name.slice(1),
        roles: ['owner'],
        email_verified: true,
        created_at_ms: now - 30 * day,
        preferences: { theme: 'dark', locale: 'en-GB' },
      },
      balance: { currency: 'CURRENCY_USD', amount: 2500, reserved: 0, updated_at_ms: now },
      payments: [
        settled('Welcome bonus from a referral', 500, 'PAYMENT_KIND_REFERRAL_BONUS', now - 29 * day),
        settled('Card top-up', 2000, 'PAYMENT_KIND_TOP_UP', now - 28 * day),
      ].reverse(),
      instances: new Map(),
      sshKeys: [
        {
          id: 'key_laptop',
          name: 'laptop',
          public_key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDemoKeyOnlyForTheCa2InspectorDemo laptop',
          fingerprint: 'SHA256:3q2+7w0DemoFingerprintNotARealKey0000000',
          created_at_ms: now - 29 * day,
        },
      ],
      domains: new Map(),
      referralCode: id.slice(4, 10).toUpperCase(),
    };
    const web: Instance = {
      id: `ins_${randomBytes(6).toString('hex')}`,
      name: 'web-1',
      status: 'INSTANCE_STATUS_RUNNING',
      server_id: 's-2vcpu-4gb',
      region: 'fra1',
      image: 'debian-12',
      vcpus: 2,
      memory_mb: 4096,
      disk_gb: 80,
      ipv4: ['203.0.113.7'],
      ipv6: ['2001:db8::7'],
      labels: { env: 'production', team: 'web' },
      ssh_key_ids: ['key_laptop'],
      price_per_hour: 4,
      created_at_ms: now - 27 * day,
      updated_at_ms: now - 27 * day,
    };
    account.instances.set(web.id, web);
    return account;
  }
}

function plan(id: string, name: string, vcpus: number, memoryMb: number, diskGb: number, pricePerHour: number): Server {
  return { id, name, regions, vcpus, memory_mb: memoryMb, disk_gb: diskGb, price_per_hour: pricePerHour, currency: 'CURRENCY_USD', available: true };
}

function settled(description: string, amount: number, kind: Payment['kind'], at: number): Payment {
  return {
    id: `pay_${randomBytes(6).toString('hex')}`,
    currency: 'CURRENCY_USD',
    amount,
    status: 'PAYMENT_STATUS_SUCCEEDED',
    kind,
    description,
    created_at_ms: at,
    settled_at_ms: at + 2000,
    metadata: kind === 'PAYMENT_KIND_TOP_UP' ? { method: 'card', last4: '4242' } : {},
  };
}

/** Snapshots leave the server's records untouched by later changes (and by encoding). */
function copy<T>(value: T): T {
  return structuredClone(value);
}
