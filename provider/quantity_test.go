package provider

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
)

// TestParseMemory includes the regression cases of issue 16: 1e9, 1Pi and
// +1Gi are Kubernetes quantities (refused before), 1K is not (accepted
// before).
func TestParseMemory(t *testing.T) {
	for in, want := range map[string]int64{
		"": 0, "128Mi": 128 << 20, "1Gi": 1 << 30, "1G": 1e9, "512": 512, "1.5Ki": 1536, "64k": 64000,
		"1e9": 1e9, "1Pi": 1 << 50, "+1Gi": 1 << 30, "0": 0, "1E": 1e18,
		"8Ei": math.MaxInt64, "99999999999999999999Ti": math.MaxInt64, // capped as by Kubernetes
	} {
		got, err := ParseMemory(in)
		if err != nil || got != want {
			t.Errorf("ParseMemory(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"lots", "100m", "-1Mi", "1Zi", "Mi", "1K", "1.5", "1e30", "1e15555552", " 1Gi", "1 Gi"} {
		if _, err := ParseMemory(in); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseMemory(%q) err = %v, want ErrInvalid", in, err)
		}
	}
}

// TestParseBytes: the field named in errors is the caller's (a flag or an
// environment variable), and the forms are ParseMemory's.
func TestParseBytes(t *testing.T) {
	if n, err := ParseBytes("FAASWASM_CACHE_LIMIT", "2Gi"); err != nil || n != 2<<30 {
		t.Errorf("ParseBytes(2Gi) = %d, %v; want %d", n, err, 2<<30)
	}
	for _, in := range []string{"1x", "100m", "1e30", "9223372036854775808", "9223372036854775807.5"} {
		if _, err := ParseBytes("FAASWASM_CACHE_LIMIT", in); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "FAASWASM_CACHE_LIMIT") {
			t.Errorf("ParseBytes(%q) err = %v, want ErrInvalid naming FAASWASM_CACHE_LIMIT", in, err)
		}
	}
	if _, err := ParseBytes("memory", "9223372036854775808"); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("ParseBytes(MaxInt64+1) err = %v, want too large", err)
	}
}

// TestParseCPU includes the regression case of issue 16: 0.5m was 0 (no
// limit at all); it is rounded up to 1m as the kubelet does.
func TestParseCPU(t *testing.T) {
	for in, want := range map[string]int64{
		"": 0, "500m": 500, "2": 2000, "0.5": 500, "0.5m": 1, "1e-3": 1, "0.0001": 1, "+1": 1000, "0": 0, "100n": 1,
		"9223372036854775.807": math.MaxInt64, "9223372036854775.8069": math.MaxInt64,
	} {
		got, err := ParseCPU(in)
		if err != nil || got != want {
			t.Errorf("ParseCPU(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"fast", "1K", "-1", "-0.5m", "1e30", "1e15555552", "1e-5555552", "-e15555552", "e9", "1e100", "9223372036854777", "9223372036854775.808"} {
		if _, err := ParseCPU(in); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseCPU(%q) err = %v, want ErrInvalid", in, err)
		}
	}
}

// FuzzParseQuantity checks the wrappers against resource.ParseQuantity: they
// never panic or hang, accept only what it accepts, never return a negative amount,
// a non-zero amount never becomes 0 (no limit), and a result read back
// from its decimal form is the same.
func FuzzParseQuantity(f *testing.F) {
	for _, s := range []string{"", "128Mi", "1e9", "1Pi", "+1Gi", "1K", "0.5m", "-1", "1e30", "9223372036854775807", "8Ei", ".5", "1.", "1e-9", "1e15555552", "9223372036854777"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		mem, memErr := ParseMemory(s)
		cpu, cpuErr := ParseCPU(s)
		if s == "" || (memErr != nil && cpuErr != nil) {
			return
		}
		// Only what the wrappers accepted goes to ParseQuantity here: it
		// takes seconds on some inputs the wrappers refuse up front.
		q, err := resource.ParseQuantity(s)
		if err != nil {
			t.Fatalf("%q refused by ParseQuantity (%v) but accepted: memory %v, cpu %v", s, err, memErr, cpuErr)
		}
		if memErr == nil {
			if mem < 0 || (mem == 0 && !q.IsZero()) {
				t.Fatalf("ParseMemory(%q) = %d", s, mem)
			}
			if back, err := ParseMemory(strconv.FormatInt(mem, 10)); err != nil || back != mem {
				t.Fatalf("ParseMemory(%q) = %d, read back as %d, %v", s, mem, back, err)
			}
		} else if !errors.Is(memErr, ErrInvalid) {
			t.Fatalf("ParseMemory(%q) error %v is not ErrInvalid", s, memErr)
		}
		if cpuErr == nil {
			if cpu < 0 || (cpu == 0 && !q.IsZero()) {
				t.Fatalf("ParseCPU(%q) = %d", s, cpu)
			}
			if back, err := ParseCPU(strconv.FormatInt(cpu, 10) + "m"); err != nil || back != cpu {
				t.Fatalf("ParseCPU(%q) = %d, read back as %d, %v", s, cpu, back, err)
			}
		} else if !errors.Is(cpuErr, ErrInvalid) {
			t.Fatalf("ParseCPU(%q) error %v is not ErrInvalid", s, cpuErr)
		}
	})
}
