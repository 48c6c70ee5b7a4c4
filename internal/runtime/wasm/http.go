package wasm

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// maxHTTPHandles bounds the responses a guest may hold open in one call.
const maxHTTPHandles = 64

// hostState is a store's data: what faas_http needs during a call.
type hostState struct {
	fn        *Function
	ctx       context.Context
	deadline  time.Time // the call's wall-time deadline
	maxBody   int64
	responses map[int32]*hostResponse
	next      int32
	lastErr   hostResponse // served for handle -1
}

// hostResponse is a serialized HTTP response and the guest's read position.
type hostResponse struct {
	data []byte
	off  int
}

func (h *hostState) begin(ctx context.Context, deadline time.Time, maxBody int64) {
	h.ctx, h.deadline, h.maxBody = ctx, deadline, maxBody
	h.responses = nil
	h.lastErr = hostResponse{}
}

func (h *hostState) end() {
	h.ctx = nil
	h.responses = nil
	h.lastErr = hostResponse{}
}

func (h *hostState) get(handle int32) *hostResponse {
	if handle == -1 {
		return &h.lastErr
	}
	return h.responses[handle]
}

// fail records msg as the error message the guest reads from handle -1.
func (h *hostState) fail(msg string) int32 {
	h.fn.engine.log.Debug("faas_http refused", "function", h.fn.id, "reason", msg)
	h.lastErr = hostResponse{data: []byte("faas_http: " + msg)}
	return -1
}

// guestMemory returns the caller's linear memory, or nil.
func guestMemory(c *wasmtime.Caller) []byte {
	ex := c.GetExport("memory")
	if ex == nil || ex.Memory() == nil {
		return nil
	}
	return ex.Memory().UnsafeData(c)
}

func guestSlice(mem []byte, ptr, n int32) ([]byte, bool) {
	p, l := int64(uint32(ptr)), int64(uint32(n))
	if p+l > int64(len(mem)) {
		return nil, false
	}
	return mem[p : p+l], true
}

// defineHTTP defines the faas_http host module of docs/abi.md in l.
func defineHTTP(l *wasmtime.Linker) error {
	defs := []struct {
		name string
		fn   any
	}{
		{"request", func(c *wasmtime.Caller, ptr, n int32) int32 {
			h := c.Data().(*hostState)
			msg, ok := guestSlice(guestMemory(c), ptr, n)
			if !ok {
				return h.fail("request message is outside linear memory")
			}
			return h.request(bytes.Clone(msg))
		}},
		{"response_len", func(c *wasmtime.Caller, handle int32) int32 {
			r := c.Data().(*hostState).get(handle)
			if r == nil {
				return -1
			}
			return int32(len(r.data) - r.off)
		}},
		{"response_read", func(c *wasmtime.Caller, handle, ptr, n int32) int32 {
			r := c.Data().(*hostState).get(handle)
			if r == nil {
				return -1
			}
			buf, ok := guestSlice(guestMemory(c), ptr, n)
			if !ok {
				return -1
			}
			copied := copy(buf, r.data[r.off:])
			r.off += copied
			return int32(copied)
		}},
		{"close", func(c *wasmtime.Caller, handle int32) {
			delete(c.Data().(*hostState).responses, handle)
		}},
	}
	for _, d := range defs {
		if err := l.FuncWrap(httpModule, d.name, d.fn); err != nil {
			return fmt.Errorf("%s.%s: %w", httpModule, d.name, err)
		}
	}
	return nil
}

// request performs one outbound request for the guest and returns a handle.
func (h *hostState) request(msg []byte) int32 {
	if h.ctx == nil {
		return h.fail("no request in progress")
	}
	if len(h.responses) >= maxHTTPHandles {
		return h.fail(fmt.Sprintf("too many open responses (%d); close some", maxHTTPHandles))
	}
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(msg)))
	if err != nil {
		return h.fail("bad request message: " + err.Error())
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return h.fail(fmt.Sprintf("request line needs an absolute http:// or https:// URI, got %q", req.RequestURI))
	}
	if !hostAllowed(h.fn.cfg.AllowedHosts, req.URL.Scheme, req.URL.Host) {
		return h.fail(fmt.Sprintf("host %q is not in com.openfaas.wasm.allowed-hosts", req.URL.Host))
	}
	req.RequestURI = ""
	req.Host = req.URL.Host
	// A host call is out of reach of epoch interruption: bound it by the
	// call's own deadline.
	ctx, cancel := context.WithDeadline(h.ctx, h.deadline)
	defer cancel()
	resp, err := h.fn.engine.opts.httpClient.Do(req.WithContext(ctx))
	if err != nil {
		return h.fail(err.Error())
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, h.maxBody+1))
	if err != nil {
		return h.fail("reading response: " + err.Error())
	}
	if int64(len(body)) > h.maxBody {
		return h.fail(fmt.Sprintf("response body larger than %d bytes", h.maxBody))
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.TransferEncoding = nil
	resp.ProtoMajor, resp.ProtoMinor = 1, 1
	resp.Close = false
	var out bytes.Buffer
	if err := resp.Write(&out); err != nil {
		return h.fail("encoding response: " + err.Error())
	}
	if h.responses == nil {
		h.responses = map[int32]*hostResponse{}
	}
	h.next++
	h.responses[h.next] = &hostResponse{data: out.Bytes()}
	return h.next
}

// hostAllowed reports whether hostport matches an allow-list entry: a bare
// host allows every port, "host:port" only that port.
func hostAllowed(allowed []string, scheme, hostport string) bool {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host = strings.Trim(hostport, "[]")
		port = "80"
		if scheme == "https" {
			port = "443"
		}
	}
	host = strings.ToLower(host)
	withPort := net.JoinHostPort(host, port)
	for _, a := range allowed {
		if a == host || a == withPort || strings.Trim(a, "[]") == host {
			return true
		}
	}
	return false
}

// aliasDialer dials through d, replacing a host named in aliases (lower
// case keys) with its address.
func aliasDialer(d *net.Dialer, aliases map[string]string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	if len(aliases) == 0 {
		return d.DialContext
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if host, port, err := net.SplitHostPort(addr); err == nil {
			if ip, ok := aliases[strings.ToLower(host)]; ok {
				addr = net.JoinHostPort(ip, port)
			}
		}
		return d.DialContext(ctx, network, addr)
	}
}

// defaultHTTPClient is the faas_http client: connect and overall timeouts,
// no proxy, no redirects, host aliases (see WithHostAlias) resolved at dial.
func defaultHTTPClient(aliases map[string]string) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           aliasDialer(dialer, aliases),
			TLSHandshakeTimeout:   5 * time.Second,
			ResponseHeaderTimeout: 30 * time.Second,
			MaxIdleConnsPerHost:   16,
			IdleConnTimeout:       90 * time.Second,
		},
		Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
