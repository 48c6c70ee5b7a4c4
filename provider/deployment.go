package provider

import (
	"fmt"
	"math"
	"strings"

	"github.com/faas-wasm/faas-wasm/internal/wasmopts"
)

// Validate checks a deployment against every rule faas-wasm has for one, the
// same in both modes: the HTTP layer calls it before a deploy or update, and
// both backends call it again (they are also called from restore and tests),
// then add only what is truly theirs (the Kubernetes backend: constraints
// as node selectors, which local mode ignores).
//
// The rules: a DNS-1123 service name, an image without whitespace, a valid
// namespace when one is set, valid secret names, environment variable names
// without '=' or NUL, readable com.openfaas.scale.* labels, a known
// com.openfaas.runtime, valid com.openfaas.wasm.* annotations (package
// wasmopts, for container functions too: the runtime may be chosen by the
// image), and resource amounts that are Kubernetes quantities (ParseMemory,
// ParseCPU, ParseQuantity).
//
// # Errors
// An error wrapping ErrInvalid that says which field is wrong.
func Validate(d FunctionDeployment) error {
	if d.Service == "" {
		return fmt.Errorf("service is required: %w", ErrInvalid)
	}
	if err := ValidateName("function", d.Service); err != nil {
		return err
	}
	switch {
	case d.Image == "":
		return fmt.Errorf("image is required for function %q: %w", d.Service, ErrInvalid)
	case strings.ContainsAny(d.Image, " \t\r\n\x00"):
		return fmt.Errorf("image %q contains whitespace: %w", d.Image, ErrInvalid)
	}
	if d.Namespace != "" {
		if err := ValidateName("namespace", d.Namespace); err != nil {
			return err
		}
	}
	for _, s := range d.Secrets {
		if err := ValidateName("secret", s); err != nil {
			return err
		}
	}
	for k := range d.EnvVars {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			return fmt.Errorf("environment variable name %q is empty or holds '=' or NUL: %w", k, ErrInvalid)
		}
	}
	if _, _, err := ScaleBounds(d.Labels, math.MaxUint64); err != nil {
		return err
	}
	if _, err := ScaleToZeroAfter(d.Labels); err != nil {
		return err
	}
	if _, _, err := ScaleLoad(d.Labels); err != nil {
		return err
	}
	switch rt := d.Annotations[AnnotationRuntime]; rt {
	case "", RuntimeWasm, RuntimeContainer:
	default:
		return fmt.Errorf("annotation %s=%q: want %q or %q: %w", AnnotationRuntime, rt, RuntimeWasm, RuntimeContainer, ErrInvalid)
	}
	if _, err := ParseWasmOptions(d.Annotations); err != nil {
		return err
	}
	for _, r := range []*FunctionResources{d.Limits, d.Requests} {
		if err := validateResources(r); err != nil {
			return err
		}
	}
	return nil
}

// ParseWasmOptions reads a function's com.openfaas.wasm.* annotations
// (package wasmopts, which the containerd shim uses too).
//
// # Errors
// An error wrapping ErrInvalid that names the annotation.
func ParseWasmOptions(annotations map[string]string) (wasmopts.Options, error) {
	o, err := wasmopts.Parse(annotations)
	if err != nil {
		return o, fmt.Errorf("%w: %w", err, ErrInvalid)
	}
	return o, nil
}

// validateResources checks every amount of r (nil: none).
func validateResources(r *FunctionResources) error {
	if r == nil {
		return nil
	}
	if _, err := ParseMemory(r.Memory); err != nil {
		return err
	}
	if _, err := ParseCPU(r.CPU); err != nil {
		return err
	}
	for _, g := range [][2]string{{"nvidia.com/gpu", r.NvidiaGPU}, {"amd.com/gpu", r.AMDGPU}, {"intel.com/gpu", r.IntelGPU}} {
		if g[1] == "" {
			continue
		}
		if _, err := ParseQuantity(g[0], g[1]); err != nil {
			return err
		}
	}
	return nil
}
