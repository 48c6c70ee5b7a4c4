// Package providertest builds the faas-wasm binary and runs it as a real
// provider process for the black-box tests under test/ (console, faascli,
// reliability): a loopback port the process picks itself, its own state
// dir, the credentials it generated, readiness once it logs its address and
// /healthz answers 200, and a stop by PID when the test ends, failed or not.
//
// It is for tests only.
package providertest

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/credentials"
	"github.com/faas-wasm/faas-wasm/internal/handlers"
	"github.com/faas-wasm/faas-wasm/internal/syncbuf"
)

// Package is the import path of the provider's command.
const Package = "github.com/faas-wasm/faas-wasm/cmd/faas-wasm"

// readyTimeout bounds the wait for a started provider to serve.
const readyTimeout = 90 * time.Second

// graceTimeout bounds the wait for a graceful stop before SIGKILL.
const graceTimeout = 30 * time.Second

// Build compiles the provider into dir and returns the binary's path; a
// TestMain calls it once.
func Build(dir string) (string, error) {
	bin := filepath.Join(dir, "faas-wasm")
	if out, err := exec.Command("go", "build", "-trimpath", "-o", bin, Package).CombinedOutput(); err != nil {
		return "", fmt.Errorf("build faas-wasm: %w\n%s", err, out)
	}
	return bin, nil
}

// Options says how to start a provider.
type Options struct {
	// Bin is the binary from Build.
	Bin string
	// StateDir is the --state-dir; empty means a new t.TempDir().
	StateDir string
	// CacheDir, if set, is the --cache-dir unless Args name one.
	CacheDir string
	// Args are further flags. Unless they name --containerd-socket, the
	// socket is a path in the state dir where nothing listens: the
	// provider runs Wasm functions only.
	Args []string
	// Adjust, if set, changes the command (its credentials, its
	// environment) before it starts.
	Adjust func(*exec.Cmd)
	// Graceful makes the end of the test stop the process with SIGTERM,
	// and SIGKILL only after 30s; otherwise it gets SIGKILL at once.
	Graceful bool
}

// Proc is a running provider process.
type Proc struct {
	Cmd  *exec.Cmd
	Addr string // host:port it serves on
	URL  string // "http://" + Addr
	// User and Password are the credentials the provider generated into
	// its state dir (auth is on by default).
	User, Password string
	// Output collects stdout and stderr.
	Output *syncbuf.Buffer
	// Done is closed when the process has exited; Err is then its exit
	// status.
	Done chan struct{}
	Err  error
}

// servingRE finds the listening address in the text or JSON log line.
var servingRE = regexp.MustCompile(`faas-wasm serving"?(?: addr=|,"addr":")([^\s"]+)`)

// Start runs the binary on 127.0.0.1:0 with --autoscale=false and waits
// until it serves; the process is stopped by PID when the test ends, and
// its output logged if the test failed.
func Start(t testing.TB, opts Options) *Proc {
	t.Helper()
	state := opts.StateDir
	if state == "" {
		state = t.TempDir()
	}
	args := []string{"--addr", "127.0.0.1:0", "--state-dir", state, "--autoscale=false"}
	if opts.CacheDir != "" && !hasFlag(opts.Args, "--cache-dir") {
		args = append(args, "--cache-dir", opts.CacheDir)
	}
	if !hasFlag(opts.Args, "--containerd-socket") {
		args = append(args, "--containerd-socket", filepath.Join(state, "no-containerd.sock"))
	}
	cmd := exec.Command(opts.Bin, append(args, opts.Args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if opts.Adjust != nil {
		opts.Adjust(cmd)
	}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	p := &Proc{Cmd: cmd, Output: &syncbuf.Buffer{}, Done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start faas-wasm: %v", err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			_, _ = p.Output.WriteString(sc.Text() + "\n")
			if m := servingRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	go func() {
		p.Err = cmd.Wait()
		pw.Close()
		close(p.Done)
	}()
	t.Cleanup(func() {
		if opts.Graceful {
			p.Stop()
		} else {
			p.Kill()
		}
		if t.Failed() {
			t.Logf("provider output (last 8 KiB):\n%s", Tail(p.Output.String(), 8<<10))
		}
	})
	deadline := time.After(readyTimeout)
	select {
	case a := <-addr:
		p.Addr, p.URL = a, "http://"+a
	case <-p.Done:
		t.Fatalf("provider exited before serving: %v\n%s", p.Err, p.Output.String())
	case <-deadline:
		t.Fatalf("provider did not serve in %v:\n%s", readyTimeout, p.Output.String())
	}
	for !p.healthy() {
		select {
		case <-p.Done:
			t.Fatalf("provider exited before /healthz answered: %v\n%s", p.Err, p.Output.String())
		case <-deadline:
			t.Fatalf("provider /healthz not 200 in %v", readyTimeout)
		case <-time.After(50 * time.Millisecond):
		}
	}
	c, err := handlers.ReadCredentials(filepath.Join(state, credentials.DirName))
	if err != nil {
		t.Fatalf("provider credentials: %v", err)
	}
	p.User, p.Password = c.User, c.Password
	return p
}

// healthy reports whether GET /healthz answers 200.
func (p *Proc) healthy() bool {
	resp, err := http.Get(p.URL + "/healthz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Kill sends SIGKILL unless the process has exited, and waits for the exit.
func (p *Proc) Kill() {
	select {
	case <-p.Done:
		return
	default:
	}
	_ = p.Cmd.Process.Signal(syscall.SIGKILL)
	<-p.Done
}

// Stop sends SIGTERM unless the process has exited, waits up to 30s for
// the exit, then kills it.
func (p *Proc) Stop() {
	select {
	case <-p.Done:
		return
	default:
	}
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.Done:
	case <-time.After(graceTimeout):
		p.Kill()
	}
}

// hasFlag reports whether args name the flag, as "--name value" or
// "--name=value".
func hasFlag(args []string, name string) bool {
	for _, a := range args {
		if a == name || strings.HasPrefix(a, name+"=") {
			return true
		}
	}
	return false
}

// Tail returns the last n bytes of s, marked as cut when it is longer.
func Tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
