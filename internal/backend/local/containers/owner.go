package containers

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/containerd/containerd/containers"
)

// ownerFile holds the manager's owner id inside its state directory.
const ownerFile = "owner"

// loadOwner returns the owner id kept in stateDir, creating one on first
// use. Every container the manager creates carries it (labelOwner), so
// managers with other state directories on the same containerd namespace
// never adopt or remove each other's containers. Concurrent first uses of
// one directory agree on a single id (the file is linked into place).
func loadOwner(stateDir string) (string, error) {
	path := filepath.Join(stateDir, ownerFile)
	if id, err := readOwner(path); err == nil || !errors.Is(err, os.ErrNotExist) {
		return id, err
	}
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails since Go 1.24
	id := hex.EncodeToString(b[:])
	tmp, err := os.CreateTemp(stateDir, ownerFile+".*")
	if err != nil {
		return "", fmt.Errorf("owner id: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.WriteString(id + "\n")
	if err := errors.Join(werr, tmp.Sync(), tmp.Close()); err != nil {
		return "", fmt.Errorf("owner id: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, os.ErrExist) {
		return "", fmt.Errorf("owner id: %w", err)
	}
	return readOwner(path)
}

// readOwner reads an owner id file.
func readOwner(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("owner id: %w", err)
	}
	id := strings.TrimSpace(string(b))
	if id == "" {
		return "", fmt.Errorf("owner id: %s is empty (delete it to have a new id made)", path)
	}
	return id, nil
}

// owns tells whether a container belongs to this manager: it carries the
// manager's owner id, or — created before containers carried one — its
// replica directory is in this manager's state directory.
func (m *Manager) owns(info containers.Container) bool {
	if owner, ok := info.Labels[labelOwner]; ok {
		return owner == m.owner
	}
	_, err := os.Stat(filepath.Join(m.opts.stateDir, "replicas", info.ID))
	return err == nil
}
