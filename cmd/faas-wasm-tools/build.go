package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"

	"github.com/faas-wasm/faas-wasm/internal/builder"
	"github.com/faas-wasm/faas-wasm/internal/precompiled"
)

// errBuildUsage is wrapped by the build verb's errors for bad arguments.
var errBuildUsage = errors.New("usage")

const buildUsage = `Usage: faas-wasm build [-f stack.yml] [--only NAME[,NAME...]] [--push REGISTRY [--insecure]] [--out DIR] [--sign-key FILE [--precompile-min-bytes N]]

Builds the stack's functions without Docker, each with the toolchain its lang:
names (go-faaswasm, rust-faaswasm, c-faaswasm): a static binary in a FROM-scratch
container image, or a Wasm module in a Wasm image for entries annotated
com.openfaas.runtime: wasm. Prints a table of the images, their sizes and digests.

Flags:
`

// buildFlags are the build verb's parsed flags.
type buildFlags struct {
	file, push, out, cSDK string
	signKey               string
	precompileMin         int64
	only                  []string
	insecure, quiet       bool
	noSnapshot            bool
}

// parseBuildFlags parses the build command line.
//
// # Errors
//
// flag.ErrHelp for -h/--help (usage printed to out), errBuildUsage wrapped
// with what is wrong otherwise.
func parseBuildFlags(args []string, out io.Writer) (buildFlags, error) {
	var c buildFlags
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), buildUsage)
		fs.PrintDefaults()
	}
	fs.StringVar(&c.file, "f", "stack.yml", "stack file")
	fs.StringVar(&c.file, "yaml", "stack.yml", "stack file (same as -f)")
	fs.StringVar(&c.push, "push", "", "push every image to this registry (host[:port])")
	fs.BoolVar(&c.insecure, "insecure", false, "reach the --push registry over plain HTTP")
	fs.StringVar(&c.out, "out", "", "write binaries, modules and OCI layouts under this directory")
	only := fs.String("only", "", "build only these functions (comma separated)")
	fs.BoolVar(&c.quiet, "quiet", false, "do not log progress to stderr")
	fs.BoolVar(&c.noSnapshot, "no-snapshot", false, "build Go snapshot entries in the command shape, without pre-initialising them (slower calls: the Go runtime starts on each)")
	fs.StringVar(&c.cSDK, "c-sdk", "", "directory of the C SDK (faaswasm.h, faaswasm.c) for c-faaswasm entries (default: sdk/c above the handler or the working directory)")
	fs.StringVar(&c.signKey, "sign-key", "", "ed25519 private key (faas-wasm keygen): add to each Wasm image of a module of at least --precompile-min-bytes its module precompiled for this faas-wasm's engine, signed, for providers run with --trusted-build-key")
	fs.Int64Var(&c.precompileMin, "precompile-min-bytes", builder.DefaultPrecompileMinBytes, "with --sign-key: ship the precompiled layer only for modules of at least this many bytes (the default keeps Rust and C images module-only: they compile in a fraction of a second; 0 for every module)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, err
		}
		return c, fmt.Errorf("build: %w: %v", errBuildUsage, err)
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("build: %w: unexpected arguments %q", errBuildUsage, fs.Args())
	}
	if c.precompileMin < 0 {
		return c, fmt.Errorf("build: %w: --precompile-min-bytes %d is negative", errBuildUsage, c.precompileMin)
	}
	for _, n := range strings.Split(*only, ",") {
		if n = strings.TrimSpace(n); n != "" {
			c.only = append(c.only, n)
		}
	}
	return c, nil
}

// runBuild runs the build verb with args (without the verb): progress is
// logged to stderr, the table of artifacts goes to stdout. Go snapshot
// entries are pre-initialised at build time; with --no-snapshot they are
// built in the command shape.
//
// # Errors
//
// flag.ErrHelp, errBuildUsage for bad flags, builder.ErrUnknownFunction for
// an --only name the stack lacks, the stack's, build's
// and push's errors
// otherwise; it stops at the first failing function.
func runBuild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseBuildFlags(args, stdout)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if !c.quiet {
		logger = slog.New(slog.NewTextHandler(stderr, nil))
	}
	opts := []builder.Option{builder.WithLogger(logger)}
	if c.cSDK != "" {
		opts = append(opts, builder.WithCSDK(c.cSDK))
	}
	if c.signKey != "" {
		key, err := precompiled.LoadPrivateKey(c.signKey)
		if err != nil {
			return fmt.Errorf("build: --sign-key: %w", err)
		}
		opts = append(opts, builder.WithSignKey(key), builder.WithPrecompileMinBytes(c.precompileMin))
	}
	if c.noSnapshot {
		opts = append(opts, builder.WithoutSnapshots())
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FUNCTION\tLANG\tKIND\tSHAPE/FORM\tARTIFACT BYTES\tIMAGE BYTES\tDIGEST\tPUSHED")
	row := func(r builder.Result) {
		shape := string(r.Shape) + "/" + r.Form.String()
		if r.Kind == "container" {
			shape = "static/scratch"
		}
		pushed := r.Pushed
		if pushed == "" {
			pushed = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", r.Name, r.Lang, r.Kind, shape, len(r.Raw), r.Size, r.Digest, pushed)
	}
	_, err = builder.New(opts...).BuildStack(ctx, c.file, builder.StackOptions{
		Only: c.only, Push: c.push, Insecure: c.insecure, Out: c.out, Built: row,
	})
	if ferr := tw.Flush(); err == nil {
		err = ferr
	}
	return err
}
