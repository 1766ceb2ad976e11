// The ES module face of index.cjs (one implementation, two ways to load it).
import api from './index.cjs';

export const { Emulator, Cluster, EmulatorError, binaryPath, flags } = api;
