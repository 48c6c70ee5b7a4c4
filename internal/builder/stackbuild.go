package builder

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/faas-wasm/faas-wasm/internal/oci"
)

// ErrUnknownFunction is wrapped when StackOptions.Only names a function the
// stack does not have.
var ErrUnknownFunction = errors.New("no such function in the stack")

// StackOptions say which entries of a stack BuildStack builds and where the
// results go. The zero value builds every entry and keeps the results in
// memory.
type StackOptions struct {
	// Only lists the entries to build, in this order; empty means all, in
	// name order.
	Only []string
	// Push is a registry (host[:port]) every image is pushed to, keeping
	// the repository and tag of its stack reference; empty means no push.
	// Loopback registries are reached over plain HTTP, others only with
	// Insecure.
	Push     string
	Insecure bool
	// Out is a directory under which each function's binary or module and
	// an OCI image layout are written (Out/NAME); empty means none.
	Out string
	// Built, when set, is called after each entry is built (and pushed).
	Built func(Result)
}

// Result is one built stack entry.
type Result struct {
	*Artifact
	// Pushed is the reference the image was pushed to, or "".
	Pushed string
}

// BuildStack builds the entries of the stack file at path (handlers are
// relative to its directory) and returns what it built, in build order.
//
// # Errors
//
// The stack's load errors, ErrUnknownFunction for a name in o.Only the
// stack lacks, and Build's, the layout writer's or oci.Push's errors. It
// stops at the first failing entry and returns the results before it.
func (b *Builder) BuildStack(ctx context.Context, path string, o StackOptions) ([]Result, error) {
	stack, err := LoadStack(path)
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	results, err := b.BuildLoadedStack(ctx, filepath.Dir(path), stack, o)
	if errors.Is(err, ErrUnknownFunction) {
		err = fmt.Errorf("%w (%s)", err, path)
	}
	return results, err
}

// BuildLoadedStack builds the entries of stack, a stack file already
// loaded (and perhaps changed in memory) whose handlers are relative to
// root, as BuildStack does.
//
// # Errors
//
// As BuildStack's, but for loading.
func (b *Builder) BuildLoadedStack(ctx context.Context, root string, stack *Stack, o StackOptions) ([]Result, error) {
	names := o.Only
	if len(names) == 0 {
		names = stack.Names()
	}
	for _, n := range names {
		if _, ok := stack.Functions[n]; !ok {
			return nil, fmt.Errorf("build %s: %w", n, ErrUnknownFunction)
		}
	}
	var pushOpts []oci.Option
	if o.Insecure && o.Push != "" {
		pushOpts = append(pushOpts, oci.WithInsecureRegistries(o.Push))
	}
	var results []Result
	for _, n := range names {
		a, err := b.Build(ctx, root, n, stack.Functions[n])
		if err != nil {
			return results, fmt.Errorf("build: %w", err)
		}
		r := Result{Artifact: a}
		if o.Out != "" {
			if err := writeOut(o.Out, a); err != nil {
				return results, fmt.Errorf("build: %w", err)
			}
		}
		if o.Push != "" {
			ref, err := rehome(a.Image, o.Push)
			if err != nil {
				return results, fmt.Errorf("build %s: %w", n, err)
			}
			if _, err := oci.Push(ctx, a.Img, ref, pushOpts...); err != nil {
				return results, fmt.Errorf("build %s: %w", n, err)
			}
			r.Pushed = ref
		}
		results = append(results, r)
		if o.Built != nil {
			o.Built(r)
		}
	}
	return results, nil
}

// rehome moves image reference ref to registry, keeping repository and tag
// or digest.
func rehome(ref, registry string) (string, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return "", fmt.Errorf("%w: image %q: %v", ErrStack, ref, err)
	}
	repo := strings.TrimSuffix(registry, "/") + "/" + r.Context().RepositoryStr()
	if d, ok := r.(name.Digest); ok {
		return repo + "@" + d.DigestStr(), nil
	}
	return repo + ":" + r.Identifier(), nil
}

// writeOut writes the artifact's raw bytes and its image as an OCI layout
// under dir/NAME.
func writeOut(dir string, a *Artifact) error {
	d := filepath.Join(dir, a.Name)
	if err := os.MkdirAll(d, 0o755); err != nil {
		return fmt.Errorf("write %s: %w", a.Name, err)
	}
	file, mode := "function", os.FileMode(0o755)
	if a.Kind == "wasm" {
		file, mode = "function.wasm", 0o644
	}
	if err := os.WriteFile(filepath.Join(d, file), a.Raw, mode); err != nil {
		return fmt.Errorf("write %s: %w", a.Name, err)
	}
	lp := filepath.Join(d, "oci")
	if err := os.RemoveAll(lp); err != nil {
		return fmt.Errorf("write %s layout: %w", a.Name, err)
	}
	p, err := layout.Write(lp, empty.Index)
	if err != nil {
		return fmt.Errorf("write %s layout: %w", a.Name, err)
	}
	if err := p.AppendImage(a.Img); err != nil {
		return fmt.Errorf("write %s layout: %w", a.Name, err)
	}
	return nil
}
