package wasm

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// wasmtimeGoPath is the module path of the wasmtime-go this package imports.
var wasmtimeGoPath = reflect.TypeFor[wasmtime.Config]().PkgPath()

// wasmtimeModule describes the wasmtime-go the package builds with, as the
// go command building the tests resolves it (test binaries carry no
// dependency versions in their build information).
func wasmtimeModule(t *testing.T) (version, include string) {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-json", wasmtimeGoPath).Output()
	if err != nil {
		t.Fatalf("go list -m %s: %v", wasmtimeGoPath, err)
	}
	var m struct {
		Version, Dir string
		Replace      *struct{ Path, Version string }
	}
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("go list -m %s: %v", wasmtimeGoPath, err)
	}
	version = m.Version
	if m.Replace != nil {
		version = m.Replace.Version
		if version == "" {
			version = "replaced by " + m.Replace.Path
		}
	}
	include = filepath.Join(m.Dir, "build", "include")
	if _, err := os.Stat(filepath.Join(include, "wasmtime.h")); err != nil {
		t.Fatalf("wasmtime's headers: %v", err)
	}
	return version, include
}

// TestWasmtimeGoVersionChecked fails when the wasmtime-go in use is not the
// version the cgo layer was checked against: an upgrade must go through the
// steps in the message, not just a go get.
func TestWasmtimeGoVersionChecked(t *testing.T) {
	got, _ := wasmtimeModule(t)
	if got != checkedWasmtimeGo {
		t.Fatalf("%s is %s, but the cgo layer (capi.c, wasmtime_api.h, wasmtime_layouts.h, capi.go) was checked "+
			"against %s. Before changing checkedWasmtimeGo: run TestCAPIMatchesWasmtimeHeaders and "+
			"TestWasmtimeGoHandles against the new version; diff its build/include against the old one for every "+
			"function wasmtime_api.h declares (ownership of arguments and results, e.g. wasi_config_set_stdin_bytes "+
			"taking the vector, wasmtime_pooling_allocation_strategy_set not taking the config) and for the "+
			"pooling and epoch-callback semantics; then run the whole package's tests",
			wasmtimeGoPath, got, checkedWasmtimeGo)
	}
}

// checkHeaders compiles testdata/wasmtime_check.c (with the package's C
// files taken from dir) against wasmtime's headers and returns the
// compiler's output and error.
func checkHeaders(t *testing.T, include, dir string) (string, error) {
	t.Helper()
	cc, err := exec.Command("go", "env", "CC").Output()
	if err != nil {
		t.Fatalf("go env CC: %v", err)
	}
	args := strings.Fields(string(cc))
	args = append(args, "-fsyntax-only", "-Wall", "-Werror", "-I", include, "-I", dir,
		filepath.Join(dir, "testdata", "wasmtime_check.c"))
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	return string(out), err
}

// TestCAPIMatchesWasmtimeHeaders checks the cgo layer's hand-written
// declarations against wasmtime's own headers: every prototype, typedef and
// macro of wasmtime_api.h must be identical to wasmtime's, capi.c must
// compile against wasmtime's definitions, and the structs and constants of
// wasmtime_layouts.h must match wasmtime's in size, alignment, member offsets
// and member types (see testdata/wasmtime_check.c).
func TestCAPIMatchesWasmtimeHeaders(t *testing.T) {
	_, include := wasmtimeModule(t)
	if out, err := checkHeaders(t, include, "."); err != nil {
		t.Fatalf("the cgo layer does not match wasmtime's headers in %s: %v\n%s", include, err, out)
	}
}

// TestCAPICheckCatchesMismatches makes sure the header check is not vacuous:
// each mutation of the declarations must make it fail.
func TestCAPICheckCatchesMismatches(t *testing.T) {
	_, include := wasmtimeModule(t)
	cases := []struct{ name, file, old, new string }{
		{"prototype", "wasmtime_api.h",
			"wasm_trap_t *wasmtime_trap_new(const char *msg, size_t msg_len);",
			"wasm_trap_t *wasmtime_trap_new(const char *msg, uint32_t msg_len);"},
		{"callback type", "wasmtime_api.h",
			"uint64_t *epoch_deadline_delta", "uint32_t *epoch_deadline_delta"},
		{"opaque typedef", "wasmtime_api.h",
			"typedef struct wasmtime_store wasmtime_store_t;", "typedef struct wasmtime_store_t wasmtime_store_t;"},
		{"macro", "wasmtime_api.h",
			"#define WASMTIME_EXTERN_MEMORY 3", "#define WASMTIME_EXTERN_MEMORY 4"},
		{"enum constant", "wasmtime_layouts.h",
			"WASM_I64 = 1", "WASM_I64 = 2"},
		{"member type", "wasmtime_layouts.h",
			"wasmtime_extern_kind_t kind;", "uint32_t kind;"},
		{"union size", "wasmtime_layouts.h",
			"wasmtime_v128 v128;", ""},
		{"member order", "wasmtime_layouts.h",
			"size_t size;\n\twasm_byte_t *data;", "wasm_byte_t *data;\n\tsize_t size;"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.Mkdir(filepath.Join(dir, "testdata"), 0o755); err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"capi.c", "capi.h", "wasmtime_api.h", "wasmtime_layouts.h", "testdata/wasmtime_check.c"} {
				b, err := os.ReadFile(name)
				if err != nil {
					t.Fatal(err)
				}
				s := string(b)
				if name == c.file {
					if !strings.Contains(s, c.old) {
						t.Fatalf("%s no longer contains %q: update this test", name, c.old)
					}
					s = strings.Replace(s, c.old, c.new, 1)
				}
				if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if out, err := checkHeaders(t, include, dir); err == nil {
				t.Fatalf("the check accepted a mutated %s:\n%s", c.file, out)
			}
		})
	}
}

// TestWasmtimeGoHandles checks the C pointers cField reads out of
// wasmtime-go's wrappers: every field is found, the store's pointer is the
// store (its context is the one wasmtime-go's public Store.Context returns),
// the module's is the module (C resolves that module's imports through it:
// its own missing import is named, a module without imports resolves), and
// a type without the field is refused.
func TestWasmtimeGoHandles(t *testing.T) {
	if err := checkCFields(); err != nil {
		t.Fatal(err)
	}
	cfg := wasmtime.NewConfig()
	defer cfg.Close()
	if configPtr.of(cfg) == nil {
		t.Fatal("nil wasm_config_t")
	}
	engine := wasmtime.NewEngine()
	defer engine.Close()
	l := wasmtime.NewLinker(engine)
	defer l.Close()
	if linkerPtr.of(l) == nil {
		t.Fatal("nil wasmtime_linker_t")
	}
	store := wasmtime.NewStore(engine)
	defer store.Close()
	if got, want := storeContext(store), unsafe.Pointer(store.Context()); got != want {
		t.Fatalf("context of the store pointer read: %p, Store.Context: %p", got, want)
	}

	for _, tc := range []struct {
		wat, missing string // missing: the import C must fail to resolve ("" = none)
	}{
		{`(module (import "env" "faas_test_missing" (func)))`, "faas_test_missing"},
		{`(module (func (export "f")))`, ""},
	} {
		bin, err := wasmtime.Wat2Wasm(tc.wat)
		if err != nil {
			t.Fatal(err)
		}
		mod, err := wasmtime.NewModule(engine, bin)
		if err != nil {
			t.Fatal(err)
		}
		pre, err := newInstancePre(l, mod)
		switch {
		case tc.missing == "" && err != nil:
			t.Errorf("%s: %v, want its imports resolved", tc.wat, err)
		case tc.missing != "" && (err == nil || !strings.Contains(err.Error(), tc.missing)):
			t.Errorf("%s: %v, want an error naming its import %s", tc.wat, err, tc.missing)
		}
		if pre != nil {
			pre.close()
		}
		mod.Close()
	}

	type notWrapper struct{ ptr *int }
	if findCField[notWrapper]("struct_wasm_config_t").err == nil {
		t.Error("a struct without _ptr accepted")
	}
	if findCField[wasmtime.Store]("struct_wasm_config_t").err == nil {
		t.Error("a _ptr of another C type accepted")
	}
}
