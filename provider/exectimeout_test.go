package provider

import (
	"testing"
	"time"
)

func TestExecTimeout(t *testing.T) {
	for v, want := range map[string]time.Duration{
		"20s": 20 * time.Second, " 1m30s ": 90 * time.Second, "7": 7 * time.Second, "250ms": 250 * time.Millisecond,
		"": 0, "0": 0, "-3s": 0, "-3": 0, "soon": 0, "1.5": 0,
	} {
		if got := ExecTimeout(map[string]string{EnvExecTimeout: v}); got != want {
			t.Errorf("ExecTimeout(%q) = %v, want %v", v, got, want)
		}
	}
	if got := ExecTimeout(nil); got != 0 {
		t.Errorf("ExecTimeout(nil) = %v, want 0", got)
	}
}
