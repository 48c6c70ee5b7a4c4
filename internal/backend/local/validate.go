package local

import "github.com/faas-wasm/faas-wasm/provider"

// limits are what a function's labels and annotations ask for, checked.
type limits struct {
	min, max uint64
}

// normalize checks a deployment with provider.Validate (local mode has no
// rule of its own) and returns a copy that shares no maps or
// slices with the caller's, with Namespace set and the faas_function label
// added.
//
// # Errors
// Errors wrapping provider.ErrInvalid that say which field is wrong.
func normalize(d provider.FunctionDeployment, ns string, maxReplicas uint64) (provider.FunctionDeployment, limits, error) {
	if err := provider.Validate(d); err != nil {
		return d, limits{}, err
	}
	var l limits
	var err error
	if l.min, l.max, err = provider.ScaleBounds(d.Labels, maxReplicas); err != nil {
		return d, limits{}, err
	}
	out := d.Normalized(ns)
	return out, l, nil
}

// clampReplicas keeps n within a function's scale bounds.
func clampReplicas(n uint64, l limits) uint64 {
	return min(max(n, l.min), l.max)
}
