package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// ErrUsage is wrapped by Main's errors for bad arguments.
var ErrUsage = errors.New("usage")

// Config is a parsed command line (see ParseFlags for each flag's meaning).
type Config struct {
	// Gateway is the API to measure; empty runs a local provider.
	Gateway string
	// Local starts registry, containerd and provider itself.
	Local bool
	// Mode names the report (local or kubernetes).
	Mode string
	// Quick selects the smoke profile.
	Quick bool
	// Functions restricts the run to these base names.
	Functions []string
	// Variants is both, container or wasm.
	Variants string
	// Stack is the stack file; its directory is the repository root.
	Stack string
	// Out is the report directory.
	Out string
	// Namespace is the function namespace.
	Namespace string
	// User and Password are the basic-auth credentials of /system/*.
	User, Password string
	// Registry is the image registry prefix with --gateway.
	Registry string
	// InsecureRegistry reaches a non-loopback registry over plain HTTP.
	InsecureRegistry bool
	// ServicesHost is this machine's address as functions see it (--gateway).
	ServicesHost string
	// ContainerdSocket, with --gateway, is the containerd of the single
	// node running the functions on this machine: replicas are measured
	// through /proc of the processes below its shims.
	ContainerdSocket string
	// ProviderPID, with --gateway, is the provider's process on this
	// machine, measured through /proc.
	ProviderPID int
	// Notes are added to the report as given (for example how the
	// provider was started).
	Notes []string
	// ContainerHost is this machine's address as local containers see it.
	ContainerHost string
	// HamletFile is the text fuzzysearch fetches.
	HamletFile string
	// ProviderBinary is the faas-wasm binary run as the local provider.
	ProviderBinary string
	// Logs is where the local children's logs are copied at the end.
	Logs string
	// DeployRounds, ColdRounds, SerialDuration, ConcurrentTime and
	// MaxDuration override the profile when positive.
	DeployRounds   int
	ColdRounds     int
	SerialDuration time.Duration
	ConcurrentTime time.Duration
	MaxDuration    time.Duration
}

// Main runs `faas-wasm bench` with args (without the subcommand name):
// progress goes to stderr, the list of written files to stdout.
//
// # Errors
//
// ErrUsage for bad flags; otherwise the first error that stops the run
// (failures of single phases are recorded in the report instead).
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := ParseFlags(args, stderr)
	if err != nil {
		return err
	}
	files, err := Run(ctx, cfg, NewProgress(stderr))
	for _, f := range files {
		fmt.Fprintln(stdout, f)
	}
	return err
}

// ParseFlags parses the command line; flag.ErrHelp for --help.
//
// # Errors
//
// flag.ErrHelp, or ErrUsage wrapped with what is wrong.
func ParseFlags(args []string, out io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.Gateway, "gateway", "", "provider API or OpenFaaS gateway to measure (default: run a provider in local mode)")
	fs.BoolVar(&c.Local, "local", false, "start registry, containerd and the provider in local mode (default without --gateway)")
	fs.StringVar(&c.Mode, "mode", "", "report name: local or kubernetes (default local with --local, else kubernetes)")
	fs.BoolVar(&c.Quick, "quick", false, "smoke profile: few rounds, short loads, functions "+strings.Join(QuickFunctions, ",")+" unless --functions")
	functions := fs.String("functions", "", "measure only these functions (comma separated base names, both variants)")
	fs.StringVar(&c.Variants, "variants", "both", "both, container or wasm")
	fs.StringVar(&c.Stack, "f", "stack.yml", "stack file (its directory is the repository root)")
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
	fs.StringVar(&c.HamletFile, "hamlet-file", "", "text fuzzysearch fetches (default functions/fuzzysearch/testdata/hamlet.txt)")
	fs.StringVar(&c.ProviderBinary, "provider-binary", "", "faas-wasm binary to run as the local provider (default this program)")
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
		return c, fmt.Errorf("bench: %w: %v", ErrUsage, err)
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("bench: %w: unexpected arguments %q", ErrUsage, fs.Args())
	}
	if c.Gateway == "" {
		c.Local = true
	}
	if c.Local && c.Gateway != "" {
		return c, fmt.Errorf("bench: %w: --local and --gateway exclude each other", ErrUsage)
	}
	if c.Local && (c.ContainerdSocket != "" || c.ProviderPID != 0) {
		return c, fmt.Errorf("bench: %w: --containerd-socket and --provider-pid need --gateway (local mode starts its own)", ErrUsage)
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
		return c, fmt.Errorf("bench: %w: --variants %q (both, container or wasm)", ErrUsage, c.Variants)
	}
	if *functions != "" {
		for _, f := range strings.Split(*functions, ",") {
			if f = strings.TrimSpace(f); f != "" {
				c.Functions = append(c.Functions, f)
			}
		}
	}
	return c, nil
}

// Profile returns the profile the configuration asks for.
func (c Config) Profile() Profile {
	p := FullProfile()
	if c.Quick {
		p = QuickProfile()
	}
	if len(c.Functions) > 0 {
		p.Functions = c.Functions
	}
	if c.DeployRounds > 0 {
		p.DeployRounds = c.DeployRounds
	}
	if c.ColdRounds > 0 {
		p.ColdRounds = c.ColdRounds
	}
	if c.SerialDuration > 0 {
		p.Serial.MaxDuration = c.SerialDuration
	}
	if c.ConcurrentTime > 0 {
		p.Concurrent = studyConcurrent(c.ConcurrentTime)
	}
	if c.MaxDuration > 0 {
		p.Max.MaxDuration = c.MaxDuration
	}
	return p
}
