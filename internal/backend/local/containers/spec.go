package containers

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/faas-wasm/faas-wasm/provider"
)

// Spec describes a container function.
type Spec struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	// Image is a reference such as "127.0.0.1:5000/fn:1.0".
	Image string `json:"image"`
	// EnvProcess becomes the fprocess environment variable when set.
	EnvProcess string            `json:"envProcess,omitempty"`
	Env        map[string]string `json:"env,omitempty"`
	// Labels are stored as containerd container labels.
	Labels map[string]string `json:"labels,omitempty"`
	// Annotations are stored as container labels prefixed with
	// "com.openfaas.annotations.".
	Annotations map[string]string `json:"annotations,omitempty"`
	// SecretsDir is a host directory holding this function's secrets, one
	// file per secret; it is bind-mounted read-only at /var/openfaas/secrets.
	SecretsDir string `json:"secretsDir,omitempty"`
	// MemoryLimit in bytes (0: none), a cgroup limit.
	MemoryLimit int64 `json:"memoryLimit,omitempty"`
	// CPUMillis in thousandths of a CPU (0: none), a CFS quota.
	CPUMillis int64 `json:"cpuMillis,omitempty"`
	// ReadOnlyRootFS mounts the image read-only; /tmp stays writable (tmpfs).
	ReadOnlyRootFS bool `json:"readOnlyRootFS,omitempty"`
}

// Replica is the observed state of one replica.
type Replica struct {
	// ID is the containerd container id, also the log instance name.
	ID string
	// Addr is "ip:8080" once the replica is on the network, else empty.
	Addr string
	// Ready is true while the replica answers its health check.
	Ready bool
	// Started is when the replica's current task was started.
	Started time.Time
	// Restarts counts task restarts since the replica was created or adopted.
	Restarts int
	// Err explains why the replica is not ready (crash loop, port never
	// opening, failed health checks, failed restart); empty when healthy.
	Err string
}

// Labels and label prefixes this package sets on containers.
const (
	labelManaged     = "io.faas-wasm.managed"
	labelFunction    = "io.faas-wasm.function"
	labelNamespace   = "io.faas-wasm.namespace"
	labelSpecHash    = "io.faas-wasm.spec-hash"
	labelIP          = "io.faas-wasm.ip"
	labelStarted     = "io.faas-wasm.started"
	labelImageDigest = "io.faas-wasm.image-digest"
	labelOwner       = "io.faas-wasm.owner" // the id of the manager that created the container
	annotationLabel  = "com.openfaas.annotations."
	specExtension    = "io.faas-wasm.spec"
	specTypeURL      = "github.com/faas-wasm/faas-wasm/internal/backend/local/containers.Spec"
	maxLabelBytes    = 4096
)

// validate checks the fields a replica cannot be created without.
func (s Spec) validate() error {
	switch {
	case s.Name == "":
		return fmt.Errorf("container function: empty name: %w", provider.ErrInvalid)
	case s.Namespace == "":
		return fmt.Errorf("container function %s: empty namespace: %w", s.Name, provider.ErrInvalid)
	case s.Image == "":
		return fmt.Errorf("container function %s: empty image: %w", s.Name, provider.ErrInvalid)
	case s.MemoryLimit < 0 || s.CPUMillis < 0:
		return fmt.Errorf("container function %s: negative limits: %w", s.Name, provider.ErrInvalid)
	}
	for k, v := range s.Labels {
		if len(k)+len(v) > maxLabelBytes-256 || strings.HasPrefix(k, "io.faas-wasm.") {
			return fmt.Errorf("container function %s: label %q is too long or reserved: %w", s.Name, k, provider.ErrInvalid)
		}
	}
	for k, v := range s.Annotations {
		if len(annotationLabel)+len(k)+len(v) > maxLabelBytes-256 {
			return fmt.Errorf("container function %s: annotation %q is too long: %w", s.Name, k, provider.ErrInvalid)
		}
	}
	return nil
}

// hash identifies a spec: replicas of equal hashes need no replacement.
func (s Spec) hash() string {
	b, _ := json.Marshal(s) // strings, ints and string maps always marshal
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

// containerLabels returns the labels stored on each replica's container.
func (s Spec) containerLabels() map[string]string {
	l := make(map[string]string, len(s.Labels)+len(s.Annotations)+4)
	for k, v := range s.Labels {
		l[k] = v
	}
	for k, v := range s.Annotations {
		l[annotationLabel+k] = v
	}
	l[labelManaged] = "true"
	l[labelFunction] = s.Name
	l[labelNamespace] = s.Namespace
	l[labelSpecHash] = s.hash()
	return l
}

// key names a function inside the manager.
func key(name, namespace string) string { return namespace + "/" + name }

// replicaID returns a fresh containerd container id for a replica of
// name.namespace: the readable part is kept to the characters and the
// length containerd accepts, followed by 8 random hex digits.
func replicaID(name, namespace string) string {
	var b strings.Builder
	lastSep := true
	for _, r := range name + "." + namespace {
		isAlnum := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		switch {
		case isAlnum:
			b.WriteRune(r)
			lastSep = false
		case !lastSep:
			if r == '.' || r == '-' {
				b.WriteRune(r)
			} else {
				b.WriteByte('-')
			}
			lastSep = true
		}
		if b.Len() >= 56 {
			break
		}
	}
	base := strings.TrimRight(b.String(), ".-")
	var rnd [4]byte
	_, _ = rand.Read(rnd[:]) // never fails since Go 1.24
	if base == "" {
		return "fn-" + hex.EncodeToString(rnd[:])
	}
	return base + "-" + hex.EncodeToString(rnd[:])
}

// specAny carries a Spec as a containerd container extension (JSON with a
// type URL of our own; containerd stores it opaquely).
type specAny struct{ value []byte }

// GetTypeUrl implements typeurl.Any.
func (a *specAny) GetTypeUrl() string { return specTypeURL }

// GetValue implements typeurl.Any.
func (a *specAny) GetValue() []byte { return a.value }

// decodeSpec reads a Spec stored by specAny.
func decodeSpec(typeURL string, value []byte) (Spec, error) {
	var s Spec
	if typeURL != specTypeURL {
		return s, fmt.Errorf("extension type %q is not %q", typeURL, specTypeURL)
	}
	if err := json.Unmarshal(value, &s); err != nil {
		return s, fmt.Errorf("decode stored spec: %w", err)
	}
	return s, nil
}
