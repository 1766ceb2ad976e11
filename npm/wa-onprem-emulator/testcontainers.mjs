// The ES module face of testcontainers.cjs.
import api from './testcontainers.cjs';

export const { EmulatorContainer, StartedEmulatorContainer, DEFAULT_IMAGE, PORT } = api;
