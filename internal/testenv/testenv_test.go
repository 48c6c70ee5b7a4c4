package testenv

import (
	"strings"
	"testing"
)

// outcomeTB records Skip or Fatalf instead of ending the test.
type outcomeTB struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (o *outcomeTB) Helper() { /* nothing to mark */ }
func (o *outcomeTB) Skip(args ...any) {
	o.skipped, o.msg = true, args[0].(string)
	panic(o)
}
func (o *outcomeTB) Fatalf(format string, args ...any) {
	o.failed, o.msg = true, format
	panic(o)
}

func run(t *testing.T, f func(tb testing.TB)) *outcomeTB {
	o := &outcomeTB{TB: t}
	func() {
		defer func() {
			if p := recover(); p != nil && p != o {
				panic(p)
			}
		}()
		f(o)
	}()
	return o
}

// Missing skips outside CI and fails under CI=true (and only for values
// strconv.ParseBool calls true).
func TestMissing(t *testing.T) {
	tests := []struct {
		ci       string
		wantFail bool
	}{
		{"", false},
		{"false", false},
		{"0", false},
		{"nonsense", false},
		{"true", true},
		{"1", true},
		{"TRUE", true},
	}
	for _, tt := range tests {
		t.Run("CI="+tt.ci, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			if CI() != tt.wantFail {
				t.Fatalf("CI() = %v", CI())
			}
			for name, call := range map[string]func(tb testing.TB){
				"Missing":  func(tb testing.TB) { Missing(tb, "no containerd") },
				"Missingf": func(tb testing.TB) { Missingf(tb, "no %s", "containerd") },
			} {
				o := run(t, call)
				if o.failed != tt.wantFail || o.skipped == tt.wantFail {
					t.Errorf("%s: failed %v skipped %v, want failed %v", name, o.failed, o.skipped, tt.wantFail)
				}
				if o.skipped && o.msg != "no containerd" {
					t.Errorf("%s: skip message %q", name, o.msg)
				}
				if o.failed && !strings.Contains(o.msg, "CI=true") {
					t.Errorf("%s: failure %q does not say why", name, o.msg)
				}
			}
		})
	}
}
