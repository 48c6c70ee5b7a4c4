package builder

import (
	"slices"
	"testing"
)

// TestCargoArtifacts picks a build's executables or its .wasm libraries out
// of cargo's JSON messages (as /usr/bin/cargo 1.65 writes them), skipping
// dependencies' artifacts, other messages and lines that are not JSON.
func TestCargoArtifacts(t *testing.T) {
	out := []byte(`{"reason":"compiler-artifact","target":{"kind":["lib"],"name":"common"},"filenames":["/t/deps/libcommon-1.rlib","/t/deps/libcommon-1.rmeta"],"executable":null}
a build script's line
{"reason":"compiler-message","message":{"rendered":"warning"}}
{"reason":"compiler-artifact","target":{"kind":["cdylib"],"name":"prime-numbers"},"filenames":["/t/wasm32-wasi/release/prime_numbers.wasm"],"executable":null}
{"reason":"compiler-artifact","target":{"kind":["bin"],"name":"prime-numbers"},"filenames":["/t/wasm32-wasi/release/prime-numbers.wasm"],"executable":"/t/wasm32-wasi/release/prime-numbers.wasm"}
{"reason":"build-finished","success":true}
`)
	for kind, want := range map[string][]string{
		"bin":    {"/t/wasm32-wasi/release/prime-numbers.wasm"},
		"cdylib": {"/t/wasm32-wasi/release/prime_numbers.wasm"},
	} {
		got, err := cargoArtifacts(out, kind)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("cargoArtifacts(%s) = %q, %v; want %q", kind, got, err, want)
		}
	}
	if got, err := cargoArtifacts([]byte(`{"reason":"build-finished","success":false}`), "bin"); err != nil || len(got) != 0 {
		t.Errorf("no artifacts: %q, %v", got, err)
	}
}
