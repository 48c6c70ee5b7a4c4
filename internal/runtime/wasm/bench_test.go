package wasm

import (
	"bytes"
	"context"
	"crypto/aes"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"sort"
	"syscall"
	"testing"
	"time"
)

// nativeEcho does in plain Go what the guest's echo does: parse the query,
// write the header block and the body, parse that as a CGI response.
func nativeEcho(req *Request) *Response {
	q, _ := url.ParseQuery(req.RawQuery)
	var w bytes.Buffer
	fmt.Fprintf(&w, "Content-Type: application/octet-stream\nX-Path: %s\nX-Method: %s\nX-Query: %s\nX-Do: %s\n\n",
		req.Path, req.Method, req.RawQuery, q.Get("do"))
	w.Write(req.Body)
	resp, _ := ParseCGIResponse(w.Bytes(), "text/plain")
	return resp
}

// nativeAES is the guest's AES loop in plain Go.
func nativeAES(n int) string {
	c, _ := aes.NewCipher([]byte("0123456789abcdef"))
	block := make([]byte, 16)
	for i := 0; i < n; i++ {
		c.Encrypt(block, block)
	}
	return hex.EncodeToString(block)
}

// nativeNS measures fn's median cost in ns over a fixed number of runs.
func nativeNS(fn func()) float64 {
	const runs = 2001
	for range 100 {
		fn()
	}
	lat := make([]time.Duration, runs)
	for i := range lat {
		start := time.Now()
		fn()
		lat[i] = time.Since(start)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return float64(lat[runs/2].Nanoseconds())
}

// cpuTime is the process's user+system CPU time: per-op CPU cost is less
// disturbed than wall time when other processes load the machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchInvoke invokes f b.N times and reports p50/p99 latency, CPU time per
// call and the ratio of the p50 to native's (native: median ns per call of
// the same work in plain Go, measured in the same run).
func benchInvoke(b *testing.B, f *Function, req *Request, native float64) {
	ctx := context.Background()
	if _, err := f.Invoke(ctx, req); err != nil {
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, b.N)
	cpu0 := cpuTime()
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if _, err := f.Invoke(ctx, req); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/1e3/float64(b.N), "cpu-µs/op")
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p50 := float64(lat[len(lat)/2].Nanoseconds())
	b.ReportMetric(p50/1e3, "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1e3, "p99-µs")
	b.ReportMetric(p50/native, "x-native-p50")
}

type benchCase struct {
	name  string
	guest func(testing.TB) []byte
	mode  Mode
}

func benchCases() []benchCase {
	return []benchCase{
		{"go-command-fresh", func(testing.TB) []byte { return cmdGuest }, ModeFresh},
		{"go-reactor-fresh", func(testing.TB) []byte { return reactorGuest }, ModeFresh},
		{"go-snapshot-fresh", snapshotGuestT, ModeFresh},
		{"go-snapshot-warm", snapshotGuestT, ModeWarm},
		{"go-reactor-warm", func(testing.TB) []byte { return reactorGuest }, ModeWarm},
		{"c-command-fresh", func(testing.TB) []byte { return cGuest }, ModeFresh},
		{"rust-command-fresh", rustGuestT, ModeFresh},
		// rustc's own default stack, against the builder's smaller one
		// (rustflags.DefaultStackSize).
		{"rust-command-fresh-stack1m", func(t testing.TB) []byte { return rustGuestStackT(t, 1<<20) }, ModeFresh},
	}
}

// BenchmarkInstance is the per-request cost of a trivial echo in each
// instance mode, in-process (no HTTP), one call at a time.
func BenchmarkInstance(b *testing.B) {
	req := &Request{Method: "POST", Path: "/echo", RawQuery: "do=echo", Body: []byte("hello, world")}
	native := nativeNS(func() { nativeEcho(req) })
	b.Logf("native echo p50: %.0f ns", native)
	for _, c := range benchCases() {
		b.Run(c.name, func(b *testing.B) {
			f := deploy(b, c.guest(b), Config{Mode: c.mode, MaxConcurrency: 1})
			benchInvoke(b, f, req, native)
		})
	}
}

// BenchmarkAES is a CPU-bound guest: 20,000 AES-128 block encryptions.
func BenchmarkAES(b *testing.B) {
	const n = 20000
	req := &Request{Method: "GET", Path: "/", RawQuery: fmt.Sprintf("do=aes&n=%d", n)}
	want := nativeAES(n)
	native := nativeNS(func() { nativeAES(n) })
	b.Logf("native AES loop p50: %.0f ns", native)
	for _, c := range []benchCase{
		{"go-command-fresh", func(testing.TB) []byte { return cmdGuest }, ModeFresh},
		{"go-snapshot-fresh", snapshotGuestT, ModeFresh},
		{"go-snapshot-warm", snapshotGuestT, ModeWarm},
	} {
		b.Run(c.name, func(b *testing.B) {
			f := deploy(b, c.guest(b), Config{Mode: c.mode, MaxConcurrency: 1})
			resp, err := f.Invoke(context.Background(), req)
			if err != nil || string(resp.Body) != want {
				b.Fatalf("guest AES %q (%v), native %q", resp.Body, err, want)
			}
			benchInvoke(b, f, req, native)
		})
	}
}

// BenchmarkModuleLoad is Compile on a cache hit ("compile": sha256 of the
// module bytes, then the cached .cwasm memory-mapped and inspected) and the
// cache load alone ("deserialize": without hashing the bytes).
func BenchmarkModuleLoad(b *testing.B) {
	for _, c := range []struct {
		name  string
		guest []byte
	}{{"go", cmdGuest}, {"c", cGuest}} {
		e := testEngine(b)
		m, err := e.Compile(context.Background(), c.guest)
		if err != nil {
			b.Fatal(err)
		}
		key := m.Digest()[len("sha256:"):]
		m.Close()
		fi, err := os.Stat(e.cachePath(key))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name+"-compile", func(b *testing.B) {
			b.ReportMetric(float64(fi.Size())/1e6, "cwasm-MB")
			for range b.N {
				m, err := e.Compile(context.Background(), c.guest)
				if err != nil {
					b.Fatal(err)
				}
				m.Close()
			}
		})
		b.Run(c.name+"-deserialize", func(b *testing.B) {
			for range b.N {
				m, err := e.load(key, c.guest, nil)
				if err != nil {
					b.Fatal(err)
				}
				m.Close()
			}
		})
	}
}

// BenchmarkThroughput runs the echo from GOMAXPROCS goroutines at once and
// reports requests per second.
func BenchmarkThroughput(b *testing.B) {
	req := &Request{Method: "POST", Path: "/echo", RawQuery: "do=echo", Body: []byte("hello, world")}
	for _, c := range []benchCase{
		{"go-snapshot-fresh", snapshotGuestT, ModeFresh},
		{"go-snapshot-warm", snapshotGuestT, ModeWarm},
		{"c-command-fresh", func(testing.TB) []byte { return cGuest }, ModeFresh},
		{"rust-command-fresh", rustGuestT, ModeFresh},
		// rustc's own default stack, against the builder's smaller one
		// (rustflags.DefaultStackSize).
		{"rust-command-fresh-stack1m", func(t testing.TB) []byte { return rustGuestStackT(t, 1<<20) }, ModeFresh},
	} {
		b.Run(c.name, func(b *testing.B) {
			f := deploy(b, c.guest(b), Config{Mode: c.mode})
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := f.Invoke(context.Background(), req); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}

// BenchmarkInstanceNoPool is BenchmarkInstance's fresh modes on an engine
// without the pooling allocator, to show what pooling buys.
func BenchmarkInstanceNoPool(b *testing.B) {
	req := &Request{Method: "POST", Path: "/echo", RawQuery: "do=echo", Body: []byte("hello, world")}
	native := nativeNS(func() { nativeEcho(req) })
	e, err := NewEngine(testEngine(b).cacheDir, WithPooling(false))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Close() })
	for _, c := range []benchCase{
		{"go-command-fresh", func(testing.TB) []byte { return cmdGuest }, ModeFresh},
		{"go-snapshot-fresh", snapshotGuestT, ModeFresh},
		{"c-command-fresh", func(testing.TB) []byte { return cGuest }, ModeFresh},
		{"rust-command-fresh", rustGuestT, ModeFresh},
		// rustc's own default stack, against the builder's smaller one
		// (rustflags.DefaultStackSize).
		{"rust-command-fresh-stack1m", func(t testing.TB) []byte { return rustGuestStackT(t, 1<<20) }, ModeFresh},
	} {
		b.Run(c.name, func(b *testing.B) {
			m, err := e.Compile(context.Background(), c.guest(b))
			if err != nil {
				b.Fatal(err)
			}
			f, err := e.NewFunction(m, Config{Name: "nopool", MaxConcurrency: 1})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { f.Close() })
			benchInvoke(b, f, req, native)
		})
	}
}

// BenchmarkAsyncRelease is the fresh snapshot echo with instances released
// in the background (WithAsyncRelease) rather than before Invoke returns.
func BenchmarkAsyncRelease(b *testing.B) {
	req := &Request{Method: "POST", Path: "/echo", RawQuery: "do=echo", Body: []byte("hello, world")}
	native := nativeNS(func() { nativeEcho(req) })
	benchInvoke(b, snapshotOnEngine(b, "async", WithAsyncRelease(true)), req, native)
}

// snapshotOnEngine makes a one-slot function of the snapshot guest on an
// engine of its own, configured by opts, closed when b ends.
func snapshotOnEngine(b *testing.B, name string, opts ...Option) *Function {
	e, err := NewEngine(testEngine(b).cacheDir, opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Close() })
	m, err := e.Compile(context.Background(), snapshotGuestT(b))
	if err != nil {
		b.Fatal(err)
	}
	f, err := e.NewFunction(m, Config{Name: name, MaxConcurrency: 1})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	return f
}

// BenchmarkKeepResident is a fresh snapshot instance per call whose handler
// grows the heap by 2 MiB, as the study's functions do, on engines that keep
// 4 MiB (the default until it was measured) and DefaultKeepResident of each
// pooled memory resident between instances. x-native-p50 compares with the
// same page walk in plain Go.
func BenchmarkKeepResident(b *testing.B) {
	req := &Request{Method: "GET", Path: "/", RawQuery: "do=touch&kb=2048"}
	native := nativeNS(func() { touchPages(2048) })
	for _, keep := range []uint64{4 << 20, DefaultKeepResident} {
		b.Run(fmt.Sprintf("keep-%dMiB", keep>>20), func(b *testing.B) {
			benchInvoke(b, snapshotOnEngine(b, "keep", WithKeepResident(keep)), req, native)
		})
	}
}

// touchPages is the guest's "touch" in plain Go.
func touchPages(kb int) int {
	b := make([]byte, kb<<10)
	sum := 0
	for i := 0; i < len(b); i += 4096 {
		b[i] = byte(i >> 12)
		sum += int(b[i])
	}
	return sum
}
