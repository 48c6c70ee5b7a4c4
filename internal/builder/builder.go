package builder

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/faas-wasm/faas-wasm/internal/oci"
)

// Builder builds stack entries into images. Use New.
type Builder struct {
	goBin  string
	goarch string
	wizen  func(context.Context, []byte) ([]byte, error)
	log    *slog.Logger
}

// Option configures a Builder.
type Option func(*Builder)

// WithGo sets the go command to run (default "go" from PATH).
func WithGo(path string) Option { return func(b *Builder) { b.goBin = path } }

// WithGOARCH sets the architecture of container binaries (default the
// host's).
func WithGOARCH(arch string) Option { return func(b *Builder) { b.goarch = arch } }

// WithWizer sets the function that pre-initialises reactor modules into
// snapshots (runtime/snapshot.Wizen). Without it the snapshot shape falls
// back to the command shape.
func WithWizer(wizen func(context.Context, []byte) ([]byte, error)) Option {
	return func(b *Builder) { b.wizen = wizen }
}

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(b *Builder) { b.log = l } }

// New returns a Builder.
func New(opts ...Option) *Builder {
	b := &Builder{}
	for _, o := range opts {
		o(b)
	}
	if b.goBin == "" {
		b.goBin = "go"
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

// Build builds the stack entry name of a stack whose file lives in root.
//
// # Errors
//
// An error wrapping ErrStack for bad annotations, ErrBuild for a failed
// compile, or the oci package's errors.
func (b *Builder) Build(ctx context.Context, root, name string, f Function) (*Artifact, error) {
	pkg := "./" + filepath.ToSlash(filepath.Clean(f.Handler))
	a := &Artifact{Name: name, Image: f.Image}
	var err error
	if f.IsWasm() {
		a.Kind = "wasm"
		shape := Shape(strings.ToLower(f.Annotations[ShapeAnnotation]))
		if shape == "" {
			shape = ShapeSnapshot
		}
		form, ferr := parseForm(f.Annotations[FormAnnotation])
		if ferr != nil {
			return nil, fmt.Errorf("build %s: %w", name, ferr)
		}
		a.Form = form
		if a.Raw, a.Shape, err = b.Wasm(ctx, root, pkg, shape); err != nil {
			return nil, fmt.Errorf("build %s: %w", name, err)
		}
		a.Img, err = oci.WasmImage(a.Raw, form)
	} else {
		a.Kind = "container"
		if a.Raw, err = b.Native(ctx, root, pkg, b.goarch); err != nil {
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
	b.log.Info("built", "function", name, "kind", a.Kind, "shape", string(a.Shape), "bytes", len(a.Raw), "image_bytes", a.Size, "digest", a.Digest)
	return a, nil
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
