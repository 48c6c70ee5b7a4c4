package k8s

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	k8stesting "k8s.io/client-go/testing"

	"github.com/faas-wasm/faas-wasm/provider"
)

// invokeResult is what Invoker returned.
type invokeResult struct {
	h   http.Handler
	err error
}

// invokeAsync asks b for function name's handler in the background.
func invokeAsync(ctx context.Context, b *Cluster, name string) <-chan invokeResult {
	got := make(chan invokeResult, 1)
	go func() {
		h, err := b.Invoker(ctx, name, "")
		got <- invokeResult{h, err}
	}()
	return got
}

// TestColdWaitingCallsTakeBudget: calls waiting for their function's
// module to load hold their place in the budget, so beyond it a call is
// left to the pods at once instead of waiting for the load only to be
// refused (429) when it ends; once the load ends the waiting calls are
// served and give their places back. On the old code waiting calls took
// nothing: the third call waited too.
func TestColdWaitingCallsTakeBudget(t *testing.T) {
	_, b, runner := newBlockingRig(t, ColdServe{Concurrency: 2, Memory: 1 << 30, DefaultMemory: 1 << 20})
	deployed(t, b, provider.FunctionDeployment{Service: "echo", Image: "registry.invalid/fn/echo:1"})
	runner.waitStarted(t)

	waiting := []<-chan invokeResult{invokeAsync(t.Context(), b, "echo"), invokeAsync(t.Context(), b, "echo")}
	g := &b.cold.budget
	inflight := func() int {
		g.mu.Lock()
		defer g.mu.Unlock()
		return g.inflight
	}
	eventually(t, "two waiting calls holding the budget", func() bool { return inflight() == 2 })
	start := time.Now()
	if _, err := b.Invoker(t.Context(), "echo", ""); !errors.Is(err, provider.ErrUnavailable) {
		t.Fatalf("third call with two waiting = %v, want ErrUnavailable (left to the pods)", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("third call took %s to be left to the pods, want no wait for the load", d)
	}

	close(runner.release)
	for _, got := range waiting {
		r := <-got
		if r.err != nil {
			t.Fatal(r.err)
		}
		rec := httptest.NewRecorder()
		r.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		if rec.Code != http.StatusTeapot {
			t.Errorf("waiting call: %d %s, want the provider's answer", rec.Code, rec.Body)
		}
	}
	if n := inflight(); n != 0 {
		t.Errorf("%d places still held after both calls", n)
	}
}

// TestColdCallRacingDeleteLoadsNothing: a call that read its function's
// Deployment just before the function was deleted (and forgotten by the
// provider) neither loads the deleted function again nor leaves state
// behind. On the old code loadCold looked the function up again, made a
// new entry and started a load of the deleted function.
func TestColdCallRacingDeleteLoadsNothing(t *testing.T) {
	c, b, runner := newBlockingRig(t, ColdServe{Concurrency: 2, Memory: 1 << 30, DefaultMemory: 1 << 20})
	close(runner.release)
	// Each Deployment gets its UID, as from the API server (the fake
	// tracker leaves it empty).
	var uids atomic.Int32
	c.PrependReactor("create", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		a.(k8stesting.CreateAction).GetObject().(*appsv1.Deployment).UID = types.UID(fmt.Sprint("uid-", uids.Add(1)))
		return false, nil, nil
	})
	deployed(t, b, provider.FunctionDeployment{Service: "echo", Image: "registry.invalid/fn/echo:1"})
	runner.waitStarted(t)
	stale, err := c.AppsV1().Deployments(provider.DefaultNamespace).Get(t.Context(), "echo", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Delete(t.Context(), "echo", ""); err != nil {
		t.Fatal(err)
	}
	key := provider.DefaultNamespace + "/echo"
	eventually(t, "the deleted function forgotten", func() bool {
		b.cold.mu.Lock()
		defer b.cold.mu.Unlock()
		_, ok := b.cold.fns[key]
		return !ok
	})

	if h, _ := b.coldHandler(t.Context(), stale); h != nil {
		t.Errorf("a call of the deleted function got the provider's handler %T", h)
	}
	select {
	case <-runner.started:
		t.Error("a load of the deleted function started")
	case <-time.After(200 * time.Millisecond):
	}
	b.cold.mu.Lock()
	_, kept := b.cold.fns[key]
	b.cold.mu.Unlock()
	if kept {
		t.Error("the deleted function has state in the provider again")
	}
	if g := &b.cold.budget; g.inflight != 0 {
		t.Errorf("%d places of the budget held", g.inflight)
	}

	// Deployed again (a new Deployment): served by the provider again.
	deployed(t, b, provider.FunctionDeployment{Service: "echo", Image: "registry.invalid/fn/echo:1"})
	runner.waitStarted(t)
	eventually(t, "the new function served by the provider", func() bool {
		h, err := handlerOf(b, "echo")
		_, cold := h.(*coldCall)
		return err == nil && cold
	})
}

// TestColdWaitWokenByScale: a call waiting for the module of a function
// at zero replicas, whose EndpointSlice still lists ready endpoints (pods
// shutting down, which do not count at zero), goes to the pods as soon as
// the Deployment asks for replicas again: the Deployment's event wakes it,
// not only an EndpointSlice change.
func TestColdWaitWokenByScale(t *testing.T) {
	c, b, runner := newBlockingRig(t, ColdServe{Concurrency: 2, Memory: 1 << 30, DefaultMemory: 1 << 20})
	deployed(t, b, provider.FunctionDeployment{Service: "echo", Image: "registry.invalid/fn/echo:1"})
	runner.waitStarted(t)
	ip, port := replica(t, "pod1")
	setEndpoints(t, c, "echo", port, map[string]bool{ip: true})
	if err := b.Scale(t.Context(), "echo", "", 0); err != nil {
		t.Fatal(err)
	}
	eventually(t, "no endpoint counted at zero", func() bool { return len(b.endpoints("echo", provider.DefaultNamespace)) == 0 })

	got := invokeAsync(t.Context(), b, "echo")
	select {
	case r := <-got:
		t.Fatalf("Invoker returned (%T, %v) while the module loads and no pod counts", r.h, r.err)
	case <-time.After(100 * time.Millisecond):
	}
	if err := b.Scale(t.Context(), "echo", "", 1); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-got:
		if _, cold := r.h.(*coldCall); r.err != nil || cold {
			t.Fatalf("Invoker = %T, %v; want the pods' proxy", r.h, r.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting call was not woken by the scale to 1")
	}
}

// BenchmarkColdWaitPodReady measures how long a call waiting for its
// function's module takes to go to a pod that became ready: from the
// EndpointSlice update (fake API server, the informer's watch) to
// Invoker's return.
func BenchmarkColdWaitPodReady(b *testing.B) {
	c, be, runner := newBlockingRig(b, ColdServe{Concurrency: 2, Memory: 1 << 30, DefaultMemory: 1 << 20})
	deployed(b, be, provider.FunctionDeployment{Service: "echo", Image: "registry.invalid/fn/echo:1"})
	runner.waitStarted(b)
	ip, port := replica(b, "pod1")
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		setEndpoints(b, c, "echo", port, map[string]bool{ip: false})
		eventually(b, "no ready endpoint", func() bool { return len(be.endpoints("echo", provider.DefaultNamespace)) == 0 })
		got := invokeAsync(ctx, be, "echo")
		time.Sleep(20 * time.Millisecond) // the call waits
		b.StartTimer()
		setEndpoints(b, c, "echo", port, map[string]bool{ip: true})
		if r := <-got; r.err != nil {
			b.Fatal(fmt.Errorf("invoke: %w", r.err))
		}
	}
}
