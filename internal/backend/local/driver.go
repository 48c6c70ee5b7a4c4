package local

import (
	"context"
	"net/http"

	"github.com/faas-wasm/faas-wasm/provider"
)

// Deployment is what a Driver needs to run one function.
type Deployment struct {
	// Spec is the function as deployed; its Namespace is set and its Labels
	// include provider.LabelFunction.
	Spec provider.FunctionDeployment
	// Replicas is how many replicas to run (0 is allowed).
	Replicas uint64
	// SecretsDir is a directory holding only this function's secrets, one
	// file per secret, kept current by the backend. Drivers mount
	// secretsMount() read-only at /var/openfaas/secrets.
	SecretsDir string
	// Restore is set when the function is re-created after a provider
	// restart: a driver may reuse what it kept (a local copy of the image,
	// running containers) instead of pulling again.
	Restore bool
	// Log records one line written by the function; instance names the
	// replica that wrote it. It is safe for concurrent use.
	Log func(instance, text string)
}

// secretsMount is the one rule for what a replica gets at
// /var/openfaas/secrets: SecretsDir for a function that names secrets; ""
// for one without, which gets nothing there — a container no mount, a Wasm
// guest no preopen and so no filesystem — as its pods get no secrets volume
// on Kubernetes.
func (d Deployment) secretsMount() string {
	if len(d.Spec.Secrets) == 0 {
		return ""
	}
	return d.SecretsDir
}

// Driver runs one kind of function (Wasm in-process, containers through
// containerd). The backend serialises calls for the same function; calls for
// different functions may run concurrently.
type Driver interface {
	// Deploy creates the function's replicas, or replaces them when the
	// function already runs (an update pulls the image again). On error the
	// previous replicas, if any, keep serving unchanged.
	//
	// # Errors
	// Errors wrapping provider.ErrImage when the image cannot be pulled or
	// used, provider.ErrInvalid for unusable fields.
	Deploy(ctx context.Context, d Deployment) error

	// Scale sets the number of replicas of a deployed function.
	//
	// # Errors
	// provider.ErrNotFound if the driver does not run the function; errors
	// wrapping provider.ErrImage when a replica cannot be started.
	Scale(ctx context.Context, name, namespace string, replicas uint64) error

	// Remove stops the function's replicas and forgets it. Removing an
	// unknown function is not an error.
	//
	// # Errors
	// An error when replicas could not be stopped.
	Remove(ctx context.Context, name, namespace string) error

	// Handler returns the handler serving calls to the function. The request
	// has the /function/NAME prefix stripped from its URL.
	//
	// # Errors
	// provider.ErrNotFound if the driver does not run the function;
	// provider.ErrUnavailable if no replica is ready.
	Handler(name, namespace string) (http.Handler, error)

	// Replicas reports how many replicas the function has and how many are
	// ready. It must be cheap: status is polled.
	Replicas(name, namespace string) (replicas, available uint64)

	// Close stops every replica of every function.
	//
	// # Errors
	// An error when replicas could not be stopped.
	Close(ctx context.Context) error
}
