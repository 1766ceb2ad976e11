import setup from './global-setup.cjs';

export default setup;
export declare const teardown: () => Promise<void>;
export { setup };
