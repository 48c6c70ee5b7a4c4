package fn

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// ErrHostRefused is wrapped by the errors of the Wasm outbound HTTP transport
// when the host refused a request: host not in
// com.openfaas.wasm.allowed-hosts, bad request, connection failure or
// timeout. The error text carries the host's message.
var ErrHostRefused = errors.New("faas_http refused the request")

// messageTransport is an http.RoundTripper that sends each request as one
// HTTP/1.1 message with an absolute URI to do and parses the HTTP/1.1
// response message that do returns. Under wasip1, do is the faas_http host
// import; in tests it can be anything that speaks HTTP/1.1.
type messageTransport struct {
	do func(req []byte) ([]byte, error)
}

// RoundTrip serialises req, hands it to the host and parses the answer. The
// request body is read fully (the ABI carries one message, with
// Content-Length) and closed.
func (t messageTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	msg, err := encodeRequest(req)
	if err != nil {
		return nil, err
	}
	if err := req.Context().Err(); err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Redacted(), err)
	}
	raw, err := t.do(msg)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Redacted(), err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: parse response: %w", req.Method, req.URL.Redacted(), err)
	}
	return resp, nil
}

// encodeRequest writes req as an HTTP/1.1 message with an absolute URI in
// the request line and a Content-Length (never chunked).
func encodeRequest(req *http.Request) ([]byte, error) {
	if req.URL == nil || req.URL.Scheme == "" || req.URL.Host == "" {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, fmt.Errorf("faas_http: request needs an absolute URL")
	}
	out := req.Clone(req.Context())
	if req.Body != nil && req.Body != http.NoBody {
		body, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("read request body: %w", err)
		}
		out.Body = io.NopCloser(bytes.NewReader(body))
		out.ContentLength = int64(len(body))
		if len(body) == 0 {
			out.Body = http.NoBody
		}
	} else {
		out.Body = nil
		out.ContentLength = 0
	}
	out.TransferEncoding = nil
	var buf bytes.Buffer
	if err := out.WriteProxy(&buf); err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	return buf.Bytes(), nil
}
