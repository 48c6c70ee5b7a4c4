// Package pgserver runs a private PostgreSQL server from Debian's
// postgresql-15 binaries in a directory of its own: initdb, then postgres
// listening only on a unix socket in that directory, trust authentication
// for user postgres. It serves the user store's tests and the benchmark.
//
// PostgreSQL refuses to run as root, so when the current user is root the
// server runs as the system user postgres (via runuser) and the directory is
// handed to that user. It is not a production deployment: no TCP, no
// passwords, fsync off.
package pgserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// DefaultBinDir is where Debian installs the PostgreSQL 15 server programs.
const DefaultBinDir = "/usr/lib/postgresql/15/bin"

// ErrUnavailable is wrapped when the PostgreSQL programs or the postgres
// user are missing.
var ErrUnavailable = errors.New("postgresql server programs unavailable")

// RequiredByCI reports whether a test must fail instead of skipping when
// Available reports an error: the environment variable CI is true (as in
// .ci/run), where a missing PostgreSQL must not pass silently. It is the
// rule of the provider module's internal/testenv, which this module cannot
// import.
func RequiredByCI() bool {
	v, err := strconv.ParseBool(os.Getenv("CI"))
	return err == nil && v
}

// Server is a running private PostgreSQL server.
type Server struct {
	dir    string
	binDir string
	runAs  string
}

// Available reports whether Start can work on this machine.
func Available() error {
	if _, err := os.Stat(filepath.Join(DefaultBinDir, "postgres")); err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if os.Geteuid() == 0 {
		if _, err := user.Lookup("postgres"); err != nil {
			return fmt.Errorf("%w: running as root needs the postgres user: %v", ErrUnavailable, err)
		}
	}
	return nil
}

// Start initialises a cluster in dir/data (unless one is there) and starts
// the server with its socket in dir. dir must be an absolute path whose
// parents the server's user can traverse (a directory under /tmp is).
//
// # Errors
//
// An error wrapping ErrUnavailable, or the failing program's output.
func Start(ctx context.Context, dir string) (*Server, error) {
	if err := Available(); err != nil {
		return nil, fmt.Errorf("start postgresql: %w", err)
	}
	if !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("start postgresql: dir %q is not absolute", dir)
	}
	s := &Server{dir: dir, binDir: DefaultBinDir}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("start postgresql: %w", err)
	}
	if os.Geteuid() == 0 {
		s.runAs = "postgres"
		if err := chownTo(dir, "postgres"); err != nil {
			return nil, fmt.Errorf("start postgresql: %w", err)
		}
	}
	data := filepath.Join(dir, "data")
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := s.run(ctx, "initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"); err != nil {
			return nil, fmt.Errorf("start postgresql: %w", err)
		}
	}
	opts := fmt.Sprintf("-k %s -c listen_addresses= -c fsync=off -c full_page_writes=off", dir)
	if err := s.run(ctx, "pg_ctl", "-D", data, "-l", filepath.Join(dir, "server.log"), "-o", opts, "-w", "-t", "60", "start"); err != nil {
		return nil, fmt.Errorf("start postgresql: %w", err)
	}
	return s, nil
}

// DSN returns the connection string for database postgres as user postgres
// over the server's unix socket.
func (s *Server) DSN() string {
	return fmt.Sprintf("host=%s port=5432 user=postgres dbname=postgres sslmode=disable", s.dir)
}

// Stop stops the server (fast shutdown) and waits for it. It is safe to call
// more than once.
//
// # Errors
//
// pg_ctl's output when the server could not be stopped.
func (s *Server) Stop(ctx context.Context) error {
	data := filepath.Join(s.dir, "data")
	if _, err := os.Stat(filepath.Join(data, "postmaster.pid")); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err := s.run(ctx, "pg_ctl", "-D", data, "-m", "fast", "-w", "-t", "30", "stop"); err != nil {
		return fmt.Errorf("stop postgresql: %w", err)
	}
	return nil
}

func (s *Server) run(ctx context.Context, prog string, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	path := filepath.Join(s.binDir, prog)
	var cmd *exec.Cmd
	if s.runAs != "" {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", s.runAs, "--", path}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, path, args...)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Dir = s.dir
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", prog, err, strings.TrimSpace(out.String()))
	}
	return nil
}

func chownTo(dir, name string) error {
	u, err := user.Lookup(name)
	if err != nil {
		return fmt.Errorf("lookup %s: %w", name, err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return fmt.Errorf("uid of %s: %w", name, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return fmt.Errorf("gid of %s: %w", name, err)
	}
	return filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}
