package runner

import (
	"runtime"
	"testing"

	"github.com/faas-wasm/faas-wasm/internal/runtime/wasm"
	"github.com/faas-wasm/faas-wasm/internal/shim/runspec"
)

func TestPoolSizing(t *testing.T) {
	defaultPool := max(8, 4*runtime.GOMAXPROCS(0))
	for _, tc := range []struct {
		name     string
		cfg      runspec.Config
		wantPool int
		wantKeep uint64
	}{
		{"no limits", runspec.Config{}, defaultPool, DefaultKeepResident},
		{"large memory limit", runspec.Config{MemoryLimit: 4 << 30, MaxConcurrency: 4}, 8, DefaultKeepResident},
		{"limit shared by the slots", runspec.Config{MemoryLimit: 96 << 20, MaxConcurrency: 4}, 8, 12 << 20},
		{"share rounded down to wasm pages", runspec.Config{MemoryLimit: 100<<20 + 12345, MaxConcurrency: 4}, 8, 12<<20 + 8*64<<10},
		{"small limit keeps the engine default", runspec.Config{MemoryLimit: 16 << 20, MaxConcurrency: 4}, 8, wasm.DefaultKeepResident},
		{"high concurrency", runspec.Config{MemoryLimit: 512 << 20, MaxConcurrency: 16}, 32, 16 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := poolSize(tc.cfg); got != tc.wantPool {
				t.Errorf("poolSize = %d, want %d", got, tc.wantPool)
			}
			if got := keepResident(tc.cfg); got != tc.wantKeep {
				t.Errorf("keepResident = %d, want %d", got, tc.wantKeep)
			}
		})
	}
}
