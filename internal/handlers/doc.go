// Package handlers serves the OpenFaaS provider HTTP contract over a
// provider.Backend.
//
// It owns routing (gorilla/mux), JSON decoding and validation of every
// /system request, the mapping of provider error classes to status codes,
// basic auth on /system/*, NDJSON log streaming, the /function/ invocation
// path (call id, start time, prefix stripping, body limit, scale from zero,
// reporting each call to an Observer), the AlertManager webhook
// /system/alert, the route serving /metrics, and a hardened *http.Server
// constructor.
//
// It does not run functions, store state, pull images or know which backend
// it talks to: everything below the HTTP contract belongs to the Backend.
package handlers
