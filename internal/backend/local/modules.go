package local

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// moduleStore keeps the module of every Wasm function on disk, so a restart
// does not need the registry. Modules are stored once by content under
// blobs/SHA256.wasm; each function's NS/NAME.wasm is a hard link to its
// blob, so a thousand functions of one image cost one copy, and the file
// system counts the references: a blob whose only link is its own name is
// unused and removed.
type moduleStore struct {
	dir string
	log *slog.Logger
	mu  sync.Mutex // orders linking against collecting blobs
}

func (s *moduleStore) path(name, ns string) string { return filepath.Join(s.dir, ns, name+".wasm") }

func (s *moduleStore) blob(digest string) string {
	return filepath.Join(s.dir, "blobs", digest+".wasm")
}

// read returns the kept module of a function.
func (s *moduleStore) read(name, ns string) ([]byte, error) {
	return os.ReadFile(s.path(name, ns))
}

// keep makes module, whose SHA-256 is digest (hex), the function's kept
// module, atomically replacing the previous one, and removes the previous
// blob if nothing else uses it.
func (s *moduleStore) keep(name, ns, digest string, module []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	blob := s.blob(digest)
	if _, err := os.Stat(blob); errors.Is(err, fs.ErrNotExist) {
		if err := atomicWrite(blob, module, 0o600); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	path := s.path(name, ns)
	old := s.blobOf(path)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(path), tmpPrefix+name+".wasm")
	os.Remove(tmp)
	if err := os.Link(blob, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return err
	}
	if old != "" && old != blob {
		s.collect(old)
	}
	return nil
}

// remove forgets a function's module and its blob if nothing else uses it.
func (s *moduleStore) remove(name, ns string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	path := s.path(name, ns)
	old := s.blobOf(path)
	if err := removeFile(path); err != nil {
		return err
	}
	if old != "" {
		s.collect(old)
	}
	return nil
}

// blobOf finds the blob a function's file is linked to ("" if none).
func (s *moduleStore) blobOf(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return ""
	}
	entries, err := os.ReadDir(filepath.Join(s.dir, "blobs"))
	if err != nil {
		return ""
	}
	for _, e := range entries {
		p := filepath.Join(s.dir, "blobs", e.Name())
		if bi, err := os.Stat(p); err == nil && os.SameFile(fi, bi) {
			return p
		}
	}
	return ""
}

// collect removes blob when its only link is its own name; the caller
// holds s.mu or is alone.
func (s *moduleStore) collect(blob string) {
	fi, err := os.Stat(blob)
	if err != nil {
		return
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || st.Nlink > 1 {
		return
	}
	if err := removeFile(blob); err != nil {
		s.log.Warn("removing an unused module", "path", blob, "err", err)
	}
}

// sweep removes temporary files left by a crash, then unused blobs.
func (s *moduleStore) sweep() {
	dirs, err := os.ReadDir(s.dir)
	if err != nil {
		return
	}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		entries, _ := os.ReadDir(filepath.Join(s.dir, d.Name()))
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), tmpPrefix) {
				os.Remove(filepath.Join(s.dir, d.Name(), e.Name()))
			}
		}
	}
	blobs, _ := os.ReadDir(filepath.Join(s.dir, "blobs"))
	for _, e := range blobs {
		s.collect(filepath.Join(s.dir, "blobs", e.Name()))
	}
}
