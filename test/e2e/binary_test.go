//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
)

// providerBinary is the faas-wasm binary built once per test run.
var providerBinary struct {
	once sync.Once
	path string
	err  error
}

// buildProvider builds the repository's faas-wasm binary into a directory
// that outlives single tests (removed by TestMain's caller: the OS temp dir).
func buildProvider(t *testing.T, root string) string {
	t.Helper()
	providerBinary.once.Do(func() {
		dir, err := os.MkdirTemp("", "faas-wasm-e2e-bin-")
		if err != nil {
			providerBinary.err = err
			return
		}
		providerBinary.path = filepath.Join(dir, "faas-wasm")
		cmd := exec.Command("go", "build", "-o", providerBinary.path, "./cmd/faas-wasm")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			providerBinary.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if providerBinary.err != nil {
		t.Fatal(providerBinary.err)
	}
	return providerBinary.path
}

// binProvider is the real faas-wasm binary serving the provider API in
// kubernetes mode on loopback, acting as the test's RBAC-bound user and
// reaching the API server through the test's pausable proxy.
type binProvider struct {
	url     string
	addr    string
	args    []string
	bin     string
	logPath string
	t       *testing.T

	mu  sync.Mutex
	cmd *exec.Cmd
}

// startBinary writes a kubeconfig for the provider's user and starts the
// binary with extra flags (for example "--autoscale-interval", "1s"). The
// process is stopped when the test ends, also on failure; its log is
// printed then when the test failed.
func (c *cluster) startBinary(t *testing.T, extra ...string) *binProvider {
	t.Helper()
	dir := t.TempDir()
	kubeconfig := filepath.Join(dir, "kubeconfig")
	c.writeProviderKubeconfig(t, kubeconfig)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := &binProvider{
		url: "http://" + addr, addr: addr, bin: buildProvider(t, c.root), t: t,
		logPath: filepath.Join(dir, "provider.log"),
		// Auth off (allowed: the address is loopback) so the load helpers
		// call /system/* as plain clients; auth is tested in cmd/faas-wasm.
		args: append([]string{"--mode", "kubernetes", "--kubeconfig", kubeconfig, "--addr", addr,
			"--state-dir", filepath.Join(dir, "state"), "--insecure-no-auth",
			"--namespace", c.namespace, "--log-level", "info"}, extra...),
	}
	p.start(t)
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			if out, err := os.ReadFile(p.logPath); err == nil {
				t.Logf("provider log:\n%s", tail(string(out), 60))
			}
		}
	})
	return p
}

// writeProviderKubeconfig writes the admin kubeconfig pointed at the
// pausable proxy and impersonating the test's RBAC-bound user.
func (c *cluster) writeProviderKubeconfig(t *testing.T, path string) {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(os.Getenv("FAAS_WASM_KUBECONFIG"))
	if err != nil {
		t.Fatal(err)
	}
	for _, cl := range cfg.Clusters {
		u, err := url.Parse(cl.Server)
		if err != nil {
			t.Fatal(err)
		}
		cl.TLSServerName = u.Hostname()
		cl.Server = "https://" + c.api.addr
	}
	for _, a := range cfg.AuthInfos {
		a.Impersonate = c.user
	}
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
}

// start runs the binary (appending to its log) and waits until /healthz answers.
func (p *binProvider) start(t *testing.T) {
	t.Helper()
	logf, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(p.bin, p.args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatal(err)
	}
	logf.Close()
	p.mu.Lock()
	p.cmd = cmd
	p.mu.Unlock()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(p.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("provider binary not healthy after 60 s: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// pid is the running process's ID (0 when stopped).
func (p *binProvider) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// take returns the running process (nil when stopped) and forgets it.
func (p *binProvider) take() *exec.Cmd {
	p.mu.Lock()
	defer p.mu.Unlock()
	cmd := p.cmd
	p.cmd = nil
	return cmd
}

// kill sends SIGKILL and reaps the process.
func (p *binProvider) kill(t *testing.T) {
	t.Helper()
	cmd := p.take()
	if cmd == nil {
		return
	}
	cmd.Process.Kill()
	cmd.Wait()
}

// stop sends SIGTERM, waits up to 40 s, then kills.
func (p *binProvider) stop(t *testing.T) {
	t.Helper()
	cmd := p.take()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(40 * time.Second):
		t.Errorf("provider did not stop within 40 s of SIGTERM; killing it")
		cmd.Process.Kill()
		<-done
	}
}

// rssBytes reads the process's resident set size from /proc.
func (p *binProvider) rssBytes(t *testing.T) int64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.pid()))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmRSS:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc status")
	return 0
}

// api returns the same request helpers the in-process provider has.
func (p *binProvider) api() *provider { return &provider{url: p.url} }

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// withTimeout is a context bounded by d, cancelled when the test ends.
func withTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
