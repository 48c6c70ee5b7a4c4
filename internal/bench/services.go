package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// Services are the backends two of the study's functions call: the Hamlet
// text server (fuzzysearch) and PostgreSQL + cmd/userstore (user-manager).
type Services struct {
	hamlet     *http.Server
	hamletPort int
	userstore  *child
	userPort   int
	// Notes explain services that could not be started.
	Notes []string
}

// StartServices starts the Hamlet server (serving hamletFile) and, when
// PostgreSQL is installed, userstore built from repo's cmd/userstore with a
// private PostgreSQL under dir. listen is the address both listen on
// (127.0.0.1, or 0.0.0.0 when containers on a bridge must reach them).
// A service that cannot start is left out with a note; its function then
// fails to answer and is reported so.
//
// # Errors
//
// Only when the Hamlet server cannot listen.
func StartServices(ctx context.Context, repo, dir, listen string, hamletFile string) (*Services, error) {
	s := &Services{}
	text, err := os.ReadFile(hamletFile)
	if err != nil {
		return nil, fmt.Errorf("hamlet server: %w", err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(listen, "0"))
	if err != nil {
		return nil, fmt.Errorf("hamlet server: %w", err)
	}
	s.hamletPort = ln.Addr().(*net.TCPAddr).Port
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hamlet.txt", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(text)))
		w.Write(text)
	})
	s.hamlet = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go s.hamlet.Serve(ln)

	if err := s.startUserstore(ctx, repo, dir, listen); err != nil {
		s.Notes = append(s.Notes, fmt.Sprintf("user-manager's REST service did not start: %v", err))
	}
	return s, nil
}

func (s *Services) startUserstore(ctx context.Context, repo, dir, listen string) error {
	// PostgreSQL runs as its own user, which must traverse dir.
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	bin := filepath.Join(dir, "userstore")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	build.Dir = filepath.Join(repo, "functions", "services", "userstore")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build functions/services/userstore: %w: %s", err, out)
	}
	port, err := freePort(listen)
	if err != nil {
		return err
	}
	addr := net.JoinHostPort(listen, strconv.Itoa(port))
	c, err := startChild("userstore", filepath.Join(dir, "userstore.log"), nil, bin,
		"-addr", addr, "-pgdata", filepath.Join(dir, "pg"))
	if err != nil {
		return err
	}
	s.userstore, s.userPort = c, port
	if err := waitHTTP(ctx, c, fmt.Sprintf("http://127.0.0.1:%d/healthz", port), time.Minute); err != nil {
		log, _ := os.ReadFile(c.log.Name())
		s.userstore.stop(10 * time.Second)
		s.userstore = nil
		return fmt.Errorf("%w: %s", err, tail(string(log), 600))
	}
	return nil
}

// HamletURL returns the text's URL as seen from host (an address of this
// machine the function can reach).
func (s *Services) HamletURL(host string) string {
	return fmt.Sprintf("http://%s/hamlet.txt", net.JoinHostPort(host, strconv.Itoa(s.hamletPort)))
}

// UserAPIURL returns userstore's /users URL as seen from host, or "" when
// userstore is not running.
func (s *Services) UserAPIURL(host string) string {
	if s.userstore == nil {
		return ""
	}
	return fmt.Sprintf("http://%s/users", net.JoinHostPort(host, strconv.Itoa(s.userPort)))
}

// Stop stops userstore (which stops its PostgreSQL) and the Hamlet server,
// and copies userstore's log into logDir unless it is empty.
//
// # Errors
//
// The Hamlet server's shutdown error, or copying the log.
func (s *Services) Stop(ctx context.Context, logDir string) error {
	if s == nil {
		return nil
	}
	s.userstore.stop(30 * time.Second)
	if s.userstore != nil && logDir != "" {
		if err := copyLogs(logDir, s.userstore.log.Name()); err != nil {
			return err
		}
	}
	if err := s.hamlet.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("stop hamlet server: %w", err)
	}
	return nil
}

// tail returns at most the last n bytes of s.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
