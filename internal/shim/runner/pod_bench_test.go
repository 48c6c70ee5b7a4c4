package runner

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/builder"
	"github.com/faas-wasm/faas-wasm/internal/shim/runspec"
)

// BenchmarkPodServers compares, on loopback, the two servers that the pods
// of each of TestKubernetesLoad's pairs run: faaswasm-runner serving the
// Wasm function of stack.yml (a fresh instance per call, under a 128Mi
// pod's linear-memory limit) and the binary of its container twin (its own
// HTTP server). The go pair is prime-numbers-wasm (a Go snapshot) against
// prime-numbers, the rust pair prime-numbers-rs-wasm against
// prime-numbers-rs; go-warm serves the same Go snapshot in warm mode (one
// instance per slot, reused: no per-request isolation, as in its
// container), and rust-warm the same Rust function built as a reactor (its
// library), in warm mode. Each server runs as its own process and gets 25
// keep-alive clients, one replica's share of that test's c=50. It reports
// each server process's CPU per request: on a node whose cores are all
// busy, that is what sets the test's Wasm/container throughput ratio (the
// provider's share of a call is the same for both). Compare the two
// server-cpu-µs/req figures of one pair in one run; measured figures and
// where the runner's time goes: docs/benchmarks/README.md.
//
//	go test -run '^$' -bench PodServers -benchtime 5000x ./internal/shim/runner/
func BenchmarkPodServers(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	root, err := filepath.Abs("../../..")
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	stack, err := builder.LoadStack(filepath.Join(root, "stack.yml"))
	if err != nil {
		b.Fatal(err)
	}
	runnerBin := filepath.Join(dir, "faaswasm-runner")
	build := exec.CommandContext(ctx, "go", "build", "-o", runnerBin, "./cmd/faaswasm-runner")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("build faaswasm-runner: %v\n%s", err, out)
	}
	bld := builder.New(builder.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	for _, pair := range []struct {
		lang, wasm, container string
		warm                  bool          // served in warm mode
		shape                 builder.Shape // built in this shape instead of the entry's
	}{
		{"go", "prime-numbers-wasm", "prime-numbers", false, ""},
		{"go-warm", "prime-numbers-wasm", "prime-numbers", true, ""},
		{"rust", "prime-numbers-rs-wasm", "prime-numbers-rs", false, ""},
		{"rust-warm", "prime-numbers-rs-wasm", "prime-numbers-rs", true, builder.ShapeReactor},
	} {
		b.Run(pair.lang, func(b *testing.B) {
			raw := map[string][]byte{}
			for _, name := range []string{pair.container, pair.wasm} {
				f := stack.Functions[name]
				if pair.shape != "" && name == pair.wasm {
					f = f.WithAnnotation(builder.ShapeAnnotation, string(pair.shape))
				}
				a, err := bld.Build(ctx, root, name, f)
				if err != nil {
					b.Fatal(err)
				}
				raw[name] = a.Raw
			}
			native := filepath.Join(dir, pair.container)
			if err := os.WriteFile(native, raw[pair.container], 0o755); err != nil {
				b.Fatal(err)
			}
			module := filepath.Join(dir, pair.wasm+".wasm")
			if err := os.WriteFile(module, raw[pair.wasm], 0o644); err != nil {
				b.Fatal(err)
			}
			benchPodPair(ctx, b, runnerBin, native, runspec.Config{Name: pair.wasm, ModulePath: module,
				CacheDir: cacheDir(), MemoryLimit: 96 << 20, Warm: pair.warm})
		})
	}
}

// benchPodPair starts the container binary native and faaswasm-runner at
// runnerBin with cfg (its Addr set here), each on a free loopback port, and
// drives each in turn.
func benchPodPair(ctx context.Context, b *testing.B, runnerBin, native string, cfg runspec.Config) {
	nativeAddr := freeAddr(b)
	cfg.Addr = freeAddr(b)
	cfgPath := filepath.Join(b.TempDir(), "runner.json")
	if err := runspec.WriteConfig(cfgPath, cfg); err != nil {
		b.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(nativeAddr)
	servers := []struct {
		name, addr string
		cmd        *exec.Cmd
	}{
		{"container", nativeAddr, exec.Command(native)},
		{"wasm-runner", cfg.Addr, exec.Command(runnerBin, "-config", cfgPath)},
	}
	servers[0].cmd.Env = []string{"PORT=" + port}
	for _, s := range servers {
		s.cmd.Stderr = io.Discard
		if err := s.cmd.Start(); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() {
			s.cmd.Process.Kill()
			s.cmd.Wait()
		})
	}
	for _, s := range servers {
		url := "http://" + s.addr + "/?n=1000"
		b.Run(s.name, func(b *testing.B) {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: podClients}, Timeout: 10 * time.Second}
			b.Cleanup(client.CloseIdleConnections)
			if err := waitServing(ctx, client, url); err != nil {
				b.Fatalf("%s: %v", s.name, err)
			}
			if err := drive(client, url, 500, podClients); err != nil { // connections open, every slot used
				b.Fatal(err)
			}
			measureDrive(b, client, url, podClients, func() time.Duration { return processCPU(b, s.cmd.Process.Pid) }, "server-cpu-µs/req")
		})
	}
}

// podClients is one replica's share of TestKubernetesLoad's concurrency.
const podClients = 25

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr(b *testing.B) string {
	b.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitServing polls url until it answers 200, for up to a minute.
func waitServing(ctx context.Context, client *http.Client, url string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		err := get(client, url)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not serving %s: %w", url, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// drive sends n GETs of url from as many keep-alive clients as workers.
func drive(client *http.Client, url string, n, workers int) error {
	work := make(chan struct{}, n)
	for range n {
		work <- struct{}{}
	}
	close(work)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range work {
				if err := get(client, url); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// measureDrive times b.N GETs of url from workers clients (drive) and
// reports requests per second and cpu's growth per request as unit.
func measureDrive(b *testing.B, client *http.Client, url string, workers int, cpu func() time.Duration, unit string) {
	cpu0, start := cpu(), time.Now()
	b.ResetTimer()
	err := drive(client, url, b.N, workers)
	b.StopTimer()
	elapsed, used := time.Since(start), cpu()-cpu0
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(used.Microseconds())/float64(b.N), unit)
}

// callSeq numbers the calls that get sends.
var callSeq atomic.Uint64

// get sends one GET of url with the headers the provider's proxy adds to
// every call it forwards to a pod (a call ID, the start time and
// X-Forwarded-*: packages handlers and proxy) and reads the whole answer,
// which must be a 200.
func get(client *http.Client, url string) error {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	n := callSeq.Add(1)
	req.Header.Set("X-Call-Id", fmt.Sprintf("%036d", n)) // as long as the proxy's UUIDs
	req.Header.Set("X-Start-Time", strconv.FormatInt(time.Now().UnixNano(), 10))
	req.Header.Set("X-Forwarded-For", "10.88.0.1")
	req.Header.Set("X-Forwarded-Host", "127.0.0.1:8080")
	req.Header.Set("X-Forwarded-Proto", "http")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
	}
	return nil
}

// processCPU is the user+system CPU time of process pid so far, from
// /proc/PID/stat (clock ticks of 10 ms).
func processCPU(b *testing.B, pid int) time.Duration {
	b.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		b.Fatalf("parse /proc/%d/stat: %q", pid, data)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond
}
