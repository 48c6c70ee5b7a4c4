package bench

import (
	"errors"
	"time"
)

// ErrUsage is wrapped by the errors of a configuration that cannot run
// (bad flags, a function the stack lacks).
var ErrUsage = errors.New("usage")

// Config is what one benchmark run measures and how (the faas-wasm bench
// command line, see `faas-wasm bench --help` for each field's flag).
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
	// Languages restricts the run to these guest languages (see
	// Languages); empty is every language the stack has.
	Languages []string
	// Warm deploys every Wasm variant in warm mode (--wasm-mode warm; see
	// warmStack); otherwise each in its stack entry's mode.
	Warm bool
	// Stack is the stack file; its directory is the repository root.
	Stack string
	// Report names the report's files (REPORT.md, .json, REPORT-*.svg);
	// empty is the mode, with -quick for the quick profile.
	Report string
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
	// NoPrecompiled, in local mode, builds the Wasm images without a
	// signed precompiled layer, so every Wasm first deploy compiles its
	// module (by default the run signs them with a key of its own and the
	// provider trusts it).
	NoPrecompiled bool
	// Build, with Gateway, builds the selected stack entries and pushes
	// them to Registry before measuring (local mode always does).
	Build bool
	// SignKey, with Build, is the ed25519 private key file (faas-wasm
	// keygen) that signs the Wasm images' precompiled layers; the
	// provider must trust its public half (--trusted-build-key).
	SignKey string
	// ProviderBinary is the faas-wasm binary run as the local provider
	// (required in local mode).
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

// selection is what the run measures: the kinds --variants asks for and
// the environment offers (container, wasm), and the languages.
func (c Config) selection(container, wasm bool) Selection {
	return Selection{Container: container, Wasm: wasm, Languages: c.Languages, Warm: c.Warm}
}
