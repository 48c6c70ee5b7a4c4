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

// WakeReplicas is how many replicas a function scaled to zero is woken
// with: its com.openfaas.scale.min, at least 1.
func WakeReplicas(labels map[string]string) uint64 {
	want, _, err := ScaleBounds(labels, math.MaxUint64)
	if err != nil || want == 0 {
		return 1
	}
	return want
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

// Load measures of com.openfaas.scale.type.
const (
	ScaleTypeRPS      = "rps"
	ScaleTypeCapacity = "capacity"
	ScaleTypeCPU      = "cpu"
)

// ValidScaleType reports whether t is one of the load measures.
func ValidScaleType(t string) bool {
	return t == ScaleTypeRPS || t == ScaleTypeCapacity || t == ScaleTypeCPU
}

// ScaleLoad reads com.openfaas.scale.type and com.openfaas.scale.target.
// An absent label gives "" or 0: the autoscaler's default applies.
//
// # Errors
// ErrInvalid for an unknown type or a target that is not a positive number.
func ScaleLoad(labels map[string]string) (typ string, target float64, err error) {
	if v, ok := labels[LabelScaleType]; ok {
		if !ValidScaleType(v) {
			return "", 0, fmt.Errorf("label %s=%q: want rps, capacity or cpu: %w", LabelScaleType, v, ErrInvalid)
		}
		typ = v
	}
	if v, ok := labels[LabelScaleTarget]; ok {
		t, err := strconv.ParseFloat(v, 64)
		if err != nil || t <= 0 || math.IsInf(t, 0) || math.IsNaN(t) {
			return "", 0, fmt.Errorf("label %s=%q is not a positive number: %w", LabelScaleTarget, v, ErrInvalid)
		}
		target = t
	}
	return typ, target, nil
}
