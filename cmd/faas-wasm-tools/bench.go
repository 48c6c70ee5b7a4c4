package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/faas-wasm/faas-wasm/internal/bench"
	"github.com/faas-wasm/faas-wasm/internal/sibling"
	"github.com/faas-wasm/faas-wasm/internal/wasmopts"
)

// runBench runs the bench verb with args (without the verb): progress goes
// to stderr, the list of written files to stdout.
//
// # Errors
//
// bench.ErrUsage for bad flags; otherwise the first error that stops the run
// (failures of single phases are recorded in the report instead).
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseBenchFlags(args, stderr)
	if err != nil {
		return err
	}
	if cfg.Local && cfg.ProviderBinary == "" {
		if cfg.ProviderBinary, err = sibling.Find("faas-wasm"); err != nil {
			return fmt.Errorf("bench: %w: %v (or give --provider-binary)", bench.ErrUsage, err)
		}
	}
	files, err := bench.Run(ctx, cfg, bench.NewProgress(stderr))
	for _, f := range files {
		fmt.Fprintln(stdout, f)
	}
	return err
}

// parseBenchFlags parses the bench command line; flag.ErrHelp for --help.
//
// # Errors
//
// flag.ErrHelp, or bench.ErrUsage wrapped with what is wrong.
func parseBenchFlags(args []string, out io.Writer) (bench.Config, error) {
	var c bench.Config
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.Gateway, "gateway", "", "provider API or OpenFaaS gateway to measure (default: run a provider in local mode)")
	fs.BoolVar(&c.Local, "local", false, "start registry, containerd and the provider in local mode (default without --gateway)")
	fs.StringVar(&c.Mode, "mode", "", "report name: local or kubernetes (default local with --local, else kubernetes)")
	fs.BoolVar(&c.Quick, "quick", false, "smoke profile: few rounds, short loads, functions "+strings.Join(bench.QuickFunctions, ",")+" unless --functions")
	functions := fs.String("functions", "", "measure only these functions (comma separated base names, every variant)")
	fs.StringVar(&c.Variants, "variants", "both", "both, container or wasm (the kind, in every language)")
	languages := fs.String("languages", "", "measure only these guest languages (comma separated: "+strings.Join(bench.Languages, ",")+
		"; default: every language the stack lists; entries NAME/NAME-wasm are Go, NAME-rs/NAME-rs-wasm Rust)")
	wasmMode := fs.String("wasm-mode", wasmopts.ModeFresh, "instance mode of every Wasm variant: fresh (each stack entry's own) or warm (annotation "+
		wasmopts.AnnotationMode+": warm, Rust and C command modules built as reactors; report NAME-warm)")
	fs.StringVar(&c.Stack, "f", "stack.yml", "stack file (its directory is the repository root)")
	fs.StringVar(&c.Report, "report", "", "name of the report's files: NAME.md, NAME.json, NAME-*.svg (default: the mode, -quick for --quick)")
	fs.StringVar(&c.Out, "out", "docs/benchmarks", "directory of the report, plots and JSON")
	fs.StringVar(&c.Namespace, "namespace", "openfaas-fn", "function namespace")
	fs.StringVar(&c.User, "user", os.Getenv("OPENFAAS_USER"), "basic-auth user for /system/* (env OPENFAAS_USER)")
	fs.StringVar(&c.Password, "password", os.Getenv("OPENFAAS_PASSWORD"), "basic-auth password (env OPENFAAS_PASSWORD)")
	fs.StringVar(&c.Registry, "registry", os.Getenv("REGISTRY"), "registry prefix of the stack's images with --gateway (env REGISTRY)")
	fs.BoolVar(&c.InsecureRegistry, "insecure-registry", false, "reach a non-loopback registry over plain HTTP")
	fs.StringVar(&c.ServicesHost, "services-host", "127.0.0.1", "address of this machine as the functions see it, with --gateway")
	fs.StringVar(&c.ContainerdSocket, "containerd-socket", "", "with --gateway: socket of the containerd of the single node on this machine that runs the functions; replicas' CPU and memory are read from /proc below its shims (default: the provider's FunctionStatus.usage)")
	fs.IntVar(&c.ProviderPID, "provider-pid", 0, "with --gateway: process ID of the provider on this machine, measured through /proc")
	fs.Func("note", "a line added to the report's notes (repeatable)", func(v string) error {
		c.Notes = append(c.Notes, v)
		return nil
	})
	fs.StringVar(&c.ContainerHost, "container-host", "10.62.0.1", "address of this machine as local container functions see it (the CNI bridge's gateway)")
	fs.StringVar(&c.HamletFile, "hamlet-file", "", "text fuzzysearch fetches (default functions/testdata/hamlet.txt)")
	fs.BoolVar(&c.NoPrecompiled, "no-precompiled", false, "local mode: build Wasm images without the signed precompiled layer (default: signed with a key made for the run, trusted by the provider), so Wasm first deploys compile")
	fs.BoolVar(&c.Build, "build", false, "with --gateway: build the selected entries of the stack and push them to --registry before measuring (local mode always builds)")
	fs.StringVar(&c.SignKey, "sign-key", "", "with --build: ed25519 private key (faas-wasm keygen) that signs the precompiled layer of each Wasm image whose module is large enough for one (the default of faas-wasm build --precompile-min-bytes: the Go ones); run the provider with --trusted-build-key and the public half")
	fs.StringVar(&c.ProviderBinary, "provider-binary", "", "faas-wasm binary to run as the local provider (default: the faas-wasm beside this program, then on PATH)")
	fs.StringVar(&c.Logs, "logs", "", "copy the local provider's, containerd's and userstore's logs into this directory at the end")
	fs.IntVar(&c.DeployRounds, "deploy-rounds", 0, "override the profile's deploy → first 200 rounds")
	fs.IntVar(&c.ColdRounds, "cold-rounds", 0, "override the profile's scale to zero → first 200 rounds")
	fs.DurationVar(&c.SerialDuration, "serial-duration", 0, "override the bound of each serial phase")
	fs.DurationVar(&c.ConcurrentTime, "concurrent-duration", 0, "override the concurrent phase's duration (study: 1m)")
	fs.DurationVar(&c.MaxDuration, "max-duration", 0, "override the max-throughput phase's duration")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, err
		}
		return c, fmt.Errorf("bench: %w: %v", bench.ErrUsage, err)
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("bench: %w: unexpected arguments %q", bench.ErrUsage, fs.Args())
	}
	if c.Gateway == "" {
		c.Local = true
	}
	if c.Local && c.Gateway != "" {
		return c, fmt.Errorf("bench: %w: --local and --gateway exclude each other", bench.ErrUsage)
	}
	if c.Local && (c.ContainerdSocket != "" || c.ProviderPID != 0) {
		return c, fmt.Errorf("bench: %w: --containerd-socket and --provider-pid need --gateway (local mode starts its own)", bench.ErrUsage)
	}
	if c.Build && (c.Local || c.Registry == "") {
		return c, fmt.Errorf("bench: %w: --build needs --gateway and --registry (local mode always builds)", bench.ErrUsage)
	}
	if c.SignKey != "" && !c.Build {
		return c, fmt.Errorf("bench: %w: --sign-key needs --build", bench.ErrUsage)
	}
	if c.Mode == "" {
		c.Mode = "kubernetes"
		if c.Local {
			c.Mode = "local"
		}
	}
	switch c.Variants {
	case "both", "container", "wasm":
	default:
		return c, fmt.Errorf("bench: %w: --variants %q (both, container or wasm)", bench.ErrUsage, c.Variants)
	}
	var ok bool
	if c.Warm, ok = wasmopts.ParseMode(*wasmMode); !ok {
		return c, fmt.Errorf("bench: %w: --wasm-mode %q (%s or %s)", bench.ErrUsage, *wasmMode, wasmopts.ModeFresh, wasmopts.ModeWarm)
	}
	c.Functions = splitList(*functions)
	for _, l := range splitList(*languages) {
		if !slices.Contains(bench.Languages, l) {
			return c, fmt.Errorf("bench: %w: --languages %q (%s)", bench.ErrUsage, l, strings.Join(bench.Languages, ", "))
		}
		if !slices.Contains(c.Languages, l) {
			c.Languages = append(c.Languages, l)
		}
	}
	return c, nil
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(v string) []string {
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
