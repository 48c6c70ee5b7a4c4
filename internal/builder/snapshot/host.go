package snapshot

import (
	"crypto/sha256"
	"encoding/binary"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// The deterministic time a module sees while it is pre-initialised.
const (
	// clockStep is how far the clocks advance at each reading, and the
	// resolution clock_res_get reports: time passes, at a fixed pace.
	clockStep = 1000 // ns
	// realtimeBase is the realtime clock when the monotonic clock reads
	// zero: 2024-01-01T00:00:00Z, a fixed instant in the past.
	realtimeBase = 1704067200 * 1_000_000_000 // ns since the Unix epoch
	// maxMonotonic bounds the monotonic clock a snapshot may have read:
	// runtime/wasm's monotonic clock starts at one hour (the host's
	// CLOCK_MONOTONIC plus an hour), so readings taken after the snapshot
	// are always later than those taken before it.
	maxMonotonic = 3600 * 1_000_000_000 // ns
)

// wasiModule is the import module of WASI preview 1.
const wasiModule = "wasi_snapshot_preview1"

// WASI errno values.
const (
	errnoSuccess = 0
	errnoFault   = 21
	errnoInval   = 28
	errnoNotSup  = 58
)

// Layout of WASI's subscription and event records (poll_oneoff).
const (
	subscriptionSize = 48
	eventSize        = 32
)

// host is the deterministic WASI state of one pre-initialisation: a
// virtual clock and a random stream.
type host struct {
	now    uint64 // monotonic clock, ns
	seed   [sha256.Size]byte
	block  uint64 // next block of the random stream
	buffer []byte // unread bytes of the current block
}

// newHost starts the clock at zero and the random stream from the module:
// its bytes are SHA-256(seed ‖ block number as a big-endian uint64) for
// block 0, 1, 2, ..., where seed is the SHA-256 of the module being
// pre-initialised. The same module reads the same bytes on every build,
// and different modules different ones.
func newHost(mod []byte) *host { return &host{seed: sha256.Sum256(mod)} }

func (h *host) random(p []byte) {
	for len(p) > 0 {
		if len(h.buffer) == 0 {
			var in [sha256.Size + 8]byte
			copy(in[:], h.seed[:])
			binary.BigEndian.PutUint64(in[sha256.Size:], h.block)
			sum := sha256.Sum256(in[:])
			h.buffer = sum[:]
			h.block++
		}
		n := copy(p, h.buffer)
		h.buffer, p = h.buffer[n:], p[n:]
	}
}

// clock reads clock id (0 realtime, 1 monotonic) and advances time.
func (h *host) clock(id uint32) (uint64, int32) {
	var v uint64
	switch id {
	case 0:
		v = realtimeBase + h.now
	case 1:
		v = h.now
	case 2, 3:
		return 0, errnoNotSup
	default:
		return 0, errnoInval
	}
	h.now += clockStep
	return v, errnoSuccess
}

// define shadows WASI's random_get, clock_time_get, clock_res_get and
// poll_oneoff in linker (which allows shadowing) with h's. Guest memory is
// the export memoryExport.
func (h *host) define(linker *wasmtime.Linker) error {
	mem := func(c *wasmtime.Caller) []byte {
		if e := c.GetExport(memoryExport); e != nil && e.Memory() != nil {
			return e.Memory().UnsafeData(c)
		}
		return nil
	}
	// at returns n bytes of memory at off, nil when out of bounds.
	at := func(c *wasmtime.Caller, off int32, n uint64) []byte {
		m := mem(c)
		if end := uint64(uint32(off)) + n; end <= uint64(len(m)) {
			return m[uint32(off):end]
		}
		return nil
	}
	if err := linker.FuncWrap(wasiModule, "random_get", func(c *wasmtime.Caller, buf, n int32) int32 {
		p := at(c, buf, uint64(uint32(n)))
		if p == nil {
			return errnoFault
		}
		h.random(p)
		return errnoSuccess
	}); err != nil {
		return err
	}
	if err := linker.FuncWrap(wasiModule, "clock_time_get", func(c *wasmtime.Caller, id int32, _ int64, ptr int32) int32 {
		v, errno := h.clock(uint32(id))
		if errno != errnoSuccess {
			return errno
		}
		p := at(c, ptr, 8)
		if p == nil {
			return errnoFault
		}
		binary.LittleEndian.PutUint64(p, v)
		return errnoSuccess
	}); err != nil {
		return err
	}
	if err := linker.FuncWrap(wasiModule, "clock_res_get", func(c *wasmtime.Caller, id, ptr int32) int32 {
		if id < 0 || id > 1 {
			return errnoInval
		}
		p := at(c, ptr, 8)
		if p == nil {
			return errnoFault
		}
		binary.LittleEndian.PutUint64(p, clockStep)
		return errnoSuccess
	}); err != nil {
		return err
	}
	return linker.FuncWrap(wasiModule, "poll_oneoff", func(c *wasmtime.Caller, in, out, nsubs, neventsPtr int32) int32 {
		if nsubs == 0 {
			return errnoInval
		}
		subs := at(c, in, uint64(uint32(nsubs))*subscriptionSize)
		events := at(c, out, uint64(uint32(nsubs))*eventSize)
		nevents := at(c, neventsPtr, 4)
		if subs == nil || events == nil || nevents == nil {
			return errnoFault
		}
		binary.LittleEndian.PutUint32(nevents, h.poll(subs, events))
		return errnoSuccess
	})
}

// poll completes subscriptions at once, as runtime/wasm's poll_oneoff
// does for descriptors, and without sleeping for clocks: when every
// subscription waits on a clock, time jumps to the earliest expiry. It
// writes the events and returns their number.
func (h *host) poll(subs, events []byte) uint32 {
	type sub struct {
		rec    []byte
		expiry uint64 // monotonic ns, for a clock
		errno  uint16
	}
	list := make([]sub, len(subs)/subscriptionSize)
	wake, waiting := uint64(1<<64-1), true
	for i := range list {
		s := &list[i]
		s.rec = subs[i*subscriptionSize : (i+1)*subscriptionSize]
		switch s.rec[8] {
		case 0: // clock
			s.expiry, s.errno = h.expiry(s.rec)
			if s.errno == errnoSuccess {
				wake = min(wake, s.expiry)
				continue
			}
		case 1, 2: // fd_read, fd_write: ready
		default:
			s.errno = errnoInval
		}
		waiting = false
	}
	if waiting && wake > h.now {
		h.now = wake
	}
	var n uint32
	for _, s := range list {
		if s.rec[8] == 0 && s.errno == errnoSuccess && s.expiry > h.now {
			continue
		}
		ev := events[n*eventSize : (n+1)*eventSize]
		clear(ev)
		copy(ev, s.rec[:8]) // userdata
		binary.LittleEndian.PutUint16(ev[8:], s.errno)
		ev[10] = s.rec[8]
		if s.rec[8] == 1 || s.rec[8] == 2 {
			binary.LittleEndian.PutUint64(ev[16:], 1) // nbytes
		}
		n++
	}
	return n
}

// expiry is when a clock subscription expires, on the monotonic clock.
func (h *host) expiry(rec []byte) (uint64, uint16) {
	id := binary.LittleEndian.Uint32(rec[16:])
	timeout := binary.LittleEndian.Uint64(rec[24:])
	if id > 3 {
		return 0, errnoInval
	}
	if binary.LittleEndian.Uint16(rec[40:])&1 == 0 { // relative
		return h.now + min(timeout, maxMonotonic), errnoSuccess
	}
	switch id {
	case 0:
		return max(timeout, realtimeBase) - realtimeBase, errnoSuccess
	case 1:
		return timeout, errnoSuccess
	}
	return 0, errnoInval
}
