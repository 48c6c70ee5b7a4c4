package builder

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Annotations read by the builder. Only RuntimeAnnotation is also read by the
// provider.
const (
	// RuntimeAnnotation marks a Wasm entry with the value "wasm".
	RuntimeAnnotation = "com.openfaas.runtime"
	// ShapeAnnotation picks the module shape: command, reactor or snapshot.
	ShapeAnnotation = "com.openfaas.wasm.shape"
	// FormAnnotation picks the Wasm image form: oci-layer or artifact.
	FormAnnotation = "com.openfaas.wasm.image-form"
)

// ErrStack is wrapped by the errors of a stack file that cannot be used.
var ErrStack = errors.New("invalid stack file")

// Stack is a faas-cli stack file (version 1.0).
type Stack struct {
	Version   string              `yaml:"version"`
	Provider  Provider            `yaml:"provider"`
	Functions map[string]Function `yaml:"functions"`
}

// Provider is the stack's provider section.
type Provider struct {
	Name    string `yaml:"name"`
	Gateway string `yaml:"gateway"`
}

// Function is one entry of the stack's functions section. Handler is the
// directory of the function's main package, relative to the stack file.
type Function struct {
	Lang        string            `yaml:"lang"`
	Handler     string            `yaml:"handler"`
	Image       string            `yaml:"image"`
	Environment map[string]string `yaml:"environment,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
	Secrets     []string          `yaml:"secrets,omitempty"`
	Limits      *Resources        `yaml:"limits,omitempty"`
	Requests    *Resources        `yaml:"requests,omitempty"`
}

// Resources are a function's limits or requests.
type Resources struct {
	Memory string `yaml:"memory,omitempty"`
	CPU    string `yaml:"cpu,omitempty"`
}

// IsWasm reports whether the entry is built as a Wasm module.
func (f Function) IsWasm() bool {
	return strings.EqualFold(f.Annotations[RuntimeAnnotation], "wasm")
}

// Names returns the stack's function names, sorted.
func (s *Stack) Names() []string {
	names := make([]string, 0, len(s.Functions))
	for n := range s.Functions {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// LoadStack reads and parses the stack file at path, substituting
// environment variables as faas-cli does (see ParseStack).
//
// # Errors
//
// The file's read error, or an error wrapping ErrStack.
func LoadStack(path string) (*Stack, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load stack: %w", err)
	}
	s, err := ParseStack(data, os.LookupEnv)
	if err != nil {
		return nil, fmt.Errorf("load stack %s: %w", path, err)
	}
	return s, nil
}

// ParseStack substitutes ${VAR}, ${VAR:-default} (default when unset or
// empty) and ${VAR-default} (default when unset) from lookup, then parses
// the YAML. Every function needs a handler and an image.
//
// # Errors
//
// An error wrapping ErrStack for bad YAML, an unterminated ${, or a
// function without handler or image.
func ParseStack(data []byte, lookup func(string) (string, bool)) (*Stack, error) {
	expanded, err := expand(string(data), lookup)
	if err != nil {
		return nil, err
	}
	var s Stack
	if err := yaml.Unmarshal([]byte(expanded), &s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStack, err)
	}
	if len(s.Functions) == 0 {
		return nil, fmt.Errorf("%w: no functions", ErrStack)
	}
	for _, name := range s.Names() {
		f := s.Functions[name]
		if f.Handler == "" || f.Image == "" {
			return nil, fmt.Errorf("%w: function %s needs handler and image", ErrStack, name)
		}
	}
	return &s, nil
}

// expand replaces ${...} references; a lone $ is kept as is.
func expand(s string, lookup func(string) (string, bool)) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", fmt.Errorf("%w: unterminated ${ in %q", ErrStack, s[i:min(len(s), i+40)])
		}
		b.WriteString(resolve(s[i+2:i+end], lookup))
		s = s[i+end+1:]
	}
}

func resolve(expr string, lookup func(string) (string, bool)) string {
	if name, def, ok := strings.Cut(expr, ":-"); ok {
		if v, set := lookup(name); set && v != "" {
			return v
		}
		return def
	}
	if name, def, ok := strings.Cut(expr, "-"); ok {
		if v, set := lookup(name); set {
			return v
		}
		return def
	}
	v, _ := lookup(expr)
	return v
}
