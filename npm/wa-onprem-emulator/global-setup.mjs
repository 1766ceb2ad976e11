// The ES module face of global-setup.cjs.
import setup from './global-setup.cjs';

export default setup;
export const { teardown } = setup;
export { setup };
