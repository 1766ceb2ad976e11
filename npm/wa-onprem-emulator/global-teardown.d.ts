/** Jest's `globalTeardown`: stops the emulator the global setup started. */
declare function teardown(): Promise<void>;
export = teardown;
