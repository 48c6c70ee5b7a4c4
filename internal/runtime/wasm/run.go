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
// first use, so slots never used hold no memory) and, in warm mode, the
// instance reused by the calls it serves.
type slot struct {
	f     *Function
	call  *callState
	host  *hostState
	wasi  wasiContext // a command's WASI context, its env buffer reused call after call
	stdin []byte      // a reactor's envelope, reused call after call (see inputKeep)

	// Warm mode only; store is nil until the first call and after a failure.
	store *wasmtime.Store
	inst  instance
}

// inputKeep is the largest envelope buffer a slot keeps between calls.
const inputKeep = 64 << 10

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
		s.call = newCallState()
	}
	s.call.arm(deadline, f.cfg.MaxResponseBytes)
	if ctx.Done() != nil {
		stop := context.AfterFunc(ctx, func() { s.call.stop(stopCancel) })
		defer stop()
	}
	s.host.begin(ctx, deadline, f.cfg.MaxResponseBytes)
	defer s.host.end()

	// A command gets the request in its environment and the body on stdin,
	// a reactor both in the envelope on stdin.
	wasi, stdin := &f.wasi, req.Body
	if f.module.shape == ShapeCommand {
		s.wasi.env, s.wasi.nenv = appendRequestEnv(s.wasi.env[:0], req, f.env, wasiEnv)
		s.wasi.argv0, s.wasi.dir = f.argv0, f.wasi.dir
		wasi = &s.wasi
	} else {
		s.stdin = appendEnvelope(s.stdin[:0], req, f.env)
		stdin = s.stdin
	}
	f.engine.callStarted()
	runtime.LockOSThread()
	s.call.enter()
	var mem uint64
	var err error
	if f.cfg.Mode == ModeWarm {
		mem, err = s.runWarm(wasi, stdin)
	} else {
		mem, err = s.runFresh(wasi, stdin)
	}
	s.call.leave()
	runtime.UnlockOSThread()
	f.engine.callEnded()
	if cap(s.stdin) > inputKeep {
		s.stdin = nil
	}
	stdout, stderr := s.call.output()
	f.emitStderr(stderr)
	if err = s.classify(ctx, err, ctxFirst, mem, stderr); err != nil {
		return nil, err
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

// runFresh runs a new instance with the WASI context w and stdin: _start
// for a command module, else [_initialize and] faas_handle. It returns the
// memory size when the guest stopped.
func (s *slot) runFresh(w *wasiContext, stdin []byte) (uint64, error) {
	store := s.newStore()
	s.f.pending.Add(1)
	defer s.f.engine.release(store, &s.f.pending)
	if err := s.call.prepare(store, w, stdin); err != nil {
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
func (s *slot) runWarm(w *wasiContext, stdin []byte) (uint64, error) {
	if s.store == nil {
		store := s.newStore()
		if err := s.call.prepare(store, w, stdin); err != nil {
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
	} else if err := s.call.prepare(s.store, w, stdin); err != nil {
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
func (s *slot) classify(ctx context.Context, err error, ctxFirst bool, mem uint64, stderr []byte) error {
	cfg := &s.f.cfg
	switch s.call.reason() {
	case stopOverflow:
		return fmt.Errorf("%w: more than %d bytes on stdout", ErrResponseTooLarge, cfg.MaxResponseBytes)
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

// trapFrames is how many frames of a trap's wasm backtrace trapMessage
// keeps: a guest that recursed without end has thousands.
const trapFrames = 10

// trapMessage shortens a trap message of wasmtime's to its cause and the
// first trapFrames frames of the wasm backtrace, dropping the host-side
// (Rust) backtrace wasmtime may append; a message of another shape keeps
// its first trapFrames+2 lines.
func trapMessage(msg string) string {
	if i := strings.Index(msg, "\nStack backtrace:"); i >= 0 {
		msg = msg[:i]
	}
	trace, cause, ok := strings.Cut(msg, "\nCaused by:")
	if !ok {
		return keepLines(strings.TrimSpace(msg), trapFrames+2)
	}
	cause = strings.Join(strings.Fields(cause), " ")
	trace = strings.TrimSpace(trace)
	if _, frames, ok := strings.Cut(trace, "wasm backtrace:\n"); ok {
		return cause + "; wasm backtrace:\n" + keepLines(frames, trapFrames)
	}
	return cause + "; " + keepLines(trace, trapFrames+2)
}

// keepLines returns the first n lines of s, and how many more there were.
func keepLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) <= n {
		return s
	}
	return fmt.Sprintf("%s\n    ... %d more", strings.Join(lines[:n], "\n"), len(lines)-n)
}
