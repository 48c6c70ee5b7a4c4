package builder

import (
	"context"
	"os"
	"path/filepath"
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

// TestRustSysrootOnce: a Builder asks rustc for its sysroot once, however
// many reactors it builds.
func TestRustSysrootOnce(t *testing.T) {
	dir := t.TempDir()
	calls := filepath.Join(dir, "calls")
	rustc := filepath.Join(dir, "rustc")
	script := "#!/bin/sh\necho \"$@\" >> " + calls + "\necho /opt/rust\n"
	if err := os.WriteFile(rustc, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	b := New(WithCargo("cargo", rustc))
	for range 3 {
		got, err := b.rustSysroot(context.Background())
		if err != nil || got != "/opt/rust" {
			t.Fatalf("rustSysroot = %q, %v; want /opt/rust", got, err)
		}
	}
	if data, _ := os.ReadFile(calls); string(data) != "--print sysroot\n" {
		t.Errorf("rustc ran with %q, want once with --print sysroot", data)
	}
}
