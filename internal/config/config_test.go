package config

import (
	"bytes"
	"errors"
	"flag"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestParseDefaults(t *testing.T) {
	c, err := Parse(nil, env(nil), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.Mode != ModeLocal || c.Namespace != "openfaas-fn" || c.BasicAuth {
		t.Fatalf("unexpected defaults: %+v", c)
	}
	if !c.Autoscale || c.AutoscaleEvery != 2*time.Second || c.ScaleDownDelay != time.Minute {
		t.Fatalf("autoscaler defaults: on=%v every=%s cooldown=%s", c.Autoscale, c.AutoscaleEvery, c.ScaleDownDelay)
	}
	if !strings.HasSuffix(c.CacheDir, "cache") || !strings.HasPrefix(c.CacheDir, c.StateDir) {
		t.Fatalf("cache dir %q not under state dir %q", c.CacheDir, c.StateDir)
	}
}

// TestDefaultAddrByMode checks where the provider listens when --addr is
// not given: faas-cli's default gateway in local mode, 8081 behind the
// OpenFaaS gateway in kubernetes mode; --addr and the environment win.
func TestDefaultAddrByMode(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"local", nil, nil, "127.0.0.1:8080"},
		{"local explicit", []string{"--mode", "local"}, nil, "127.0.0.1:8080"},
		{"kubernetes", []string{"--mode", "kubernetes"}, nil, ":8081"},
		{"kubernetes from env", nil, map[string]string{"FAAS_WASM_MODE": "kubernetes"}, ":8081"},
		{"flag wins in local", []string{"--addr", ":9090"}, nil, ":9090"},
		{"flag wins in kubernetes", []string{"--mode", "kubernetes", "--addr", "127.0.0.1:8081"}, nil, "127.0.0.1:8081"},
		{"env wins", nil, map[string]string{"FAAS_WASM_ADDR": "0.0.0.0:8080"}, "0.0.0.0:8080"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(tc.args, env(tc.env), &bytes.Buffer{})
			if err != nil {
				t.Fatal(err)
			}
			if c.Addr != tc.want {
				t.Fatalf("addr = %q, want %q", c.Addr, tc.want)
			}
		})
	}
}

func TestParseEnvAndFlags(t *testing.T) {
	c, err := Parse([]string{"--addr", "127.0.0.1:9000"}, env(map[string]string{
		"FAAS_WASM_ADDR":             "ignored:1",
		"FAAS_WASM_BASIC_AUTH":       "true",
		"FAAS_WASM_FUNCTION_TIMEOUT": "5s",
		"FAAS_WASM_STATE_DIR":        "/tmp/s",
		"FAAS_WASM_RUNTIME_CLASS":    "spin",
	}), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9000" {
		t.Errorf("flag must win over env: addr %q", c.Addr)
	}
	if c.RuntimeClass != "spin" {
		t.Errorf("runtime class %q, want spin from the environment", c.RuntimeClass)
	}
	if !c.BasicAuth || c.FunctionTimeout != 5*time.Second || c.StateDir != "/tmp/s" || c.CacheDir != "/tmp/s/cache" {
		t.Errorf("env not applied: %+v", c)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"bad mode", []string{"--mode", "cloud"}, nil, "--mode"},
		{"bad env", nil, map[string]string{"FAAS_WASM_BASIC_AUTH": "maybe"}, "FAAS_WASM_BASIC_AUTH"},
		{"bad body limit", []string{"--max-body-bytes", "0"}, nil, "max-body-bytes"},
		{"extra arg", []string{"serve-now"}, nil, "unexpected argument"},
		{"unknown flag", []string{"--nope"}, nil, "nope"},
		{"bad format", []string{"--log-format", "xml"}, nil, "log-format"},
		{"bad level", []string{"--log-level", "loud"}, nil, "log-level"},
		{"zero cooldown", []string{"--scale-down-cooldown", "0s"}, nil, "scale-down-cooldown"},
		{"negative cold concurrency", []string{"--cold-wasm-concurrency", "-1"}, nil, "cold-wasm-concurrency"},
		{"cold memory not a quantity", []string{"--cold-wasm-memory", "lots"}, nil, "cold-wasm-memory"},
		{"cold memory zero", []string{"--cold-wasm-memory", "0"}, nil, "cold-wasm-memory"},
		{"negative module cache", []string{"--wasm-module-cache", "-1Mi"}, nil, "wasm-module-cache"},
		{"zero cold memory", nil, map[string]string{"FAAS_WASM_COLD_WASM_MEMORY": "0"}, "FAAS_WASM_COLD_WASM_MEMORY"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.args, env(tc.env), &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want mention of %q", err, tc.want)
			}
		})
	}
}

func TestColdWasmBudget(t *testing.T) {
	c, err := Parse(nil, env(nil), &bytes.Buffer{})
	if err != nil || c.ColdWasmConcurrency != 16 || c.ColdWasmMemory != 2<<30 {
		t.Fatalf("defaults: %d calls, %d bytes, %v; want 16 and 2Gi", c.ColdWasmConcurrency, c.ColdWasmMemory, err)
	}
	c, err = Parse([]string{"--cold-wasm-concurrency=0", "--cold-wasm-memory=512Mi"}, env(nil), &bytes.Buffer{})
	if err != nil || c.ColdWasmConcurrency != 0 || c.ColdWasmMemory != 512<<20 {
		t.Fatalf("flags: %d calls, %d bytes, %v; want 0 and 512Mi", c.ColdWasmConcurrency, c.ColdWasmMemory, err)
	}
}

// checkSizeFlag checks a size flag's default (bytes) and the bytes each of
// values sets through it.
func checkSizeFlag(t *testing.T, flag string, get func(Config) int64, def int64, values map[string]int64) {
	t.Helper()
	c, err := Parse(nil, env(nil), &bytes.Buffer{})
	if err != nil || get(c) != def {
		t.Fatalf("default: %d bytes, %v; want %d", get(c), err, def)
	}
	for v, want := range values {
		c, err = Parse([]string{"--" + flag + "=" + v}, env(nil), &bytes.Buffer{})
		if err != nil || get(c) != want {
			t.Fatalf("--%s=%s: %d bytes, %v; want %d", flag, v, get(c), err, want)
		}
	}
}

func TestWasmModuleCache(t *testing.T) {
	checkSizeFlag(t, "wasm-module-cache", func(c Config) int64 { return c.WasmModuleCache }, 512<<20,
		map[string]int64{"0": 0, "1Gi": 1 << 30})
}

func TestCacheLimit(t *testing.T) {
	checkSizeFlag(t, "cache-limit", func(c Config) int64 { return c.CacheLimit }, 1<<30,
		map[string]int64{"0": 0, "256Mi": 256 << 20})
	if _, err := Parse([]string{"--cache-limit=-1Gi"}, env(nil), &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "cache-limit") {
		t.Fatalf("--cache-limit=-1Gi: %v, want an error naming the flag", err)
	}
}

func TestLevel(t *testing.T) {
	c, err := Parse([]string{"--log-level", "debug"}, env(nil), &bytes.Buffer{})
	if err != nil || c.Level() != slog.LevelDebug {
		t.Fatalf("Level() = %v, %v; want debug", c.Level(), err)
	}
}

func TestHelpDocumentsEveryFlag(t *testing.T) {
	var out bytes.Buffer
	_, err := Parse([]string{"--help"}, env(nil), &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err = %v, want flag.ErrHelp", err)
	}
	for _, want := range []string{"--addr", "FAAS_WASM_ADDR", "127.0.0.1:8080 in local mode", ":8081 in kubernetes mode", "--state-dir", "--mode", "--namespace", "--basic-auth", "--secret-mount-path", "--function-timeout", "faas-wasm build"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q", want)
		}
	}
}
