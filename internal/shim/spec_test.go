package shim

import (
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/diskcache"
	"github.com/faas-wasm/faas-wasm/internal/precompiled"
	"github.com/faas-wasm/faas-wasm/internal/shim/runspec"
	"github.com/faas-wasm/faas-wasm/internal/wasmopts"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestRunnerConfig(t *testing.T) {
	limit := int64(128 << 20)
	negative := int64(-1)
	for _, tc := range []struct {
		name string
		spec specs.Spec
		want runspec.Config
	}{
		{
			name: "plain ctr container",
			spec: specs.Spec{Process: &specs.Process{Env: []string{"PATH=/bin", "A=b=c"}}},
			want: runspec.Config{Name: "id1", ModulePath: "/m.wasm", CacheDir: "/cache",
				Env: map[string]string{"PATH": "/bin", "A": "b=c"}},
		},
		{
			name: "CRI container with limits, secrets and annotations",
			spec: specs.Spec{
				Process: &specs.Process{Env: []string{"exec_timeout=20s", "content_type=application/json"}},
				Mounts: []specs.Mount{
					{Destination: "/etc/hosts", Source: "/var/lib/kubelet/pods/x/etc-hosts"},
					{Destination: "/var/openfaas/secrets/", Source: "/var/lib/kubelet/pods/x/volumes/secrets"},
				},
				Linux: &specs.Linux{Resources: &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}}},
				Annotations: map[string]string{
					AnnotationContainerName: "figlet", AnnotationPodNamespace: "openfaas-fn",
					wasmopts.AnnotationAllowedHosts: " api.example.com, 10.0.0.1:8080 ,", wasmopts.AnnotationMode: "warm",
					wasmopts.AnnotationMaxConcurrency: "8",
				},
			},
			want: runspec.Config{Name: "figlet", Namespace: "openfaas-fn", ModulePath: "/m.wasm", CacheDir: "/cache",
				Env:        map[string]string{"exec_timeout": "20s", "content_type": "application/json"},
				SecretsDir: "/var/lib/kubelet/pods/x/volumes/secrets", MemoryLimit: 96 << 20,
				Timeout: 20 * time.Second, MaxConcurrency: 8, AllowedHosts: []string{"api.example.com", "10.0.0.1:8080"}, Warm: true},
		},
		{
			name: "unlimited memory, timeout in seconds",
			spec: specs.Spec{
				Process: &specs.Process{Env: []string{"exec_timeout=7"}},
				Linux:   &specs.Linux{Resources: &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &negative}}},
			},
			want: runspec.Config{Name: "id1", ModulePath: "/m.wasm", CacheDir: "/cache",
				Env: map[string]string{"exec_timeout": "7"}, Timeout: 7 * time.Second},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runnerConfig("id1", &tc.spec, "/m.wasm", "/cache")
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("runnerConfig =\n%+v, %v\nwant\n%+v", got, err, tc.want)
			}
		})
	}
}

// TestRunnerConfigRefusesBadAnnotations is a regression test of issue 16:
// the shim ran mode "hot" (and "WARM ") as fresh and ignored a bad
// max-concurrency; it now refuses them with the provider's message.
func TestRunnerConfigRefusesBadAnnotations(t *testing.T) {
	for _, ann := range []map[string]string{
		{wasmopts.AnnotationMode: "hot"},
		{wasmopts.AnnotationMode: "WARM "},
		{wasmopts.AnnotationMaxConcurrency: "many"},
		{wasmopts.AnnotationAllowedHosts: "https://api.example.com"},
		{wasmopts.Prefix + "mdoe": "warm"},
	} {
		_, err := runnerConfig("id1", &specs.Spec{Annotations: ann}, "/m.wasm", "/cache")
		if !errors.Is(err, wasmopts.ErrInvalid) {
			t.Errorf("runnerConfig with %q: err = %v, want wasmopts.ErrInvalid", ann, err)
		}
	}
}

func TestIsSandbox(t *testing.T) {
	s := &specs.Spec{
		Annotations: map[string]string{AnnotationContainerType: "sandbox"},
		Linux: &specs.Linux{Namespaces: []specs.LinuxNamespace{
			{Type: specs.NetworkNamespace, Path: "/var/run/netns/cni-1"}, {Type: specs.PIDNamespace},
		}},
	}
	if !isSandbox(s) {
		t.Error("sandbox not recognised")
	}
	if isSandbox(&specs.Spec{Annotations: map[string]string{AnnotationContainerType: "container"}}) {
		t.Error("container taken for a sandbox")
	}
}

func TestCacheLimit(t *testing.T) {
	for v, want := range map[string]int64{"": diskcache.DefaultLimit, "0": 0, "1048576": 1 << 20, "1Gi": 1 << 30, "512Mi": 512 << 20, "1G": 1e9, "2e9": 2e9} {
		t.Setenv(EnvCacheLimit, v)
		if got, err := CacheLimit(); err != nil || got != want {
			t.Errorf("%s=%q: %d, %v; want %d", EnvCacheLimit, v, got, err, want)
		}
	}
	for _, v := range []string{"-1", "x", "1K", "100m", "-1Gi", "1e30"} {
		t.Setenv(EnvCacheLimit, v)
		if _, err := CacheLimit(); err == nil || !strings.Contains(err.Error(), EnvCacheLimit) {
			t.Errorf("%s=%q: %v, want an error naming the variable", EnvCacheLimit, v, err)
		}
	}
}

func TestIdleRelease(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want time.Duration
		ok   bool
	}{{"", 0, true}, {"45s", 45 * time.Second, true}, {"0", -1, true}, {"-1s", -1, true}, {"30", 0, false}, {"soon", 0, false}} {
		t.Setenv(EnvIdleRelease, tc.env)
		got, err := IdleRelease()
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("%s=%q: IdleRelease() = %v, %v; want %v, ok=%v", EnvIdleRelease, tc.env, got, err, tc.want, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), EnvIdleRelease) {
			t.Errorf("error %q does not name %s", err, EnvIdleRelease)
		}
	}
}

// TestTrustedBuildKeys: $FAASWASM_TRUSTED_BUILD_KEYS names key files
// (comma-separated), each checked; a file without an ed25519 public key is
// an error naming the variable.
func TestTrustedBuildKeys(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.pub"), filepath.Join(dir, "b.pub")
	for _, pub := range []string{a, b} {
		if err := precompiled.WriteKeyPair(pub+".key", pub); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		env  string
		want []string
		ok   bool
	}{
		{a, []string{a}, true},
		{a + ", " + b + ",", []string{a, b}, true},
		{a + ".key", nil, false},
		{filepath.Join(dir, "missing.pub"), nil, false},
	} {
		t.Setenv(EnvTrustedBuildKeys, tc.env)
		got, err := TrustedBuildKeys()
		if (err == nil) != tc.ok || !slices.Equal(got, tc.want) {
			t.Errorf("%s=%q: TrustedBuildKeys() = %v, %v; want %v, ok=%v", EnvTrustedBuildKeys, tc.env, got, err, tc.want, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), EnvTrustedBuildKeys) {
			t.Errorf("error %q does not name %s", err, EnvTrustedBuildKeys)
		}
	}
}
