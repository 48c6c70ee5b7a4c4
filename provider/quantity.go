package provider

import (
	"fmt"
	"math"
	"regexp"

	"k8s.io/apimachinery/pkg/api/resource"
)

// Resource amounts are Kubernetes quantities in both modes, read by
// resource.ParseQuantity, so a deployment means the same in local and
// Kubernetes mode: "128Mi", "1e9", "1Pi", "+1Gi" and "500m" are valid, "1K"
// (Kubernetes spells kilo "k") is not.

// quantityShape is the outline of a quantity resource.ParseQuantity is
// given: a signed decimal number, then any suffix, or an exponent of at most
// two digits. ParseQuantity checks the rest (which suffixes exist).
var quantityShape = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([a-zA-Z]{0,2}|[eE][+-]?[0-9]{1,2})$`)

// ParseQuantity parses a resource amount of a FunctionResources field named
// field ("memory", "cpu", "nvidia.com/gpu", ...).
//
// # Errors
// ErrInvalid when s is not a Kubernetes quantity or is negative, and before
// resource.ParseQuantity reads it, when s is longer than 64 bytes, has no
// digit before its suffix (Kubernetes reads "Mi" or "-e9" as 0, surely not
// what was meant) or an exponent of more than two digits (ParseQuantity
// spends seconds on "1e-5555552").
func ParseQuantity(field, s string) (resource.Quantity, error) {
	if len(s) > 64 || !quantityShape.MatchString(s) {
		return resource.Quantity{}, fmt.Errorf("%s %q is not a Kubernetes quantity such as 128Mi, 1e9 or 500m: %w", field, s, ErrInvalid)
	}
	q, err := resource.ParseQuantity(s)
	if err != nil {
		return resource.Quantity{}, fmt.Errorf("%s %q is not a Kubernetes quantity such as 128Mi, 1e9 or 500m: %w", field, s, ErrInvalid)
	}
	if q.Sign() < 0 {
		return resource.Quantity{}, fmt.Errorf("%s %q is negative: %w", field, s, ErrInvalid)
	}
	return q, nil
}

// ParseMemory converts a memory quantity ("128Mi", "1G", "1e9", "1Pi",
// "1048576") into bytes: ParseBytes of the field "memory".
//
// # Errors
// As ParseBytes.
func ParseMemory(s string) (int64, error) { return ParseBytes("memory", s) }

// ParseBytes converts an amount of bytes named field (a resource, a flag, an
// environment variable) given as a quantity ("1Gi", "512Mi", "1G", "1e9",
// or a plain byte count "1048576") into bytes. An empty string is 0. It is
// the one reader of byte amounts: memory limits, the provider's
// --cache-limit and the shim's FAASWASM_CACHE_LIMIT.
//
// # Errors
// ErrInvalid when s is not a quantity, is negative, is not a whole number of
// bytes ("100m" is a tenth of a byte: Kubernetes warns about it, faas-wasm
// refuses it) or is too large. resource.ParseQuantity itself caps some
// amounts just above the int64 range ("8Ei") to math.MaxInt64; larger ones
// ("1e30") are refused here, never read as 0.
func ParseBytes(field, s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	q, err := ParseQuantity(field, s)
	if err != nil {
		return 0, err
	}
	if q.Cmp(*maxBytes) > 0 {
		return 0, fmt.Errorf("%s %q is too large: %w", field, s, ErrInvalid)
	}
	n := q.Value() // rounded up
	if q.Cmp(*resource.NewQuantity(n, resource.BinarySI)) != 0 {
		return 0, fmt.Errorf("%s %q is not a whole number of bytes: %w", field, s, ErrInvalid)
	}
	return n, nil
}

// maxBytes is the largest amount of bytes that fits an int64.
var maxBytes = resource.NewQuantity(math.MaxInt64, resource.BinarySI)

// maxMillicores is the largest CPU amount whose millicores fit an int64.
var maxMillicores = resource.NewMilliQuantity(math.MaxInt64, resource.DecimalSI)

// ParseCPU converts a CPU quantity ("500m", "2", "0.5", "1e-3") into
// millicores. An empty string is 0 (no limit). A non-zero amount below one
// millicore ("0.5m") is rounded up to 1m, as the kubelet does (it reads
// limits with Quantity.MilliValue), so a tiny limit is never mistaken for
// no limit.
//
// # Errors
// ErrInvalid when s is not a quantity, is negative or is too large.
func ParseCPU(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	q, err := ParseQuantity("cpu", s)
	if err != nil {
		return 0, err
	}
	// Compared exactly: a float64 cannot tell 9223372036854777 from
	// MaxInt64/1000, and MilliValue would wrap to a negative amount.
	if q.Cmp(*maxMillicores) > 0 {
		return 0, fmt.Errorf("cpu %q is too large: %w", s, ErrInvalid)
	}
	return q.MilliValue(), nil
}
