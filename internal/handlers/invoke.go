package handlers

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/faas-wasm/faas-wasm/provider"
)

// Headers set on every invocation.
const (
	HeaderCallID    = "X-Call-Id"
	HeaderStartTime = "X-Start-Time"
)

const functionPrefix = "/function/"

// invokeMethods are the methods a function can be called with.
var invokeMethods = map[string]bool{
	http.MethodGet: true, http.MethodPost: true, http.MethodPut: true, http.MethodPatch: true,
	http.MethodDelete: true, http.MethodOptions: true, http.MethodHead: true,
}

const allowedInvokeMethods = "GET, POST, PUT, PATCH, DELETE, OPTIONS, HEAD"

// MakeInvokeHandler serves ANY /function/{name}[.{ns}][/{path...}][?query].
//
// It answers 405 for methods other than GET, POST, PUT, PATCH, DELETE,
// OPTIONS and HEAD, and 413 for bodies above Config.MaxBodyBytes. It keeps
// the caller's X-Call-Id or generates a UUIDv4, sets X-Start-Time (Unix ns)
// on the request and on every response (errors included), drops an empty `Authorization: Bearer`
// header, strips /function/{name} from the URL and hands the request to
// the backend's Invoker. A function without a ready replica is scaled from
// zero (one waker per function however many calls wait); if it is not
// ready within Config.ScaleFromZeroTimeout the answer is 503
// "No endpoints available for: NAME.".
//
// Each call that reaches an existing function is reported once to
// Config.Observer with the status answered (503 when no replica became
// ready); calls to unknown functions and bodies refused before the lookup
// are not.
func MakeInvokeHandler(b provider.Backend, cfg Config) http.HandlerFunc {
	cfg = cfg.withDefaults()
	wk := newWaker(b, cfg.ScaleFromZeroTimeout, cfg.Logger, cfg.Observer)
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		if !invokeMethods[r.Method] {
			w.Header().Set("Allow", allowedInvokeMethods)
			writeText(w, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed for functions; use one of "+allowedInvokeMethods)
			return
		}
		callID := r.Header.Get(HeaderCallID)
		if callID == "" {
			callID = newCallID()
		}
		startTime := strconv.FormatInt(start.UnixNano(), 10)
		w.Header().Set(HeaderCallID, callID)
		w.Header().Set(HeaderStartTime, startTime)
		target, err := parseFunctionPath(r.URL, functionPrefix, cfg.DefaultNamespace)
		if err != nil {
			writeError(w, r, cfg.Logger, fmt.Errorf("invoke: %w", err))
			return
		}
		done := cfg.Observer.Invocation(target.name, target.namespace)
		rec := &statusRecorder{ResponseWriter: w}
		w, counted := rec, false
		defer func() {
			if counted {
				done(rec.status())
			} else {
				done(0)
			}
		}()
		body, length, err := limitBody(w, r, cfg.MaxBodyBytes)
		if err != nil {
			writeError(w, r, cfg.Logger, fmt.Errorf("invoke %s.%s: %w", target.name, target.namespace, err))
			return
		}
		handler, err := wk.invoker(r.Context(), target.name, target.namespace)
		counted = err == nil || !errors.Is(err, provider.ErrNotFound) && !errors.Is(err, provider.ErrInvalid)
		if err != nil {
			if errors.Is(err, provider.ErrUnavailable) {
				cfg.Logger.WarnContext(r.Context(), "no ready replica", "function", target.name, "namespace", target.namespace, "err", err)
				writeText(w, http.StatusServiceUnavailable, "No endpoints available for: "+target.name+".")
				return
			}
			writeError(w, r, cfg.Logger, fmt.Errorf("invoke %s.%s: %w", target.name, target.namespace, err))
			return
		}
		out := r.Clone(r.Context())
		out.Body, out.ContentLength = body, length
		out.URL.Path, out.URL.RawPath = target.path, target.rawPath
		out.RequestURI = out.URL.RequestURI()
		out.Header.Set(HeaderCallID, callID)
		out.Header.Set(HeaderStartTime, startTime)
		if isEmptyBearer(out.Header.Get("Authorization")) {
			out.Header.Del("Authorization")
		}
		handler.ServeHTTP(w, out)
	}
}

// functionTarget is a parsed /function/ URL.
type functionTarget struct {
	name, namespace string
	// path and rawPath are what remains after /function/{name}: "/" at least.
	path, rawPath string
}

// parseFunctionPath splits {prefix}{name}[.{ns}][/{rest}] (prefix
// /function/ or /async-function/) into the function, its namespace
// (default def) and the rest of the path.
func parseFunctionPath(u *url.URL, prefix, def string) (functionTarget, error) {
	p, ok := strings.CutPrefix(u.Path, prefix)
	if !ok {
		return functionTarget{}, fmt.Errorf("path %q does not start with %s: %w", u.Path, prefix, provider.ErrInvalid)
	}
	seg, rest, _ := strings.Cut(p, "/")
	if seg == "" {
		return functionTarget{}, fmt.Errorf("the path names no function: %w", provider.ErrInvalid)
	}
	name, ns, err := functionRef(seg, "", def)
	if err != nil {
		return functionTarget{}, err
	}
	t := functionTarget{name: name, namespace: ns, path: "/" + rest}
	if u.RawPath != "" {
		if ep, ok := strings.CutPrefix(u.EscapedPath(), prefix); ok {
			if _, rawRest, found := strings.Cut(ep, "/"); found {
				t.rawPath = "/" + rawRest
			}
		}
	}
	return t, nil
}

// limitBody returns the body (and its length) to hand to the function: http.NoBody when
// empty, the original body capped at max when its length is declared, or
// the body read into memory when it is chunked, so that an oversized body
// is always answered with 413 before the function runs.
func limitBody(w http.ResponseWriter, r *http.Request, max int64) (io.ReadCloser, int64, error) {
	switch {
	case r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0:
		return http.NoBody, 0, nil
	case r.ContentLength > max:
		return nil, 0, fmt.Errorf("request body of %d bytes is larger than the limit of %d bytes: %w", r.ContentLength, max, provider.ErrTooLarge)
	case r.ContentLength > 0:
		return http.MaxBytesReader(w, r.Body, max), r.ContentLength, nil
	}
	data, err := readBody(r.Body, max)
	if err != nil {
		return nil, 0, err
	}
	return io.NopCloser(bytes.NewReader(data)), int64(len(data)), nil
}

// isEmptyBearer reports whether an Authorization header is "Bearer" with no
// token, as clients send when a user never logged in.
func isEmptyBearer(v string) bool {
	scheme, token, _ := strings.Cut(strings.TrimSpace(v), " ")
	return strings.EqualFold(scheme, "Bearer") && strings.TrimSpace(token) == ""
}

// newCallID returns a random (version 4) UUID.
func newCallID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails since Go 1.24
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}
