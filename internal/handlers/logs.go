package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/faas-wasm/faas-wasm/provider"
)

// MakeLogsHandler serves GET /system/logs?name=&namespace=&instance=&tail=&since=&follow=
// as NDJSON (application/x-ndjson), one LogMessage per line, flushed per
// line. With follow=true the stream stays open, free of the server's
// request deadline, until the client goes away. Unparseable tail, since or
// follow answer 422; an unknown function 404. A stream also ends when the
// server made by NewServer shuts down.
func MakeLogsHandler(b provider.Backend, cfg Config) http.HandlerFunc {
	cfg = cfg.withDefaults()
	return func(w http.ResponseWriter, r *http.Request) {
		req, err := parseLogQuery(r.URL.Query(), cfg.DefaultNamespace)
		if err != nil {
			writeError(w, r, cfg.Logger, fmt.Errorf("logs: %w", err))
			return
		}
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		msgs, err := b.Logs(ctx, req)
		if err != nil {
			writeError(w, r, cfg.Logger, fmt.Errorf("logs of %s.%s: %w", req.Name, req.Namespace, err))
			return
		}
		rc := http.NewResponseController(w)
		if req.Follow {
			clearDeadlines(rc)
		}
		w.Header().Set("Content-Type", "application/x-ndjson")
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusOK)
		flush(rc)
		enc := json.NewEncoder(w)
		stopping := serverStopping(r.Context())
		for {
			select {
			case <-ctx.Done():
				return
			case <-stopping:
				return
			case m, ok := <-msgs:
				if !ok {
					return
				}
				if err := enc.Encode(m); err != nil {
					return
				}
				flush(rc)
			}
		}
	}
}

// flush pushes buffered output to the client. A writer that cannot flush
// (http.ErrNotSupported) or a gone client only make the stream slower or
// shorter, and the next write reports the latter, so the error is dropped.
func flush(rc *http.ResponseController) {
	_ = rc.Flush()
}

// clearDeadlines lifts the connection's read and write deadlines (set by
// NewServer's request timeout) for a long-lived stream.
func clearDeadlines(rc *http.ResponseController) {
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
}

// parseLogQuery turns the query of GET /system/logs into a LogRequest.
// A missing or invalid name or namespace is ErrInvalid (400); a tail, since
// or follow that cannot be parsed is errUnprocessable (422). A negative tail
// (faas-cli sends -1) means all stored lines.
func parseLogQuery(q url.Values, def string) (provider.LogRequest, error) {
	req := provider.LogRequest{Name: q.Get("name"), Instance: q.Get("instance")}
	if req.Name == "" {
		return provider.LogRequest{}, fmt.Errorf("query parameter name is required: %w", provider.ErrInvalid)
	}
	name, ns, err := functionRef(req.Name, q.Get("namespace"), def)
	if err != nil {
		return provider.LogRequest{}, err
	}
	req.Name, req.Namespace = name, ns
	if v := q.Get("tail"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return provider.LogRequest{}, fmt.Errorf("tail=%q is not an integer: %w", v, errUnprocessable)
		}
		req.Tail = max(n, 0)
	}
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return provider.LogRequest{}, fmt.Errorf("since=%q is not an RFC 3339 time: %w", v, errUnprocessable)
		}
		req.Since = t
	}
	if v := q.Get("follow"); v != "" {
		f, err := strconv.ParseBool(v)
		if err != nil {
			return provider.LogRequest{}, fmt.Errorf("follow=%q is not a boolean: %w", v, errUnprocessable)
		}
		req.Follow = f
	}
	return req, nil
}
