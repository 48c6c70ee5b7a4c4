package local

import (
	"fmt"
	"time"

	"github.com/faas-wasm/faas-wasm/provider"
)

// limits are what a function's labels and annotations ask for, checked.
type limits struct {
	min, max  uint64
	idleAfter time.Duration
}

// normalize checks a deployment and returns a copy that shares no maps or
// slices with the caller's, with Namespace set and the faas_function label
// added.
//
// # Errors
// Errors wrapping provider.ErrInvalid that say which field is wrong.
func normalize(d provider.FunctionDeployment, ns string, maxReplicas uint64) (provider.FunctionDeployment, limits, error) {
	if err := provider.ValidateName("function", d.Service); err != nil {
		return d, limits{}, err
	}
	if d.Image == "" {
		return d, limits{}, fmt.Errorf("function %q has no image: %w", d.Service, provider.ErrInvalid)
	}
	switch rt := d.Annotations[provider.AnnotationRuntime]; rt {
	case "", provider.RuntimeWasm, provider.RuntimeContainer:
	default:
		return d, limits{}, fmt.Errorf("annotation %s=%q: want %q or %q: %w", provider.AnnotationRuntime, rt, provider.RuntimeWasm, provider.RuntimeContainer, provider.ErrInvalid)
	}
	switch m := d.Annotations[provider.AnnotationWasmMode]; m {
	case "", "fresh", "warm":
	default:
		return d, limits{}, fmt.Errorf("annotation %s=%q: want \"fresh\" or \"warm\": %w", provider.AnnotationWasmMode, m, provider.ErrInvalid)
	}
	var l limits
	var err error
	if l.min, l.max, err = provider.ScaleBounds(d.Labels, maxReplicas); err != nil {
		return d, limits{}, err
	}
	if l.idleAfter, err = provider.ScaleToZeroAfter(d.Labels); err != nil {
		return d, limits{}, err
	}
	for _, r := range []*provider.FunctionResources{d.Limits, d.Requests} {
		if r == nil {
			continue
		}
		if _, err := provider.ParseMemory(r.Memory); err != nil {
			return d, limits{}, err
		}
		if _, err := provider.ParseCPU(r.CPU); err != nil {
			return d, limits{}, err
		}
	}
	out := d.Normalized(ns)
	return out, l, nil
}

// clampReplicas keeps n within a function's scale bounds.
func clampReplicas(n uint64, l limits) uint64 {
	return min(max(n, l.min), l.max)
}
