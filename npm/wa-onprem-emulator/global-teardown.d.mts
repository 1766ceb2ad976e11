declare function teardown(): Promise<void>;
export default teardown;
