package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/faas-wasm/faas-wasm/internal/async"
	"github.com/faas-wasm/faas-wasm/provider"
)

// HeaderCallbackURL names the URL that receives an asynchronous call's result.
const HeaderCallbackURL = "X-Callback-Url"

const asyncPrefix = "/async-function/"

// AsyncQueue takes calls to run later; *async.Queue implements it.
type AsyncQueue interface {
	// Enqueue stores c durably.
	//
	// # Errors
	// provider.ErrQueueFull when the queue is full, ErrTooLarge for a call
	// above the queue's message size, ErrInvalid for an unusable call,
	// ErrUnavailable when the queue cannot be reached.
	Enqueue(ctx context.Context, c async.Call) error
}

// hopHeaders are not stored with a queued call: they describe the
// submitting connection, not the call.
var hopHeaders = []string{"Connection", "Content-Length", "Keep-Alive", "Proxy-Connection",
	"Proxy-Authenticate", "Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// MakeAsyncHandler serves ANY /async-function/{name}[.{ns}][/{path...}][?query]:
// it queues the call in Config.Async and answers 202 with its X-Call-Id
// (the caller's or a new UUIDv4). The queue runs it later through
// /function/ with the same method, sub-path, query, headers and body, and
// posts the result to X-Callback-Url when given.
//
// It answers 405 for methods /function/ refuses, 400 for a bad function
// name or callback URL, 404 for an unknown function, 413 for bodies above
// Config.MaxBodyBytes (or the queue's message size), 429 when the queue
// is full and 501 when no queue is configured.
func MakeAsyncHandler(b provider.Backend, cfg Config) http.HandlerFunc {
	cfg = cfg.withDefaults()
	return func(w http.ResponseWriter, r *http.Request) {
		if !invokeMethods[r.Method] {
			w.Header().Set("Allow", allowedInvokeMethods)
			writeText(w, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed for functions; use one of "+allowedInvokeMethods)
			return
		}
		if cfg.Async == nil {
			writeText(w, http.StatusNotImplemented, "asynchronous invocations are off on this provider")
			return
		}
		callID := r.Header.Get(HeaderCallID)
		if callID == "" {
			callID = newCallID()
		}
		w.Header().Set(HeaderCallID, callID)
		c, err := decodeAsyncCall(r, callID, cfg)
		if err == nil {
			_, err = b.Function(r.Context(), c.Name, c.Namespace)
		}
		if err == nil {
			err = cfg.Async.Enqueue(r.Context(), c)
		}
		if err != nil {
			if errors.Is(err, provider.ErrQueueFull) {
				w.Header().Set("Retry-After", "1")
			}
			writeError(w, r, cfg.Logger, fmt.Errorf("queue call: %w", err))
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}
}

// decodeAsyncCall reads the call an /async-function/ request asks for.
func decodeAsyncCall(r *http.Request, callID string, cfg Config) (async.Call, error) {
	target, err := parseFunctionPath(r.URL, asyncPrefix, cfg.DefaultNamespace)
	if err != nil {
		return async.Call{}, err
	}
	callback := r.Header.Get(HeaderCallbackURL)
	if callback != "" {
		if err := async.CheckCallbackURL(callback); err != nil {
			return async.Call{}, fmt.Errorf("%s: %w: %w", HeaderCallbackURL, err, provider.ErrInvalid)
		}
	}
	if r.ContentLength > cfg.MaxBodyBytes {
		return async.Call{}, fmt.Errorf("request body of %d bytes is larger than the limit of %d bytes: %w", r.ContentLength, cfg.MaxBodyBytes, provider.ErrTooLarge)
	}
	body, err := readBody(r.Body, cfg.MaxBodyBytes)
	if err != nil {
		return async.Call{}, err
	}
	header := r.Header.Clone()
	for _, h := range hopHeaders {
		header.Del(h)
	}
	return async.Call{
		ID:          callID,
		Name:        target.name,
		Namespace:   target.namespace,
		Method:      r.Method,
		Path:        (&url.URL{Path: target.path, RawPath: target.rawPath}).EscapedPath(),
		RawQuery:    r.URL.RawQuery,
		Header:      header,
		CallbackURL: callback,
		Body:        body,
	}, nil
}
