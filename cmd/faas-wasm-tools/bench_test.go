package main

import (
	"strings"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/bench"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr bool
		check   func(bench.Config) bool
	}{
		{"defaults are local", nil, false, func(c bench.Config) bool { return c.Local && c.Mode == "local" && c.Profile().Name == "full" }},
		{"gateway is kubernetes", []string{"--gateway", "http://x:8080"}, false, func(c bench.Config) bool { return !c.Local && c.Mode == "kubernetes" }},
		{"quick subset", []string{"--quick"}, false, func(c bench.Config) bool { return len(c.Profile().Functions) == len(bench.QuickFunctions) }},
		{"functions override", []string{"--quick", "--functions", "aes, n-body"}, false,
			func(c bench.Config) bool { return strings.Join(c.Profile().Functions, ",") == "aes,n-body" }},
		{"overrides", []string{"--deploy-rounds", "2", "--concurrent-duration", "10s"}, false,
			func(c bench.Config) bool {
				p := c.Profile()
				return p.DeployRounds == 2 && p.Concurrent.MaxDuration == 10*time.Second
			}},
		{"node containerd and notes", []string{"--gateway", "http://x", "--containerd-socket", "/run/c.sock", "--provider-pid", "42", "--note", "a", "--note", "b"}, false,
			func(c bench.Config) bool {
				return c.ContainerdSocket == "/run/c.sock" && c.ProviderPID == 42 && strings.Join(c.Notes, "|") == "a|b"
			}},
		{"provider pid needs gateway", []string{"--provider-pid", "42"}, true, nil},
		{"containerd socket needs gateway", []string{"--containerd-socket", "/run/c.sock"}, true, nil},
		{"local and gateway", []string{"--local", "--gateway", "http://x"}, true, nil},
		{"bad variants", []string{"--variants", "rust"}, true, nil},
		{"all languages by default", nil, false, func(c bench.Config) bool { return c.Languages == nil && c.Variants == "both" }},
		{"languages", []string{"--languages", "rust, go,rust", "--variants", "wasm"}, false,
			func(c bench.Config) bool { return strings.Join(c.Languages, ",") == "rust,go" && c.Variants == "wasm" }},
		{"unknown language", []string{"--languages", "go,c"}, true, nil},
		{"fresh by default", nil, false, func(c bench.Config) bool { return !c.Warm }},
		{"warm", []string{"--wasm-mode", "warm"}, false, func(c bench.Config) bool { return c.Warm }},
		{"bad wasm mode", []string{"--wasm-mode", "WARM"}, true, nil},
		{"stray argument", []string{"extra"}, true, nil},
		{"build and sign on a gateway", []string{"--gateway", "http://x", "--registry", "127.0.0.1:5000", "--build", "--sign-key", "b.key"}, false,
			func(c bench.Config) bool { return c.Build && c.SignKey == "b.key" && c.Registry == "127.0.0.1:5000" }},
		{"build needs a registry", []string{"--gateway", "http://x", "--build"}, true, nil},
		{"build needs a gateway", []string{"--build", "--registry", "127.0.0.1:5000"}, true, nil},
		{"sign key needs build", []string{"--gateway", "http://x", "--registry", "127.0.0.1:5000", "--sign-key", "b.key"}, true, nil},
	}
	t.Setenv("REGISTRY", "")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseBenchFlags(tt.args, new(strings.Builder))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if tt.check != nil && !tt.check(c) {
				t.Errorf("config %+v", c)
			}
		})
	}
}
