package wasm

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// slot is one unit of a function's concurrency: the call state (created on
// first use, so idle slots hold no file descriptors) and, in warm mode, the
// instance reused by the calls it serves.
type slot struct {
	f    *Function
	call *callState
	host *hostState
	wasi wasiContext // a command's WASI context, its env buffer reused call after call

	// Warm mode only; store is nil until the first call and after a failure.
	store *wasmtime.Store
	inst  instance
}

func newSlot(f *Function) *slot {
	return &slot{f: f, host: &hostState{fn: f}}
}

// free drops the warm instance and the call state.
func (s *slot) free() {
	s.dropWarm()
	if s.call != nil {
		s.call.free()
		s.call = nil
	}
}

// run executes one request on this slot and returns the guest's stdout.
func (s *slot) run(ctx context.Context, req *Request) ([]byte, error) {
	f := s.f
	deadline := time.Now().Add(f.cfg.Timeout)
	ctxFirst := false
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline, ctxFirst = d, true
	}
	if s.call == nil {
		call, err := newCallState()
		if err != nil {
			return nil, err
		}
		s.call = call
	}
	s.call.arm(deadline, f.cfg.MaxResponseBytes)
	if ctx.Done() != nil {
		stop := context.AfterFunc(ctx, func() { s.call.stop(stopCancel) })
		defer stop()
	}
	s.host.begin(ctx, deadline, f.cfg.MaxResponseBytes)
	defer s.host.end()

	env := requestEnv(req, f.env)
	f.engine.callStarted()
	runtime.LockOSThread()
	s.call.enter()
	var mem uint64
	var err error
	switch {
	case f.module.shape == ShapeCommand:
		mem, err = s.runFresh(nil, env, req.Body)
	case f.cfg.Mode == ModeWarm:
		mem, err = s.runWarm(envelope(env, req.Body))
	default:
		mem, err = s.runFresh(envelope(env, req.Body), nil, nil)
	}
	s.call.leave()
	runtime.UnlockOSThread()
	f.engine.callEnded()
	stdout, overflow, readErr := s.call.stdout(f.cfg.MaxResponseBytes)
	stderr := s.call.stderr()
	f.emitStderr(stderr)
	if err = s.classify(ctx, err, overflow, ctxFirst, mem, stderr); err != nil {
		return nil, err
	}
	if readErr != nil {
		return nil, fmt.Errorf("read stdout: %w", readErr)
	}
	return stdout, nil
}

// newStore makes a store bound to this slot's limits, call state and host
// state. Close it with Engine.closeStore.
func (s *slot) newStore() *wasmtime.Store {
	s.f.engine.stores.RLock()
	store := wasmtime.NewStoreWithData(s.f.engine.engine, s.host)
	s.call.initStore(store, s.f.cfg.MemoryLimit)
	return store
}

// prepare gives store the WASI context of one call. Command modules get env
// as their environment and the function's name as argv[0]; reactors get the
// function's envVars (the request travels in the stdin envelope).
func (s *slot) prepare(store *wasmtime.Store, stdin []byte, env []envVar) error {
	w := &s.f.wasi
	if env != nil {
		s.wasi = wasiContext{env: appendEnv(s.wasi.env[:0], env), nenv: len(env), argv0: s.f.argv0, dir: w.dir}
		w = &s.wasi
	}
	return s.call.prepare(store, w, stdin)
}

// runFresh runs a new instance: _start for a command module (env and body
// given), else [_initialize and] faas_handle with the envelope on stdin.
// It returns the memory size when the guest stopped.
func (s *slot) runFresh(envelope []byte, env []envVar, body []byte) (uint64, error) {
	stdin := envelope
	if env != nil {
		stdin = body
	}
	store := s.newStore()
	s.f.pending.Add(1)
	defer s.f.engine.release(store, &s.f.pending)
	if err := s.prepare(store, stdin, env); err != nil {
		return 0, err
	}
	inst, err := s.f.module.instantiate(store)
	if err != nil {
		return 0, err
	}
	s.f.engine.noteMemory(inst)
	switch s.f.module.shape {
	case ShapeCommand:
		return inst.call(store, exportStart)
	case ShapeReactor:
		if mem, err := inst.call(store, exportInitialize); err != nil {
			return mem, err
		}
	}
	return inst.call(store, exportHandle)
}

// runWarm calls faas_handle on this slot's instance, creating it (and
// running _initialize) on first use. The instance gets a new WASI context —
// fresh stdin, stdout, stderr and file descriptors — for every call. A call
// that fails discards the instance.
func (s *slot) runWarm(stdin []byte) (uint64, error) {
	if s.store == nil {
		store := s.newStore()
		if err := s.prepare(store, stdin, nil); err != nil {
			s.f.engine.closeStore(store)
			return 0, err
		}
		inst, err := s.f.module.instantiate(store)
		if err != nil {
			s.f.engine.closeStore(store)
			return 0, err
		}
		s.f.engine.noteMemory(inst)
		s.store, s.inst = store, inst
		if s.f.module.shape == ShapeReactor {
			if mem, err := inst.call(store, exportInitialize); err != nil {
				s.dropWarm()
				return mem, err
			}
		}
	} else if err := s.prepare(s.store, stdin, nil); err != nil {
		return 0, err
	}
	mem, err := s.inst.call(s.store, exportHandle)
	var exit *ExitError
	if errors.As(err, &exit) {
		return 0, err // faas_handle returned non-zero: the instance is intact
	}
	if err != nil {
		s.dropWarm()
	}
	return mem, err
}

func (s *slot) dropWarm() {
	if s.store != nil {
		s.f.engine.closeStore(s.store)
		s.store, s.inst = nil, instance{}
	}
}

// instantiateError is a failure to create an instance (pool exhausted,
// memory limit below the module's minimum, ...): a host-side error, not a
// guest trap.
type instantiateError struct{ err error }

func (e *instantiateError) Error() string { return "instantiate: " + trapMessage(e.err.Error()) }
func (e *instantiateError) Unwrap() error { return e.err }

// classify turns what happened during a call into the package's errors.
func (s *slot) classify(ctx context.Context, err error, overflow, ctxFirst bool, mem uint64, stderr []byte) error {
	cfg := &s.f.cfg
	reason := s.call.reason()
	if overflow || reason == stopOverflow {
		return fmt.Errorf("%w: more than %d bytes on stdout", ErrResponseTooLarge, cfg.MaxResponseBytes)
	}
	switch reason {
	case stopLogFlood:
		return fmt.Errorf("%w: more than %d bytes on stderr", ErrResponseTooLarge, stderrLimit)
	case stopDeadline:
		if ctxFirst {
			return fmt.Errorf("%w: the caller's deadline passed: %w", ErrTimeout, context.DeadlineExceeded)
		}
		return fmt.Errorf("%w after %s", ErrTimeout, cfg.Timeout)
	case stopCancel:
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("%w: the caller's deadline passed: %w", ErrTimeout, context.DeadlineExceeded)
		}
		return fmt.Errorf("guest interrupted: %w", context.Cause(ctx))
	}
	if err == nil {
		return nil
	}
	var inst *instantiateError
	if errors.As(err, &inst) {
		return err
	}
	var guest error
	var exit *ExitError
	var trap *TrapError
	var status *exitStatus
	switch {
	case errors.As(err, &exit):
		exit.Stderr = stderrTail(stderr)
		guest = exit
	case errors.As(err, &trap):
		trap.Stderr = stderrTail(stderr)
		guest = trap
	case errors.As(err, &status):
		if status.code == 0 {
			return nil
		}
		guest = &ExitError{Code: status.code, Stderr: stderrTail(stderr)}
	default:
		return err
	}
	// wasmtime does not report refused memory growth; a guest that died with
	// its memory within a quarter of the limit is taken to have died of it.
	if mem > 0 && mem >= uint64(cfg.MemoryLimit)-uint64(cfg.MemoryLimit)/4 {
		return fmt.Errorf("%w (%d of %d bytes in use): %w", ErrMemoryLimit, mem, cfg.MemoryLimit, guest)
	}
	return guest
}

// trapMessage drops the host-side (Rust) backtrace wasmtime appends to a trap
// message; the wasm backtrace and the cause stay.
func trapMessage(msg string) string {
	if i := strings.Index(msg, "\nStack backtrace:"); i >= 0 {
		msg = msg[:i]
	}
	return strings.TrimSpace(msg)
}
