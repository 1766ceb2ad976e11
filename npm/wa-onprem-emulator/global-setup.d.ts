/** Starts one emulator for the run (unless WA_EMU_URL is set), with the WA_EMU_* settings of the
 * process and of the runner's config (Vitest's `test.env`, Jest's `globals`), and sets
 * WA_EMU_URL; Vitest takes the function it returns as the teardown. */
declare function setup(
  project?: { provide?: (key: string, value: unknown) => void; config?: { env?: Record<string, unknown> } },
  jestProject?: { globals?: Record<string, unknown> },
): Promise<() => Promise<void>>;
declare namespace setup {
  export { setup, teardown };
}
/** Stops the emulator `setup` started. */
declare function teardown(): Promise<void>;
export = setup;
