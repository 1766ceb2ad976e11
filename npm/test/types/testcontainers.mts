// The Testcontainers module's types, as an ES module sees them (npm's testcontainers installed).
import { EmulatorContainer, type StartedEmulatorContainer } from 'wa-onprem-emulator/testcontainers';
import type { Emulator } from 'wa-onprem-emulator';

const container: StartedEmulatorContainer = await new EmulatorContainer('localhost/wa-onprem-emulator:dev')
  .withAdminPassword('Adm1n!pass')
  .withFixedCode('123456')
  .withSeed('seed.json')
  .withControlToken('t')
  .start();
const url: string = container.url;
const emulator: Emulator = container.emulator;
await container.stop();
void [url, emulator];

// @ts-expect-error a fixed code is text
new EmulatorContainer().withFixedCode(123456);
