package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/faas-wasm/faas-wasm/provider"
)

// Target is what the measuring code needs from the environment: the API
// and, when available, meters. Nothing in it is specific to local mode.
type Target struct {
	// Client talks to the provider API.
	Client *Client
	// InsecureRegistry reaches non-loopback registries over plain HTTP.
	InsecureRegistry bool
	// Provider measures the provider process; nil when not available.
	Provider Meter
	// Replica returns the meter of a function's replicas; nil func or nil
	// result when not available.
	Replica func(name string, wasm bool) Meter
	// Pods lists the pods the node runs, each its containerd shim and
	// the processes below it (ShimPods), for the memory-per-pod phase; nil
	// when the functions' node is not this machine or has no pods.
	Pods func() [][]int
	// Progress receives progress lines.
	Progress *Progress
}

// VariantResult is everything measured for one variant of a function.
type VariantResult struct {
	// Name is the deployed function name.
	Name string `json:"name"`
	// Language is the guest language (one of Languages).
	Language string `json:"language"`
	// Kind is KindContainer or KindWasm.
	Kind string `json:"kind"`
	// Wasm reports whether this is the Wasm variant (Kind == KindWasm).
	Wasm bool `json:"wasm"`
	// Size is the artifact size from the registry.
	Size *ArtifactSize `json:"size,omitempty"`
	// FirstDeployMs is the first deploy → 200 (image pull, and for Wasm
	// compilation into the cache, included).
	FirstDeployMs float64 `json:"firstDeployMs,omitempty"`
	// Deploy summarises the later deploy → first 200 rounds.
	Deploy *LoadResult `json:"deploy,omitempty"`
	// Cold summarises scale to zero → first 200 rounds.
	Cold *LoadResult `json:"cold,omitempty"`
	// Before is the usage over a second before the first deploy (the
	// provider's baseline, with whatever earlier variants left behind).
	Before *Usage `json:"before,omitempty"`
	// Idle is the usage of the deployed, warm, idle function over a second.
	Idle *Usage `json:"idle,omitempty"`
	// SerialNoKeepAlive is one connection per request, one at a time.
	SerialNoKeepAlive *LoadResult `json:"serialNoKeepAlive,omitempty"`
	// SerialKeepAlive is one reused connection, one request at a time.
	SerialKeepAlive *LoadResult `json:"serialKeepAlive,omitempty"`
	// Concurrent is 5 workers × 5 rps, keep-alive off.
	Concurrent *LoadResult `json:"concurrent,omitempty"`
	// Max is the max-throughput run.
	Max *LoadResult `json:"max,omitempty"`
	// PodMemory is the memory per pod of podMemoryReplicas idle replicas,
	// when Target.Pods is set.
	PodMemory *PodMemory `json:"podMemory,omitempty"`
	// Errors lists what failed.
	Errors []string `json:"errors,omitempty"`
}

// readyTimeout bounds one wait for a function's first 200.
const readyTimeout = 2 * time.Minute

// zeroAttempt is how long coldStart waits for a function to reach zero
// replicas before it scales it to zero again.
var zeroAttempt = 15 * time.Second

// MeasureVariant runs every phase of p for the deployment dep, invoked
// with query, and leaves the function deleted.
func MeasureVariant(ctx context.Context, t Target, p Profile, dep provider.FunctionDeployment, query string, wasm bool) *VariantResult {
	r := &VariantResult{Name: dep.Service, Wasm: wasm, Kind: KindContainer}
	if wasm {
		r.Kind = KindWasm
	}
	fail := func(phase string, err error) {
		r.Errors = append(r.Errors, fmt.Sprintf("%s: %v", phase, err))
		t.Progress.Warn(dep.Service, phase, err)
	}
	c := t.Client
	url := c.FunctionURL(dep.Service, query)
	t.Progress.Step(dep.Service, "artifact size")
	if size, err := MeasureSize(ctx, dep.Image, t.InsecureRegistry); err != nil {
		fail("size", err)
	} else {
		r.Size = &size
	}
	if err := c.Delete(ctx, dep.Service); err == nil {
		t.Progress.Step(dep.Service, "removing a leftover deployment")
		if err := c.WaitGone(ctx, dep.Service); err != nil {
			fail("cleanup", err)
			return r
		}
	}

	t.Progress.Step(dep.Service, "baseline usage")
	r.Before = measure(ctx, t.Provider, nil, func() { sleepCtx(ctx, time.Second) })

	var rounds []time.Duration
	for i := 0; i <= p.DeployRounds && ctx.Err() == nil; i++ {
		t.Progress.Step(dep.Service, fmt.Sprintf("deploy → first 200, round %d/%d", i, p.DeployRounds))
		d, err := deployToFirst200(ctx, c, dep, url)
		if err != nil {
			fail("deploy", err)
			c.Delete(context.WithoutCancel(ctx), dep.Service)
			return r
		}
		if i == 0 {
			r.FirstDeployMs = float64(d) / float64(time.Millisecond)
		} else {
			rounds = append(rounds, d)
		}
		if i < p.DeployRounds {
			if err := deleteAndWait(ctx, c, dep.Service); err != nil {
				fail("delete", err)
				return r
			}
		}
	}
	r.Deploy = sampleResult(rounds, 0)
	defer func() {
		if err := deleteAndWait(context.WithoutCancel(ctx), c, dep.Service); err != nil {
			fail("delete", err)
		}
	}()
	if ctx.Err() != nil {
		return r
	}

	var replica Meter
	if t.Replica != nil {
		replica = t.Replica(dep.Service, wasm)
	}
	// The load phases measure the function's replica: on Kubernetes a Wasm
	// function's first calls are served by the provider until its pod is
	// ready.
	t.Progress.Step(dep.Service, "waiting for the replica")
	wctx, cancel := context.WithTimeout(ctx, readyTimeout)
	err := c.WaitReplicas(wctx, dep.Service, 1)
	cancel()
	if err != nil {
		fail("replica", err)
	}
	t.Progress.Step(dep.Service, "idle usage")
	r.Idle = measure(ctx, t.Provider, replica, func() { sleepCtx(ctx, time.Second) })

	phase := func(label string, l Load) *LoadResult {
		t.Progress.Step(dep.Service, fmt.Sprintf("%s (≤ %d requests, ≤ %s)", label, l.MaxRequests, l.MaxDuration))
		var res LoadResult
		res.Usage = measure(ctx, t.Provider, replica, func() { res = l.Run(ctx, url) })
		if res.Errors > 0 {
			t.Progress.Warn(dep.Service, label, fmt.Errorf("%d failed requests", res.Errors))
		}
		return &res
	}
	off, on := p.Serial, p.Serial
	off.KeepAlive, on.KeepAlive = false, true
	r.SerialNoKeepAlive = phase("serial, keep-alive off", off)
	r.SerialKeepAlive = phase("serial, keep-alive on", on)
	r.Concurrent = phase("concurrent 5 × 5 rps", p.Concurrent)
	r.Max = phase(fmt.Sprintf("max throughput, %d workers", p.Max.Workers), p.Max)

	var cold []time.Duration
	for i := 1; i <= p.ColdRounds && ctx.Err() == nil; i++ {
		t.Progress.Step(dep.Service, fmt.Sprintf("scale to zero → first 200, round %d/%d", i, p.ColdRounds))
		d, err := coldStart(ctx, c, dep.Service, url)
		if err != nil {
			fail("scale from zero", err)
			break
		}
		cold = append(cold, d)
	}
	r.Cold = sampleResult(cold, 0)

	if t.Pods != nil && ctx.Err() == nil {
		t.Progress.Step(dep.Service, fmt.Sprintf("memory per pod (%d replicas, idle)", podMemoryReplicas))
		if pm, err := measurePods(ctx, c, t.Pods, dep.Service, url); err != nil {
			fail("memory per pod", err)
		} else {
			r.PodMemory = pm
		}
	}
	return r
}

// sampleResult wraps a small sample (deploy or cold rounds) as a LoadResult.
func sampleResult(d []time.Duration, errs int) *LoadResult {
	if len(d) == 0 {
		return nil
	}
	return &LoadResult{Summary: Summarize(d, errs), Samples: Millis(d)}
}

// deployToFirst200 deploys dep and returns the time from the POST to the
// first 200 of url. A 409 (the previous instance still being removed) is
// retried and restarts the clock.
func deployToFirst200(ctx context.Context, c *Client, dep provider.FunctionDeployment, url string) (time.Duration, error) {
	deadline := time.Now().Add(readyTimeout)
	var start time.Time
	for {
		start = time.Now()
		err := c.Deploy(ctx, dep)
		if err == nil {
			break
		}
		if !errors.Is(err, ErrStatus) || time.Now().After(deadline) {
			return 0, err
		}
		if !sleepCtx(ctx, 50*time.Millisecond) {
			return 0, ctx.Err()
		}
	}
	return firstOK(ctx, url, deadline, start)
}

// coldStart scales name to zero, waits until no replica is available and
// returns the time from the first request to the first 200.
//
// A call of the previous phase that the provider had read but not yet
// routed when the scale to zero came in wakes the function again, as any
// call to a function at zero does (the provider cannot always tell that
// its client has gone). So when the function does not stay at zero, it is
// scaled to zero again, within readyTimeout in all.
func coldStart(ctx context.Context, c *Client, name, url string) (time.Duration, error) {
	wctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	for {
		if err := c.Scale(wctx, name, 0); err != nil {
			return 0, err
		}
		attempt, stop := context.WithTimeout(wctx, zeroAttempt)
		err := c.WaitReplicas(attempt, name, 0)
		stop()
		if err == nil {
			break
		}
		if wctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) {
			return 0, err
		}
	}
	start := time.Now()
	return firstOK(ctx, url, start.Add(readyTimeout), start)
}

// firstOK polls url (a fresh connection each time) until it answers 200 and
// returns the time since start.
func firstOK(ctx context.Context, url string, deadline, start time.Time) (time.Duration, error) {
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: readyTimeout}
	defer client.CloseIdleConnections()
	for {
		_, err := Get(ctx, client, url)
		if err == nil {
			return time.Since(start), nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("no 200 from %s within %s: %w", url, readyTimeout, err)
		}
		if !sleepCtx(ctx, 5*time.Millisecond) {
			return 0, ctx.Err()
		}
	}
}

// deleteAndWait deletes name and waits until the API no longer knows it.
func deleteAndWait(ctx context.Context, c *Client, name string) error {
	if err := c.Delete(ctx, name); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	return c.WaitGone(wctx, name)
}

// sleepCtx sleeps d unless ctx ends first; it reports whether it slept.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}
