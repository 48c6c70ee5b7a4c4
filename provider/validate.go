package provider

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var dns1123Label = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// ValidateName checks that s is a DNS-1123 label (lowercase letters, digits
// and '-', starting and ending with an alphanumeric, at most 63 characters),
// the rule for function, secret and namespace names.
//
// # Errors
// An error wrapping ErrInvalid that says what is wrong.
func ValidateName(kind, s string) error {
	switch {
	case s == "":
		return fmt.Errorf("%s name is empty: %w", kind, ErrInvalid)
	case len(s) > 63:
		return fmt.Errorf("%s name %q is longer than 63 characters: %w", kind, s, ErrInvalid)
	case !dns1123Label.MatchString(s):
		return fmt.Errorf("%s name %q must be a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit): %w", kind, s, ErrInvalid)
	}
	return nil
}

// SplitFunctionName splits "name.namespace" at the last dot. Without a dot the
// namespace is empty.
func SplitFunctionName(s string) (name, namespace string) {
	if i := strings.LastIndexByte(s, '.'); i >= 0 {
		return s[:i], s[i+1:]
	}
	return s, ""
}

// ScaleBounds reads com.openfaas.scale.min and com.openfaas.scale.max from a
// function's labels. min defaults to 1 and max to limit; max is never below min.
//
// # Errors
// ErrInvalid when a label is not a non-negative integer or min > max.
func ScaleBounds(labels map[string]string, limit uint64) (min, max uint64, err error) {
	min, max = 1, limit
	if v, ok := labels[LabelScaleMin]; ok {
		if min, err = strconv.ParseUint(v, 10, 64); err != nil {
			return 0, 0, fmt.Errorf("label %s=%q is not a non-negative integer: %w", LabelScaleMin, v, ErrInvalid)
		}
	}
	if v, ok := labels[LabelScaleMax]; ok {
		if max, err = strconv.ParseUint(v, 10, 64); err != nil {
			return 0, 0, fmt.Errorf("label %s=%q is not a non-negative integer: %w", LabelScaleMax, v, ErrInvalid)
		}
		if max > limit {
			max = limit
		}
	}
	if min > max {
		return 0, 0, fmt.Errorf("label %s=%d is above %s=%d: %w", LabelScaleMin, min, LabelScaleMax, max, ErrInvalid)
	}
	return min, max, nil
}

// ScaleToZeroAfter reads com.openfaas.scale.zero and com.openfaas.scale.zero-duration.
// It returns 0 when idle scale to zero is off. The duration defaults to 15m.
//
// # Errors
// ErrInvalid when a label cannot be parsed.
func ScaleToZeroAfter(labels map[string]string) (time.Duration, error) {
	v, ok := labels[LabelScaleZero]
	if !ok {
		return 0, nil
	}
	on, err := strconv.ParseBool(v)
	if err != nil {
		return 0, fmt.Errorf("label %s=%q is not a boolean: %w", LabelScaleZero, v, ErrInvalid)
	}
	if !on {
		return 0, nil
	}
	d := 15 * time.Minute
	if s, ok := labels[LabelScaleZeroDuration]; ok {
		if d, err = time.ParseDuration(s); err != nil || d <= 0 {
			return 0, fmt.Errorf("label %s=%q is not a positive duration such as 15m: %w", LabelScaleZeroDuration, s, ErrInvalid)
		}
	}
	return d, nil
}

var quantity = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|k|K|M|G|T|m)?$`)

// ParseMemory converts a Kubernetes memory quantity ("128Mi", "1G", "1048576")
// into bytes. An empty string is 0 (no limit).
//
// # Errors
// ErrInvalid when s is not a quantity.
func ParseMemory(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	m := quantity.FindStringSubmatch(s)
	if m == nil || m[2] == "m" {
		return 0, fmt.Errorf("memory %q is not a quantity such as 128Mi: %w", s, ErrInvalid)
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, fmt.Errorf("memory %q: %w", s, ErrInvalid)
	}
	mult := map[string]float64{"": 1, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
		"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40}[m[2]]
	if n*mult >= math.MaxInt64 {
		return 0, fmt.Errorf("memory %q is too large: %w", s, ErrInvalid)
	}
	return int64(n * mult), nil
}

// ParseCPU converts a Kubernetes CPU quantity ("500m", "2", "0.5") into
// millicores. An empty string is 0 (no limit).
//
// # Errors
// ErrInvalid when s is not a CPU quantity.
func ParseCPU(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	m := quantity.FindStringSubmatch(s)
	if m == nil || (m[2] != "" && m[2] != "m") {
		return 0, fmt.Errorf("cpu %q is not a quantity such as 500m: %w", s, ErrInvalid)
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, fmt.Errorf("cpu %q: %w", s, ErrInvalid)
	}
	if m[2] != "m" {
		n *= 1000
	}
	if n >= math.MaxInt64 {
		return 0, fmt.Errorf("cpu %q is too large: %w", s, ErrInvalid)
	}
	return int64(n), nil
}
