package filelock

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/leaktest"
)

func TestMain(m *testing.M) { leaktest.Main(m) }

// acquired reports whether lock is granted within d. The lock is released
// as soon as it is granted; a lock not granted in time is waited for at the
// test's end.
func acquired(t *testing.T, lock func() (func(), error), d time.Duration) bool {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		unlock, err := lock()
		if err != nil {
			t.Error(err)
			return
		}
		unlock()
	}()
	select {
	case <-done:
		return true
	case <-time.After(d):
		t.Cleanup(func() { <-done })
		return false
	}
}

func TestSharedAndExclusive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l")
	bg := context.Background()
	shared, err := Shared(bg, path)
	if err != nil {
		t.Fatal(err)
	}
	if !acquired(t, func() (func(), error) { return Shared(bg, path) }, 5*time.Second) {
		t.Fatal("a second shared lock waited for the first")
	}
	if acquired(t, func() (func(), error) { return Exclusive(bg, path) }, 200*time.Millisecond) {
		t.Fatal("an exclusive lock was granted while a shared one was held")
	}
	shared()
	exclusive, err := Exclusive(bg, path)
	if err != nil {
		t.Fatal(err)
	}
	if acquired(t, func() (func(), error) { return Shared(bg, path) }, 200*time.Millisecond) {
		t.Fatal("a shared lock was granted while an exclusive one was held")
	}
	exclusive()
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the lock file of Exclusive was removed: %v", err)
	}
}

// TestWaitEndsWithContext: a locker waiting for a held lock gives up when
// its context ends, with an error naming the lock (the shim's wait for
// another shim's compile of the same module).
func TestWaitEndsWithContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.lock")
	for name, lock := range map[string]func(context.Context, string) (func(), error){"Exclusive": Exclusive, "Transient": Transient} {
		unlock, err := lock(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		_, err = lock(ctx, path)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "m.lock") {
			t.Errorf("%s of a held lock = %v, want a context error naming the lock", name, err)
		}
		unlock()
		again, err := lock(context.Background(), path)
		if err != nil {
			t.Fatalf("%s after unlock: %v", name, err)
		}
		again()
		os.Remove(path)
	}
}

// TestTransient: holders of a transient lock exclude each other while its
// file is removed and created again between them, and no file is left.
func TestTransient(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ".key.lock")
	var inside, most, turns atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				unlock, err := Transient(context.Background(), path)
				if err != nil {
					t.Error(err)
					return
				}
				n := inside.Add(1)
				if n > most.Load() {
					most.Store(n)
				}
				if _, err := os.Stat(path); err != nil {
					t.Errorf("lock file missing while held: %v", err)
				}
				time.Sleep(50 * time.Microsecond)
				inside.Add(-1)
				turns.Add(1)
				unlock()
			}
		})
	}
	wg.Wait()
	if most.Load() != 1 || turns.Load() != 400 {
		t.Errorf("%d holders at once at most over %d turns, want 1 over 400", most.Load(), turns.Load())
	}
	if des, err := os.ReadDir(dir); err != nil || len(des) != 0 {
		t.Errorf("left in the directory: %v, %v; want nothing", des, err)
	}
}
