// Package config turns the faas-wasm command line and environment into a
// Config for the provider. Every flag has an environment variable fallback
// (FAAS_WASM_<FLAG> with dashes as underscores); a flag given on the command
// line wins over the environment.
//
// It does not start anything: main.go builds the backend and the server from
// the Config it returns.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/diskcache"
	"github.com/faas-wasm/faas-wasm/provider"
)

// Modes the provider runs in.
const (
	ModeLocal      = "local"
	ModeKubernetes = "kubernetes"
)

// Config is the provider's configuration.
type Config struct {
	Addr             string
	Mode             string
	StateDir         string
	CacheDir         string
	CacheLimit       int64 // bytes of compiled modules under CacheDir (0: no bound)
	Namespace        string
	BasicAuth        bool
	InsecureNoAuth   bool
	SecretMountPath  string
	ReadTimeout      time.Duration
	WriteTimeout     time.Duration
	FunctionTimeout  time.Duration
	ScaleFromZero    time.Duration
	ShutdownTimeout  time.Duration
	MaxBodyBytes     int64
	MaxReplicas      uint64
	ContainerdSocket string
	Kubeconfig       string
	RuntimeClass     string
	LogLevel         string
	LogFormat        string
	Autoscale        bool
	AutoscaleEvery   time.Duration
	ScaleDownDelay   time.Duration
	// TrustedBuildKeys are files of PEM ed25519 public keys whose signed
	// precompiled Wasm modules are loaded instead of compiled (local mode).
	TrustedBuildKeys []string
	// ColdWasmConcurrency bounds the calls the provider serves itself while a
	// Wasm function has no ready pod (kubernetes mode; 0 turns it off).
	ColdWasmConcurrency int
	// ColdWasmMemory bounds the sum of those calls' memory limits, in bytes.
	ColdWasmMemory int64
	// WasmModuleCache bounds the Wasm modules (bytes plus compiled code)
	// kept by content after their last function is gone, in bytes.
	WasmModuleCache int64
	// Async configures /async-function/ calls.
	Async Async
}

// Async configures the asynchronous call queue (internal/async).
type Async struct {
	// Enabled serves /async-function/; calls are kept in NATS JetStream.
	Enabled bool
	// NATSURL is the NATS server holding the queue; empty in local mode
	// runs one inside the provider under <state-dir>/async.
	NATSURL          string
	MaxQueued        int64
	MaxBytes         int64
	Concurrency      int
	MaxAttempts      int
	CallbackAttempts int
	Backoff          time.Duration
	MaxBackoff       time.Duration
	AckWait          time.Duration
}

// Default listen addresses, by mode. Local mode is the user's whole OpenFaaS
// (as faasd is): it listens where faas-cli looks when given no gateway,
// http://127.0.0.1:8080, and only on loopback. Kubernetes mode sits behind
// the OpenFaaS gateway, which owns 8080, so the provider takes 8081 on
// every interface, as faas-netes does.
const (
	DefaultLocalAddr      = "127.0.0.1:8080"
	DefaultKubernetesAddr = ":8081"
)

// EnvPrefix is the prefix of the environment variables that back the flags.
const EnvPrefix = "FAAS_WASM_"

// Parse reads args (without the program name) with getenv as the
// environment. Output for --help goes to out.
//
// # Errors
// flag.ErrHelp when --help was asked for; otherwise an error that names the
// bad flag or environment variable.
func Parse(args []string, getenv func(string) string, out io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("faas-wasm", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(out, `faas-wasm: an OpenFaaS provider that runs functions as containers and as native WebAssembly.

Usage:
  faas-wasm [flags]                 serve the provider API
  faas-wasm build -f stack.yml      build container and Wasm images of functions (see build --help)
  faas-wasm registry                run a small OCI registry for local use (see registry --help)
  faas-wasm bench                   benchmark every function as container and Wasm (see bench --help)
  faas-wasm version                 print the version

Flags (each also read from the environment variable shown):
`)
		fs.VisitAll(func(f *flag.Flag) {
			def := ""
			if f.DefValue != "" {
				def = fmt.Sprintf(", default %q", f.DefValue)
			}
			fmt.Fprintf(out, "  --%s (env %s%s)\n    \t%s\n", f.Name, envName(f.Name), def, f.Usage)
		})
	}
	home, _ := os.UserHomeDir()
	if home == "" {
		home = os.TempDir()
	}
	fs.StringVar(&c.Addr, "addr", "", "address the provider API listens on (default "+DefaultLocalAddr+
		" in local mode, faas-cli's default gateway; "+DefaultKubernetesAddr+" in kubernetes mode, behind the OpenFaaS gateway)")
	fs.StringVar(&c.Mode, "mode", ModeLocal, "backend: local (embedded, one host) or kubernetes")
	fs.StringVar(&c.StateDir, "state-dir", filepath.Join(home, ".local", "share", "faas-wasm"), "directory holding deployed functions, secrets and namespaces (local mode)")
	fs.StringVar(&c.CacheDir, "cache-dir", "", "directory of the compiled Wasm module cache (default <state-dir>/cache)")
	c.CacheLimit = diskcache.DefaultLimit
	fs.Var((*sizeFlag)(&c.CacheLimit), "cache-limit", "the most disk space (a quantity: 1Gi, 512Mi; 0 for no bound) the compiled Wasm modules under --cache-dir may take; after compiling a new one the provider removes the least recently used others until they fit (a removed module in use stays loaded and is compiled again when next loaded)")
	fs.StringVar(&c.Namespace, "namespace", "openfaas-fn", "default function namespace")
	fs.BoolVar(&c.BasicAuth, "basic-auth", false, "take the /system/* credentials from basic-auth-user and basic-auth-password under --secret-mount-path and fail without them (without this flag they are used when present, else credentials generated once into <state-dir>/credentials)")
	fs.BoolVar(&c.InsecureNoAuth, "insecure-no-auth", false, "serve /system/* without basic auth; refused unless --addr is a loopback address")
	fs.StringVar(&c.SecretMountPath, "secret-mount-path", "/var/openfaas/secrets", "directory holding the basic-auth-user and basic-auth-password files")
	fs.DurationVar(&c.ReadTimeout, "read-timeout", 60*time.Second, "longest time to read a request, body included")
	fs.DurationVar(&c.WriteTimeout, "write-timeout", 60*time.Second, "longest time to write a response (log streams excepted)")
	fs.DurationVar(&c.FunctionTimeout, "function-timeout", 60*time.Second, "default wall-time limit of one function invocation")
	fs.DurationVar(&c.ScaleFromZero, "scale-from-zero-timeout", 30*time.Second, "how long an invocation waits for a function scaled to zero to become ready")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 30*time.Second, "how long SIGTERM waits for in-flight requests")
	fs.Int64Var(&c.MaxBodyBytes, "max-body-bytes", 32<<20, "largest request body accepted, in bytes")
	fs.Uint64Var(&c.MaxReplicas, "max-replicas", 20, "highest replica count of any function")
	fs.StringVar(&c.ContainerdSocket, "containerd-socket", "/run/containerd/containerd.sock", "containerd socket for container functions (local mode)")
	fs.StringVar(&c.Kubeconfig, "kubeconfig", "", "kubeconfig file (kubernetes mode; default in-cluster config)")
	fs.StringVar(&c.RuntimeClass, "runtime-class", "faas-wasm", "RuntimeClass of Wasm function pods (kubernetes mode)")
	fs.BoolVar(&c.Autoscale, "autoscale", true, "scale functions on their measured load (labels com.openfaas.scale.*); false leaves replicas to the API and /system/alert (idle functions still scale to zero)")
	fs.DurationVar(&c.AutoscaleEvery, "autoscale-interval", 2*time.Second, "how often the autoscaler measures load and scales")
	fs.DurationVar(&c.ScaleDownDelay, "scale-down-cooldown", time.Minute, "how long after a scale-up the autoscaler waits before scaling down")
	fs.StringVar(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", "text", "text or json")
	fs.Var((*fileList)(&c.TrustedBuildKeys), "trusted-build-key", "file of PEM ed25519 public keys (faas-wasm keygen) whose signed precompiled Wasm modules are loaded instead of compiled; repeatable, or comma-separated")
	fs.IntVar(&c.ColdWasmConcurrency, "cold-wasm-concurrency", 16, "kubernetes mode: how many calls the provider serves itself at once, in its Wasm engine, to Wasm functions that have no ready pod (just deployed or scaled to zero); beyond it such calls wait for a pod, or get 429; 0 turns this off")
	c.ColdWasmMemory = 2 << 30
	c.WasmModuleCache = 512 << 20
	fs.Var((*sizeFlag)(&c.WasmModuleCache), "wasm-module-cache", "the most memory (a quantity: 512Mi, 1Gi; 0 for none) the Wasm modules the provider keeps after their last function is gone may take, module bytes plus compiled code, least recently used dropped first; an image whose digest is kept deploys, and its first call without a pod is answered, without a pull or a compile (one registry request resolves its tag)")
	fs.Var((*memoryFlag)(&c.ColdWasmMemory), "cold-wasm-memory", "kubernetes mode: the most memory (a quantity: 2Gi, 512Mi) the calls the provider serves itself may use together, counting each call at its function's memory limit (512Mi without one); a function whose limit is larger is never served by the provider")

	fs.BoolVar(&c.Async.Enabled, "async", true, "serve /async-function/ (calls queued in NATS JetStream, run later, results posted to X-Callback-Url); kubernetes mode also needs --nats-url")
	fs.StringVar(&c.Async.NATSURL, "nats-url", "", "NATS server (JetStream enabled) holding the asynchronous call queue; empty in local mode runs one inside the provider, storing under <state-dir>/async")
	fs.Int64Var(&c.Async.MaxQueued, "async-queue-max", 10000, "most asynchronous calls waiting or running; more are answered 429")
	fs.Int64Var(&c.Async.MaxBytes, "async-queue-max-bytes", 1<<30, "most bytes the queued asynchronous calls take; more are answered 429")
	fs.IntVar(&c.Async.Concurrency, "async-concurrency", 4, "asynchronous calls of one function running at once (across every provider sharing the queue)")
	fs.IntVar(&c.Async.MaxAttempts, "async-max-attempts", 3, "tries of an asynchronous call answering 429, 502, 503 or 504")
	fs.IntVar(&c.Async.CallbackAttempts, "async-callback-attempts", 5, "tries of posting a result to a callback URL that fails (connection error, 429, 5xx)")
	fs.DurationVar(&c.Async.Backoff, "async-backoff", time.Second, "delay before the second try of a call or callback, doubled for each further try")
	fs.DurationVar(&c.Async.MaxBackoff, "async-max-backoff", time.Minute, "longest delay between tries")
	fs.DurationVar(&c.Async.AckWait, "async-ack-wait", 30*time.Second, "how long a call taken by a provider that died waits before it runs again")

	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q (see --help)", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] {
			return
		}
		if v := getenv(envName(f.Name)); v != "" {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("environment %s=%q: %w", envName(f.Name), v, err))
			}
		}
	})
	if err := errors.Join(errs...); err != nil {
		return Config{}, err
	}
	if c.CacheDir == "" {
		c.CacheDir = filepath.Join(c.StateDir, "cache")
	}
	if c.Addr == "" {
		c.Addr = DefaultLocalAddr
		if c.Mode == ModeKubernetes {
			c.Addr = DefaultKubernetesAddr
		}
	}
	return c, c.validate()
}

func (c Config) validate() error {
	switch {
	case c.Mode != ModeLocal && c.Mode != ModeKubernetes:
		return fmt.Errorf("--mode %q: want %s or %s", c.Mode, ModeLocal, ModeKubernetes)
	case c.MaxBodyBytes <= 0:
		return fmt.Errorf("--max-body-bytes must be positive, got %d", c.MaxBodyBytes)
	case c.MaxReplicas == 0:
		return errors.New("--max-replicas must be at least 1")
	case c.FunctionTimeout <= 0 || c.ReadTimeout <= 0 || c.WriteTimeout <= 0:
		return errors.New("timeouts must be positive")
	case c.AutoscaleEvery <= 0 || c.ScaleDownDelay <= 0:
		return errors.New("--autoscale-interval and --scale-down-cooldown must be positive")
	case c.Async.MaxQueued <= 0 || c.Async.MaxBytes <= 0 || c.Async.Concurrency <= 0 || c.Async.MaxAttempts <= 0 || c.Async.CallbackAttempts <= 0:
		return errors.New("--async-queue-max, --async-queue-max-bytes, --async-concurrency, --async-max-attempts and --async-callback-attempts must be positive")
	case c.Async.Backoff <= 0 || c.Async.MaxBackoff < c.Async.Backoff || c.Async.AckWait <= 0:
		return errors.New("--async-backoff and --async-ack-wait must be positive, --async-max-backoff at least --async-backoff")
	case c.ColdWasmConcurrency < 0:
		return fmt.Errorf("--cold-wasm-concurrency must not be negative, got %d", c.ColdWasmConcurrency)
	case c.LogFormat != "text" && c.LogFormat != "json":
		return fmt.Errorf("--log-format %q: want text or json", c.LogFormat)
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return fmt.Errorf("--log-level %q: want debug, info, warn or error", c.LogLevel)
	}
	return nil
}

// Level is the slog level named by LogLevel (info when unparseable; Parse
// rejects those).
func (c Config) Level() slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return slog.LevelInfo
	}
	return l
}

func envName(flagName string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// fileList is a repeatable flag of file names, each value possibly a
// comma-separated list (so that one environment variable can name several).
type fileList []string

func (l *fileList) String() string { return strings.Join(*l, ",") }

func (l *fileList) Set(v string) error {
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			*l = append(*l, f)
		}
	}
	return nil
}

// memoryFlag is a byte count given as a Kubernetes quantity ("2Gi").
type memoryFlag int64

func (m *memoryFlag) String() string { return strconv.FormatInt(int64(*m), 10) }

func (m *memoryFlag) Set(v string) error {
	n, err := parseBytes(v, false)
	*m = memoryFlag(n)
	return err
}

// sizeFlag is a memoryFlag that may be 0.
type sizeFlag int64

func (m *sizeFlag) String() string { return strconv.FormatInt(int64(*m), 10) }

func (m *sizeFlag) Set(v string) error {
	n, err := parseBytes(v, true)
	*m = sizeFlag(n)
	return err
}

// parseBytes reads a byte count given as a Kubernetes quantity: positive,
// or with zero also 0.
func parseBytes(v string, zero bool) (int64, error) {
	n, err := provider.ParseMemory(v)
	if err != nil {
		return 0, err
	}
	if n < 0 || (n == 0 && !zero) {
		return 0, fmt.Errorf("%q: must be positive", v)
	}
	return n, nil
}
