package handlers

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/faas-wasm/faas-wasm/provider"
)

// Defaults applied by NewRouter to zero Config fields.
const (
	// DefaultMaxBodyBytes limits /system JSON bodies and /function bodies.
	DefaultMaxBodyBytes int64 = 8 << 20
	// DefaultScaleFromZeroTimeout bounds how long an invocation waits for a
	// scaled-to-zero function to become ready.
	DefaultScaleFromZeroTimeout = 30 * time.Second
	// DefaultMaxReplicas is the replica ceiling /system/alert assumes for a
	// function without com.openfaas.scale.max.
	DefaultMaxReplicas uint64 = 20
)

// Names of the credential files read by ReadCredentials.
const (
	UserFile     = "basic-auth-user"
	PasswordFile = "basic-auth-password"
)

// Config configures NewRouter. Zero fields take the defaults above.
type Config struct {
	// DefaultNamespace replaces an empty namespace (default provider.DefaultNamespace).
	DefaultNamespace string
	// Auth enables basic auth on every /system route when non-nil.
	Auth *Credentials
	// MaxBodyBytes is the request body limit for /system JSON and for
	// /function calls; larger bodies get 413.
	MaxBodyBytes int64
	// ScaleFromZeroTimeout is how long an invocation waits for a
	// scaled-to-zero function to become ready before answering 503.
	ScaleFromZeroTimeout time.Duration
	// Logger receives server errors; nil means slog.Default().
	Logger *slog.Logger
	// Observer is told about every /function/ call and scale from zero
	// (metrics.Metrics); nil means none.
	Observer Observer
	// Metrics serves GET /metrics (Prometheus text). The route is not
	// behind basic auth, as the OpenFaaS gateway's metrics port is open: it
	// exposes function names and counts, never secrets. Nil answers 404.
	Metrics http.Handler
	// Console serves the web console below /ui/ (internal/console), behind
	// basic auth like /system; nil answers 404.
	Console http.Handler
	// GatewayInfo answers GET /system/info in the OpenFaaS gateway's form
	// (provider.GatewayInfo), as local mode must: faas-cli talks to it with
	// no gateway in front. False answers the provider's form, which a
	// gateway in front (kubernetes mode) reads and wraps.
	GatewayInfo bool
	// MaxReplicas is the replica ceiling /system/alert uses for functions
	// without com.openfaas.scale.max (default DefaultMaxReplicas); the
	// backend's own limit still applies.
	MaxReplicas uint64
	// Async queues /async-function/ calls (internal/async); nil answers 501.
	Async AsyncQueue
}

func (c Config) withDefaults() Config {
	if c.DefaultNamespace == "" {
		c.DefaultNamespace = provider.DefaultNamespace
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.ScaleFromZeroTimeout <= 0 {
		c.ScaleFromZeroTimeout = DefaultScaleFromZeroTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Observer == nil {
		c.Observer = nopObserver{}
	}
	if c.MaxReplicas == 0 {
		c.MaxReplicas = DefaultMaxReplicas
	}
	return c
}

// Credentials are the basic auth user and password that /system routes require.
type Credentials struct {
	User     string
	Password string
}

// String hides the password so Credentials can never leak into logs.
func (c Credentials) String() string {
	return "Credentials{User: " + c.User + ", Password: <redacted>}"
}

// GoString hides the password from %#v.
func (c Credentials) GoString() string { return c.String() }

// LogValue hides the password from log/slog.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("user", c.User))
}

// ReadCredentials reads the files basic-auth-user and basic-auth-password
// from dir, trimming a trailing newline.
//
// # Errors
// When a file cannot be read or is empty.
func ReadCredentials(dir string) (*Credentials, error) {
	user, err := readSecretFile(filepath.Join(dir, UserFile))
	if err != nil {
		return nil, fmt.Errorf("read credentials: %w", err)
	}
	password, err := readSecretFile(filepath.Join(dir, PasswordFile))
	if err != nil {
		return nil, fmt.Errorf("read credentials: %w", err)
	}
	return &Credentials{User: user, Password: password}, nil
}

func readSecretFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	s := strings.TrimRight(string(b), "\r\n")
	if s == "" {
		return "", fmt.Errorf("%s: %w", path, errEmptyFile)
	}
	return s, nil
}

var errEmptyFile = errors.New("file is empty")
