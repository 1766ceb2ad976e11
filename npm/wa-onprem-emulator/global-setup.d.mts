import setup from './global-setup.js';

export default setup;
export declare const teardown: () => Promise<void>;
export { setup };
