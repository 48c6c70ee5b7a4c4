package faascli

import (
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/credentials"
	"github.com/faas-wasm/faas-wasm/internal/handlers"
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
	binPath = filepath.Join(dir, "faas-wasm")
	if out, err := exec.Command("go", "build", "-o", binPath, "github.com/faas-wasm/faas-wasm/cmd/faas-wasm").CombinedOutput(); err != nil {
		log.Printf("build faas-wasm: %v\n%s", err, out)
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
// its gateway; user and password are what `faas-cli login` is given.
type gateway struct {
	url            string
	user, password string
}

// startGateway runs the binary in local mode (Wasm only: no containerd) on
// a free loopback port with auth on (its generated credentials), waits for
// GET /healthz — what `faas-cli ready` polls — and stops it with SIGTERM
// when the test ends.
func startGateway(t *testing.T) *gateway {
	t.Helper()
	state := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(binPath, "--addr", addr, "--state-dir", state, "--autoscale=false",
		"--containerd-socket", filepath.Join(state, "no-containerd.sock"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	logFile, err := os.Create(filepath.Join(t.TempDir(), "provider.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			out, _ := os.ReadFile(logFile.Name())
			t.Logf("provider output:\n%s", out)
		}
		logFile.Close()
	})
	g := &gateway{url: "http://" + addr}
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(g.url + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-done:
			t.Fatal("provider exited before serving")
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("provider not healthy after 90s")
		}
	}
	c, err := handlers.ReadCredentials(filepath.Join(state, credentials.DirName))
	if err != nil {
		t.Fatal(err)
	}
	g.user, g.password = c.User, c.Password
	return g
}
