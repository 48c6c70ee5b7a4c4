package bench

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/builder"
	"github.com/faas-wasm/faas-wasm/internal/precompiled"
	"github.com/faas-wasm/faas-wasm/internal/wasmopts"
	"github.com/faas-wasm/faas-wasm/provider"
)

// Results is everything one run measured; it is also the JSON file.
type Results struct {
	// Environment describes the machine and the run.
	Environment Environment `json:"environment"`
	// Profile is what was asked for.
	Profile Profile `json:"profile"`
	// Functions are the results, in stack order.
	Functions []*FunctionResult `json:"functions"`
	// Notes explain what was left out and why.
	Notes []string `json:"notes,omitempty"`
}

// Run performs a whole benchmark and writes the report; it returns the
// files written.
//
// # Errors
//
// Failures to load the stack, set up the environment or write the
// report; single phases that fail are recorded in the results instead.
func Run(ctx context.Context, cfg Config, progress *Progress) ([]string, error) {
	p := cfg.Profile()
	stackPath, err := filepath.Abs(cfg.Stack)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	repo := filepath.Dir(stackPath)
	hamlet := cfg.HamletFile
	if hamlet == "" {
		hamlet = filepath.Join(repo, "functions", "testdata", "hamlet.txt")
	}
	res := &Results{Profile: p, Notes: cfg.Notes}
	wantC, wantW := cfg.Variants != "wasm", cfg.Variants != "container"

	var (
		target        = Target{Progress: progress, InsecureRegistry: cfg.InsecureRegistry}
		containerHost = cfg.ServicesHost
		wasmHost      = cfg.ServicesHost
		listen        = "127.0.0.1"
		socket        string
	)
	if cfg.Local {
		progress.Step("local", "starting registry and containerd")
		l, err := StartLocal(ctx, wantC)
		if err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		defer func() {
			progress.Step("local", "stopping provider, containerd and registry")
			if err := l.Stop(context.WithoutCancel(ctx), cfg.Logs); err != nil {
				progress.Warn("local", "stop", err)
			}
		}()
		res.Notes = append(res.Notes, l.Notes...)
		wantC = wantC && l.Containers()
		socket = l.ContainerdSocket()
		os.Setenv("REGISTRY", l.Registry())
		wasmHost, containerHost = "127.0.0.1", cfg.ContainerHost
		if wantC {
			listen = "0.0.0.0"
		}
		var key ed25519.PrivateKey
		if !cfg.NoPrecompiled {
			if key, err = l.SignKey(); err != nil {
				return nil, fmt.Errorf("bench: %w", err)
			}
			res.Notes = append(res.Notes, precompiledNote("builder --sign-key with a key made for this run")+" --no-precompiled measures the compile instead.")
		}
		if err := buildImages(ctx, progress, stackPath, p.Functions, cfg.selection(wantC, wantW), l.Registry(), false, key); err != nil {
			return nil, err
		}
		if cfg.ProviderBinary == "" {
			return nil, fmt.Errorf("bench: %w: no provider binary to run in local mode", ErrUsage)
		}
		progress.Step("local", "starting the provider")
		if err := l.StartProvider(ctx, cfg.ProviderBinary); err != nil {
			return nil, fmt.Errorf("bench: provider (log %s): %w", l.ProviderLog(), err)
		}
		user, password, err := l.Credentials()
		if err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		target.Client = NewClient(l.APIURL(), user, password, cfg.Namespace)
		pid := l.ProviderPID()
		target.Provider = providerMeter(pid)
		target.Replica = func(string, bool) Meter { return nil }
		if wantC {
			target.Replica = func(_ string, wasm bool) Meter {
				if wasm {
					return nil
				}
				return ProcMeter{Name: "/proc of the processes below the containerd shims",
					PIDs: func() []int { return ShimChildren(socket) }}
			}
		}
	} else {
		if cfg.Registry != "" {
			os.Setenv("REGISTRY", cfg.Registry)
		}
		if cfg.Build {
			var key ed25519.PrivateKey
			if cfg.SignKey != "" {
				if key, err = precompiled.LoadPrivateKey(cfg.SignKey); err != nil {
					return nil, fmt.Errorf("bench: --sign-key: %w", err)
				}
				res.Notes = append(res.Notes, precompiledNote("built by this run with --sign-key"))
			}
			if err := buildImages(ctx, progress, stackPath, p.Functions, cfg.selection(wantC, wantW), cfg.Registry, cfg.InsecureRegistry, key); err != nil {
				return nil, err
			}
		}
		target.Client = NewClient(strings.TrimSuffix(cfg.Gateway, "/"), cfg.User, cfg.Password, cfg.Namespace)
		target.Replica = func(name string, _ bool) Meter { return StatusMeter{Client: target.Client, Name: name} }
		if pid := cfg.ProviderPID; pid > 0 {
			target.Provider = providerMeter(pid)
		}
		if socket = cfg.ContainerdSocket; socket != "" {
			target.Replica = func(string, bool) Meter {
				return ProcMeter{Name: "/proc of the processes below the node containerd's shims (pause process included)",
					PIDs: func() []int { return ShimChildren(socket) }}
			}
			target.Pods = func() [][]int { return ShimPods(socket) }
		}
		if ip := net.ParseIP(cfg.ServicesHost); ip == nil || !ip.IsLoopback() {
			listen = "0.0.0.0"
		}
	}
	if cfg.Warm {
		res.Notes = append(res.Notes, "every Wasm variant ran in warm mode (--wasm-mode warm: annotation "+wasmopts.AnnotationMode+
			": warm, Rust and C command modules built as reactors): one instance per concurrency slot serves call after call, without the per-request isolation of the default fresh instance")
	}
	if !wantC && cfg.Variants != "wasm" {
		res.Notes = append(res.Notes, "container variants were not measured")
	}

	env := Describe(ctx, repo, socket)
	env.Mode, env.Profile, env.Gateway = cfg.Mode, p.Name, target.Client.Base()
	if info, err := target.Client.Info(ctx); err == nil {
		env.Provider = fmt.Sprintf("%s %s (%s), orchestration %s", info.Name, info.Version.Release, info.Version.SHA, info.Orchestration)
	} else {
		return nil, fmt.Errorf("bench: provider API at %s: %w", target.Client.Base(), err)
	}

	svcDir, err := os.MkdirTemp("", "faas-wasm-bench-svc-")
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer os.RemoveAll(svcDir)
	progress.Step("services", "starting the Hamlet server and PostgreSQL + userstore")
	services, err := StartServices(ctx, repo, svcDir, listen, hamlet)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer func() {
		if err := services.Stop(context.WithoutCancel(ctx), cfg.Logs); err != nil {
			progress.Warn("services", "stop", err)
		}
	}()
	res.Notes = append(res.Notes, services.Notes...)

	_, plan, err := selectVariants(stackPath, p.Functions, cfg.selection(wantC, wantW))
	if err != nil {
		return nil, err
	}
	res.Notes = append(res.Notes, plan.Notes...)
	res.Functions = measurePlan(ctx, target, p, plan, services, func(v Variant) string {
		if v.Wasm() {
			return wasmHost
		}
		return containerHost
	})
	env.Finished = time.Now().UTC().Format(time.RFC3339)
	res.Environment = env
	if ctx.Err() != nil {
		res.Notes = append(res.Notes, "the run was interrupted: "+ctx.Err().Error())
	}
	files, err := WriteReport(cfg.Out, reportName(cfg.Report, cfg.Mode, cfg.Warm, p.Name), res)
	if err != nil {
		return files, fmt.Errorf("bench: %w", err)
	}
	return files, ctx.Err()
}

// precompiledNote is the report's note on the signed precompiled layers of
// a run that builds with a sign key; signer says where the key came from.
func precompiledNote(signer string) string {
	return fmt.Sprintf("Every Wasm image of a module of at least %d KiB (the Go ones) carries a signed, zstd-compressed "+
		"precompiled layer (%s; the provider trusts it with --trusted-build-key), so its first deploy loads the module "+
		"precompiled instead of compiling it, as a signed build pipeline would deploy it; Rust and C images are module-only "+
		"and compile. Sizes are without that layer; the artifact size table lists it.", builder.DefaultPrecompileMinBytes>>10, signer)
}

// buildImages builds the stack entries of the variants selected for bases
// and pushes them to registry (plain HTTP to a non-loopback one with
// insecure); with key, every Wasm image of a module of at least
// builder.DefaultPrecompileMinBytes gets its signed precompiled layer
// (builder.WithSignKey).
//
// # Errors
//
// Stack, build and push errors.
func buildImages(ctx context.Context, progress *Progress, stackPath string, bases []string, sel Selection, registry string, insecure bool, key ed25519.PrivateKey) error {
	stack, plan, err := selectVariants(stackPath, bases, sel)
	if err != nil {
		return err
	}
	names := plan.Names()
	progress.Step("build", fmt.Sprintf("building and pushing %d images to %s", len(names), registry))
	var bopts []builder.Option
	if key != nil {
		bopts = append(bopts, builder.WithSignKey(key))
	}
	if _, err := builder.New(bopts...).BuildLoadedStack(ctx, filepath.Dir(stackPath), stack, builder.StackOptions{Only: names, Push: registry, Insecure: insecure}); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	return nil
}

// providerMeter measures the provider process pid through /proc.
func providerMeter(pid int) Meter {
	return ProcMeter{Name: "/proc of the provider process", PIDs: func() []int { return []int{pid} }}
}

// reportName is the file stem: the mode, with "-warm" for a run of the
// Wasm variants in warm mode and "-quick" for smoke runs, so neither
// overwrites a full report of the default instances.
func reportName(report, mode string, warm bool, profile string) string {
	if report != "" {
		return report
	}
	if warm {
		mode += "-warm"
	}
	if profile == "quick" {
		return mode + "-quick"
	}
	return mode
}

// Deployment turns a stack entry into a deployment request, pointing the
// service URLs the study's functions use at the benchmark's own services
// as seen from host (and allowing those hosts for Wasm).
func Deployment(name string, fn builder.Function, s *Services, host string) provider.FunctionDeployment {
	d := provider.FunctionDeployment{Service: name, Image: fn.Image, Secrets: fn.Secrets,
		EnvVars: map[string]string{}, Labels: fn.Labels, Annotations: map[string]string{}}
	for k, v := range fn.Environment {
		d.EnvVars[k] = v
	}
	for k, v := range fn.Annotations {
		d.Annotations[k] = v
	}
	if fn.Limits != nil {
		d.Limits = &provider.FunctionResources{Memory: fn.Limits.Memory, CPU: fn.Limits.CPU}
	}
	if fn.Requests != nil {
		d.Requests = &provider.FunctionResources{Memory: fn.Requests.Memory, CPU: fn.Requests.CPU}
	}
	var hosts []string
	for key, u := range map[string]string{"HAMLET_URL": s.HamletURL(host), "USER_API_URL": s.UserAPIURL(host)} {
		if _, ok := d.EnvVars[key]; !ok || u == "" {
			continue
		}
		d.EnvVars[key] = u
		if pu, err := url.Parse(u); err == nil {
			hosts = append(hosts, pu.Host)
		}
	}
	if _, ok := d.Annotations[provider.AnnotationAllowedHosts]; ok && len(hosts) > 0 {
		slices.Sort(hosts)
		d.Annotations[provider.AnnotationAllowedHosts] = strings.Join(hosts, ",")
	}
	return d
}
