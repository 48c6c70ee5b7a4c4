package diskcache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/filelock"
)

// put writes an entry of size bytes with a 10-byte companion and sets its
// last use to age ago.
func put(t *testing.T, dir, name string, size int, age time.Duration) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, make([]byte, size), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p+".sum", make([]byte, 10), 0o644); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-age)
	if err := os.Chtimes(p, at, time.Now()); err != nil {
		t.Fatal(err)
	}
	return p
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

func TestTrimLeastRecentlyUsed(t *testing.T) {
	dir := t.TempDir()
	oldest := put(t, dir, "a.cwasm", 100, 3*time.Hour)
	kept := put(t, dir, "b.cwasm", 100, 2*time.Hour)
	middle := put(t, dir, "c.cwasm", 100, time.Hour)
	newest := put(t, dir, "d.cwasm", 100, time.Minute)
	other := filepath.Join(dir, "notes.txt")
	tmp := filepath.Join(dir, ".e.cwasm.tmp123")
	for _, p := range []string{other, tmp} {
		if err := os.WriteFile(p, make([]byte, 1000), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "read-only-dir"), 0o555); err != nil {
		t.Fatal(err)
	}
	// 4 entries of 110 bytes; 250 fits two: the oldest goes, the kept one
	// stays although it is older than the middle one, which goes too.
	res, err := Trim(dir, ".cwasm", 250, kept)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Removed) != 2 || res.Removed[0] != oldest || res.Removed[1] != middle || res.Bytes != 220 {
		t.Fatalf("removed %v, %d bytes left; want %s then %s, 220 left", res.Removed, res.Bytes, oldest, middle)
	}
	for p, want := range map[string]bool{oldest: false, oldest + ".sum": false, middle: false, middle + ".sum": false,
		kept: true, kept + ".sum": true, newest: true, newest + ".sum": true, other: true, tmp: true} {
		if exists(p) != want {
			t.Errorf("%s exists = %v, want %v", filepath.Base(p), !want, want)
		}
	}

	// Touch makes an entry the most recent, without changing its mtime.
	before, err := os.Stat(kept)
	if err != nil {
		t.Fatal(err)
	}
	if err := Touch(kept); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(kept)
	if err != nil {
		t.Fatal(err)
	}
	if !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("Touch changed the mtime: %v -> %v", before.ModTime(), after.ModTime())
	}
	if res, err := Trim(dir, ".cwasm", 110); err != nil || len(res.Removed) != 1 || res.Removed[0] != newest {
		t.Fatalf("after Touch(b): removed %v, %v; want d (b now the most recent)", res.Removed, err)
	}
	if err := Touch(filepath.Join(dir, "gone.cwasm")); !os.IsNotExist(err) {
		t.Errorf("Touch of a missing entry: %v, want not-exist", err)
	}
}

func TestTrimNoBound(t *testing.T) {
	dir := t.TempDir()
	p := put(t, dir, "a.cwasm", 1000, time.Hour)
	for _, limit := range []int64{0, -1} {
		if res, err := Trim(dir, ".cwasm", limit); err != nil || len(res.Removed) != 0 || !exists(p) {
			t.Fatalf("limit %d: removed %v, %v", limit, res.Removed, err)
		}
	}
	if res, err := Trim(dir, ".cwasm", 1, p); err != nil || len(res.Removed) != 0 || !exists(p) || res.Bytes != 1010 {
		t.Fatalf("kept entry over the limit: %+v, %v", res, err)
	}
}

func TestTrimWaitsForShared(t *testing.T) {
	dir := t.TempDir()
	put(t, dir, "a.cwasm", 100, time.Hour)
	release, err := Shared(dir)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan Result)
	go func() {
		res, _ := Trim(dir, ".cwasm", 1)
		done <- res
	}()
	select {
	case res := <-done:
		t.Fatalf("Trim ran while Shared was held: %+v", res)
	case <-time.After(200 * time.Millisecond):
	}
	release()
	select {
	case res := <-done:
		if len(res.Removed) != 1 {
			t.Fatalf("removed %v", res.Removed)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Trim did not run after Shared was released")
	}
}

// TestUse: Use marks an entry as used, waits while Trim holds the
// directory, and fails for an entry Trim removed.
func TestUse(t *testing.T) {
	dir := t.TempDir()
	a := put(t, dir, "a.cwasm", 100, time.Hour)
	b := put(t, dir, "b.cwasm", 100, 2*time.Hour)
	unlock, err := lock(dir, filelock.Exclusive) // as Trim holds it
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- Use(dir, b) }()
	select {
	case err := <-done:
		t.Fatalf("Use ran while Trim's lock was held: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	unlock()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// b, the older one, is now the most recently used: a goes.
	if res, err := Trim(dir, ".cwasm", 110); err != nil || len(res.Removed) != 1 || res.Removed[0] != a {
		t.Fatalf("Trim after Use(b): removed %v, %v; want a", res.Removed, err)
	}
	if err := Use(dir, a); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Use of a removed entry: %v, want fs.ErrNotExist", err)
	}
}

// TestLockEntry: the lock of creating an entry is no entry, and leaves no
// file behind.
func TestLockEntry(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	unlock, err := LockEntry(context.Background(), dir, "k.cwasm")
	if err != nil {
		t.Fatal(err)
	}
	put(t, dir, "k.cwasm", 100, 0)
	if res, err := Trim(dir, ".cwasm", 1); err != nil || res.Bytes != 0 {
		t.Fatalf("Trim: %+v, %v", res, err)
	}
	if !exists(filepath.Join(dir, ".k.cwasm.lock")) {
		t.Error("Trim removed the entry's lock file while it was held")
	}
	unlock()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range des {
		if de.Name() != lockName {
			t.Errorf("%s left in the cache directory", de.Name())
		}
	}
}

// TestTrimAcrossProcesses: 4 processes each write 20 entries of 1000 bytes
// into one directory bounded to 5000, trimming after each write (keeping
// the one just written) and reading it back under Shared, as the engine
// does. No process finds its entry gone while it holds Shared after the
// write, and the directory ends within the bound.
func TestTrimAcrossProcesses(t *testing.T) {
	if d := os.Getenv("DISKCACHE_CHILD_DIR"); d != "" {
		child(t, d, os.Getenv("DISKCACHE_CHILD_ID"))
		return
	}
	dir := t.TempDir()
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for i := range 4 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestTrimAcrossProcesses$", "-test.count=1")
		cmd.Env = append(os.Environ(), "DISKCACHE_CHILD_DIR="+dir, "DISKCACHE_CHILD_ID="+strconv.Itoa(i))
		out := &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Errorf("child %d: %v\n%s", i, err, outs[i])
		}
	}
	_, total, err := scan(dir, ".cwasm")
	if err != nil {
		t.Fatal(err)
	}
	if total > 5000 {
		t.Fatalf("%d bytes left, bound 5000", total)
	}
}

func child(t *testing.T, dir, id string) {
	for i := range 20 {
		p := filepath.Join(dir, fmt.Sprintf("%s-%d.cwasm", id, i))
		release, err := Shared(dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, make([]byte, 1000), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := os.ReadFile(p); err != nil {
			t.Fatalf("own entry gone while Shared was held: %v", err)
		}
		release()
		if _, err := Trim(dir, ".cwasm", 5000, p); err != nil {
			t.Fatal(err)
		}
	}
}
