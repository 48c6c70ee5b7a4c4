//go:build wasip1

package fn

import (
	"fmt"
	"net/http"
	"runtime"
	"unsafe"
)

//go:wasmimport faas_http request
func hostRequest(ptr unsafe.Pointer, n uint32) int32

//go:wasmimport faas_http response_len
func hostResponseLen(handle int32) int32

//go:wasmimport faas_http response_read
func hostResponseRead(handle int32, ptr unsafe.Pointer, n uint32) int32

//go:wasmimport faas_http close
func hostClose(handle int32)

// hostTransport is the RoundTripper over the faas_http host module.
var hostTransport http.RoundTripper = messageTransport{do: hostDo}

// init installs hostTransport in http.DefaultClient, which http.Get,
// http.Post and http.DefaultClient.Do use. It deliberately leaves
// http.DefaultTransport alone: referring to that variable keeps net/http's
// socket transport (HTTP/2, TLS, x509) in every module, about 2.7 MB, even in
// functions that make no outbound call.
func init() {
	http.DefaultClient.Transport = hostTransport
}

// Transport returns the RoundTripper for outbound HTTP: under wasip1 the one
// over the faas_http host module. Give it to clients of your own
// (&http.Client{Transport: fn.Transport()}); a client with a nil Transport
// would use http.DefaultTransport, which has no sockets to dial in Wasm.
func Transport() http.RoundTripper { return hostTransport }

// hostDo sends one request message through the faas_http host module and
// returns the response message.
func hostDo(msg []byte) ([]byte, error) {
	if len(msg) == 0 {
		return nil, fmt.Errorf("faas_http: empty request")
	}
	h := hostRequest(unsafe.Pointer(&msg[0]), uint32(len(msg)))
	runtime.KeepAlive(msg)
	n := hostResponseLen(h)
	var buf []byte
	if n > 0 {
		buf = make([]byte, n)
		got := hostResponseRead(h, unsafe.Pointer(&buf[0]), uint32(n))
		if got >= 0 && int(got) < len(buf) {
			buf = buf[:got]
		}
	}
	if h < 0 {
		return nil, fmt.Errorf("%w: %s", ErrHostRefused, buf)
	}
	hostClose(h)
	return buf, nil
}
