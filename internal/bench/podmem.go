package bench

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/procmem"
	"github.com/faas-wasm/faas-wasm/internal/shim/runspec"
)

// PodMemory is what a function's pods hold in memory on the node, each pod
// counted as its containerd shim plus every process below it (pause, the
// container's process or the Wasm runner), from /proc/PID/smaps_rollup as
// TestKubernetesDensity reads it (package procmem). Values are medians over
// the pods, in bytes.
type PodMemory struct {
	// Pods is how many pods were read.
	Pods int `json:"pods"`
	// PSSBytes is the proportional set size: shared pages divided by
	// their sharers.
	PSSBytes float64 `json:"pssBytes"`
	// UniqueBytes is Private_Clean + Private_Dirty: what the pod's exit
	// would free.
	UniqueBytes float64 `json:"uniqueBytes"`
	// RSSBytes is the resident set size, shared pages counted in full.
	RSSBytes float64 `json:"rssBytes"`
}

// podMemoryReplicas is how many replicas the memory phase reads: with two,
// pages both pods map (a compiled module file, the shim and runner
// binaries) are shared and leave the unique figure, as on a node that
// runs many pods of a function.
const podMemoryReplicas = 2

// podMemoryCalls is how many calls the memory phase sends, round robin
// over the replicas, before it reads them idle.
const podMemoryCalls = 20

// podIdle is how long the pods idle after those calls before they are
// read, both kinds alike: past the Wasm runner's release of an idle
// function's memory, as TestKubernetesDensity waits.
var podIdle = runspec.DefaultIdleRelease + 5*time.Second

// podsSettle bounds the wait for the node to run exactly the function's
// pods (pods of earlier rounds still stopping are not the function's).
var podsSettle = time.Minute

// measurePods scales name to podMemoryReplicas, calls it podMemoryCalls
// times, lets it idle and reads the memory of every pod the node runs
// (pods lists them oldest first: each a shim and its processes; a shim
// without any is a stopped pod's), waiting until they are exactly the
// function's replicas; after podsSettle, pods of earlier rounds that are
// still stopping are left out as the oldest. The function is left at
// podMemoryReplicas replicas.
//
// # Errors
//
// Scale, wait and call errors, or the node not settling to the function's
// pods within podsSettle.
func measurePods(ctx context.Context, c *Client, pods func() [][]int, name, url string) (*PodMemory, error) {
	if err := c.Scale(ctx, name, podMemoryReplicas); err != nil {
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	if err := c.WaitReplicas(wctx, name, podMemoryReplicas); err != nil {
		return nil, err
	}
	sleepCtx(ctx, time.Second) // the provider's endpoint cache sees the new pod
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: readyTimeout}
	defer client.CloseIdleConnections()
	for range podMemoryCalls {
		if _, err := Get(ctx, client, url); err != nil {
			return nil, fmt.Errorf("call before reading the pods: %w", err)
		}
	}
	if !sleepCtx(ctx, podIdle) {
		return nil, ctx.Err()
	}
	var running [][]int
	for deadline := time.Now().Add(podsSettle); ; {
		if running = livePods(pods()); len(running) == podMemoryReplicas {
			break
		}
		if time.Now().After(deadline) {
			if len(running) < podMemoryReplicas {
				return nil, fmt.Errorf("the node runs %d pods (%s), want the function's %d", len(running), describePods(running), podMemoryReplicas)
			}
			// Pods of earlier rounds still stopping: the function's are
			// the newest.
			running = running[len(running)-podMemoryReplicas:]
			break
		}
		if !sleepCtx(ctx, 250*time.Millisecond) {
			return nil, ctx.Err()
		}
	}
	var pss, unique, rss []float64
	for _, pod := range running {
		var total procmem.Use
		for _, pid := range pod {
			u, err := procmem.Rollup(pid)
			if err != nil {
				continue // a short-lived helper that has exited
			}
			total = total.Add(u)
		}
		pss, unique, rss = append(pss, float64(total.PSS)), append(unique, float64(total.Private())), append(rss, float64(total.RSS))
	}
	return &PodMemory{Pods: len(running), PSSBytes: median(pss), UniqueBytes: median(unique), RSSBytes: median(rss)}, nil
}

// livePods keeps the pods that run processes: a shim left with none
// below it belongs to a pod already stopped, whose sandbox the kubelet has
// not removed yet.
func livePods(pods [][]int) [][]int {
	var out [][]int
	for _, p := range pods {
		if len(p) > 1 {
			out = append(out, p)
		}
	}
	return out
}

// describePods names each pod's processes, for an error message.
func describePods(pods [][]int) string {
	var out []string
	for _, p := range pods {
		var names []string
		for _, pid := range p {
			names = append(names, procmem.Name(pid))
		}
		out = append(out, strings.Join(names, " "))
	}
	return strings.Join(out, "; ")
}

// podMemorySection writes the memory per pod of every variant measured
// with pods (none in local mode).
func podMemorySection(b *strings.Builder, r *Results) {
	var rows [][]string
	for _, f := range r.Functions {
		for _, v := range f.Variants {
			if v.PodMemory == nil {
				continue
			}
			p := v.PodMemory
			rows = append(rows, append(variantCells(f, v), strconv.Itoa(p.Pods), num(p.PSSBytes/mib, 2), num(p.UniqueBytes/mib, 2),
				num(p.RSSBytes/mib, 2), sameLanguageRatio(f, v, uniqueMiB)))
		}
	}
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(b, "## Memory per pod\n\nAfter the other phases the function is scaled to %d replicas, called %d times (round robin) "+
		"and left idle for %s (past the Wasm runner's release of an idle function's memory, FAASWASM_IDLE_RELEASE); then each pod's containerd shim and every process below it (pause, the container's process or the "+
		"Wasm runner) are read from /proc/PID/smaps_rollup, as TestKubernetesDensity does (package procmem), once the node runs "+
		"only those pods. Medians over the pods. PSS divides shared pages by their sharers; unique = Private_Clean + "+
		"Private_Dirty, what the pod's exit would free. With two pods, pages both map (the node's compiled module file, the "+
		"binaries) count as shared, so unique is what each further pod costs; PSS still carries half of them, more than on a "+
		"node with many pods of the function (docs/benchmarks/kubernetes-density.md).\n\n", podMemoryReplicas, podMemoryCalls, podIdle)
	table(b, append(append([]string{}, variantHeader...), "pods", "PSS MiB", "unique MiB", "RSS MiB", "W/C unique"), rows)
}

const mib = 1 << 20

// pssMiB and uniqueMiB are v's median PSS and unique memory per pod in
// MiB, 0 when not measured.
func pssMiB(v *VariantResult) float64 {
	if v == nil || v.PodMemory == nil {
		return 0
	}
	return v.PodMemory.PSSBytes / mib
}

func uniqueMiB(v *VariantResult) float64 {
	if v == nil || v.PodMemory == nil {
		return 0
	}
	return v.PodMemory.UniqueBytes / mib
}
