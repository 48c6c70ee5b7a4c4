package faascli

import (
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/faas-wasm/faas-wasm/internal/providertest"
)

// Built once by TestMain.
var (
	binPath  string // the faas-wasm binary
	echoWasm []byte // test/guests/echo, a command module
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "faas-wasm-faascli-")
	if err != nil {
		log.Print(err)
		return 1
	}
	defer os.RemoveAll(dir)
	if binPath, err = providertest.Build(dir); err != nil {
		log.Print(err)
		return 1
	}
	wasmPath := filepath.Join(dir, "echo.wasm")
	build := exec.Command("go", "build", "-trimpath", "-o", wasmPath, ".")
	build.Dir = filepath.Join("..", "guests", "echo")
	build.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if out, err := build.CombinedOutput(); err != nil {
		log.Printf("build the echo guest: %v\n%s", err, out)
		return 1
	}
	if echoWasm, err = os.ReadFile(wasmPath); err != nil {
		log.Print(err)
		return 1
	}
	return m.Run()
}

// gateway is a provider process in local mode, reached as faas-cli reaches
// its gateway; User and Password are what `faas-cli login` is given.
type gateway struct{ *providertest.Proc }

// startGateway runs the binary in local mode (Wasm only: no containerd) on
// a loopback port with auth on (its generated credentials), waits for
// GET /healthz — what `faas-cli ready` polls — and stops it with SIGTERM
// when the test ends.
func startGateway(t *testing.T) *gateway {
	t.Helper()
	return &gateway{providertest.Start(t, providertest.Options{Bin: binPath, Graceful: true})}
}
