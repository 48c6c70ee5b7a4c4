package sibling

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestFind covers the three places: beside the test binary (preferred over
// PATH), on PATH only, and nowhere; a directory beside the executable is
// not a program.
func TestFind(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	onPath := t.TempDir()
	t.Setenv("PATH", onPath)
	write := func(dir, name string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	beside := write(filepath.Dir(self), "sibling-test-beside")
	t.Cleanup(func() { os.Remove(beside) })
	write(onPath, "sibling-test-beside")
	pathOnly := write(onPath, "sibling-test-path")
	dir := filepath.Join(filepath.Dir(self), "sibling-test-dir")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(dir) })
	pathDir := write(onPath, "sibling-test-dir")

	for _, tt := range []struct{ name, want string }{
		{"sibling-test-beside", beside},
		{"sibling-test-path", pathOnly},
		{"sibling-test-dir", pathDir},
	} {
		got, err := Find(tt.name)
		if err != nil || got != tt.want {
			t.Errorf("Find(%s) = %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
	if got, err := Find("sibling-test-nowhere"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Find(nowhere) = %q, %v; want ErrNotFound", got, err)
	}
}
