package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestProviderLinksNoToolCode keeps the provider binary free of builder,
// benchmark, registry and test-support code: those live in faas-wasm-tools
// and the tests. (The standard library's testing package is still linked:
// containerd's go-cni imports it.)
func TestProviderLinksNoToolCode(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	forbidden := []string{
		"github.com/faas-wasm/faas-wasm/internal/bench",
		"github.com/faas-wasm/faas-wasm/internal/builder",
		"github.com/faas-wasm/faas-wasm/internal/registry",
		"github.com/faas-wasm/faas-wasm/internal/containerdtest",
		"github.com/faas-wasm/faas-wasm/internal/testclock",
		"github.com/faas-wasm/faas-wasm/internal/oci/ocitest",
		"github.com/faas-wasm/faas-wasm/test/",
		"github.com/faas-wasm/faas-wasm/functions",
		"github.com/google/go-containerregistry/pkg/registry",
		"net/http/httptest",
	}
	pkgs := strings.Fields(string(out))
	if len(pkgs) < 100 {
		t.Fatalf("go list -deps listed only %d packages", len(pkgs))
	}
	for _, p := range pkgs {
		for _, f := range forbidden {
			if p == f || strings.HasPrefix(p, strings.TrimSuffix(f, "/")+"/") {
				t.Errorf("the provider links %s", p)
			}
		}
	}
	t.Logf("the provider links %d packages", len(pkgs))
}
