package reliability

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/providertest"
)

// proc is one faas-wasm process started by a test; it is killed when the
// test ends if it still runs.
type proc struct{ *providertest.Proc }

// startProvider runs the binary with a loopback address, stateDir, the
// shared cache dir and no containerd (unless args name a cache dir or a
// socket), and waits until it serves.
func startProvider(t testing.TB, stateDir string, args ...string) *proc {
	t.Helper()
	return startProviderCmd(t, stateDir, nil, args...)
}

// startProviderCmd is startProvider with a hook to adjust the command (for
// instance its credentials) before it starts.
func startProviderCmd(t testing.TB, stateDir string, adjust func(*exec.Cmd), args ...string) *proc {
	t.Helper()
	return &proc{providertest.Start(t, providertest.Options{
		Bin: binPath, StateDir: stateDir, CacheDir: cacheDir, Args: args, Adjust: adjust,
	})}
}

// terminate sends SIGTERM and waits up to limit for the exit; it returns
// how long the exit took.
func (p *proc) terminate(t *testing.T, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	if err := p.Cmd.Process.Signal(sigterm); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done:
	case <-time.After(limit):
		t.Fatalf("provider still running %v after SIGTERM", limit)
	}
	return time.Since(start)
}

// rssKiB returns the process's resident set size (VmRSS) in KiB.
func (p *proc) rssKiB(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.Cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				t.Fatalf("VmRSS %q: %v", v, err)
			}
			return n
		}
	}
	t.Fatal("no VmRSS in /proc status")
	return 0
}

// client is the HTTP client of the tests: bounded in time, with enough idle
// connections for the load tests.
var client = &http.Client{
	Timeout: 60 * time.Second,
	Transport: &http.Transport{
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       30 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
	},
}

// call sends a request (body: nil, string, []byte or a value sent as JSON)
// and returns the status and body; a transport error is returned as err.
func (p *proc) call(method, path string, body any, hdr ...string) (int, string, error) {
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return 0, "", err
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, p.URL+path, r)
	if err != nil {
		return 0, "", err
	}
	if p.User != "" {
		req.SetBasicAuth(p.User, p.Password)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out), err
}

// expect asserts the status of a request and returns its body.
func (p *proc) expect(t testing.TB, want int, method, path string, body any) string {
	t.Helper()
	code, out, err := p.call(method, path, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if code != want {
		t.Fatalf("%s %s = %d %q, want %d", method, path, code, providertest.Tail(out, 512), want)
	}
	return out
}

// decode asserts a 200 and decodes the JSON body into v.
func (p *proc) decode(t *testing.T, path string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(p.expect(t, http.StatusOK, http.MethodGet, path, nil)), v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// sigterm is the signal of a graceful stop.
const sigterm = syscall.SIGTERM
