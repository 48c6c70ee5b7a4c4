package provider

import (
	"strconv"
	"strings"
	"time"
)

// EnvExecTimeout is the env var that bounds one call of a function, as the
// classic watchdog reads it: a Go duration ("20s") or whole seconds ("20").
const EnvExecTimeout = "exec_timeout"

// ExecTimeout returns a function's exec_timeout from its env vars; 0 when
// absent, malformed or not positive. The containerd shim applies it to
// every call of a Wasm pod, the provider to the Wasm calls it serves itself
// (capped by its --function-timeout).
func ExecTimeout(env map[string]string) time.Duration {
	v := strings.TrimSpace(env[EnvExecTimeout])
	if v == "" {
		return 0
	}
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return d
	}
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	return 0
}
