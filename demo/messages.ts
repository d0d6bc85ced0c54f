// TypeScript shapes of the demo messages as demo/schema.ts hands them over.
// Decoded messages omit fields at their default value, so everything read from
// the wire is optional; the records the demo server keeps are complete.

export type ServerErrorName =
  | 'SE_UNKNOWN_ERROR'
  | 'SE_TRX_REQUIRED_ERROR'
  | 'SE_INVALID_TRX_ERROR'
  | 'SE_INVALID_TOKEN_ERROR'
  | 'SE_EXPIRED_TOKEN_ERROR'
  | 'SE_INTERNAL_SERVER_ERROR'
  | 'SE_TOKEN_REQUIRED_ERROR'
  | 'SE_RATE_LIMIT_EXCEEDED_ERROR';

/** The fields of a decoded message, read defensively. */
export type Fields = { [name: string]: unknown };

export type Currency = 'CURRENCY_USD' | 'CURRENCY_EUR';

export type InstanceStatus =
  | 'INSTANCE_STATUS_PROVISIONING'
  | 'INSTANCE_STATUS_RUNNING'
  | 'INSTANCE_STATUS_STOPPED'
  | 'INSTANCE_STATUS_DELETING'
  | 'INSTANCE_STATUS_DELETED'
  | 'INSTANCE_STATUS_FAILED';

export interface Instance {
  id: string;
  name: string;
  status: InstanceStatus;
  server_id: string;
  region: string;
  image: string;
  vcpus: number;
  memory_mb: number;
  disk_gb: number;
  ipv4: string[];
  ipv6: string[];
  labels: Record<string, string>;
  ssh_key_ids: string[];
  price_per_hour: number;
  created_at_ms: number;
  updated_at_ms: number;
}

export interface Balance {
  currency: Currency;
  amount: number;
  reserved: number;
  updated_at_ms: number;
}

export type PaymentStatus = 'PAYMENT_STATUS_PENDING' | 'PAYMENT_STATUS_SUCCEEDED' | 'PAYMENT_STATUS_FAILED' | 'PAYMENT_STATUS_REFUNDED';
export type PaymentKind = 'PAYMENT_KIND_TOP_UP' | 'PAYMENT_KIND_CHARGE' | 'PAYMENT_KIND_REFUND' | 'PAYMENT_KIND_REFERRAL_BONUS';

export interface Payment {
  id: string;
  currency: Currency;
  amount: number;
  status: PaymentStatus;
  kind: PaymentKind;
  description: string;
  created_at_ms: number;
  settled_at_ms: number;
  metadata: Record<string, string>;
}

export interface Server {
  id: string;
  name: string;
  regions: string[];
  vcpus: number;
  memory_mb: number;
  disk_gb: number;
  price_per_hour: number;
  currency: Currency;
  available: boolean;
}

export interface User {
  id: string;
  email: string;
  display_name: string;
  roles: string[];
  email_verified: boolean;
  created_at_ms: number;
  preferences: Record<string, string>;
}

export interface SshKey {
  id: string;
  name: string;
  public_key: string;
  fingerprint: string;
  created_at_ms: number;
}

export type DomainStatus = 'DOMAIN_STATUS_PENDING' | 'DOMAIN_STATUS_ACTIVE' | 'DOMAIN_STATUS_EXPIRED';

export interface Domain {
  name: string;
  status: DomainStatus;
  auto_renew: boolean;
  nameservers: string[];
  registered_at_ms: number;
  expires_at_ms: number;
}

export interface DomainCheckWsEvent {
  check_id: string;
  name: string;
  available: boolean;
  price_per_year: number;
  currency: Currency;
}

/** The data part of a ca2.WsEvent: what the server pushes when something changes. */
export interface WsEventData {
  billing?: { balances?: Balance[]; payments?: Payment[] };
  instances?: { updated_instances?: Instance[] };
  domain_check?: DomainCheckWsEvent;
  domains?: { updated_domains?: Domain[] };
}

export interface WsEvent extends WsEventData {
  errors?: ServerErrorName[];
}

/** A ca2.ServerResponse as decoded: service responses stay loose, keyed by service name. */
export interface ServerResponse {
  trx?: Uint8Array;
  errors?: ServerErrorName[];
  [service: string]: unknown;
}
