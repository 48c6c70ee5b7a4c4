package reliability

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/credentials"
	"github.com/faas-wasm/faas-wasm/internal/handlers"
	"github.com/faas-wasm/faas-wasm/internal/syncbuf"
)

// proc is one faas-wasm process started by a test; it is killed when the
// test ends if it still runs.
type proc struct {
	cmd    *exec.Cmd
	url    string
	addr   string
	output *syncbuf.Buffer // stdout and stderr
	done   chan struct{}
	err    error // exit status, valid after done
	// user and password are the credentials the provider generated into
	// its state dir (auth is on by default); call sends them.
	user, password string
}

// servingRE finds the listening address in the text or JSON log line.
var servingRE = regexp.MustCompile(`faas-wasm serving"?(?: addr=|,"addr":")([^\s"]+)`)

// startProvider runs the binary with a loopback address, stateDir and no
// containerd (unless args name a socket), and waits until it serves.
func startProvider(t testing.TB, stateDir string, args ...string) *proc {
	t.Helper()
	return startProviderCmd(t, stateDir, nil, args...)
}

// startProviderCmd is startProvider with a hook to adjust the command (for
// instance its credentials) before it starts.
func startProviderCmd(t testing.TB, stateDir string, adjust func(*exec.Cmd), args ...string) *proc {
	t.Helper()
	base := []string{"--addr", "127.0.0.1:0", "--state-dir", stateDir, "--autoscale=false"}
	if !hasFlag(args, "--cache-dir") {
		base = append(base, "--cache-dir", cacheDir)
	}
	if !hasFlag(args, "--containerd-socket") {
		base = append(base, "--containerd-socket", filepath.Join(stateDir, "no-containerd.sock"))
	}
	cmd := exec.Command(binPath, append(base, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if adjust != nil {
		adjust(cmd)
	}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	p := &proc{cmd: cmd, output: &syncbuf.Buffer{}, done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			_, _ = p.output.WriteString(sc.Text() + "\n")
			if m := servingRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, pr)
	}()
	go func() {
		p.err = cmd.Wait()
		pw.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("provider output (last 8 KiB):\n%s", tail(p.output.String(), 8<<10))
		}
	})
	select {
	case a := <-addr:
		p.addr, p.url = a, "http://"+a
		if c, err := handlers.ReadCredentials(filepath.Join(stateDir, credentials.DirName)); err == nil {
			p.user, p.password = c.User, c.Password
		}
	case <-p.done:
		t.Fatalf("provider exited before serving: %v\n%s", p.err, p.output.String())
	case <-time.After(90 * time.Second):
		t.Fatalf("provider did not serve in time:\n%s", p.output.String())
	}
	return p
}

func hasFlag(args []string, name string) bool {
	for _, a := range args {
		if a == name || strings.HasPrefix(a, name+"=") {
			return true
		}
	}
	return false
}

// kill sends SIGKILL and waits for the process to end.
func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// terminate sends SIGTERM and waits up to limit for the exit; it returns
// how long the exit took.
func (p *proc) terminate(t *testing.T, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	if err := p.cmd.Process.Signal(sigterm); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(limit):
		t.Fatalf("provider still running %v after SIGTERM", limit)
	}
	return time.Since(start)
}

// rssKiB returns the process's resident set size (VmRSS) in KiB.
func (p *proc) rssKiB(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
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
	req, err := http.NewRequest(method, p.url+path, r)
	if err != nil {
		return 0, "", err
	}
	if p.user != "" {
		req.SetBasicAuth(p.user, p.password)
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
		t.Fatalf("%s %s = %d %q, want %d", method, path, code, tail(out, 512), want)
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

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// sigterm is the signal of a graceful stop.
const sigterm = syscall.SIGTERM
