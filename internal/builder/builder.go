package builder

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/faas-wasm/faas-wasm/internal/builder/wasmmem"
	"github.com/faas-wasm/faas-wasm/internal/oci"
	"github.com/faas-wasm/faas-wasm/internal/wasmbin"
)

// Builder builds stack entries into images. Use New.
type Builder struct {
	goBin    string
	goarch   string
	cargo    string
	rustc    string
	cc       string
	cSDK     string
	cacheDir string
	noSnap   bool // WithoutSnapshots
	log      *slog.Logger

	mu      sync.Mutex
	rustKey string // rustc -vV digest, see rustToolchain
	sysroot string // rustc --print sysroot, see rustSysroot

	pre    *precompiler // WithSignKey: signed precompiled layers (precompiled.go)
	preMin int64        // WithPrecompileMinBytes
}

// Option configures a Builder.
type Option func(*Builder)

// WithGo sets the go command to run (default "go" from PATH).
func WithGo(path string) Option { return func(b *Builder) { b.goBin = path } }

// WithGOARCH sets the architecture of container binaries (default the
// host's).
func WithGOARCH(arch string) Option { return func(b *Builder) { b.goarch = arch } }

// WithoutSnapshots builds Go Wasm entries of the snapshot shape in the
// command shape instead, on purpose (faas-wasm build --no-snapshot): no
// pre-initialisation is run, and every call of such a module starts the Go
// runtime.
func WithoutSnapshots() Option { return func(b *Builder) { b.noSnap = true } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(b *Builder) { b.log = l } }

// WithCargo sets the cargo and rustc programs of Rust builds (default
// /usr/bin/cargo and /usr/bin/rustc: Debian's toolchain has the wasm32-wasi
// std; a rustup toolchain earlier on PATH may not).
func WithCargo(cargo, rustc string) Option {
	return func(b *Builder) { b.cargo, b.rustc = cargo, rustc }
}

// WithCC sets the C compiler of C builds (default "clang" from PATH; it
// must target both wasm32-wasi and the host).
func WithCC(cc string) Option { return func(b *Builder) { b.cc = cc } }

// WithCSDK sets the directory holding the C SDK (faaswasm.h, faaswasm.c).
// Default: the first sdk/c above the handler or the working directory.
func WithCSDK(dir string) Option { return func(b *Builder) { b.cSDK = dir } }

// WithCacheDir sets the directory for build caches (Cargo target
// directories). Default: faas-wasm under the user's cache directory
// ($XDG_CACHE_HOME or ~/.cache).
func WithCacheDir(dir string) Option { return func(b *Builder) { b.cacheDir = dir } }

// New returns a Builder.
func New(opts ...Option) *Builder {
	b := &Builder{preMin: DefaultPrecompileMinBytes}
	for _, o := range opts {
		o(b)
	}
	if b.goBin == "" {
		b.goBin = "go"
	}
	if b.cargo == "" {
		b.cargo = "/usr/bin/cargo"
	}
	if b.rustc == "" {
		b.rustc = "/usr/bin/rustc"
	}
	if b.cc == "" {
		b.cc = "clang"
	}
	if b.cacheDir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			base = os.TempDir()
		}
		b.cacheDir = filepath.Join(base, "faas-wasm")
	}
	if b.log == nil {
		b.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return b
}

// Artifact is one built function.
type Artifact struct {
	// Name is the stack entry's name; Image its image reference.
	Name, Image string
	// Kind is "container" or "wasm".
	Kind string
	// Lang is the toolchain that built it.
	Lang Lang
	// Shape is the module's shape (Wasm only).
	Shape Shape
	// Form is the Wasm image form, "oci-layer" or "artifact" (Wasm only).
	Form oci.WasmForm
	// Raw is the static binary or the Wasm module.
	Raw []byte
	// Img is the image; Digest its manifest digest; Size its registry size
	// (manifest, config and compressed layers).
	Img    v1.Image
	Digest string
	Size   int64
}

// Build builds the stack entry name of a stack whose file lives in root,
// with the toolchain its lang names (see Lang).
//
// # Errors
//
// An error wrapping ErrStack for an unknown lang or bad annotations,
// ErrBuild for a failed compile (with the tail of the compiler's output),
// or the oci package's errors.
func (b *Builder) Build(ctx context.Context, root, name string, f Function) (*Artifact, error) {
	lang, err := parseLang(f.Lang)
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", name, err)
	}
	a := &Artifact{Name: name, Image: f.Image, Lang: lang}
	if f.IsWasm() {
		a.Kind = "wasm"
		shape, err := wasmShape(lang, f.Annotations[ShapeAnnotation])
		if err != nil {
			return nil, fmt.Errorf("build %s: %w", name, err)
		}
		form, ferr := parseForm(f.Annotations[FormAnnotation])
		if ferr != nil {
			return nil, fmt.Errorf("build %s: %w", name, ferr)
		}
		a.Form = form
		stackSize, err := wasmStackSize(lang, f.Annotations[StackSizeAnnotation])
		if err != nil {
			return nil, fmt.Errorf("build %s: %w", name, err)
		}
		if a.Raw, a.Shape, err = b.compileWasm(ctx, root, lang, f.Handler, shape, stackSize); err != nil {
			return nil, fmt.Errorf("build %s: %w", name, err)
		}
		a.Img, err = oci.WasmImage(a.Raw, form)
		if err == nil && b.precompiles(a.Raw) {
			a.Img, err = b.addPrecompiled(a.Img, name, a.Raw)
		}
	} else {
		a.Kind = "container"
		if a.Raw, err = b.compileNative(ctx, root, lang, f.Handler); err != nil {
			return nil, fmt.Errorf("build %s: %w", name, err)
		}
		platform := ""
		if b.goarch != "" {
			platform = "linux/" + b.goarch
		}
		a.Img, err = oci.ContainerImage(a.Raw, oci.ContainerConfig{
			Platform: platform,
			Labels:   map[string]string{"com.openfaas.function": name},
		})
	}
	if err != nil {
		return nil, fmt.Errorf("build %s image: %w", name, err)
	}
	h, err := a.Img.Digest()
	if err != nil {
		return nil, fmt.Errorf("build %s digest: %w", name, err)
	}
	a.Digest = h.String()
	if a.Size, err = oci.Size(a.Img); err != nil {
		return nil, fmt.Errorf("build %s size: %w", name, err)
	}
	b.log.Info("built", "function", name, "lang", string(lang), "kind", a.Kind, "shape", string(a.Shape), "bytes", len(a.Raw), "image_bytes", a.Size, "digest", a.Digest)
	return a, nil
}

// compileNative builds handler (relative to root) as a static Linux binary.
func (b *Builder) compileNative(ctx context.Context, root string, lang Lang, handler string) ([]byte, error) {
	switch lang {
	case LangRust:
		return b.rustBuild(ctx, root, handler, outputNative, 0)
	case LangC:
		return b.cBuild(ctx, root, handler, outputNative, 0)
	}
	return b.Native(ctx, root, goPackage(handler), b.goarch)
}

// compileWasm builds handler (relative to root) as a Wasm module of the
// given shape, with a shadow stack of stackSize bytes (Rust and C; 0 = the
// toolchain's default), and returns the shape it has. A Rust module gets
// wasmmem.DefaultHeapReserve of heap in its initial memory. A Rust or C
// reactor must export faas_handle (the SDK's reactor macro declares it).
func (b *Builder) compileWasm(ctx context.Context, root string, lang Lang, handler string, shape Shape, stackSize int) ([]byte, Shape, error) {
	if lang == LangGo {
		return b.Wasm(ctx, root, goPackage(handler), shape)
	}
	out := outputCommand
	if shape == ShapeReactor {
		out = outputReactor
	}
	var m []byte
	var err error
	if lang == LangRust {
		m, err = b.rustBuild(ctx, root, handler, out, stackSize)
	} else {
		m, err = b.cBuild(ctx, root, handler, out, stackSize)
	}
	if err != nil {
		return nil, shape, err
	}
	if out == outputReactor {
		if err := checkReactor(lang, handler, m); err != nil {
			return nil, shape, err
		}
	}
	if lang == LangRust {
		if m, err = wasmmem.ReserveHeap(m, wasmmem.DefaultHeapReserve); err != nil {
			return nil, shape, fmt.Errorf("build %s: %w: %v", handler, ErrBuild, err)
		}
	}
	return m, shape, nil
}

// reactorMacro is how each language's SDK exports faas_handle.
var reactorMacro = map[Lang]string{
	LangRust: "faas_wasm_fn::reactor!(handle); to its src/lib.rs",
	LangC:    "FW_REACTOR(handle) to a source that includes faaswasm.h",
}

// checkReactor checks that the module built from handler is a reactor: it
// exports faas_handle, which only the SDK's reactor macro declares.
func checkReactor(lang Lang, handler string, module []byte) error {
	exports, err := wasmbin.Exports(module)
	if err != nil {
		return fmt.Errorf("build %s: %w: %v", handler, ErrBuild, err)
	}
	for _, e := range exports {
		if e.Kind == wasmbin.KindFunc && e.Name == "faas_handle" {
			return nil
		}
	}
	return fmt.Errorf("build %s: %w: the reactor shape needs the module to export faas_handle: add %s", handler, ErrBuild, reactorMacro[lang])
}

// goPackage turns a handler path into the package argument of Native and
// Wasm ("./functions/go/aes").
func goPackage(handler string) string {
	return "./" + filepath.ToSlash(filepath.Clean(handler))
}

func parseForm(s string) (oci.WasmForm, error) {
	switch strings.ToLower(s) {
	case "", "oci-layer", "layer":
		return oci.FormOCILayer, nil
	case "artifact":
		return oci.FormArtifact, nil
	}
	return 0, fmt.Errorf("%w: %s %q is not oci-layer or artifact", ErrStack, FormAnnotation, s)
}
