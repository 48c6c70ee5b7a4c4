package snapshot

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"

	"github.com/faas-wasm/faas-wasm/internal/wasmbin"
	"github.com/faas-wasm/faas-wasm/provider"
)

var reactor []byte

// snapshotOut, when set, makes the test binary a helper process that
// writes the snapshot of the reactor there (TestSnapshotReproducible).
const snapshotOut = "SNAPSHOT_TEST_OUT"

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "snapshot-test-")
	if err != nil {
		panic(err)
	}
	out := filepath.Join(dir, "reactor.wasm")
	cmd := exec.Command("go", "build", "-trimpath", "-buildmode=c-shared", "-o", out, "./testdata/reactor")
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		panic(string(b))
	}
	reactor, err = os.ReadFile(out)
	os.RemoveAll(dir)
	if err != nil {
		panic(err)
	}
	if path := os.Getenv(snapshotOut); path != "" {
		snap, err := Snapshot(context.Background(), reactor)
		if err == nil {
			err = os.WriteFile(path, snap, 0o644)
		}
		if err != nil {
			panic(err)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func wat(t testing.TB, src string) []byte {
	t.Helper()
	b, err := wasmtime.Wat2Wasm(src)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// instantiate instantiates mod with WASI and its other imports trapping
// (without calling _initialize).
func instantiate(t *testing.T, mod []byte) (*wasmtime.Store, *wasmtime.Instance) {
	t.Helper()
	return instantiateWASI(t, mod, wasmtime.NewWasiConfig())
}

// instantiateWASI is instantiate with this WASI configuration.
func instantiateWASI(t *testing.T, mod []byte, wasi *wasmtime.WasiConfig) (*wasmtime.Store, *wasmtime.Instance) {
	t.Helper()
	engine := wasmtime.NewEngine()
	m, err := wasmtime.NewModule(engine, mod)
	if err != nil {
		t.Fatal(err)
	}
	linker := wasmtime.NewLinker(engine)
	if err := linker.DefineWasi(); err != nil {
		t.Fatal(err)
	}
	if err := defineTraps(linker, m); err != nil {
		t.Fatal(err)
	}
	store := wasmtime.NewStore(engine)
	t.Cleanup(store.Close)
	store.SetWasi(wasi)
	inst, err := linker.Instantiate(store, m)
	if err != nil {
		t.Fatal(err)
	}
	return store, inst
}

// call calls the export name of inst, which returns an i32 or i64.
func call(t *testing.T, store *wasmtime.Store, inst *wasmtime.Instance, name string) any {
	t.Helper()
	f := inst.GetFunc(store, name)
	if f == nil {
		t.Fatalf("no export %s", name)
	}
	res, err := f.Call(store)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func snap(t *testing.T, mod []byte) []byte {
	t.Helper()
	out, err := Snapshot(context.Background(), mod)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func exportNames(t *testing.T, mod []byte) map[string]bool {
	t.Helper()
	m, err := parseModule(mod)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, e := range m.exports {
		names[e.Name] = true
	}
	return names
}

// TestSnapshotGo: the Go reactor's snapshot has run _initialize and
// faas_init, exports neither, and answers without them.
func TestSnapshotGo(t *testing.T) {
	s := snap(t, reactor)
	exports := exportNames(t, s)
	if exports["_initialize"] || exports["faas_init"] || !exports["faas_handle"] || !exports["memory"] {
		t.Errorf("snapshot exports %v: want faas_handle and memory, without _initialize and faas_init", exports)
	}
	store, inst := instantiate(t, s)
	if got := call(t, store, inst, "faas_handle"); got != int32(43) {
		t.Errorf("snapshot state %v, want 43", got)
	}
	t.Logf("reactor %d bytes, snapshot %d bytes", len(reactor), len(s))
}

// TestSnapshotSecrets: a snapshot reads the secrets runtime/wasm preopens
// at provider.SecretsPath, since that directory was preopened while it
// initialised (the Go runtime records the preopens then).
func TestSnapshotSecrets(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "s"), []byte("hunter2"), 0o600); err != nil {
		t.Fatal(err)
	}
	wasi := wasmtime.NewWasiConfig()
	if err := wasi.PreopenDir(dir, provider.SecretsPath, wasmtime.DIR_READ, wasmtime.FILE_READ); err != nil {
		t.Fatal(err)
	}
	store, inst := instantiateWASI(t, snap(t, reactor), wasi)
	if got := call(t, store, inst, "faas_secret"); got != int32(len("hunter2")) {
		t.Errorf("snapshot read the secret as %v bytes, want %d", got, len("hunter2"))
	}
}

// TestSnapshotReproducible: the same module snapshots to the same bytes,
// in this process (each Snapshot has its own engine) and in another.
func TestSnapshotReproducible(t *testing.T) {
	first, second := snap(t, reactor), snap(t, reactor)
	if !bytes.Equal(first, second) {
		t.Fatal("two snapshots of the same module differ in this process")
	}
	out := filepath.Join(t.TempDir(), "snapshot.wasm")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), snapshotOut+"="+out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("helper process: %v: %s", err, b)
	}
	other, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, other) {
		t.Fatal("snapshots of the same module differ between two processes")
	}
}

// TestSnapshotState: a start function, _initialize and faas_init run in
// that order (a non-WASI import they do not call is no obstacle); globals,
// grown memory and its contents are kept; the start section and the init
// exports are dropped, other exports kept.
func TestSnapshotState(t *testing.T) {
	mod := wat(t, `(module
		(import "faas_http" "request" (func (param i32) (result i32)))
		(memory (export "mem") 1 3)
		(global $g (mut i32) (i32.const 0))
		(global $h (export "h") (mut i64) (i64.const 0))
		(global $f (mut f64) (f64.const 0))
		(global $k i32 (i32.const 7))
		(table 1 funcref) (elem (i32.const 0) $get)
		(func $start (global.set $g (i32.const 1)))
		(start $start)
		(func (export "_initialize")
			(global.set $g (i32.add (i32.mul (global.get $g) (i32.const 10)) (i32.const 2)))
			(drop (memory.grow (i32.const 1)))
			(i32.store (i32.const 70000) (i32.const 0x01020304))
			(i32.store8 (i32.const 3) (i32.const 9)))
		(func (export "faas_init")
			(global.set $g (i32.add (i32.mul (global.get $g) (i32.const 10)) (i32.const 3)))
			(global.set $h (i64.const -5))
			(global.set $f (f64.const 2.5)))
		(func $get (export "get") (result i32)
			(i32.add (global.get $g) (i32.add (global.get $k) (i32.add (i32.load (i32.const 70000)) (i32.load8_u (i32.const 3))))))
		(func (export "f") (result i64) (i64.trunc_f64_s (f64.mul (global.get $f) (f64.const 2))))
		(func (export "pages") (result i32) (memory.size)))`)
	s := snap(t, mod)
	exports := exportNames(t, s)
	if exports["_initialize"] || exports["faas_init"] || !exports["get"] || !exports["mem"] || !exports["h"] {
		t.Errorf("exports %v", exports)
	}
	if start, _, _, err := wasmbin.Section(s, secStart); err != nil || start >= 0 {
		t.Errorf("start section at %d (%v), want none", start, err)
	}
	store, inst := instantiate(t, s)
	if got, want := call(t, store, inst, "get"), int32(123+7+0x01020304+9); got != want {
		t.Errorf("get = %v, want %d", got, want)
	}
	if got := call(t, store, inst, "pages"); got != int32(2) {
		t.Errorf("memory size %v pages, want 2", got)
	}
	if got := call(t, store, inst, "f"); got != int64(5) {
		t.Errorf("f = %v, want 5", got)
	}
	if got := inst.GetExport(store, "h").Global().Get(store).I64(); got != -5 {
		t.Errorf("h = %d, want -5", got)
	}
}

// TestSnapshotDeterministicWASI: during initialisation random_get reads
// the documented stream, the clocks start at zero (realtime at 2024-01-01)
// and advance by clockStep per reading, and poll_oneoff on a clock moves
// time forward without sleeping.
func TestSnapshotDeterministicWASI(t *testing.T) {
	mod := wat(t, `(module
		(import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
		(import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
		(import "wasi_snapshot_preview1" "clock_res_get" (func $res (param i32 i32) (result i32)))
		(import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
		(memory (export "memory") 1)
		(func (export "_initialize")
			(drop (call $random (i32.const 0) (i32.const 40)))
			(drop (call $clock (i32.const 1) (i64.const 0) (i32.const 40)))
			(drop (call $clock (i32.const 0) (i64.const 0) (i32.const 48)))
			(drop (call $res (i32.const 1) (i32.const 56)))
			;; one subscription at 100: clock 1, relative, 10 s
			(i32.store8 (i32.const 108) (i32.const 0))
			(i32.store (i32.const 116) (i32.const 1))
			(i64.store (i32.const 124) (i64.const 10000000000))
			(drop (call $poll (i32.const 100) (i32.const 200) (i32.const 1) (i32.const 240)))
			(drop (call $clock (i32.const 1) (i64.const 0) (i32.const 64))))
		(func (export "read") (param i32) (result i64) (i64.load (local.get 0))))`)
	start := time.Now()
	s := snap(t, mod)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("snapshot took %v: poll_oneoff slept", took)
	}
	store, inst := instantiate(t, s)
	mem := inst.GetExport(store, "memory").Memory().UnsafeData(store)
	seed := sha256.Sum256(mod)
	var want []byte
	for block := range uint64(2) {
		sum := sha256.Sum256(binary.BigEndian.AppendUint64(seed[:], block))
		want = append(want, sum[:]...)
	}
	if !bytes.Equal(mem[:40], want[:40]) {
		t.Errorf("random bytes %x, want %x", mem[:40], want[:40])
	}
	u64 := func(off int) uint64 { return binary.LittleEndian.Uint64(mem[off:]) }
	if u64(40) != 0 || u64(48) != realtimeBase+clockStep || u64(56) != clockStep {
		t.Errorf("monotonic %d, realtime %d, resolution %d; want 0, %d, %d", u64(40), u64(48), u64(56), realtimeBase+clockStep, clockStep)
	}
	if u64(64) != 2*clockStep+10_000_000_000 || binary.LittleEndian.Uint32(mem[240:]) != 1 {
		t.Errorf("after a 10 s poll: monotonic %d, %d events; want %d, 1", u64(64), binary.LittleEndian.Uint32(mem[240:]), 2*clockStep+10_000_000_000)
	}
}

func TestSnapshotErrors(t *testing.T) {
	cases := []struct {
		name   string
		module string // wat
		want   error
	}{
		{"command", `(module (func (export "_start")))`, ErrNotReactor},
		{"no init function", `(module (func (export "faas_handle") (result i32) i32.const 0))`, ErrNotReactor},
		{"init traps", `(module (func (export "faas_init") unreachable))`, ErrInitFailed},
		{"calls an import", `(module (import "faas_http" "request" (func $r)) (func (export "_initialize") (call $r)))`, ErrInitFailed},
		{"start traps", `(module (func $s unreachable) (start $s) (func (export "_initialize")))`, ErrInitFailed},
		{"sleeps an hour", `(module
			(import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
			(memory 1)
			(func (export "_initialize")
				(i64.store (i32.const 24) (i64.const 3600000000000))
				(drop (call $poll (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 200)))))`, ErrInitFailed},
		{"imported memory", `(module (import "env" "m" (memory 1)) (func (export "_initialize")))`, ErrUnsupported},
		{"imported global", `(module (import "env" "g" (global i32)) (func (export "_initialize")))`, ErrUnsupported},
		{"imported table", `(module (import "env" "t" (table 1 funcref)) (func (export "_initialize")))`, ErrUnsupported},
		{"two memories", `(module (memory 1) (memory 1) (func (export "_initialize")))`, ErrUnsupported},
		{"shared memory", `(module (memory 1 1 shared) (func (export "_initialize")))`, ErrUnsupported},
		{"64-bit memory", `(module (memory i64 1) (func (export "_initialize")))`, ErrUnsupported},
		{"passive data", `(module (memory 1) (data "x") (func (export "_initialize")))`, ErrUnsupported},
		{"memory.init", `(module (memory 1) (data (i32.const 0) "x")
			(func (export "_initialize") (memory.init 0 (i32.const 0) (i32.const 0) (i32.const 0))))`, ErrUnsupported},
		{"passive elements", `(module (table 1 funcref) (elem func $f) (func $f) (func (export "_initialize")))`, ErrUnsupported},
		{"table.grow", `(module (table 1 funcref)
			(func (export "_initialize") (drop (table.grow (ref.null func) (i32.const 1)))))`, ErrUnsupported},
		{"v128 global", `(module (global (mut v128) (v128.const i64x2 0 0)) (func (export "_initialize")))`, ErrUnsupported},
		{"reference global", `(module (global (mut funcref) (ref.null func)) (func (export "_initialize")))`, ErrUnsupported},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Snapshot(context.Background(), wat(t, c.module))
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			t.Log(err)
		})
	}
	for name, mod := range map[string][]byte{"not wasm": []byte("hello"), "truncated": reactor[:1000]} {
		if _, err := Snapshot(context.Background(), mod); !errors.Is(err, ErrNotReactor) {
			t.Errorf("%s: got %v, want ErrNotReactor", name, err)
		}
	}
}

// TestSnapshotCancel: a cancelled context stops an initialisation that
// never ends.
func TestSnapshotCancel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := Snapshot(ctx, wat(t, `(module (func (export "_initialize") (loop (br 0))))`))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want context.DeadlineExceeded", err)
	}
}

// FuzzParseModule: any input is parsed or refused with an error, never a
// panic; a parsed module writes back the same sections (their sizes in
// shortest LEB128).
func FuzzParseModule(f *testing.F) {
	for _, src := range []string{
		`(module (memory 1 2) (global (mut i64) (i64.const -1)) (table 1 funcref) (elem (i32.const 0) 0)
			(func (export "_initialize")) (data (i32.const 8) "hi"))`,
		`(module (import "a" "b" (func)) (elem declare func 0) (global f32 (f32.const 1)) (global i32 (i32.add (i32.const 1) (i32.const 2))))`,
		`(module (memory 1) (data "x") (table 2 funcref) (elem (table 0) (i32.const 0) funcref (ref.func 0)) (func))`,
	} {
		f.Add(wat(f, src))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseModule(b)
		if err != nil {
			return
		}
		again, err := wasmbin.Sections(m.encode(nil))
		if err != nil || len(again) != len(m.sections) {
			t.Fatalf("re-encoded module: %d sections, %v; want %d", len(again), err, len(m.sections))
		}
		for i, s := range again {
			if s.ID != m.sections[i].ID || !bytes.Equal(s.Body, m.sections[i].Body) {
				t.Fatalf("re-encoded section %d differs", i)
			}
		}
	})
}

// FuzzEncodeData: the data section rebuilds the memory exactly.
func FuzzEncodeData(f *testing.F) {
	f.Add([]byte{0, 0, 1, 0, 2, 0, 0, 0})
	f.Add(append(append(make([]byte, 100), 5), make([]byte, 70)...))
	f.Fuzz(func(t *testing.T, mem []byte) {
		r := wasmbin.NewReader(encodeData(mem))
		n, err := r.U32()
		if err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(mem))
		for range n {
			flags, _ := r.Byte()
			expr, err := r.ConstExpr()
			if err != nil || flags != 0 {
				t.Fatalf("segment flags %d, offset %x: %v", flags, expr, err)
			}
			off, err := wasmbin.NewReader(expr[1:]).S64(32)
			if err != nil {
				t.Fatal(err)
			}
			size, _ := r.U32()
			data, err := r.Bytes(size)
			if err != nil || len(data) == 0 || data[0] == 0 || data[len(data)-1] == 0 {
				t.Fatalf("segment at %d: %x, %v: want non-empty, non-zero ends", off, data, err)
			}
			copy(got[uint32(off):], data)
		}
		if !bytes.Equal(got, mem) || r.Len() != 0 {
			t.Fatalf("rebuilt memory %x, want %x", got, mem)
		}
	})
}
