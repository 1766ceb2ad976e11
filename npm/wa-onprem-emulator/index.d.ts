// Types of index.cjs (and, through index.d.mts, of index.mjs). Times are in seconds.

/** A value of a flag: `true` is a switch alone; `false`, `null`, `undefined` leave it out; an
 * array repeats it. */
type FlagValue = string | number | boolean | null | undefined | ReadonlyArray<string | number>;

interface StartOptions {
  /** `--admin-password`: the admin's password, with no first-login change. */
  adminPassword?: string;
  /** `--fixed-code`: every registration code is this one. */
  fixedCode?: string;
  /** `--listen`: the address to serve on (default `127.0.0.1:0`, a free port). */
  listen?: string;
  /** `--control-token`: guards the control API; also sent by this object's calls. */
  controlToken?: string;
  /** `--policy`: `classic`, `sunset` or `scripted`. */
  policy?: 'classic' | 'sunset' | 'scripted';
  /** `--seed`: a file of clusters to start with (JSON or TOML). */
  seed?: string;
  /** `--data-dir`: keeps state across restarts. */
  dataDir?: string;
  /** More flags of the command line, as it takes them: `['--code-ttl', '2m']`. */
  args?: ReadonlyArray<string>;
  /** Variables for the binary, beside this process's own. */
  env?: Record<string, string>;
  /** The binary to run (default: `WA_EMU_BINARY`, else the platform package's). */
  binary?: string;
  /** A file the whole log (the binary's stderr) is appended to. */
  logFile?: string;
  /** Seconds to wait for its health (default 10). */
  startTimeout?: number;
  /** Any other flag of the binary, in camelCase: `codeTtl: '2m'` is `--code-ttl 2m`. */
  [flag: string]: FlagValue | Record<string, string> | undefined;
}

/** The journal's filters. */
interface RequestFilters {
  method?: string;
  /** A path; `*` stands for one segment. */
  path?: string;
  status?: number;
  reason?: string;
  surface?: 'on_premises' | 'cloud';
  /** RFC 3339. */
  since?: string;
  /** Fields of the JSON body: `{cc: '1'}` is `body.cc=1`. */
  body?: Record<string, string | number | boolean>;
}

/** One request of a cluster's journal. */
interface JournaledRequest {
  method: string;
  path: string;
  status: number;
  reason?: string | null;
  surface?: string;
  [field: string]: unknown;
}

/** A request no route took, or refused as unreadable, with the route it most likely meant. */
interface UnmatchedRequest extends JournaledRequest {
  near_miss?: unknown;
}

/** A code in the outbox. */
interface SentCode {
  cluster: string;
  surface: 'on_premises' | 'cloud';
  cc: string;
  phone_number: string;
  method: string;
  code: string;
  vname: string;
  sent_at: string;
  expires_at: string;
}

interface LocalizedName {
  lg: string;
  lc: string;
  verified_name: string;
}

declare class EmulatorError extends Error {
  /** The HTTP status of the control API's refusal, when there was one. */
  readonly status: number | undefined;
  constructor(message: string, status?: number);
}

declare class Emulator {
  private constructor();
  /** Starts the binary on a free port and waits until it answers its health; it stops with
   * this process at the latest. */
  static start(options?: StartOptions): Promise<Emulator>;
  /** An emulator already running at `url` (default `WA_EMU_URL`). */
  static connect(url?: string, options?: { controlToken?: string }): Emulator;
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** The process id of the binary this object started. */
  readonly pid: number | undefined;
  /** The emulator's last log lines (up to 300). */
  logTail(): string;
  /** Stops the binary this object started; a connected emulator is left running. */
  stop(): Promise<void>;
  /** `await using emulator = await Emulator.start()`: `stop()` when the block ends. */
  [Symbol.asyncDispose](): Promise<void>;
  /** The isolated test world `name`. */
  cluster(name: string): Cluster;
  /** A base64 verified-name certificate. */
  makeCert(vname: string, options?: { localizedNames?: LocalizedName[] }): Promise<string>;
  /** Every cluster back to its state after installation. */
  reset(): Promise<void>;
  /** A call of the control API (`/_emulator` + `path`). */
  control<T = any>(method: string, path: string, body?: unknown): Promise<T>;
}

declare class Cluster {
  private constructor();
  readonly emulator: Emulator;
  readonly name: string;
  /** The base URL to give a client under test. */
  readonly url: string;
  /** `{'X-Emulator-Cluster': name}`, for clients that keep only the host of their base URL. */
  readonly headers: { 'X-Emulator-Cluster': string };
  /** The 6 digits last sent to +`cc` `phoneNumber`, waiting up to `wait` seconds (default 5). */
  latestCode(
    cc: string | null,
    phoneNumber: string,
    options?: { wait?: number; method?: 'sms' | 'voice' | string },
  ): Promise<string>;
  codes(filters?: { cc?: string; phone_number?: string; method?: string }): Promise<SentCode[]>;
  makeCert(vname: string, options?: { localizedNames?: LocalizedName[] }): Promise<string>;
  reset(): Promise<void>;
  /** `false` if the cluster did not exist. */
  delete(): Promise<boolean>;
  /** `await using cluster = emulator.cluster(name)`: deleted when the block ends. */
  [Symbol.asyncDispose](): Promise<void>;
  setPolicy(policy: 'classic' | 'sunset' | 'scripted', rules?: unknown[] | string): Promise<unknown>;
  armFault(
    route: string,
    fault: { type: string; [field: string]: unknown },
    options?: { times?: number; method?: string; cc?: string; phone_number?: string },
  ): Promise<unknown[]>;
  advanceClock(seconds: number): Promise<unknown>;
  journal(): Promise<JournaledRequest[]>;
  requests(filters?: RequestFilters): Promise<JournaledRequest[]>;
  count(filters?: RequestFilters): Promise<number>;
  /** Throws an `AssertionError` when fewer than `atLeast` came within `timeout` seconds. */
  waitForRequests(atLeast: number, options?: RequestFilters & { timeout?: number }): Promise<number>;
  assertRequested(
    method: string,
    path: string,
    options?: Omit<RequestFilters, 'method' | 'path'> & { times?: number },
  ): Promise<JournaledRequest[]>;
  unmatched(filters?: RequestFilters): Promise<UnmatchedRequest[]>;
  snapshot(): Promise<Record<string, unknown>>;
  restore(state: Record<string, unknown>): Promise<unknown>;
  /** Sets the app's webhook, once Meta's verification request to `callbackUrl` passes. */
  setWebhooks(options: {
    callbackUrl: string;
    verifyToken: string;
    appSecret: string;
    fields?: WebhookField[];
    signature?: 'valid' | 'missing' | 'wrong_secret' | 'tampered';
  }): Promise<AppWebhook>;
  webhooks(): Promise<AppWebhook>;
  deleteWebhooks(): Promise<boolean>;
  deliveries(filters?: { field?: WebhookField; status?: DeliveryStatus }): Promise<Delivery[]>;
  /** Throws an `AssertionError` when fewer than `atLeast` reach `status` within `timeout` s. */
  waitForDelivery(options?: {
    field?: WebhookField;
    status?: DeliveryStatus;
    atLeast?: number;
    timeout?: number;
  }): Promise<Delivery>;
  redeliver(id: number): Promise<Delivery>;
  sendEvent(field: WebhookField, value: Record<string, unknown>): Promise<Delivery | null>;
  decideName(
    numberId: string,
    decision: 'APPROVED' | 'REJECTED' | 'DEFERRED' | 'PENDING',
    rejectionReason?: string,
  ): Promise<NameReview>;
}

/** A webhook field the emulator sends. */
type WebhookField =
  | 'account_update'
  | 'account_review_update'
  | 'business_capability_update'
  | 'phone_number_name_update'
  | 'phone_number_quality_update'
  | 'security';

type DeliveryStatus = 'pending' | 'delivered' | 'retrying' | 'failed' | 'not_subscribed';

/** The app's webhook, as `GET …/webhooks` shows it. */
interface AppWebhook {
  callback_url: string;
  verify_token: string;
  app_secret: '<redacted>';
  fields: WebhookField[];
  signature: 'valid' | 'missing' | 'wrong_secret' | 'tampered';
  subscribed: boolean;
  override_callback_uri: string | null;
}

/** One delivery: the exact text sent, its signatures and attempts. */
interface Delivery {
  id: number;
  field: WebhookField;
  url: string | null;
  body: string;
  signature: string | null;
  signature_sha1: string | null;
  status: DeliveryStatus;
  reason?: string;
  attempts: { time: string; status?: number; error?: string }[];
  created_at: string;
  next_attempt_at?: string;
}

/** What a name review decided. */
interface NameReview {
  id: string;
  requested_verified_name: string;
  decision: string;
  rejection_reason: string | null;
  verified_name: string;
  applies_at_next_registration: boolean;
}

/** The binary this package runs: `WA_EMU_BINARY`, else the platform package's. */
declare function binaryPath(): string;
/** Options as the binary's flags. */
declare function flags(settings: Record<string, FlagValue>): string[];

export {
  Cluster,
  Emulator,
  EmulatorError,
  binaryPath,
  flags,
  type FlagValue,
  type JournaledRequest,
  type LocalizedName,
  type RequestFilters,
  type SentCode,
  type StartOptions,
  type UnmatchedRequest,
  type AppWebhook,
  type Delivery,
  type DeliveryStatus,
  type NameReview,
  type WebhookField,
};
