package wasm

import (
	"fmt"
	"strings"
	"testing"
)

func TestTrapMessage(t *testing.T) {
	var deep strings.Builder
	deep.WriteString("error while executing at wasm backtrace:\n    0: <unknown>!main.recurse\n")
	for i := 1; i < 5000; i++ {
		fmt.Fprintf(&deep, "  %4d: 0x62e234 - <unknown>!main.recurse\n", i)
	}
	deep.WriteString("\nCaused by:\n    wasm trap: call stack exhausted\nStack backtrace:\n   0: wasmtime::trap\n")
	for _, tc := range []struct{ name, in, want string }{
		{"deep recursion", deep.String(), "wasm trap: call stack exhausted; wasm backtrace:\n    0: <unknown>!main.recurse\n" +
			"     1: 0x62e234 - <unknown>!main.recurse\n     2: 0x62e234 - <unknown>!main.recurse\n     3: 0x62e234 - <unknown>!main.recurse\n" +
			"     4: 0x62e234 - <unknown>!main.recurse\n     5: 0x62e234 - <unknown>!main.recurse\n     6: 0x62e234 - <unknown>!main.recurse\n" +
			"     7: 0x62e234 - <unknown>!main.recurse\n     8: 0x62e234 - <unknown>!main.recurse\n     9: 0x62e234 - <unknown>!main.recurse\n" +
			"    ... 4990 more"},
		{"short trace", "error while executing at wasm backtrace:\n    0:   0x2a - <unknown>!trap\n\nCaused by:\n    wasm trap: wasm `unreachable` instruction executed",
			"wasm trap: wasm `unreachable` instruction executed; wasm backtrace:\n    0:   0x2a - <unknown>!trap"},
		{"cause without a trace", "exit\n\nCaused by:\n    0: oops\n    1: more", "0: oops 1: more; exit"},
		{"no cause", "  out of fuel  ", "out of fuel"},
		{"host backtrace only", "unreachable\nStack backtrace:\n   0: x", "unreachable"},
	} {
		if got := trapMessage(tc.in); got != tc.want {
			t.Errorf("%s: trapMessage = %q, want %q", tc.name, got, tc.want)
		}
	}
}
