package wasmopts

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   map[string]string
		want Options
	}{
		{"none", nil, Options{}},
		{"other keys ignored", map[string]string{"com.openfaas.runtime": "wasm", "x": "y"}, Options{}},
		{"fresh", map[string]string{AnnotationMode: "fresh"}, Options{}},
		{"warm", map[string]string{AnnotationMode: "warm"}, Options{Warm: true}},
		{"max-concurrency", map[string]string{AnnotationMaxConcurrency: "8"}, Options{MaxConcurrency: 8}},
		{"hosts", map[string]string{AnnotationAllowedHosts: " API.example.com, 10.0.0.1:8080,,[::1]:443 ,[fe80::1], host.faas-wasm.internal"},
			Options{AllowedHosts: []string{"api.example.com", "10.0.0.1:8080", "[::1]:443", "[fe80::1]", "host.faas-wasm.internal"}}},
		{"empty hosts", map[string]string{AnnotationAllowedHosts: ""}, Options{}},
		{"cold-serve on", map[string]string{AnnotationColdServe: "true"}, Options{}},
		{"cold-serve off", map[string]string{AnnotationColdServe: "false"}, Options{NoColdServe: true}},
		{"the builder's annotations", map[string]string{AnnotationShape: "snapshot", AnnotationImageForm: "oci-layer", AnnotationStackSize: "1Mi"}, Options{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Parse = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// TestParseRefuses holds the regression cases of issue 16: the shim read
// "hot" (and any other mode) as fresh and " WARM" as warm, local mode knew no
// max-concurrency, and a misspelt key was ignored everywhere.
func TestParseRefuses(t *testing.T) {
	for _, in := range []map[string]string{
		{AnnotationMode: "hot"},
		{AnnotationMode: "WARM"},
		{AnnotationMode: " warm"},
		{AnnotationMode: ""},
		{AnnotationMaxConcurrency: "0"},
		{AnnotationMaxConcurrency: "-1"},
		{AnnotationMaxConcurrency: "1025"},
		{AnnotationMaxConcurrency: "many"},
		{AnnotationMaxConcurrency: "4 "},
		{AnnotationAllowedHosts: "https://api.example.com"},
		{AnnotationAllowedHosts: "api.example.com/v1"},
		{AnnotationAllowedHosts: "*.example.com"},
		{AnnotationAllowedHosts: "api.example.com:0"},
		{AnnotationAllowedHosts: "api.example.com:http"},
		{AnnotationAllowedHosts: "::1"},
		{AnnotationAllowedHosts: "a b"},
		{AnnotationAllowedHosts: "-bad-.com"},
		{AnnotationColdServe: "no"},
		{AnnotationColdServe: "False"},
		{Prefix + "modes": "warm"},
		{Prefix + "allowed-host": "x"},
	} {
		_, err := Parse(in)
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%q) err = %v, want ErrInvalid", in, err)
			continue
		}
		for k := range in {
			if !strings.Contains(err.Error(), k) {
				t.Errorf("Parse(%q) err = %q does not name the annotation", in, err)
			}
		}
	}
}

// FuzzParse checks that Parse never panics, that what it accepts it
// accepts again from its own output (the provider validates, the shim parses
// the same annotations again), and that the options are within bounds.
func FuzzParse(f *testing.F) {
	f.Add("warm", "8", "api.example.com, [::1]:80")
	f.Add("hot", "0", "https://x")
	f.Add("fresh", "1024", ",,")
	f.Fuzz(func(t *testing.T, mode, conc, hosts string) {
		in := map[string]string{AnnotationMode: mode, AnnotationMaxConcurrency: conc, AnnotationAllowedHosts: hosts}
		o, err := Parse(in)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse(%q) err %v is not ErrInvalid", in, err)
			}
			return
		}
		if o.MaxConcurrency < 1 || o.MaxConcurrency > MaxConcurrency || o.Warm != (mode == ModeWarm) {
			t.Fatalf("Parse(%q) = %+v", in, o)
		}
		again, err := Parse(map[string]string{AnnotationMode: mode, AnnotationMaxConcurrency: conc,
			AnnotationAllowedHosts: strings.Join(o.AllowedHosts, ",")})
		if err != nil || !reflect.DeepEqual(again, o) {
			t.Fatalf("Parse of its own hosts %q = %+v, %v; want %+v", o.AllowedHosts, again, err, o)
		}
		for _, h := range o.AllowedHosts {
			if h == "" || h != strings.ToLower(strings.TrimSpace(h)) || strings.Contains(h, ",") {
				t.Fatalf("host entry %q", h)
			}
		}
	})
}

func TestParseMode(t *testing.T) {
	for _, c := range []struct {
		in       string
		warm, ok bool
	}{
		{"fresh", false, true}, {"warm", true, true},
		{"WARM", false, false}, {" warm", false, false}, {"", false, false}, {"hot", false, false},
	} {
		if warm, ok := ParseMode(c.in); warm != c.warm || ok != c.ok {
			t.Errorf("ParseMode(%q) = %v, %v; want %v, %v", c.in, warm, ok, c.warm, c.ok)
		}
	}
}
