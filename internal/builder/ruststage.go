package builder

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/faas-wasm/faas-wasm/internal/filelock"
)

// stageRust copies the local packages the Cargo package in dir builds from
// — the workspace's root files (Cargo.toml, Cargo.lock, .cargo/) and every
// path package, as cargo metadata lists them — into a stage directory under
// stages, keeping their layout relative to their common parent directory.
// It returns dir's place in the copy, the stage directory, and the release
// of the stage's lock, which it holds (one build at a time per stage, also
// across processes).
//
// Each layout (the workspace root's and the packages' paths relative to
// their common parent, and the packages' names) has its own stage
// directory, named by a digest of it, so two checkouts of one project share a stage (and build the same
// bytes: cargo hashes the stage path into its -C metadata) while different
// projects do not take turns in one.
//
// The stage is synchronised by content: a file whose bytes and mode are
// already there is not written again and keeps its modification time; a new
// or changed one is written, and so is newer than cargo's outputs; files no
// longer in the source are removed. Cargo's fingerprints (the stage files'
// times) then stay fresh across checkouts whose files carry different
// times — every clone and worktree has its own — and only changed sources
// are compiled again. Copying the checkout's times instead rebuilt every
// Rust function (LTO, 0.5–2 minutes each under load) whenever the previous
// build had come from another checkout.
func (b *Builder) stageRust(ctx context.Context, dir, stages string) (string, string, func(), error) {
	cmd := exec.CommandContext(ctx, b.cargo, "metadata", "--format-version", "1")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "RUSTC="+b.rustc, "CARGO_TERM_COLOR=never")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", "", nil, fmt.Errorf("%w: cargo metadata: %v: %s", ErrBuild, err, tail(stderr.String(), 2000))
	}
	var meta struct {
		WorkspaceRoot string `json:"workspace_root"`
		Packages      []struct {
			Name         string  `json:"name"`
			ManifestPath string  `json:"manifest_path"`
			Source       *string `json:"source"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &meta); err != nil {
		return "", "", nil, fmt.Errorf("%w: cargo metadata: %v", ErrBuild, err)
	}
	pkgs := []string{dir}
	names := map[string]string{} // local package directory → name
	for _, p := range meta.Packages {
		if p.Source == nil {
			pkgs = append(pkgs, filepath.Dir(p.ManifestPath))
			names[filepath.Dir(p.ManifestPath)] = p.Name
		}
	}
	base := meta.WorkspaceRoot
	for _, p := range pkgs {
		base = commonDir(base, p)
	}
	layout, err := layoutKey(base, append([]string{meta.WorkspaceRoot}, pkgs...), names)
	if err != nil {
		return "", "", nil, fmt.Errorf("stage %s: %w", dir, err)
	}
	stage := filepath.Join(stages, layout)
	unlock, err := lockDir(ctx, stage)
	if err != nil {
		return "", "", nil, fmt.Errorf("stage %s: %w", dir, err)
	}
	st := &stager{base: base, stage: stage, copied: map[string]bool{}, staged: map[string]bool{}}
	if err := st.sync(meta.WorkspaceRoot, pkgs); err != nil {
		unlock()
		return "", "", nil, fmt.Errorf("stage %s: %w", dir, err)
	}
	rel, err := filepath.Rel(base, dir)
	if err != nil {
		unlock()
		return "", "", nil, fmt.Errorf("stage %s: %w", dir, err)
	}
	return filepath.Join(stage, rel), stage, unlock, nil
}

// layoutKey names a stage by the paths of dirs relative to base and the
// names of the packages there.
func layoutKey(base string, dirs []string, names map[string]string) (string, error) {
	rels := make([]string, 0, len(dirs))
	for _, d := range dirs {
		rel, err := filepath.Rel(base, d)
		if err != nil {
			return "", err
		}
		rels = append(rels, filepath.ToSlash(rel)+" "+names[d])
	}
	slices.Sort(rels)
	sum := sha256.Sum256([]byte(strings.Join(slices.Compact(rels), "\n")))
	return hex.EncodeToString(sum[:6]), nil
}

// stager synchronises one stage directory with the sources.
type stager struct {
	base, stage string
	copied      map[string]bool // source trees done
	staged      map[string]bool // stage files written or kept
}

// sync copies the packages, the workspace root's own files and every
// .cargo/ between the packages and their common parent (cargo reads
// config.toml there), then removes what else the stage holds.
func (s *stager) sync(workspaceRoot string, pkgs []string) error {
	for _, p := range pkgs {
		if err := s.copyTree(p); err != nil {
			return err
		}
	}
	for _, f := range []string{"Cargo.toml", "Cargo.lock"} {
		if err := s.copyFile(filepath.Join(workspaceRoot, f)); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	for _, p := range pkgs {
		for d := p; ; d = filepath.Dir(d) {
			cfg := filepath.Join(d, ".cargo")
			if st, err := os.Stat(cfg); err == nil && st.IsDir() {
				if err := s.copyTree(cfg); err != nil {
					return err
				}
			}
			if d == s.base || filepath.Dir(d) == d {
				break
			}
		}
	}
	return s.removeRest()
}

// copyTree copies the tree at src (except target/ and .git/) to the same
// place relative to base under the stage.
func (s *stager) copyTree(src string) error {
	if s.copied[src] {
		return nil
	}
	s.copied[src] = true
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
		return s.copyFile(p)
	})
}

// copyFile copies the regular file p to its place relative to base under
// the stage, unless the same bytes and mode are there already.
func (s *stager) copyFile(p string) error {
	st, err := os.Stat(p)
	if err != nil {
		return err
	}
	rel, err := filepath.Rel(s.base, p)
	if err != nil || strings.HasPrefix(rel, "..") {
		return fmt.Errorf("%s is not under %s", p, s.base)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	dst := filepath.Join(s.stage, rel)
	s.staged[dst] = true
	if old, err := os.ReadFile(dst); err == nil && bytes.Equal(old, data) {
		if ost, err := os.Stat(dst); err == nil && ost.Mode().Perm() == st.Mode().Perm() {
			return nil
		}
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	// Removed first, so that a new file gets the source's mode (and, like
	// any write, the time of now).
	if err := os.Remove(dst); err != nil && !os.IsNotExist(err) {
		return err
	}
	return os.WriteFile(dst, data, st.Mode().Perm())
}

// removeRest removes the stage's files that this staging neither wrote nor
// kept, and the directories left empty.
func (s *stager) removeRest() error {
	var dirs []string
	err := filepath.WalkDir(s.stage, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, p)
			return nil
		}
		if s.staged[p] {
			return nil
		}
		return os.Remove(p)
	})
	if err != nil {
		return err
	}
	for i := len(dirs) - 1; i > 0; i-- { // deepest first, never the stage itself
		_ = os.Remove(dirs[i]) // refused unless empty, as it should be
	}
	return nil
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

// lockDir takes the exclusive lock of dir+".lock" (waiting for it until ctx
// ends) and returns its release: one build at a time uses a stage
// directory, also across processes.
func lockDir(ctx context.Context, dir string) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	return filelock.Exclusive(ctx, dir+".lock")
}
