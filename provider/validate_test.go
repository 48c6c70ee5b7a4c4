package provider

import (
	"errors"
	"testing"
	"time"
)

func TestValidateName(t *testing.T) {
	long := "a123456789012345678901234567890123456789012345678901234567890123"
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"echo", true}, {"a", true}, {"aes-wasm", true}, {"f1", true},
		{"", false}, {"Echo", false}, {"-echo", false}, {"echo-", false}, {"echo.fn", false},
		{"echo_fn", false}, {"é", false}, {long, false}, {long[:63], true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateName("function", tc.name)
			if (err == nil) != tc.ok {
				t.Fatalf("ValidateName(%q) = %v, want ok=%v", tc.name, err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
		})
	}
}

func TestSplitFunctionName(t *testing.T) {
	for in, want := range map[string][2]string{
		"echo": {"echo", ""}, "echo.openfaas-fn": {"echo", "openfaas-fn"},
		"a.b.c": {"a.b", "c"}, ".ns": {"", "ns"},
	} {
		name, ns := SplitFunctionName(in)
		if name != want[0] || ns != want[1] {
			t.Errorf("SplitFunctionName(%q) = %q, %q; want %q, %q", in, name, ns, want[0], want[1])
		}
	}
}

func TestScaleBounds(t *testing.T) {
	for _, tc := range []struct {
		name     string
		labels   map[string]string
		min, max uint64
		err      bool
	}{
		{"defaults", nil, 1, 20, false},
		{"min zero", map[string]string{LabelScaleMin: "0"}, 0, 20, false},
		{"both", map[string]string{LabelScaleMin: "2", LabelScaleMax: "4"}, 2, 4, false},
		{"max clamped", map[string]string{LabelScaleMax: "99"}, 1, 20, false},
		{"min above max", map[string]string{LabelScaleMin: "5", LabelScaleMax: "4"}, 0, 0, true},
		{"not a number", map[string]string{LabelScaleMin: "x"}, 0, 0, true},
		{"negative", map[string]string{LabelScaleMax: "-1"}, 0, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			min, max, err := ScaleBounds(tc.labels, 20)
			if tc.err {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("err = %v, want ErrInvalid", err)
				}
				return
			}
			if err != nil || min != tc.min || max != tc.max {
				t.Fatalf("ScaleBounds = %d, %d, %v; want %d, %d", min, max, err, tc.min, tc.max)
			}
		})
	}
}

func TestWakeReplicas(t *testing.T) {
	for _, tc := range []struct {
		labels map[string]string
		want   uint64
	}{
		{nil, 1},
		{map[string]string{LabelScaleMin: "0"}, 1},
		{map[string]string{LabelScaleMin: "3"}, 3},
		{map[string]string{LabelScaleMin: "x"}, 1},
	} {
		if got := WakeReplicas(tc.labels); got != tc.want {
			t.Errorf("WakeReplicas(%v) = %d, want %d", tc.labels, got, tc.want)
		}
	}
}

func TestScaleToZeroAfter(t *testing.T) {
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   time.Duration
		err    bool
	}{
		{"off", nil, 0, false},
		{"false", map[string]string{LabelScaleZero: "false"}, 0, false},
		{"default duration", map[string]string{LabelScaleZero: "true"}, 15 * time.Minute, false},
		{"duration", map[string]string{LabelScaleZero: "true", LabelScaleZeroDuration: "2s"}, 2 * time.Second, false},
		{"bad bool", map[string]string{LabelScaleZero: "yes please"}, 0, true},
		{"bad duration", map[string]string{LabelScaleZero: "true", LabelScaleZeroDuration: "soon"}, 0, true},
		{"negative duration", map[string]string{LabelScaleZero: "true", LabelScaleZeroDuration: "-1m"}, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ScaleToZeroAfter(tc.labels)
			if (err != nil) != tc.err || got != tc.want {
				t.Fatalf("ScaleToZeroAfter = %v, %v; want %v, err=%v", got, err, tc.want, tc.err)
			}
		})
	}
}

func TestScaleLoad(t *testing.T) {
	for _, tc := range []struct {
		name   string
		labels map[string]string
		typ    string
		target float64
		err    bool
	}{
		{"unset", nil, "", 0, false},
		{"type and target", map[string]string{LabelScaleType: ScaleTypeCPU, LabelScaleTarget: "300"}, ScaleTypeCPU, 300, false},
		{"target only", map[string]string{LabelScaleTarget: "0.5"}, "", 0.5, false},
		{"unknown type", map[string]string{LabelScaleType: "RPS"}, "", 0, true},
		{"zero target", map[string]string{LabelScaleTarget: "0"}, "", 0, true},
		{"negative target", map[string]string{LabelScaleTarget: "-3"}, "", 0, true},
		{"infinite target", map[string]string{LabelScaleTarget: "+Inf"}, "", 0, true},
		{"NaN target", map[string]string{LabelScaleTarget: "NaN"}, "", 0, true},
		{"word target", map[string]string{LabelScaleTarget: "ten"}, "", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			typ, target, err := ScaleLoad(tc.labels)
			if (err != nil) != tc.err || typ != tc.typ || target != tc.target {
				t.Fatalf("ScaleLoad = %q, %g, %v; want %q, %g, err=%v", typ, target, err, tc.typ, tc.target, tc.err)
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
		})
	}
}

func TestSecretData(t *testing.T) {
	if got := string((Secret{Value: "v"}).Data()); got != "v" {
		t.Errorf("Data() = %q, want v", got)
	}
	if got := string((Secret{Value: "v", RawValue: []byte("raw")}).Data()); got != "raw" {
		t.Errorf("Data() = %q, want raw (rawValue wins)", got)
	}
}

func FuzzValidateName(f *testing.F) {
	for _, s := range []string{"echo", "", "a-b", "-", "A", "x.y", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if err := ValidateName("function", s); err == nil {
			if len(s) == 0 || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
				t.Fatalf("accepted invalid name %q", s)
			}
			for _, c := range s {
				if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
					t.Fatalf("accepted %q with character %q", s, c)
				}
			}
		}
		name, ns := SplitFunctionName(s)
		if ns != "" && name+"."+ns != s {
			t.Fatalf("SplitFunctionName(%q) = %q, %q does not rejoin", s, name, ns)
		}
	})
}

func FuzzParseMemory(f *testing.F) {
	for _, s := range []string{"128Mi", "1", "1.5Gi", "", "m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseMemory(s)
		if err == nil && n < 0 {
			t.Fatalf("ParseMemory(%q) = %d, negative", s, n)
		}
	})
}
