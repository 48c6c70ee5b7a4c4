// Package filelock is faas-wasm's one advisory file lock between processes
// (flock(2)): the cache directories' locks (package diskcache), the shim's
// one-compile-per-module lock and the builder's stage directory locks.
//
// A lock is held through an open file of its own, so it also excludes other
// holders in the same process, and the kernel releases it when the process
// dies. A Transient lock's file exists only while it is held.
package filelock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Shared takes a shared lock of path (created if missing), waiting while an
// exclusive one is held, until ctx ends; unlock releases it.
//
// # Errors
//
// When path cannot be opened or locked; ctx's error, naming path, when ctx
// ends first.
func Shared(ctx context.Context, path string) (unlock func(), err error) {
	return lock(ctx, path, unix.LOCK_SH, false)
}

// Exclusive takes the exclusive lock of path (created if missing), waiting
// while any other is held, until ctx ends; unlock releases it. The file
// stays.
//
// # Errors
//
// As Shared.
func Exclusive(ctx context.Context, path string) (unlock func(), err error) {
	return lock(ctx, path, unix.LOCK_EX, false)
}

// Transient is Exclusive, except that path exists only while the lock is
// held: unlock removes it (so no lock file is left behind per thing ever
// locked), and a holder that was granted the lock of a file removed
// meanwhile (path now missing or another file) opens path again, so
// holders of a transient lock exclude each other although its file comes
// and goes. Every user of path must lock it with Transient.
//
// # Errors
//
// As Shared.
func Transient(ctx context.Context, path string) (unlock func(), err error) {
	return lock(ctx, path, unix.LOCK_EX, true)
}

func lock(ctx context.Context, path string, how int, transient bool) (func(), error) {
	for {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
		if err != nil {
			return nil, fmt.Errorf("lock: %w", err)
		}
		if err := flock(ctx, f, how); err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if !transient {
			return func() { f.Close() }, nil
		}
		var held, now unix.Stat_t
		if unix.Fstat(int(f.Fd()), &held) == nil && unix.Stat(path, &now) == nil && held.Dev == now.Dev && held.Ino == now.Ino {
			return func() { os.Remove(path); f.Close() }, nil
		}
		f.Close()
	}
}

// flock takes flock how on f, waiting until it is granted or ctx ends: a
// blocking flock when ctx cannot end, else a try every 20 ms.
func flock(ctx context.Context, f *os.File, how int) error {
	fd := int(f.Fd())
	if ctx.Done() == nil {
		for {
			if err := unix.Flock(fd, how); !errors.Is(err, unix.EINTR) {
				return err
			}
		}
	}
	for {
		err := unix.Flock(fd, how|unix.LOCK_NB)
		if err == nil || !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
