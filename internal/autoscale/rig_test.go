package autoscale_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/autoscale"
	"github.com/faas-wasm/faas-wasm/internal/backend/local"
	"github.com/faas-wasm/faas-wasm/internal/handlers"
	"github.com/faas-wasm/faas-wasm/internal/metrics"
	"github.com/faas-wasm/faas-wasm/internal/runtime/wasm"
	"github.com/faas-wasm/faas-wasm/provider"
)

// Settings of the load test: a short autoscaler interval and cool-down so
// the whole cycle fits in seconds.
const (
	rigInterval = 100 * time.Millisecond
	rigCooldown = 2 * time.Second
	rigMax      = 4
	rigWorkers  = 12
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// buildGuest compiles ./testdata/<dir> with the given environment into dst.
func buildGuest(t *testing.T, dir, dst string, env ...string) []byte {
	t.Helper()
	cmd := exec.Command("go", "build", "-o", dst, "./testdata/"+dir)
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build testdata/%s: %v\n%s", dir, err, out)
	}
	data, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// rig is the provider as serve() assembles it: a real local backend under
// metrics, the autoscaler, and the router on a loopback server.
type rig struct {
	b   *local.Host
	mb  *metrics.Instrumented
	m   *metrics.Metrics
	url string
}

// newEngine makes a Wasm engine observed by m, caching under dir; it is
// closed at cleanup, after the rigs made later in the same test.
func newEngine(t *testing.T, dir string, m *metrics.Metrics) *wasm.Engine {
	t.Helper()
	engine, err := wasm.NewEngine(filepath.Join(dir, "cache"), wasm.WithLogger(quiet()), wasm.WithObserver(m))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { engine.Close() })
	return engine
}

func newRig(t *testing.T, engine *wasm.Engine, m *metrics.Metrics, opts ...local.Option) *rig {
	t.Helper()
	ctx := context.Background()
	opts = append([]local.Option{local.WithLogger(quiet()), local.WithMaxReplicas(rigMax),
		local.WithReplicaConcurrency(2)}, opts...)
	b, err := local.New(ctx, t.TempDir(), engine, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close(context.Background()) })
	mb := m.Wrap(b, quiet())
	as, err := autoscale.New(mb, m, autoscale.WithInterval(rigInterval), autoscale.WithCooldown(rigCooldown),
		autoscale.WithMaxReplicas(rigMax), autoscale.WithLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}
	actx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); as.Run(actx) }()
	t.Cleanup(func() { cancel(); <-done })
	srv := httptest.NewServer(handlers.NewRouter(mb, handlers.Config{Observer: m, Metrics: m.Handler(), Logger: quiet()}))
	t.Cleanup(srv.Close)
	return &rig{b: b, mb: mb, m: m, url: srv.URL}
}

func (r *rig) status(t *testing.T, name string) provider.FunctionStatus {
	t.Helper()
	st, err := r.mb.Function(context.Background(), name, "")
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// waitFor polls cond every 10 ms until it holds and returns how long that
// took, or fails the test after limit.
func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %s", what, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}

// call invokes a function once through the router and returns the status.
func (r *rig) call(t *testing.T, name string) int {
	t.Helper()
	resp, err := http.Post(r.url+"/function/"+name, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// load runs rigWorkers clients calling name in a loop until stop is
// closed; it returns how many calls answered 200 and how many did not.
func (r *rig) load(name string, stop <-chan struct{}) (ok, failed *atomic.Int64, wait func()) {
	ok, failed = &atomic.Int64{}, &atomic.Int64{}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: rigWorkers}, Timeout: 30 * time.Second}
	var wg sync.WaitGroup
	for range rigWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := client.Post(r.url+"/function/"+name, "text/plain", nil)
				if err != nil {
					failed.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					ok.Add(1)
				} else {
					failed.Add(1)
				}
			}
		}()
	}
	return ok, failed, func() { wg.Wait(); client.CloseIdleConnections() }
}

// freeSubnet returns a /24 under 10.0.0.0/8 that no local interface uses.
func freeSubnet(t *testing.T) string {
	t.Helper()
	addrs, _ := net.InterfaceAddrs()
	for i := range 250 {
		s := fmt.Sprintf("10.%d.%d.0/24", 100+(os.Getpid()+i)%90, (os.Getpid()/7+i)%250)
		_, subnet, _ := net.ParseCIDR(s)
		used := false
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && (subnet.Contains(ipn.IP) || ipn.Contains(subnet.IP)) {
				used = true
			}
		}
		if !used {
			return s
		}
	}
	t.Fatal("no free /24 for the test network")
	return ""
}

// tempDir is a directory removed at cleanup, for files built once per test.
func tempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "autoscale-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Clean(dir)
}
