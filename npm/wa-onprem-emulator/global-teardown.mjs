// The ES module face of global-teardown.cjs.
import teardown from './global-teardown.cjs';

export default teardown;
