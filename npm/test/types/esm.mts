// The package's types as an ES module sees them; `tsc --noEmit` checks them (npm/test.sh).
import {
  Emulator,
  EmulatorError,
  type Delivery,
  type JournaledRequest,
  type NameReview,
  type StartOptions,
} from 'wa-onprem-emulator';
import setup, { teardown } from 'wa-onprem-emulator/global-setup';
import globalTeardown from 'wa-onprem-emulator/global-teardown';
import { test as withCluster } from 'wa-onprem-emulator/vitest';

const options: StartOptions = { adminPassword: 'Adm1n!pass', fixedCode: '123456', codeTtl: '2m', args: ['--tls'] };
const emulator: Emulator = await Emulator.start(options);
const url: string = emulator.url;
const cluster = emulator.cluster('types');
const code: string = await cluster.latestCode('1', '6315550000', { wait: 5 });
const cert: string = await emulator.makeCert('Acme');
const seen: JournaledRequest[] = await cluster.requests({ method: 'POST', body: { cc: '1' } });
const counted: number = await cluster.waitForRequests(2, { timeout: 3, path: '/v1/account' });
await cluster.assertRequested('POST', '/v1/account', { times: 1, status: 202 });
await cluster.setWebhooks({ callbackUrl: 'http://127.0.0.1:8000/hook', verifyToken: 'v', appSecret: 's' });
const delivery: Delivery = await cluster.waitForDelivery({ field: 'phone_number_name_update', timeout: 5 });
const body: string = delivery.body;
const sent: Delivery | null = await cluster.sendEvent('account_update', { event: 'ACCOUNT_DELETED' });
const review: NameReview = await cluster.decideName('123', 'REJECTED', 'NAME_FORMAT_UNACCEPTABLE');
// @ts-expect-error not a field the emulator sends
await cluster.sendEvent('messages', {});
void [body, sent, review];
const headers: Record<string, string> = cluster.headers;
await emulator.stop();
Emulator.connect(url, { controlToken: 't' });
const stop: () => Promise<void> = await setup();
await teardown();
await globalTeardown();
void [code, cert, seen, counted, headers, stop, EmulatorError];

// @ts-expect-error a cluster has no such helper
cluster.latestCodes('1', '6315550000');
// @ts-expect-error the wait is a number of seconds
await cluster.latestCode('1', '6315550000', { wait: '5s' });

// `await using` (TypeScript 5.2 on): both dispose of themselves.
const disposeEmulator: () => Promise<void> = emulator[Symbol.asyncDispose];
const disposeCluster: () => Promise<void> = cluster[Symbol.asyncDispose];
void [disposeEmulator, disposeCluster];

// The Vitest fixtures are typed.
withCluster('typed fixtures', async ({ emulator: run, cluster: mine }) => {
  const at: string = run.url;
  const name: string = mine.name;
  // @ts-expect-error a cluster's name is not a number
  const wrong: number = mine.name;
  void [at, name, wrong];
});
