package fn

import (
	"fmt"
	"os"
	"testing"
)

// TestCallEnv checks a reactor's environment from call to call: the
// instance's own variables with the call's request variables on top, never
// a variable of an earlier call, whatever the handler changed.
func TestCallEnv(t *testing.T) {
	t.Setenv("FNCALLENV_OWN", "own")
	t.Setenv("FNCALLENV_SHADOWED", "instance")
	t.Cleanup(func() {
		for _, k := range []string{"FNCALLENV_A", "FNCALLENV_B", "FNCALLENV_MINE"} {
			os.Unsetenv(k)
		}
	})
	want := func(t *testing.T, kv map[string]string) {
		t.Helper()
		for k, v := range kv {
			got, ok := os.LookupEnv(k)
			switch {
			case v == "" && ok:
				t.Errorf("%s = %q, want unset", k, got)
			case v != "" && got != v:
				t.Errorf("%s = %q (set %v), want %q", k, got, ok, v)
			}
		}
	}
	var e callEnv
	apply := func(vars map[string]string) {
		names := make([]string, 0, len(vars))
		for k := range vars {
			names = append(names, k)
		}
		e.apply(names, vars)
	}
	apply(map[string]string{"FNCALLENV_A": "1", "FNCALLENV_SHADOWED": "request"})
	want(t, map[string]string{"FNCALLENV_A": "1", "FNCALLENV_SHADOWED": "request", "FNCALLENV_OWN": "own"})

	// The handler changes a request variable and sets one of its own.
	os.Setenv("FNCALLENV_A", "changed by the handler")
	os.Setenv("FNCALLENV_MINE", "handler's")
	apply(map[string]string{"FNCALLENV_A": "1", "FNCALLENV_B": "2"})
	want(t, map[string]string{"FNCALLENV_A": "1", "FNCALLENV_B": "2", "FNCALLENV_SHADOWED": "instance",
		"FNCALLENV_OWN": "own", "FNCALLENV_MINE": "handler's"})

	apply(map[string]string{})
	want(t, map[string]string{"FNCALLENV_A": "", "FNCALLENV_B": "", "FNCALLENV_SHADOWED": "instance", "FNCALLENV_OWN": "own"})
}

// TestCallEnvRebuild: variables that change names from call to call leave
// dead entries in Go's environment table (it never reuses an unset slot);
// past maxDeadVars the table is rebuilt with the same content, a handler's
// own variables included.
func TestCallEnvRebuild(t *testing.T) {
	t.Setenv("FNCALLENV_OWN", "own")
	var e callEnv
	e.apply(nil, nil)
	t.Setenv("FNCALLENV_HANDLERS", "set by a handler")
	for i := range maxDeadVars + 2 {
		rotating := fmt.Sprintf("FNCALLENV_ROTATING_%d", i)
		e.apply([]string{rotating, "FNCALLENV_STAYS"}, map[string]string{rotating: "v", "FNCALLENV_STAYS": "s"})
	}
	t.Cleanup(func() {
		os.Unsetenv("FNCALLENV_STAYS")
		os.Unsetenv(fmt.Sprintf("FNCALLENV_ROTATING_%d", maxDeadVars+1))
	})
	if e.dead != 0 {
		t.Errorf("dead = %d after %d unsets, want a rebuild (0)", e.dead, maxDeadVars+1)
	}
	last := fmt.Sprintf("FNCALLENV_ROTATING_%d", maxDeadVars+1)
	for k, v := range map[string]string{last: "v", "FNCALLENV_STAYS": "s", "FNCALLENV_OWN": "own", "FNCALLENV_HANDLERS": "set by a handler"} {
		if got := os.Getenv(k); got != v {
			t.Errorf("after the rebuild %s = %q, want %q", k, got, v)
		}
	}
	if _, ok := os.LookupEnv("FNCALLENV_ROTATING_0"); ok {
		t.Error("an earlier call's variable survived the rebuild")
	}
}
