// Package stack reads faas-cli stack files (stack.yml, version 1.0): the
// functions section with ${VAR} substitution as faas-cli does it, and the
// deployments a stack asks the provider for. The builder (which needs each
// entry's handler) and the web console (which deploys a stack's images)
// both parse stack files here.
package stack

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/faas-wasm/faas-wasm/provider"
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
	Namespace   string            `yaml:"namespace,omitempty"`
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

// IsWasm reports whether the entry runs as a Wasm module.
func (f Function) IsWasm() bool {
	return strings.EqualFold(f.Annotations[provider.AnnotationRuntime], provider.RuntimeWasm)
}

// WithAnnotation returns a copy of f with annotation key set to value; f's
// own annotations are left as they are.
func (f Function) WithAnnotation(key, value string) Function {
	f.Annotations = maps.Clone(f.Annotations)
	if f.Annotations == nil {
		f.Annotations = map[string]string{}
	}
	f.Annotations[key] = value
	return f
}

// Names returns the stack's function names, sorted.
func (s *Stack) Names() []string {
	return slices.Sorted(maps.Keys(s.Functions))
}

// Deployments returns what deploying each entry asks of the provider, in
// the order of Names: service, image, namespace, environment, labels,
// annotations, secrets, limits and requests (as faas-cli deploy sends them).
func (s *Stack) Deployments() []provider.FunctionDeployment {
	out := make([]provider.FunctionDeployment, 0, len(s.Functions))
	for _, name := range s.Names() {
		f := s.Functions[name]
		out = append(out, provider.FunctionDeployment{
			Service:     name,
			Image:       f.Image,
			Namespace:   f.Namespace,
			EnvVars:     f.Environment,
			Labels:      f.Labels,
			Annotations: f.Annotations,
			Secrets:     f.Secrets,
			Limits:      f.Limits.resources(),
			Requests:    f.Requests.resources(),
		})
	}
	return out
}

func (r *Resources) resources() *provider.FunctionResources {
	if r == nil {
		return nil
	}
	return &provider.FunctionResources{Memory: r.Memory, CPU: r.CPU}
}

// Parse substitutes ${VAR}, ${VAR:-default} (default when unset or empty)
// and ${VAR-default} (default when unset) from lookup, then parses the
// YAML. Every function needs an image.
//
// # Errors
//
// An error wrapping ErrStack for bad YAML, an unterminated ${, no
// functions, or a function without an image.
func Parse(data []byte, lookup func(string) (string, bool)) (*Stack, error) {
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
		if s.Functions[name].Image == "" {
			return nil, fmt.Errorf("%w: function %s needs an image", ErrStack, name)
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
