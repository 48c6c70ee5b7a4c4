package reliability

import (
	"context"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/faas-wasm/faas-wasm/internal/oci"
	"github.com/faas-wasm/faas-wasm/internal/providertest"
)

// Built once by TestMain.
var (
	binPath       string // the faas-wasm binary
	neighbourWasm []byte // test/guests/neighbour, a command module
	reactorWasm   []byte // test/guests/neighbour, a reactor (faas_handle)
	hostileWasm   []byte // test/guests/hostile
	// cacheDir is the compiled-module cache shared by the providers of
	// the tests run as root, so each module compiles once.
	cacheDir string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "faas-wasm-reliability-")
	if err != nil {
		log.Print(err)
		return 1
	}
	defer os.RemoveAll(dir)
	// The non-root test runs the binary as nobody.
	if err := os.Chmod(dir, 0o755); err != nil {
		log.Print(err)
		return 1
	}
	if binPath, err = providertest.Build(dir); err != nil {
		log.Print(err)
		return 1
	}
	cacheDir = filepath.Join(dir, "cache")
	for _, g := range []struct {
		src, out string
		dst      *[]byte
		flags    []string
	}{
		{"neighbour", "neighbour.wasm", &neighbourWasm, nil},
		{"neighbour", "reactor.wasm", &reactorWasm, []string{"-buildmode=c-shared", "-tags=faasreactor"}},
		{"hostile", "hostile.wasm", &hostileWasm, nil},
	} {
		out := filepath.Join(dir, g.out)
		args := append(append([]string{"build", "-trimpath"}, g.flags...), "-o", out, ".")
		cmd := exec.Command("go", args...)
		cmd.Dir = filepath.Join("..", "guests", g.src)
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
		if b, err := cmd.CombinedOutput(); err != nil {
			log.Printf("build guest %s: %v\n%s", g.out, err, b)
			return 1
		}
		if *g.dst, err = os.ReadFile(out); err != nil {
			log.Print(err)
			return 1
		}
	}
	return m.Run()
}

// pushWasm pushes module to registry as repo:1 and returns the reference.
func pushWasm(t testing.TB, registry, repo string, module []byte) string {
	t.Helper()
	img, err := oci.WasmImage(module, oci.FormOCILayer)
	if err != nil {
		t.Fatal(err)
	}
	ref := registry + "/" + repo + ":1"
	if _, err := oci.Push(context.Background(), img, ref); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	return ref
}

// scale returns RELIABILITY_SCALE (default 1), the multiplier of load counts.
func scale() int {
	if n, err := strconv.Atoi(os.Getenv("RELIABILITY_SCALE")); err == nil && n > 0 {
		return n
	}
	return 1
}
