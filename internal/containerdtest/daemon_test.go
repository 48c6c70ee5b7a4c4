package containerdtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/containerd/containerd"
	"github.com/containerd/containerd/namespaces"

	"github.com/faas-wasm/faas-wasm/internal/testenv"
)

func TestNewUnavailable(t *testing.T) {
	for _, required := range []string{"no-such-program-fwtest", "/no/such/file-fwtest"} {
		t.Run(required, func(t *testing.T) {
			d, err := New("fwcdt", WithRequired(required))
			if !errors.Is(err, ErrUnavailable) {
				if d != nil {
					d.Close()
				}
				t.Fatalf("New with %s missing = %v, want ErrUnavailable", required, err)
			}
		})
	}
}

// A private daemon answers, stops (its socket then refuses), starts again
// on the same state, and Close deletes its dir.
func TestDaemonStopStartClose(t *testing.T) {
	d, err := New("fwcdt")
	if errors.Is(err, ErrUnavailable) {
		testenv.Missing(t, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			d.Close()
		}
	})
	version := func() error {
		c, err := d.Client(containerd.WithTimeout(time.Second))
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Version(context.Background())
		return err
	}
	if err := version(); err != nil {
		t.Fatalf("fresh daemon: %v", err)
	}
	c, err := d.Client()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.NamespaceService().Create(namespaces.WithNamespace(context.Background(), "fwcdt-kept"), "fwcdt-kept", nil); err != nil {
		t.Fatal(err)
	}
	c.Close()

	d.Stop()
	if _, err := net.Dial("unix", d.Socket()); err == nil {
		t.Fatal("socket still accepts after Stop")
	}
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	c, err = d.Client()
	if err != nil {
		t.Fatal(err)
	}
	nss, err := c.NamespaceService().List(context.Background())
	c.Close()
	if err != nil || len(nss) != 1 || nss[0] != "fwcdt-kept" {
		t.Fatalf("namespaces after restart = %v %v, want [fwcdt-kept]", nss, err)
	}

	d.Close()
	closed = true
	if _, err := os.Stat(d.Dir()); !os.IsNotExist(err) {
		t.Fatalf("dir after Close: %v", err)
	}
}

// reapStale deletes the dir of a run whose daemon is gone, and leaves a
// young one (a run that may be starting its daemon).
func TestReapStale(t *testing.T) {
	prefix := fmt.Sprintf("fwcdtstale%d-", os.Getpid())
	mk := func(age time.Duration) string {
		dir, err := os.MkdirTemp("", prefix)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		cfg := filepath.Join(dir, "config.toml")
		if err := os.WriteFile(cfg, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(-age)
		if err := os.Chtimes(cfg, old, old); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	stale, young := mk(time.Hour), mk(0)
	reapStale(prefix)
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale dir kept: %v", err)
	}
	if _, err := os.Stat(young); err != nil {
		t.Errorf("young dir removed: %v", err)
	}
}

func TestFreeSubnet(t *testing.T) {
	seen := map[string]bool{}
	for range 3 {
		s, err := FreeSubnet()
		if err != nil {
			t.Fatal(err)
		}
		_, subnet, err := net.ParseCIDR(s)
		if err != nil {
			t.Fatalf("FreeSubnet = %q: %v", s, err)
		}
		if ones, _ := subnet.Mask.Size(); ones != 24 || hostUses(subnet) {
			t.Fatalf("FreeSubnet = %s: not a free /24", s)
		}
		if seen[s] {
			t.Fatalf("FreeSubnet gave %s twice", s)
		}
		seen[s] = true
	}
}

// Shared starts once however many tests ask, skips on ErrUnavailable
// (fails under CI=true), fails on other errors, and Close stops only what
// started.
func TestShared(t *testing.T) {
	tests := []struct {
		name      string
		ci        string
		err       error
		wantSkip  bool
		wantFail  bool
		wantStops int
	}{
		{"started", "", nil, false, false, 1},
		{"unavailable", "", fmt.Errorf("%w: not here", ErrUnavailable), true, false, 0},
		{"unavailable under CI", "true", fmt.Errorf("%w: not here", ErrUnavailable), false, true, 0},
		{"broken", "", errors.New("boom"), false, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			starts, stops := 0, 0
			s := NewShared(func() (int, error) { starts++; return 7, tt.err }, func(int) { stops++ })
			for range 2 {
				var got int
				skipped, failed := outcome(t, func(tb testing.TB) { got = s.Get(tb) })
				if skipped != tt.wantSkip || failed != tt.wantFail || (tt.err == nil && got != 7) {
					t.Fatalf("Get = %d, skipped %v failed %v", got, skipped, failed)
				}
			}
			s.Close()
			s.Close()
			if starts != 1 || stops != tt.wantStops {
				t.Fatalf("%d starts, %d stops; want 1, %d", starts, stops, tt.wantStops)
			}
		})
	}
}

// outcomeTB records a Skip or Fatal instead of ending the test.
type outcomeTB struct {
	testing.TB
	skipped, failed bool
}

func (o *outcomeTB) Helper()               { /* nothing to mark */ }
func (o *outcomeTB) Skip(...any)           { o.skipped = true; panic(o) }
func (o *outcomeTB) Fatalf(string, ...any) { o.failed = true; panic(o) }

// outcome runs f with an outcomeTB and reports whether it skipped or failed.
func outcome(t *testing.T, f func(tb testing.TB)) (skipped, failed bool) {
	o := &outcomeTB{TB: t}
	func() {
		defer func() {
			if p := recover(); p != nil && p != o {
				panic(p)
			}
		}()
		f(o)
	}()
	return o.skipped, o.failed
}
