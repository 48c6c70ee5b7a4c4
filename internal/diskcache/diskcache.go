// Package diskcache bounds a directory of cache files that several processes
// on one node share (the Wasm engine's compiled modules, the shim's module
// files): least recently used entries are removed first until the entries
// total at most a limit of bytes.
//
// An entry is a file named *EXT in the directory, with its companion files
// (the entry's name followed by a suffix, such as KEY.cwasm.sum). Its last
// use is the entry file's access time, which users set with Touch (the
// modification time is left alone: the engine names a file version by it).
// Users open entries holding Shared; Trim holds the exclusive lock of the
// same lock file, so it never removes an entry between another process's
// check and its open. A removed file that is still memory-mapped stays
// readable by its mappers until they unmap it (its space is freed then).
// Files whose names start with "." (temporary files, lock files) and files
// of other names are neither counted nor removed. Processes about to create
// the same entry take turns with LockEntry, whose lock file exists only
// while it is held.
//
// The package does not create entries and does not know what they hold.
package diskcache

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/faas-wasm/faas-wasm/internal/filelock"
)

// DefaultLimit is the bound of the node's and the provider's compiled-module
// caches unless configured (the provider's --cache-limit, the shim's
// FAASWASM_CACHE_LIMIT): 1 GiB holds about 50 compiled Go guests (~20 MiB
// each) or hundreds of Rust and C ones.
const DefaultLimit int64 = 1 << 30

// lockName is the lock file Shared and Trim take in the directory.
const lockName = ".diskcache.lock"

// Shared takes the shared lock of dir (created if missing) for the time a
// user checks for and opens an entry; release lets Trim run again.
//
// # Errors
//
// When the lock file cannot be opened or locked.
func Shared(dir string) (release func(), err error) { return lock(dir, filelock.Shared) }

// lock takes the directory's lock (filelock.Shared or filelock.Exclusive).
func lock(dir string, how func(context.Context, string) (func(), error)) (func(), error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cache lock: %w", err)
	}
	return how(context.Background(), filepath.Join(dir, lockName))
}

// LockEntry takes the exclusive lock of creating the entry named name in
// dir (created if missing), waiting until no other process holds it or ctx
// ends: processes that found the entry missing take turns, and each checks
// for it again once it holds the lock, so only the first creates it. The
// lock file, dir/.NAME.lock (not an entry), exists only while the lock is
// held (filelock.Transient), so none is left behind, whether the entry was
// created or not.
//
// # Errors
//
// When the lock file cannot be created or locked; ctx's error, naming the
// lock file, when ctx ends first.
func LockEntry(ctx context.Context, dir, name string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cache lock: %w", err)
	}
	return filelock.Transient(ctx, filepath.Join(dir, "."+name+".lock"))
}

// Touch marks the entry at path as used now (its access time).
//
// # Errors
//
// The file's, e.g. fs.ErrNotExist.
func Touch(path string) error {
	ts := []unix.Timespec{unix.NsecToTimespec(time.Now().UnixNano()), {Nsec: unix.UTIME_OMIT}}
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, path, ts, 0); err != nil {
		return &fs.PathError{Op: "touch", Path: path, Err: err}
	}
	return nil
}

// Use marks the entry at path of dir as used now (Touch) holding Shared,
// for a user whose check for the entry is this mark: a Trim running at the
// same time has either removed the entry already (Use then fails) or sees
// it as just used.
//
// # Errors
//
// Shared's; Touch's, e.g. fs.ErrNotExist when the entry is missing.
func Use(dir, path string) error {
	release, err := Shared(dir)
	if err != nil {
		return err
	}
	defer release()
	return Touch(path)
}

// Result says what one Trim did.
type Result struct {
	// Removed lists the entry files removed (companions not listed).
	Removed []string
	// Bytes is what the entries total afterwards, companions included.
	Bytes int64
}

// Trim removes the least recently used entries of dir (files named *ext
// and their companions) until the entries total at most limit bytes,
// holding the exclusive lock (waiting for users holding Shared). The entries
// at the paths in keep are never removed, even when they alone exceed the
// limit. A limit ≤ 0 means no bound: nothing is removed.
//
// # Errors
//
// When the lock cannot be taken or dir cannot be read; files that vanish
// meanwhile are skipped, and the first failed removal is returned after
// the others are tried.
func Trim(dir, ext string, limit int64, keep ...string) (Result, error) {
	if limit <= 0 {
		return Result{}, nil
	}
	unlock, err := lock(dir, filelock.Exclusive)
	if err != nil {
		return Result{}, err
	}
	defer unlock()
	entries, total, err := scan(dir, ext)
	if err != nil {
		return Result{}, err
	}
	kept := map[string]bool{}
	for _, k := range keep {
		kept[filepath.Clean(k)] = true
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].used.Before(entries[j].used) })
	var res Result
	var errs []error
	for _, e := range entries {
		if total <= limit {
			break
		}
		if kept[e.path] {
			continue
		}
		var failed bool
		for _, f := range append(e.companions, e.path) {
			if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
				failed = true
			}
		}
		if !failed {
			total -= e.size
			res.Removed = append(res.Removed, e.path)
		}
	}
	res.Bytes = total
	if len(errs) > 0 {
		return res, fmt.Errorf("trim %s: %w", dir, errs[0])
	}
	return res, nil
}

// entry is one cache entry found by scan.
type entry struct {
	path       string
	companions []string
	size       int64 // with companions
	used       time.Time
}

// scan lists dir's entries (files named *ext not starting with ".") with
// their companions, and their total size.
func scan(dir, ext string) ([]*entry, int64, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, 0, fmt.Errorf("trim %s: %w", dir, err)
	}
	byName := map[string]*entry{}
	var entries []*entry
	var total int64
	for _, de := range des {
		n := de.Name()
		if !de.Type().IsRegular() || strings.HasPrefix(n, ".") || !strings.HasSuffix(n, ext) {
			continue
		}
		var st unix.Stat_t
		p := filepath.Join(dir, n)
		if err := unix.Stat(p, &st); err != nil {
			continue
		}
		e := &entry{path: p, size: st.Size, used: time.Unix(st.Atim.Unix())}
		byName[n] = e
		entries = append(entries, e)
		total += st.Size
	}
	for _, de := range des {
		n := de.Name()
		i := strings.Index(n, ext+".")
		if !de.Type().IsRegular() || strings.HasPrefix(n, ".") || i < 0 {
			continue
		}
		e := byName[n[:i+len(ext)]]
		fi, err := de.Info()
		if e == nil || err != nil {
			continue
		}
		e.companions = append(e.companions, filepath.Join(dir, n))
		e.size += fi.Size()
		total += fi.Size()
	}
	return entries, total, nil
}
