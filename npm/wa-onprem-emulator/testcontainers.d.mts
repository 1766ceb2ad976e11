import { AbstractStartedContainer, GenericContainer } from 'testcontainers';
import { Emulator } from './index.mjs';

/** The image the release workflow publishes, at this package's version. */
export declare const DEFAULT_IMAGE: string;
/** The port the image listens on. */
export declare const PORT: 9090;

/** The emulator's image as a container of a test. */
export declare class EmulatorContainer extends GenericContainer {
  constructor(image?: string);
  withAdminPassword(password: string): this;
  withFixedCode(code: string): this;
  withPolicy(policy: 'classic' | 'sunset' | 'scripted' | string): this;
  withSeed(file: string): this;
  withControlToken(token: string): this;
  start(): Promise<StartedEmulatorContainer>;
}

/** A started emulator container: its URL from the host and the API of `Emulator.connect`. */
export declare class StartedEmulatorContainer extends AbstractStartedContainer {
  readonly url: string;
  readonly emulator: Emulator;
}
