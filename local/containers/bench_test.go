package containers

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkDeployFirst200 measures Apply of a new container function (image
// already in containerd's store, manifest re-resolved on the loopback
// registry) until the first 200 through Handler. Removal is not timed.
func BenchmarkDeployFirst200(b *testing.B) {
	h := requireHarness(b)
	m := newTestManager(b, WithStopTimeout(time.Second))
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		name := fmt.Sprintf("bench%d", i)
		start := time.Now()
		if err := m.Apply(ctx, Spec{Name: name, Namespace: "fn", Image: h.images[imgEcho]}, 1); err != nil {
			b.Fatal(err)
		}
		hd := m.Handler(name, "fn")
		for {
			if code, _ := call(hd, "POST", "/", "x"); code == 200 {
				break
			}
			if time.Since(start) > 30*time.Second {
				b.Fatal("no 200 within 30s")
			}
			time.Sleep(2 * time.Millisecond)
		}
		b.StopTimer()
		if err := m.Remove(ctx, name, "fn"); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// BenchmarkInvokeWarm measures one call through Handler to a ready replica
// of the classic-watchdog echo image (a fork of fntool per request).
func BenchmarkInvokeWarm(b *testing.B) {
	h := requireHarness(b)
	m := newTestManager(b)
	ctx := context.Background()
	if err := m.Apply(ctx, Spec{Name: "warm", Namespace: "fn", Image: h.images[imgEcho]}, 1); err != nil {
		b.Fatal(err)
	}
	waitReady(b, m.Manager, "warm", "fn", 1)
	hd := m.Handler("warm", "fn")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if code, body := call(hd, "POST", "/", "hello"); code != 200 || body != "hello" {
			b.Fatalf("%d %q", code, body)
		}
	}
}
