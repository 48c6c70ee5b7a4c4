package runner

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/builder"
	"github.com/faas-wasm/faas-wasm/internal/builder/snapshot"
	"github.com/faas-wasm/faas-wasm/internal/shim/runspec"
)

var prime struct {
	once sync.Once
	path string
	err  error
}

// primeModule builds the study's prime-numbers function (../../functions)
// in the snapshot shape the stack gives it, once per test binary.
func primeModule(b *testing.B) string {
	b.Helper()
	prime.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if _, err := snapshot.Install(ctx); err != nil {
			prime.err = err
			return
		}
		bld := builder.New(builder.WithWizer(func(ctx context.Context, m []byte) ([]byte, error) {
			return snapshot.Wizen(ctx, m)
		}))
		code, shape, err := bld.Wasm(ctx, "../../..", "./functions/go/prime-numbers", builder.ShapeSnapshot)
		if err != nil {
			prime.err = err
			return
		}
		if shape != builder.ShapeSnapshot {
			prime.err = fmt.Errorf("built shape %s, want snapshot", shape)
			return
		}
		dir, err := os.MkdirTemp("", "fwrunner-bench")
		if err != nil {
			prime.err = err
			return
		}
		prime.path = filepath.Join(dir, "prime-numbers.wasm")
		prime.err = os.WriteFile(prime.path, code, 0o600)
	})
	if prime.err != nil {
		b.Fatalf("build prime-numbers: %v", prime.err)
	}
	return prime.path
}

// cpuTime is this process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRunnerInvoke serves prime-numbers (?n=100, the study's input)
// over loopback HTTP from a Runner and drives it with 4 keep-alive clients,
// like the benchmark's max-throughput phase. It reports requests per second
// and the process's CPU per request (runner and clients together: compare
// the sub-benchmarks, not the absolute value). "keep-4MiB" is the
// runner with 4 MiB kept resident, the engine's default before it was
// measured; "runner" is the runner as configured by New.
//
//	go test -run '^$' -bench RunnerInvoke -benchtime 5000x ./shim/runner/
func BenchmarkRunnerInvoke(b *testing.B) {
	module := primeModule(b)
	for _, bc := range []struct {
		name string
		opts []Option
	}{
		{"keep-4MiB", []Option{WithKeepResident(4 << 20)}},
		{"runner", nil},
	} {
		b.Run(bc.name, func(b *testing.B) {
			opts := append([]Option{WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}, bc.opts...)
			r, err := New(context.Background(), runspec.Config{Name: "prime-numbers", ModulePath: module, CacheDir: cacheDir()}, opts...)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { r.Close() })
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			b.Cleanup(cancel)
			go r.Serve(ctx, l, time.Second)
			url := "http://" + l.Addr().String() + "/?n=100"
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
			b.Cleanup(client.CloseIdleConnections)
			get := func() error {
				resp, err := client.Get(url)
				if err != nil {
					return err
				}
				defer resp.Body.Close()
				if _, err := io.Copy(io.Discard, resp.Body); err != nil {
					return err
				}
				if resp.StatusCode != http.StatusOK {
					return fmt.Errorf("status %d", resp.StatusCode)
				}
				return nil
			}
			for range 20 { // every slot instantiated once
				if err := get(); err != nil {
					b.Fatal(err)
				}
			}
			const workers = 4
			work := make(chan struct{}, b.N)
			for range b.N {
				work <- struct{}{}
			}
			close(work)
			errs := make(chan error, workers)
			cpu0, start := cpuTime(), time.Now()
			b.ResetTimer()
			var wg sync.WaitGroup
			for range workers {
				wg.Go(func() {
					for range work {
						if err := get(); err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			elapsed, cpu := time.Since(start), cpuTime()-cpu0
			close(errs)
			if err := <-errs; err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/req")
		})
	}
}
