package runner

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/builder"
	"github.com/faas-wasm/faas-wasm/internal/shim/runspec"
)

// primeModules caches the prime-numbers modules built per shape.
var primeModules sync.Map // builder.Shape -> *primeBuild

type primeBuild struct {
	once sync.Once
	path string
	err  error
}

// primeModule builds the study's prime-numbers function (../../functions)
// in shape, once per test binary: the snapshot shape the stack gives it,
// or the command shape.
func primeModule(b *testing.B, shape builder.Shape) string {
	b.Helper()
	v, _ := primeModules.LoadOrStore(shape, &primeBuild{})
	p := v.(*primeBuild)
	p.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		code, built, err := builder.New().Wasm(ctx, "../../..", "./functions/go/prime-numbers", shape)
		if err != nil {
			p.err = err
			return
		}
		if built != shape {
			p.err = fmt.Errorf("built shape %s, want %s", built, shape)
			return
		}
		dir, err := os.MkdirTemp("", "fwrunner-bench")
		if err != nil {
			p.err = err
			return
		}
		p.path = filepath.Join(dir, "prime-numbers-"+string(shape)+".wasm")
		p.err = os.WriteFile(p.path, code, 0o600)
	})
	if p.err != nil {
		b.Fatalf("build prime-numbers (%s): %v", shape, p.err)
	}
	return p.path
}

// cpuTime is this process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRunnerInvoke serves prime-numbers over loopback HTTP from a
// Runner and drives it with 4 keep-alive clients, like the benchmark's
// max-throughput phase. It reports requests per second and the process's
// CPU per request (runner and clients together: compare the sub-benchmarks,
// not the absolute value).
//
// With the study's input (?n=100): "keep-4MiB" is the runner with 4 MiB
// kept resident, the engine's default before it was measured; "runner" is
// the runner as configured by New. With TestKubernetesLoad's input
// (?n=1000) and a 128Mi pod's memory limit: "command-128Mi" is the command
// shape (what that test deployed until it built snapshots: the Go runtime
// starts on every call), "snapshot-128Mi" the snapshot the stack declares.
//
//	go test -run '^$' -bench RunnerInvoke -benchtime 3000x ./internal/shim/runner/
func BenchmarkRunnerInvoke(b *testing.B) {
	for _, bc := range []struct {
		name  string
		shape builder.Shape
		limit int64 // runspec.Config.MemoryLimit: what the shim derives from a 128Mi pod
		query string
		opts  []Option
	}{
		{"keep-4MiB", builder.ShapeSnapshot, 0, "n=100", []Option{WithKeepResident(4 << 20)}},
		{"runner", builder.ShapeSnapshot, 0, "n=100", nil},
		{"command-128Mi", builder.ShapeCommand, 96 << 20, "n=1000", nil},
		{"snapshot-128Mi", builder.ShapeSnapshot, 96 << 20, "n=1000", nil},
	} {
		b.Run(bc.name, func(b *testing.B) {
			module := primeModule(b, bc.shape)
			opts := append([]Option{WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}, bc.opts...)
			r, err := New(context.Background(), runspec.Config{Name: "prime-numbers", ModulePath: module, CacheDir: cacheDir(), MemoryLimit: bc.limit}, opts...)
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
			url := "http://" + l.Addr().String() + "/?" + bc.query
			const workers = 4
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
			b.Cleanup(client.CloseIdleConnections)
			if err := drive(client, url, 20, 1); err != nil { // every slot instantiated once
				b.Fatal(err)
			}
			measureDrive(b, client, url, workers, cpuTime, "cpu-µs/req")
		})
	}
}

// BenchmarkCallAfterRelease serves prime-numbers (snapshot, ?n=1000, as
// TestKubernetesDensity calls it) from a Runner and times one call per
// round over a kept-alive connection: "kept" after the previous call left
// its pages resident, "released" after the runner gave its idle memory
// back (Runner.releaseIdle). It reports the median wall time and the
// process's CPU time per call: what the first call after an idle period
// pays for the release.
//
//	go test -run '^$' -bench CallAfterRelease -benchtime 50x ./internal/shim/runner/
func BenchmarkCallAfterRelease(b *testing.B) {
	module := primeModule(b, builder.ShapeSnapshot)
	for _, release := range []bool{false, true} {
		name := "kept"
		if release {
			name = "released"
		}
		b.Run(name, func(b *testing.B) {
			r, err := New(context.Background(), runspec.Config{Name: "prime-numbers", ModulePath: module, CacheDir: cacheDir(), IdleRelease: -1},
				WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { r.Close() })
			srv := httptest.NewServer(r.Handler())
			b.Cleanup(srv.Close)
			client, url := srv.Client(), srv.URL+"/?n=1000"
			call := func() {
				if err := get(client, url); err != nil {
					b.Fatal(err)
				}
			}
			call()
			var wall, cpu, flt []float64
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				if release {
					r.releaseIdle()
				}
				b.StartTimer()
				var ru0, ru1 syscall.Rusage
				syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
				c0, t0 := cpuTime(), time.Now()
				call()
				syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
				flt = append(flt, float64(ru1.Minflt-ru0.Minflt))
				wall = append(wall, float64(time.Since(t0).Microseconds()))
				cpu = append(cpu, float64((cpuTime() - c0).Microseconds()))
			}
			b.ReportMetric(medianOf(wall), "µs-median")
			b.ReportMetric(medianOf(cpu), "cpu-µs-median")
			b.ReportMetric(medianOf(flt), "faults")
		})
	}
}

func medianOf(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
