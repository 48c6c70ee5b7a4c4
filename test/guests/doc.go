// Package guests holds the Go test functions the provider's tests build with
// the fn SDK (a module of its own, so the provider's module does not require
// the SDK): echo for the local end-to-end tests, neighbour and hostile for
// the reliability tests, probe for the Kubernetes tests. Each directory is a
// main package built from its own directory.
package guests
