package provider

import (
	"context"
	"net/http"
)

// Backend runs functions. The local backend and the Kubernetes backend
// implement it; the HTTP layer calls it with the request's context.
//
// Names and namespaces reaching a Backend have been validated by the HTTP
// layer, and an empty namespace has been replaced with the default one.
type Backend interface {
	// Deploy creates a function.
	//
	// # Errors
	// ErrAlreadyExists if it exists, ErrNotFound for an unknown namespace or
	// secret, ErrInvalid for unusable fields, ErrImage when the image cannot be
	// used, ErrNotImplemented when the function's runtime is not available.
	Deploy(ctx context.Context, fn FunctionDeployment) error

	// Update replaces a function's deployment.
	//
	// # Errors
	// ErrNotFound if the function does not exist; otherwise as Deploy.
	Update(ctx context.Context, fn FunctionDeployment) error

	// Delete removes a function and its replicas.
	//
	// # Errors
	// ErrNotFound if the function does not exist.
	Delete(ctx context.Context, name, namespace string) error

	// Function returns one function's status. It must be cheap: gateways poll it.
	//
	// # Errors
	// ErrNotFound if the function or the namespace does not exist.
	Function(ctx context.Context, name, namespace string) (FunctionStatus, error)

	// Functions lists the functions of a namespace (an empty slice when none).
	//
	// # Errors
	// ErrNotFound for an unknown namespace.
	Functions(ctx context.Context, namespace string) ([]FunctionStatus, error)

	// Scale sets a function's replica count; 0 is allowed (scale to zero).
	// Values above com.openfaas.scale.max are clamped to it.
	//
	// # Errors
	// ErrNotFound if the function does not exist.
	Scale(ctx context.Context, name, namespace string, replicas uint64) error

	// WakeFromZero scales a function that asks for no replica to its
	// WakeReplicas (clamped as Scale clamps) and leaves one that asks for any
	// other count as it is. It is atomic against Scale: a scale written after
	// the caller saw the function at zero (a client's, the autoscaler's) wins
	// over the wake-up.
	//
	// # Errors
	// As Scale's.
	WakeFromZero(ctx context.Context, name, namespace string) error

	// Invoker returns the handler that serves calls to a function. The request
	// it receives has the /function/NAME prefix already stripped from its URL.
	// The handler answers ErrUnavailable-style failures itself with 502/503.
	//
	// # Errors
	// ErrNotFound if the function does not exist; ErrUnavailable if it has no
	// ready replica (the caller may scale it from zero and ask again).
	Invoker(ctx context.Context, name, namespace string) (http.Handler, error)

	// Logs streams log lines. The channel is closed when the stored lines are
	// sent (Follow false) or when ctx ends (Follow true).
	//
	// # Errors
	// ErrNotFound for an unknown function.
	Logs(ctx context.Context, req LogRequest) (<-chan LogMessage, error)

	// Secrets lists a namespace's secrets, without values.
	//
	// # Errors
	// ErrNotFound for an unknown namespace.
	Secrets(ctx context.Context, namespace string) ([]SecretRef, error)

	// CreateSecret stores a new secret.
	//
	// # Errors
	// ErrAlreadyExists if it exists; ErrNotFound for an unknown namespace.
	CreateSecret(ctx context.Context, s Secret) error

	// UpdateSecret replaces a secret's value.
	//
	// # Errors
	// ErrNotFound if the secret does not exist.
	UpdateSecret(ctx context.Context, s Secret) error

	// DeleteSecret removes a secret.
	//
	// # Errors
	// ErrNotFound if the secret does not exist.
	DeleteSecret(ctx context.Context, name, namespace string) error

	// Namespaces lists the function namespaces.
	Namespaces(ctx context.Context) ([]string, error)

	// Namespace returns one function namespace.
	//
	// # Errors
	// ErrNotFound if it does not exist.
	Namespace(ctx context.Context, name string) (FunctionNamespace, error)

	// CreateNamespace makes a new function namespace.
	//
	// # Errors
	// ErrAlreadyExists if it exists.
	CreateNamespace(ctx context.Context, ns FunctionNamespace) error

	// UpdateNamespace replaces a namespace's labels and annotations.
	//
	// # Errors
	// ErrNotFound if it does not exist.
	UpdateNamespace(ctx context.Context, ns FunctionNamespace) error

	// DeleteNamespace removes a namespace and everything in it.
	//
	// # Errors
	// ErrNotFound if it does not exist; ErrInvalid for the default namespace.
	DeleteNamespace(ctx context.Context, name string) error

	// Info describes the backend for GET /system/info.
	Info(ctx context.Context) ProviderInfo
}
