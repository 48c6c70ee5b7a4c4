package builder

import (
	"fmt"
	"os"

	"github.com/faas-wasm/faas-wasm/internal/stack"
	"github.com/faas-wasm/faas-wasm/internal/wasmopts"
	"github.com/faas-wasm/faas-wasm/provider"
)

// Annotations read by the builder. Only RuntimeAnnotation is also read by the
// provider.
const (
	// RuntimeAnnotation marks a Wasm entry with the value "wasm".
	RuntimeAnnotation = provider.AnnotationRuntime
	// ShapeAnnotation picks the module shape: command, reactor or snapshot.
	ShapeAnnotation = wasmopts.AnnotationShape
	// FormAnnotation picks the Wasm image form: oci-layer or artifact.
	FormAnnotation = wasmopts.AnnotationImageForm
	// StackSizeAnnotation sets the shadow stack of a Rust or C Wasm build
	// ("256Ki", "1Mi", or bytes); see wasmStackSize.
	StackSizeAnnotation = wasmopts.AnnotationStackSize
)

// The stack file's types, parsed by internal/stack (shared with the web
// console, which deploys a stack's images).
type (
	// Stack is a faas-cli stack file (version 1.0).
	Stack = stack.Stack
	// Provider is the stack's provider section.
	Provider = stack.Provider
	// Function is one entry of the stack's functions section. Handler is
	// the directory of the function's main package, relative to the stack file.
	Function = stack.Function
	// Resources are a function's limits or requests.
	Resources = stack.Resources
)

// ErrStack is wrapped by the errors of a stack file that cannot be used.
var ErrStack = stack.ErrStack

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

// ParseStack parses a stack file as stack.Parse does (${VAR},
// ${VAR:-default} and ${VAR-default} substituted from lookup); every
// function also needs a handler to be built from.
//
// # Errors
//
// An error wrapping ErrStack for bad YAML, an unterminated ${, or a
// function without handler or image.
func ParseStack(data []byte, lookup func(string) (string, bool)) (*Stack, error) {
	s, err := stack.Parse(data, lookup)
	if err != nil {
		return nil, err
	}
	for _, name := range s.Names() {
		if s.Functions[name].Handler == "" {
			return nil, fmt.Errorf("%w: function %s needs handler and image", ErrStack, name)
		}
	}
	return s, nil
}
