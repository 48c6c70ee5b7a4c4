package console

import (
	"testing"

	"github.com/faas-wasm/faas-wasm/internal/leaktest"
)

// TestMain fails the package's run when a goroutine its tests started is
// still running after them (internal/leaktest): comparisons must end.
func TestMain(m *testing.M) { leaktest.Main(m) }
