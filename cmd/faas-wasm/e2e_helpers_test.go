package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/credentials"
	"github.com/faas-wasm/faas-wasm/internal/handlers"
	"github.com/faas-wasm/faas-wasm/internal/oci"
)

// Built once by TestMain: the faas-wasm binary and the echo test function.
var (
	binPath   string
	echoWasm  []byte
	buildRoot string
)

func TestMain(m *testing.M) {
	var err error
	buildRoot, err = os.MkdirTemp("", "faas-wasm-e2e-")
	if err != nil {
		log.Fatal(err)
	}
	code := func() int {
		defer os.RemoveAll(buildRoot)
		binPath = filepath.Join(buildRoot, "faas-wasm")
		if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			log.Printf("build faas-wasm: %v\n%s", err, out)
			return 1
		}
		wasmPath := filepath.Join(buildRoot, "echo.wasm")
		cmd := exec.Command("go", "build", "-trimpath", "-o", wasmPath, ".")
		cmd.Dir = filepath.Join("..", "..", "test", "guests", "echo")
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
		if out, err := cmd.CombinedOutput(); err != nil {
			log.Printf("build echo guest: %v\n%s", err, out)
			return 1
		}
		if echoWasm, err = os.ReadFile(wasmPath); err != nil {
			log.Print(err)
			return 1
		}
		return m.Run()
	}()
	os.Exit(code)
}

// pushEcho pushes the echo function as a Wasm image and returns its reference.
func pushEcho(t testing.TB, registry, repo string) string {
	t.Helper()
	img, err := oci.WasmImage(echoWasm, oci.FormOCILayer)
	if err != nil {
		t.Fatal(err)
	}
	ref := registry + "/" + repo + ":1"
	if _, err := oci.Push(context.Background(), img, ref); err != nil {
		t.Fatal(err)
	}
	return ref
}

// providerProc is a faas-wasm process started by a test.
type providerProc struct {
	t    *testing.T
	cmd  *exec.Cmd
	url  string
	logs *syncBuffer
	done chan error
	// user and password are the credentials the provider generated into its
	// state dir (empty when it uses mounted ones or none); do sends them.
	user, password string
}

var servingAddr = regexp.MustCompile(`faas-wasm serving"? addr=(\S+)`)

// startProvider runs the binary on a loopback port with the given state dir
// and waits until it serves. The process is stopped when the test ends.
func startProvider(t *testing.T, stateDir string, args ...string) *providerProc {
	t.Helper()
	args = append([]string{"--addr", "127.0.0.1:0", "--state-dir", stateDir, "--containerd-socket", filepath.Join(stateDir, "no-containerd.sock")}, args...)
	cmd := exec.Command(binPath, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &providerProc{t: t, cmd: cmd, logs: &syncBuffer{}, done: make(chan error, 1)}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			p.logs.WriteString(line + "\n")
			if m := servingAddr.FindStringSubmatch(line); m != nil {
				addr <- m[1]
			}
		}
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("provider log:\n%s", p.logs.String())
		}
	})
	select {
	case a := <-addr:
		p.url = "http://" + a
		if c, err := handlers.ReadCredentials(filepath.Join(stateDir, credentials.DirName)); err == nil {
			p.user, p.password = c.User, c.Password
		}
	case err := <-p.done:
		t.Fatalf("provider exited before serving: %v\n%s", err, p.logs.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("provider did not start in time:\n%s", p.logs.String())
	}
	return p
}

// stop sends SIGTERM and waits for a clean exit.
func (p *providerProc) stop() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			p.t.Fatalf("provider exit after SIGTERM: %v\n%s", err, p.logs.String())
		}
		p.done <- err
	case <-time.After(30 * time.Second):
		p.t.Fatalf("provider did not stop after SIGTERM:\n%s", p.logs.String())
	}
}

// kill ends the process with SIGKILL if it still runs.
func (p *providerProc) kill() {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Kill()
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
		}
	}
}

// do sends a request and returns status, body and headers.
func (p *providerProc) do(method, path string, body any, hdr ...string) (int, string, http.Header) {
	p.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			p.t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, p.url+path, r)
	if err != nil {
		p.t.Fatal(err)
	}
	if p.user != "" {
		req.SetBasicAuth(p.user, p.password)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		p.t.Fatal(err)
	}
	return resp.StatusCode, string(out), resp.Header
}

// expect asserts the status of a request and returns its body.
func (p *providerProc) expect(want int, method, path string, body any, hdr ...string) string {
	p.t.Helper()
	code, out, _ := p.do(method, path, body, hdr...)
	if code != want {
		p.t.Fatalf("%s %s = %d %q, want %d", method, path, code, out, want)
	}
	return out
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) WriteString(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.WriteString(s)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func must(t *testing.T, cond bool, format string, args ...any) {
	t.Helper()
	if !cond {
		t.Fatalf(format, args...)
	}
}
