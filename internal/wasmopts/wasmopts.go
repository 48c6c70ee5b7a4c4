// Package wasmopts is the one parser of a Wasm function's
// com.openfaas.wasm.* annotations, shared by the provider's deployment
// validation (both modes), the local Wasm driver and the containerd shim, so
// a value means the same everywhere and a wrong one is refused the same way
// everywhere: by the provider at deploy time (400), and by the shim, which
// should only ever see valid ones, with the same message.
//
// It does not apply the options: the engine (runtime/wasm) and the shim's
// runner do. It imports only the standard library.
package wasmopts

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The annotations understood. Any other key with Prefix is refused (a typo
// must not be ignored silently).
const (
	// Prefix starts every Wasm annotation.
	Prefix = "com.openfaas.wasm."
	// AnnotationAllowedHosts lists, comma separated, the hosts a function may
	// call through faas_http: "host" (any port) or "host:port", IPv6 in
	// brackets. Default: none.
	AnnotationAllowedHosts = Prefix + "allowed-hosts"
	// AnnotationMode is ModeFresh (default) or ModeWarm.
	AnnotationMode = Prefix + "mode"
	// AnnotationMaxConcurrency bounds the instances one replica runs at
	// once: 1 to MaxConcurrency. Default: the engine's (2 × GOMAXPROCS).
	AnnotationMaxConcurrency = Prefix + "max-concurrency"
	// AnnotationColdServe is "true" (default) or "false": whether, in
	// kubernetes mode, the provider may serve the function's calls itself
	// while it has no ready pod. Local mode and the shim ignore it.
	AnnotationColdServe = Prefix + "cold-serve"
	// AnnotationShape (command, reactor or snapshot) is read by the builder
	// (internal/builder), which checks its value when it builds the image.
	// Parse accepts it with any value: faas-cli sends a stack entry's
	// build-time annotations on deploy too.
	AnnotationShape = Prefix + "shape"
	// AnnotationImageForm (oci-layer or artifact) is, like AnnotationShape,
	// the builder's: accepted by Parse with any value.
	AnnotationImageForm = Prefix + "image-form"
	// AnnotationStackSize (the shadow stack of a Rust or C Wasm build, in
	// linear memory) is, like AnnotationShape, the builder's: accepted by
	// Parse with any value.
	AnnotationStackSize = Prefix + "stack-size"
)

// Instance modes.
const (
	// ModeFresh gives every request a new instance (full isolation).
	ModeFresh = "fresh"
	// ModeWarm reuses instances of a reactor module between requests.
	ModeWarm = "warm"
)

// MaxConcurrency is the highest com.openfaas.wasm.max-concurrency accepted.
const MaxConcurrency = 1024

// ErrInvalid is wrapped by every error of Parse.
var ErrInvalid = errors.New("invalid Wasm annotation")

// Options are a function's Wasm annotations, parsed.
type Options struct {
	// Warm is true for ModeWarm.
	Warm bool
	// MaxConcurrency is 0 when the annotation is absent (engine default).
	MaxConcurrency int
	// AllowedHosts are the allow-list entries, lower case, in order.
	AllowedHosts []string
	// NoColdServe is true for cold-serve "false".
	NoColdServe bool
}

// ParseMode reads an instance mode: warm for ModeWarm, not for ModeFresh;
// ok is false for any other value (values are exact: no spaces, lower
// case).
func ParseMode(v string) (warm, ok bool) {
	switch v {
	case ModeFresh:
		return false, true
	case ModeWarm:
		return true, true
	}
	return false, false
}

// Parse reads the com.openfaas.wasm.* annotations of annotations; others
// are ignored. Values are exact: the mode is "fresh" or "warm" (lower
// case, no spaces), max-concurrency a decimal integer; allowed-hosts
// entries are trimmed and lower-cased, empty ones skipped.
//
// # Errors
// An error wrapping ErrInvalid that names the annotation and what is
// wrong: an unknown com.openfaas.wasm.* key (the builder's AnnotationShape
// AnnotationImageForm and AnnotationStackSize are known), an unknown mode, a
// max-concurrency outside 1..MaxConcurrency, or an allowed-hosts entry that
// is not a host or host:port (a URL, a path, a wildcard).
func Parse(annotations map[string]string) (Options, error) {
	var o Options
	for _, k := range slices.Sorted(maps.Keys(annotations)) {
		if !strings.HasPrefix(k, Prefix) {
			continue
		}
		v := annotations[k]
		switch k {
		case AnnotationMode:
			warm, ok := ParseMode(v)
			if !ok {
				return Options{}, fmt.Errorf("annotation %s=%q: want %q or %q: %w", k, v, ModeFresh, ModeWarm, ErrInvalid)
			}
			o.Warm = warm
		case AnnotationMaxConcurrency:
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > MaxConcurrency {
				return Options{}, fmt.Errorf("annotation %s=%q: want a whole number from 1 to %d: %w", k, v, MaxConcurrency, ErrInvalid)
			}
			o.MaxConcurrency = n
		case AnnotationAllowedHosts:
			for _, h := range strings.Split(v, ",") {
				h = strings.ToLower(strings.TrimSpace(h))
				if h == "" {
					continue
				}
				if err := checkHost(h); err != nil {
					return Options{}, fmt.Errorf("annotation %s: entry %q %v: %w", k, h, err, ErrInvalid)
				}
				o.AllowedHosts = append(o.AllowedHosts, h)
			}
		case AnnotationShape, AnnotationImageForm, AnnotationStackSize:
		case AnnotationColdServe:
			switch v {
			case "true":
			case "false":
				o.NoColdServe = true
			default:
				return Options{}, fmt.Errorf("annotation %s=%q: want \"true\" or \"false\": %w", k, v, ErrInvalid)
			}
		default:
			return Options{}, fmt.Errorf("annotation %s is unknown; the Wasm annotations are %s, %s, %s and %s (and the builder's %s, %s and %s): %w",
				k, AnnotationAllowedHosts, AnnotationMode, AnnotationMaxConcurrency, AnnotationColdServe, AnnotationShape, AnnotationImageForm, AnnotationStackSize, ErrInvalid)
		}
	}
	return o, nil
}

// hostName is a DNS name (labels of letters, digits, '-' and '_'), lower case.
var hostName = regexp.MustCompile(`^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$`)

// checkHost checks one allow-list entry: a host name, an IPv4 address or a
// bracketed IPv6 address, optionally with a port.
func checkHost(h string) error {
	if strings.ContainsAny(h, "/?#@* \t") {
		return errors.New("is not a host or host:port (no scheme, path or wildcard)")
	}
	host, port, err := net.SplitHostPort(h)
	if err != nil {
		host, port = h, ""
	} else if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("has port %q, want 1 to 65535", port)
	}
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil {
		if ip.To4() == nil && !strings.HasPrefix(h, "[") {
			return errors.New("is an IPv6 address without brackets")
		}
		return nil
	}
	if len(host) > 253 || !hostName.MatchString(host) {
		return errors.New("is not a host name or address")
	}
	return nil
}
