package builder

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/faas-wasm/faas-wasm/internal/builder/snapshot"
	"github.com/faas-wasm/faas-wasm/internal/oci"
)

// ErrUsage is wrapped by Main's errors for bad arguments.
var ErrUsage = errors.New("usage")

// Main runs `faas-wasm build -f stack.yml [--push REGISTRY] [--insecure]
// [--out DIR] [--only NAME[,NAME...]]` with args (without the subcommand
// name) and prints a table of the artifacts and their sizes to stdout. With
// --push every image is pushed to REGISTRY (host[:port]), keeping the
// repository and tag of its stack reference; loopback registries are reached
// over plain HTTP, others only with --insecure. With --out each function's
// binary or module and an OCI image layout are written under DIR/NAME.
// Snapshots use runtime/snapshot's Wizer (installed from npm on first use);
// with --no-snapshot, or when Wizer cannot be installed, snapshot entries are
// built in the command shape and a warning says so. opts configure the
// Builder and come after those defaults.
//
// # Errors
//
// flag.ErrHelp for -h/--help (usage printed to stdout), ErrUsage for bad flags, the stack's, build's and push's errors otherwise;
// Main stops at the first failing function.
func Main(ctx context.Context, args []string, stdout io.Writer, opts ...Option) error {
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	fs.SetOutput(stdout)
	file := fs.String("f", "stack.yml", "stack file")
	fs.StringVar(file, "yaml", "stack.yml", "stack file (same as -f)")
	push := fs.String("push", "", "push every image to this registry (host[:port])")
	insecure := fs.Bool("insecure", false, "reach the --push registry over plain HTTP")
	out := fs.String("out", "", "write binaries, modules and OCI layouts under this directory")
	only := fs.String("only", "", "build only these functions (comma separated)")
	quiet := fs.Bool("quiet", false, "do not log progress to stderr")
	noSnapshot := fs.Bool("no-snapshot", false, "build snapshot entries in the command shape (no Wizer)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("build: %w: %v", ErrUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("build: %w: unexpected arguments %q", ErrUsage, fs.Args())
	}
	stack, err := LoadStack(*file)
	if err != nil {
		return fmt.Errorf("build: %w", err)
	}
	names, err := selectNames(stack, *only)
	if err != nil {
		return fmt.Errorf("build: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if !*quiet {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	defaults := []Option{WithLogger(logger)}
	if !*noSnapshot {
		if _, err := snapshot.Install(ctx); err != nil {
			logger.Warn("Wizer unavailable: snapshot entries fall back to the command shape", "err", err)
		} else {
			defaults = append(defaults, WithWizer(func(ctx context.Context, m []byte) ([]byte, error) {
				return snapshot.Wizen(ctx, m)
			}))
		}
	}
	opts = append(defaults, opts...)
	b := New(opts...)
	root := filepath.Dir(*file)
	var pushOpts []oci.Option
	if *insecure && *push != "" {
		pushOpts = append(pushOpts, oci.WithInsecureRegistries(*push))
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FUNCTION\tKIND\tSHAPE/FORM\tARTIFACT BYTES\tIMAGE BYTES\tDIGEST\tPUSHED")
	for _, n := range names {
		a, err := b.Build(ctx, root, n, stack.Functions[n])
		if err != nil {
			return fmt.Errorf("build: %w", err)
		}
		if *out != "" {
			if err := writeOut(*out, a); err != nil {
				return fmt.Errorf("build: %w", err)
			}
		}
		pushed := "-"
		if *push != "" {
			ref, err := rehome(a.Image, *push)
			if err != nil {
				return fmt.Errorf("build %s: %w", n, err)
			}
			if _, err := oci.Push(ctx, a.Img, ref, pushOpts...); err != nil {
				return fmt.Errorf("build %s: %w", n, err)
			}
			pushed = ref
		}
		shape := string(a.Shape) + "/" + a.Form.String()
		if a.Kind == "container" {
			shape = "static/scratch"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\n", a.Name, a.Kind, shape, len(a.Raw), a.Size, a.Digest, pushed)
	}
	return tw.Flush()
}

func selectNames(s *Stack, only string) ([]string, error) {
	if only == "" {
		return s.Names(), nil
	}
	var names []string
	for _, n := range strings.Split(only, ",") {
		n = strings.TrimSpace(n)
		if _, ok := s.Functions[n]; !ok {
			return nil, fmt.Errorf("%w: --only %s: no such function in the stack", ErrUsage, n)
		}
		names = append(names, n)
	}
	return names, nil
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
