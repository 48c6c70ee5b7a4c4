// Package containerdtest starts a private containerd for tests: its own
// root, state, socket, config and log under a temp dir, with runc or a shim
// the test builds into its BinDir as runtime, so a test can stop, restart
// and fill it without disturbing the host's containerd or other test runs.
//
// It cleans up after itself even when tests fail: Close deletes every
// container and task of every namespace, stops the daemon, kills the shims
// and container processes that outlived it, detaches the mounts below its
// dir and deletes the dir. Run registers Close with t.Cleanup; a harness
// that all tests of a package share (Shared) is closed by TestMain. The
// daemon dies with the test binary (Pdeathsig), and New reaps the dirs,
// shims and mounts that an earlier run which died before its cleanup left
// behind.
//
// It does not pull or build images, run a registry or set up networks;
// FreeSubnet only picks an unused address range for a test's CNI bridge.
// It is for tests only: it needs root and a containerd binary, and reports
// ErrUnavailable (Run and Shared: the test skips) without them.
package containerdtest
