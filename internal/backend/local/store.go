package local

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// tmpPrefix starts the name of every temporary file written by atomicWrite;
// files with this prefix left behind by a crash are removed at start-up.
const tmpPrefix = ".tmp-"

// atomicWrite replaces path with data so that a crash at any moment leaves
// either the old or the new content: it writes a temporary file in the same
// directory, syncs it, renames it over path and syncs the directory.
func atomicWrite(path string, data []byte, perm fs.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, tmpPrefix+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	return syncDir(dir)
}

// removeFile deletes path (absent is fine) and syncs its directory.
func removeFile(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// writeJSON stores v as JSON at path atomically.
func writeJSON(path string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return atomicWrite(path, data, 0o600)
}

// readJSONDir decodes every *.json file of dir into a fresh value made by
// newV and hands it to add. Temporary files left by a crash are removed; a
// file that does not decode is renamed to *.corrupt, logged and skipped, so
// one damaged file never stops the provider from starting.
func readJSONDir(log *slog.Logger, dir string, newV func() any, add func(name string, v any)) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		switch {
		case strings.HasPrefix(e.Name(), tmpPrefix):
			log.Info("removing temporary file left by an interrupted write", "path", path)
			if err := os.Remove(path); err != nil {
				return err
			}
			continue
		case e.IsDir() || !strings.HasSuffix(e.Name(), ".json"):
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		v := newV()
		if err := json.Unmarshal(data, v); err != nil {
			log.Error("state file is damaged; moved aside and skipped", "path", path, "err", err)
			if err := os.Rename(path, path+".corrupt"); err != nil {
				return fmt.Errorf("move aside %s: %w", path, err)
			}
			continue
		}
		add(strings.TrimSuffix(e.Name(), ".json"), v)
	}
	return nil
}
