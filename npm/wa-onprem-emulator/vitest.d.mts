import type { TestAPI } from 'vitest';
import type { Cluster, Emulator } from './index.mjs';

/** Vitest's `test` with `emulator` (the run's) and `cluster` (a fresh one of the test's own,
 * deleted when it ends). */
export declare const test: TestAPI<{ emulator: Emulator; cluster: Cluster }>;
export { expect } from 'vitest';
