// The package's types through require(); `tsc --noEmit` checks them (npm/test.sh).
import emulatorApi = require('wa-onprem-emulator');
import setup = require('wa-onprem-emulator/global-setup');

async function main(): Promise<void> {
  const emulator = await emulatorApi.Emulator.start({ policy: 'sunset' });
  const count: number = await emulator.cluster('c').count({ surface: 'cloud' });
  const stop = await setup.setup();
  await setup.teardown();
  await stop();
  void count;
  // @ts-expect-error not a policy
  await emulatorApi.Emulator.start({ policy: 'modern' });
}
void main;
