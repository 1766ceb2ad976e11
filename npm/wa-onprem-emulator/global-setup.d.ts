/** Starts one emulator for the run (unless WA_EMU_URL is set) and sets WA_EMU_URL; Vitest
 * takes the function it returns as the teardown. */
declare function setup(project?: { provide?: (key: string, value: unknown) => void }): Promise<() => Promise<void>>;
declare namespace setup {
  export { setup, teardown };
}
/** Stops the emulator `setup` started. */
declare function teardown(): Promise<void>;
export = setup;
