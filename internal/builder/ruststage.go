package builder

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// stageRust copies the local packages the Cargo package in dir builds from
// — the workspace's root files (Cargo.toml, Cargo.lock, .cargo/) and every
// path package, as cargo metadata lists them — into stage, keeping their
// layout relative to their common parent directory and their modification
// times (so cargo's fingerprints stay fresh for unchanged sources), and
// returns dir's place in the copy. Whatever stage held before is removed.
// The caller holds the stage's lock.
func (b *Builder) stageRust(ctx context.Context, dir, stage string) (string, error) {
	cmd := exec.CommandContext(ctx, b.cargo, "metadata", "--format-version", "1")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "RUSTC="+b.rustc, "CARGO_TERM_COLOR=never")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%w: cargo metadata: %v: %s", ErrBuild, err, tail(stderr.String(), 2000))
	}
	var meta struct {
		WorkspaceRoot string `json:"workspace_root"`
		Packages      []struct {
			ManifestPath string  `json:"manifest_path"`
			Source       *string `json:"source"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &meta); err != nil {
		return "", fmt.Errorf("%w: cargo metadata: %v", ErrBuild, err)
	}
	pkgs := []string{dir}
	for _, p := range meta.Packages {
		if p.Source == nil {
			pkgs = append(pkgs, filepath.Dir(p.ManifestPath))
		}
	}
	base := meta.WorkspaceRoot
	for _, p := range pkgs {
		base = commonDir(base, p)
	}
	if err := os.RemoveAll(stage); err != nil {
		return "", fmt.Errorf("stage %s: %w", dir, err)
	}
	copied := map[string]bool{}
	for _, p := range pkgs {
		if err := copyPackage(p, base, stage, copied); err != nil {
			return "", fmt.Errorf("stage %s: %w", dir, err)
		}
	}
	// The workspace root's own files, and every .cargo/ between the
	// packages and their common parent (cargo reads config.toml there).
	for _, f := range []string{"Cargo.toml", "Cargo.lock"} {
		if err := copyFile(filepath.Join(meta.WorkspaceRoot, f), base, stage); err != nil && !os.IsNotExist(err) {
			return "", fmt.Errorf("stage %s: %w", dir, err)
		}
	}
	for _, p := range pkgs {
		for d := p; ; d = filepath.Dir(d) {
			cfg := filepath.Join(d, ".cargo")
			if st, err := os.Stat(cfg); err == nil && st.IsDir() && !copied[cfg] {
				if err := copyPackage(cfg, base, stage, copied); err != nil {
					return "", fmt.Errorf("stage %s: %w", dir, err)
				}
			}
			if d == base || filepath.Dir(d) == d {
				break
			}
		}
	}
	rel, err := filepath.Rel(base, dir)
	if err != nil {
		return "", fmt.Errorf("stage %s: %w", dir, err)
	}
	return filepath.Join(stage, rel), nil
}

// copyPackage copies the tree at src (except target/ and .git/) to the same
// place relative to base under stage.
func copyPackage(src, base, stage string, copied map[string]bool) error {
	if copied[src] {
		return nil
	}
	copied[src] = true
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != src && (d.Name() == "target" || d.Name() == ".git") {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		return copyFile(p, base, stage)
	})
}

// copyFile copies the regular file p to its place relative to base under
// stage, keeping its mode and modification time.
func copyFile(p, base, stage string) error {
	st, err := os.Stat(p)
	if err != nil {
		return err
	}
	rel, err := filepath.Rel(base, p)
	if err != nil || strings.HasPrefix(rel, "..") {
		return fmt.Errorf("%s is not under %s", p, base)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	dst := filepath.Join(stage, rel)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(dst, data, st.Mode().Perm()); err != nil {
		return err
	}
	return os.Chtimes(dst, st.ModTime(), st.ModTime())
}

// commonDir returns the longest directory containing both a and b.
func commonDir(a, b string) string {
	for {
		if rel, err := filepath.Rel(a, b); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
			return a
		}
		parent := filepath.Dir(a)
		if parent == a {
			return a
		}
		a = parent
	}
}

// lockDir takes an exclusive lock on dir+".lock" (waiting for it) and
// returns its release: one build at a time uses a stage directory, also
// across processes.
func lockDir(dir string) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	f, err := os.OpenFile(dir+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
