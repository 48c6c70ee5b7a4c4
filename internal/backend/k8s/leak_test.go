package k8s

import (
	"os"
	"testing"

	"github.com/faas-wasm/faas-wasm/internal/leaktest"
)

// TestMain fails the package's run when a goroutine its tests started is
// still running after them (internal/leaktest), and removes the Wasm
// module and cache the cold-serve tests share.
func TestMain(m *testing.M) {
	leaktest.Main(m, func() {
		if echoModule.cache != "" {
			os.RemoveAll(echoModule.cache)
		}
	})
}
