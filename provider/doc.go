// Package provider is the contract between the HTTP layer and the backends of
// faas-wasm.
//
// It holds the JSON types of the OpenFaaS provider API (FunctionDeployment,
// FunctionStatus, Secret, ...), the Backend interface that the local and the
// Kubernetes backends implement, and the error classes (ErrNotFound,
// ErrAlreadyExists, ...) that backends wrap and the HTTP layer maps to status
// codes with errors.Is.
//
// It does not serve HTTP, and it imports no backend, no client-go, no
// containerd and no wasmtime.
package provider
