// Package testenv decides what a test does when a component it needs
// (containerd, CNI plugins, root, PostgreSQL, ...) is missing on the machine:
// it skips on a developer's machine and fails under CI (the environment
// variable CI is true, as .ci/run is run), so a CI run never passes with its
// integration tests silently skipped.
//
// It is for missing components only: tests skipped on purpose (-short, an
// opt-in variable such as FAAS_WASM_E2E_WASM) keep calling t.Skip.
package testenv

import (
	"fmt"
	"os"
	"strconv"
	"testing"
)

// CI reports whether the tests run under CI: CI is set to a true value
// (true, 1, ...). Missing components fail tests then.
func CI() bool {
	v, err := strconv.ParseBool(os.Getenv("CI"))
	return err == nil && v
}

// Missing ends tb because a component it needs is missing: it skips, or
// fails when CI reports true. args describe what is missing, as for
// tb.Skip.
func Missing(tb testing.TB, args ...any) {
	tb.Helper()
	missing(tb, CI(), fmt.Sprint(args...))
}

// Missingf is Missing with a format.
func Missingf(tb testing.TB, format string, args ...any) {
	tb.Helper()
	missing(tb, CI(), fmt.Sprintf(format, args...))
}

func missing(tb testing.TB, ci bool, why string) {
	tb.Helper()
	if ci {
		tb.Fatalf("CI=true and a component this test needs is missing (install it; skips are allowed only outside CI): %s", why)
	}
	tb.Skip(why)
}
