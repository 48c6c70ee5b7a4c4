package containers

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/containerd/containerd/errdefs"
	"github.com/containerd/containerd/images"
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
		waitFirst200(b, m.Handler(name, "fn"), start)
		b.StopTimer()
		if err := m.Remove(ctx, name, "fn"); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// BenchmarkDeployColdFirst200 is BenchmarkDeployFirst200 with the image
// deleted from containerd (and garbage collected) before each deploy, so
// every iteration pulls and unpacks it from the loopback registry.
func BenchmarkDeployColdFirst200(b *testing.B) {
	h := requireHarness(b)
	m := newTestManager(b, WithStopTimeout(time.Second))
	ctx := context.Background()
	ref, err := normalizeRef(h.images[imgEcho])
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if err := m.client.ImageService().Delete(m.ctx(ctx), ref, images.SynchronousDelete()); err != nil && !errdefs.IsNotFound(err) {
			b.Fatal(err)
		}
		name := fmt.Sprintf("cold%d", i)
		b.StartTimer()
		start := time.Now()
		if err := m.Apply(ctx, Spec{Name: name, Namespace: "fn", Image: ref}, 1); err != nil {
			b.Fatal(err)
		}
		waitFirst200(b, m.Handler(name, "fn"), start)
		b.StopTimer()
		if err := m.Remove(ctx, name, "fn"); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// BenchmarkScaleFromZero measures Scale 0→1 of a deployed function until
// the first 200 (image in containerd's store, no registry access).
func BenchmarkScaleFromZero(b *testing.B) {
	h := requireHarness(b)
	m := newTestManager(b, WithStopTimeout(time.Second))
	ctx := context.Background()
	if err := m.Apply(ctx, Spec{Name: "zero", Namespace: "fn", Image: h.images[imgEcho]}, 0); err != nil {
		b.Fatal(err)
	}
	hd := m.Handler("zero", "fn")
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if err := m.Scale(ctx, "zero", "fn", 1); err != nil {
			b.Fatal(err)
		}
		waitFirst200(b, hd, start)
		b.StopTimer()
		if err := m.Scale(ctx, "zero", "fn", 0); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// waitFirst200 calls h until it answers 200.
func waitFirst200(b *testing.B, h http.Handler, start time.Time) {
	b.Helper()
	for {
		if code, _ := call(h, "POST", "/", "x"); code == 200 {
			return
		}
		if time.Since(start) > 30*time.Second {
			b.Fatal("no 200 within 30s")
		}
		time.Sleep(2 * time.Millisecond)
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
