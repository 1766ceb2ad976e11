// The package's types for a project on TypeScript's classic resolution (`moduleResolution:
// node10`, which reads `types`, not `exports`); `tsc --noEmit -p tsconfig.classic.json`.
import { Emulator, type StartOptions } from 'wa-onprem-emulator';

async function main(): Promise<void> {
  const options: StartOptions = { fixedCode: '123456' };
  const emulator = await Emulator.start(options);
  const code: string = await emulator.cluster('c').latestCode('1', '6315550000');
  await emulator.stop();
  void code;
}
void main;
